"""The monthly report on cases whose files never tracked a step (export-format.md, last point):
the PDF's tables, the workbook and the summary say "Non suivi" and how many cases a rate leaves
out, never 0 %."""

from __future__ import annotations

import re
from datetime import date, datetime
from io import BytesIO
from pathlib import Path

from openpyxl import load_workbook

from cpms_metrics.ingest import import_file
from cpms_metrics.report import build_report, detail_tables, headline_table, pdf_bytes, xlsx_bytes
from cpms_metrics.report.figures import FIGURE_TITLES
from cpms_metrics.settings import Settings
from cpms_metrics.store import Store
from tests.db.test_report import PIXEL, pdf_text, sheet

AS_OF = date(2025, 6, 30)
HEADER = "reference;received_on;channel;nature;object"
TRACKED = (  # March: both steps tracked; R1 on time, R2 late, R3 overdue (never answered)
    f"{HEADER};acknowledged_on;responded_on\n"
    "R1;2025-03-03;email;reclamation;cotisation;2025-03-05;2025-03-20\n"
    "R2;2025-03-04;email;reclamation;cotisation;2025-03-28;2025-04-10\n"
    "R3;2025-03-05;telephone;reclamation;adhesion;;\n"
)
UNTRACKED = (  # no acknowledgement column, no answer column: March (2 cases) and April (3)
    f"{HEADER}\n"
    "U1;2025-03-10;email;reclamation;cotisation\n"
    "U2;2025-03-11;courrier;reclamation;adhesion\n"
    "U3;2025-04-02;email;reclamation;cotisation\n"
    "U4;2025-04-03;email;reclamation;adhesion\n"
    "U5;2025-04-04;courrier;reclamation;remboursement\n"
)


def _load(store: Store, tmp_path: Path) -> None:
    for name, text in (("tracked.csv", TRACKED), ("untracked.csv", UNTRACKED)):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        import_file(
            store,
            path,
            import_day=AS_OF,
            imported_at=datetime(2025, 6, 30, 9),
            objects=Settings().objects,
        )


def test_a_rate_says_how_many_cases_it_leaves_out(store: Store, tmp_path: Path) -> None:
    _load(store, tmp_path)
    report = build_report(store, month="2025-03", as_of=AS_OF)
    steps = detail_tables(report)["steps"]
    assert "Non suivi" in steps.header
    ack = dict(zip(steps.header, steps.rows[0], strict=True))
    assert ack["Non suivi"] == "2"
    assert ack["Taux dans les délais"] == "33,3\u202f% (3 jugés, 2 non suivis)"
    workbook = xlsx_bytes(report)
    rows = sheet(workbook, "Réclamations du mois")
    header = [c.value for c in load_workbook(BytesIO(workbook))["Réclamations du mois"][2]]
    assert rows[0][header.index("Non suivi")] == 2
    assert rows[0][header.index("Dossiers jugés")] == 3
    cohort = next(s for s in report.summary if s.startswith("Réclamations reçues en"))
    assert "accusés de réception dans les délais 33,3\u202f% (3 jugés, 2 non suivis)" in cohort


def test_a_month_whose_files_track_no_step_reads_non_suivi(store: Store, tmp_path: Path) -> None:
    _load(store, tmp_path)
    report = build_report(store, month="2025-04", as_of=AS_OF)
    assert report.current.kpis["ack"]["untracked"] == 3
    steps = detail_tables(report)["steps"]
    for row in steps.rows:
        cells = dict(zip(steps.header, row, strict=True))
        assert cells["Taux dans les délais"] == "Non suivi (3 dossiers)"
    objects = detail_tables(report)["objects"]
    assert all("Non suivi" in row[2] and "%" not in row[2] for row in objects.rows)
    headline = headline_table(report)
    due = [row for row in headline.rows if row[0].startswith("Réponses")]
    assert due and "0,0" not in " ".join(due[0])
    cohort = next(s for s in report.summary if s.startswith("Réclamations reçues en"))
    assert "accusés de réception dans les délais Non suivi (3 dossiers)" in cohort
    workbook = xlsx_bytes(report)
    by_object = sheet(workbook, "Par objet")
    assert all(row[3] == "Non suivi" for row in by_object)  # the ack rate column
    text = pdf_text(pdf_bytes(report, images=[PIXEL] * len(FIGURE_TITLES)))
    assert "Non suivi (3 dossiers)" in text
    assert not re.search(r"0,0 % \(\d+ jug", text)  # no compliance rate of 0 % anywhere
