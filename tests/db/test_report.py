"""The monthly report says the dashboard's numbers: read back from its workbook (openpyxl) and from
its PDF's text (pypdf), the figures are `kpis`' for the same month, as-of date and policy.

Export below, report on November 2025 as of 2025-11-30, policy `cpms` (worked out by hand):
  N1 received 11-03 by e-mail, remboursement; AR 11-05, answered 11-20: both on time
  N2 11-10 by post, cotisation, institution de prévoyance; AR 11-25 (due 11-20): late;
     referred to a mediator 11-28 (none recorded: the CTIP's, from the carrier)
  N3 11-24 by phone, adhésion; nothing yet                                  AR pending (due 12-04)
  N4 11-05 by e-mail, remboursement; nothing                                AR overdue (due 11-15)
  N5 11-12 a request for information: not a complaint
  -> 4 complaints; AR 1/3 = 33,3 %; answers 1/1 = 100,0 %; escalation 1/4 = 25,0 %; 0 overdue.
October 2025, as of 2025-10-31 (the same 0 days after the month's end):
  O1 10-01 AR 10-03, answered 10-20; O2 10-06 AR 10-08, answered 10-30; O3 10-15 AR 10-28 (late),
  answered 12-01 (after both as-of dates)  -> 3 complaints; AR 2/3; answers 2/2; escalation 0/3.
November 2024, as of 2024-11-30:
  Y1 11-04 AR 11-06, answered 2025-02-10 (late), referred 2025-03-01; Y2 11-20 AR 11-22, never
  answered  -> 2 complaints; AR 2/2; answers none judged yet (—); escalation 0/2.
Open past the answer deadline on 2025-11-30, every cohort:
  Y2 due 2025-01-20 (314 days late), B1 received 08-04 due 10-04 (57), B2 09-15 due 11-15 (15),
  B3 06-02 due 08-02 (120).
L1, received 12-10, after the as-of date, does not exist yet.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import date, datetime
from io import BytesIO
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from cpms_metrics import CpmsError, Scope, kpis
from cpms_metrics.formats import format_count, format_rate
from cpms_metrics.ingest import import_file
from cpms_metrics.queries import monthly, summarise
from cpms_metrics.report import (
    HEADLINES,
    MonthlyReport,
    browser_path,
    build_report,
    last_full_month,
    month_choices,
    pdf_bytes,
    render_png,
    report_figures,
    write_report,
    xlsx_bytes,
)
from cpms_metrics.settings import Settings
from cpms_metrics.store import Store, open_store

EXPORT = """\
Référence;Date de réception;Canal;Nature;Objet;Porteur de risque;Date d'accusé de réception;\
Date de réponse;Canal de réponse;Date de saisine du médiateur;Médiateur
N1;03/11/2025;E-mail;Réclamation;Remboursement;Assureur;05/11/2025;20/11/2025;E-mail;;
N2;10/11/2025;Courrier;Réclamation;Cotisation;Institution de prévoyance;25/11/2025;;;28/11/2025;
N3;24/11/2025;Téléphone;Réclamation;Adhésion;Mutuelle;;;;;
N4;05/11/2025;E-mail;Réclamation;Remboursement;Assureur;;;;;
N5;12/11/2025;E-mail;Demande d'information;Autre;;;13/11/2025;E-mail;;
O1;01/10/2025;E-mail;Réclamation;Remboursement;Assureur;03/10/2025;20/10/2025;E-mail;;
O2;06/10/2025;E-mail;Réclamation;Adhésion;Assureur;08/10/2025;30/10/2025;E-mail;;
O3;15/10/2025;Courrier;Réclamation;Résiliation;Institution de prévoyance;28/10/2025;01/12/2025;\
Courrier;;
Y1;04/11/2024;E-mail;Réclamation;Remboursement;Assureur;06/11/2024;10/02/2025;E-mail;01/03/2025;\
La Médiation de l'Assurance
Y2;20/11/2024;Courrier;Réclamation;Cotisation;Institution de prévoyance;22/11/2024;;;;
B1;04/08/2025;E-mail;Réclamation;Remboursement;Assureur;05/08/2025;;;;
B2;15/09/2025;Téléphone;Réclamation;Adhésion;Assureur;;;;;
B3;02/06/2025;Courrier;Réclamation;Remboursement;Mutuelle;04/06/2025;;;;
L1;10/12/2025;E-mail;Réclamation;Autre;Assureur;;;;;
"""
MONTH, AS_OF = "2025-11", date(2025, 11, 30)
IMPORTED_AT = datetime(2025, 12, 15, 7, 30)
# The comparisons: the same number of days (here 0) after their month's end.
COMPARED = {"previous": ("2025-10", date(2025, 10, 31)), "year": ("2024-11", date(2024, 11, 30))}


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """One database for the module (the PDF is rendered once), filled by the real importer."""
    folder = tmp_path_factory.mktemp("report")
    store = open_store(folder / "cpms.duckdb", Settings(db_path=folder / "cpms.duckdb"))
    export = folder / "export.csv"
    export.write_text(EXPORT, encoding="utf-8")
    result = import_file(
        store,
        export,
        import_day=IMPORTED_AT.date(),
        imported_at=IMPORTED_AT,
        objects=Settings().objects,
    )
    assert result.rejected == 0 and result.added == 14
    yield store
    store.close()


def reference(store: Store, month: str, as_of: date, policy: str = "cpms") -> dict[str, Any]:
    """What `python -m cpms_metrics kpis --from M --to M --as-of D --json` gives."""
    return kpis(store, as_of=as_of, policy=policy, month_from=month, month_to=month)


def sheet(content: bytes, name: str) -> list[list[Any]]:
    """The rows of a sheet under its header, as the cells' values."""
    rows = load_workbook(BytesIO(content))[name].iter_rows(min_row=2, values_only=True)
    return [list(row) for row in rows]


def headline(figures: dict[str, Any], index: int) -> Any:
    return HEADLINES[index].value(figures)


# --- The workbook -------------------------------------------------------------------------------


@pytest.mark.parametrize("policy", ["cpms", "acpr"])
def test_the_workbook_headlines_are_kpis(loaded: Store, policy: str) -> None:
    content = xlsx_bytes(build_report(loaded, month=MONTH, policy=policy, as_of=AS_OF))
    rows = sheet(content, "Indicateurs")
    now = reference(loaded, MONTH, AS_OF, policy)
    before = reference(loaded, *COMPARED["previous"], policy)
    year = reference(loaded, *COMPARED["year"], policy)
    assert [r[0] for r in rows] == [h.label for h in HEADLINES]
    for index, row in enumerate(rows):
        expected = [headline(f, index) for f in (now, before, year)]
        assert [row[1], row[2], row[4]] == pytest.approx(expected), row[0]
        for value in (row[1], row[2], row[4]):
            assert value is None or isinstance(value, int | float)  # numbers, never text


def test_the_workbook_holds_the_hand_worked_figures(loaded: Store) -> None:
    content = xlsx_bytes(build_report(loaded, month=MONTH, policy="cpms", as_of=AS_OF))
    rows = {r[0]: r[1:6] for r in sheet(content, "Indicateurs")}
    assert rows["Réclamations reçues"] == [4, 3, 1, 2, 2]
    assert rows["Accusés de réception dans les délais"] == pytest.approx(
        [1 / 3, 2 / 3, -33.4, 1.0, -66.7]  # points between the rates as shown: 33,3 − 66,7
    )
    assert rows["Réponses dans les délais"] == [1, 1, 0, None, None]  # Nov 2024: none judged
    assert rows["Taux de saisine du médiateur"] == pytest.approx([0.25, 0.0, 25.0, 0.0, 25.0])
    assert rows["Réponses en retard (dossiers ouverts)"] == [0, 0, 0, 0, 0]
    book = load_workbook(BytesIO(content))
    cell = book["Indicateurs"]["B3"]
    assert cell.number_format == "0.0 %"
    assert book["Indicateurs"]["D3"].number_format == '+0.0" pt";-0.0" pt";0.0" pt"'
    assert all(book[name].freeze_panes == "B2" for name in book.sheetnames)
    synthesis = {r[0]: r[1] for r in sheet(content, "Synthèse") if r[0]}
    assert synthesis["Mois"] == datetime(2025, 11, 1)
    assert synthesis["Date d'arrêté"] == datetime(2025, 11, 30)
    assert synthesis["Dernier import des données"] == IMPORTED_AT
    assert synthesis["Politique de délais"] == "Engagement CPMS"


def test_the_trend_sheet_is_monthly_over_twelve_months(loaded: Store) -> None:
    content = xlsx_bytes(build_report(loaded, month=MONTH, policy="cpms", as_of=AS_OF))
    rows = sheet(content, "Évolution 12 mois")
    assert [r[0] for r in rows] == [
        datetime(2024, 12, 1),
        *(datetime(2025, m, 1) for m in range(1, 12)),
    ]
    frame = monthly(loaded, Scope(AS_OF, "cpms", "2024-12", MONTH)).set_index("key")
    for row in rows:
        key = row[0].strftime("%Y-%m")
        if key not in frame.index:  # a month without any record
            assert row[1:] == [0, None, None, 0, None, "définitif"]
            continue
        expected = frame.loc[key]
        assert row[1] == expected["complaints"] and row[4] == expected["escalated"]
        for column, name in ((2, "ack_compliance_rate"), (3, "response_compliance_rate"),
                             (5, "escalation_rate")):  # fmt: skip
            rate = None if pd.isna(expected[name]) else expected[name]  # no rate: an empty cell
            assert row[column] == pytest.approx(rate)
        assert row[6] == ("provisoire" if expected["provisional"] else "définitif")
    # October: O3's answer is due 12-15; November: every answer still due.
    assert [r[0].month for r in rows if r[6] == "provisoire"] == [10, 11]


def test_breakdowns_mediators_and_open_cases_past_due(loaded: Store) -> None:
    content = xlsx_bytes(build_report(loaded, month=MONTH, policy="cpms", as_of=AS_OF))
    now = reference(loaded, MONTH, AS_OF)
    by_object = sheet(content, "Par objet")
    assert [r[1] for r in by_object] == [r["complaints"] for r in now["by_object"]]
    assert [r[0] for r in by_object] == ["Remboursement", "Adhésion", "Cotisation"]
    assert [r[2] for r in by_object] == pytest.approx(
        [r["ack_compliance_rate"] for r in now["by_object"]], nan_ok=True
    )
    channels = summarise(loaded, Scope(AS_OF, "cpms", MONTH, MONTH), "channel")
    counts = dict(zip(channels["key"], channels["complaints"], strict=True))
    assert {r[0]: r[1] for r in sheet(content, "Par canal")} == {
        "E-mail": counts["email"],
        "Courrier": counts["courrier"],
        "Téléphone": counts["telephone"],
    }
    assert sheet(content, "Médiateurs") == [["Médiateur de la protection sociale – CTIP", 1, 1]]
    overdue = sheet(content, "Retards ouverts")
    assert overdue == [
        ["Remboursement", 0, 1, 1, 0, 2],  # B1 57 days, B3 120 days
        ["Adhésion", 1, 0, 0, 0, 1],  # B2 15 days
        ["Cotisation", 0, 0, 0, 1, 1],  # Y2 314 days
        ["Total", 1, 1, 1, 1, 4],
    ]
    # The stock of every cohort is kpis' overdue answers without month bounds.
    assert overdue[-1][-1] == kpis(loaded, as_of=AS_OF)["response"]["overdue"]


def test_the_summary_is_written_from_the_figures(loaded: Store) -> None:
    report = build_report(loaded, month=MONTH, policy="cpms", as_of=AS_OF)
    nnbsp = "\u202f"
    assert report.summary == (
        "En novembre 2025, 4 réclamations ont été reçues, contre 3 en octobre 2025 et 2 en "
        "novembre 2024.",
        f"Le taux d'accusés de réception dans les délais passe de 66,7{nnbsp}% en octobre 2025 à "
        f"33,3{nnbsp}% en novembre 2025 (−33,4{nnbsp}points).",
        f"Le taux de réponse dans les délais est stable à 100,0{nnbsp}% (octobre 2025 : "
        f"100,0{nnbsp}%). Ce taux porte sur 1 dossier jugé ; 3 autres sont encore dans le délai.",
        f"Le taux de saisine du médiateur passe de 0,0{nnbsp}% en octobre 2025 à 25,0{nnbsp}% en "
        f"novembre 2025 (+25,0{nnbsp}points).",
        "Au 30/11/2025, 4 dossiers ouverts ont dépassé leur délai de réponse, tous mois de "
        "réception confondus, dont 2 depuis plus de 90 jours.",
        "Cohortes provisoires au 30/11/2025 (délais de réponse pas tous échus) : octobre 2025 et "
        "novembre 2025 ; leurs chiffres peuvent encore évoluer.",
    )


def test_same_parameters_give_the_same_workbook(loaded: Store) -> None:
    first = xlsx_bytes(build_report(loaded, month=MONTH, policy="cpms", as_of=AS_OF))
    again = xlsx_bytes(build_report(loaded, month=MONTH, policy="cpms"))  # as of the month's end
    assert first == again
    properties = load_workbook(BytesIO(first)).properties
    assert properties.created == datetime(2025, 11, 30)  # from the as-of date, not the clock
    assert properties.title == "Rapport mensuel des réclamations — novembre 2025"


def test_a_month_without_complaints_says_so(loaded: Store) -> None:
    report = build_report(loaded, month="2025-07", policy="cpms")
    assert not report.has_complaints
    assert report.summary[0] == (
        "Aucune réclamation n'a été reçue en juillet 2025 (contre 1 en juin 2025 et 0 en juillet "
        "2024)."
    )
    content = xlsx_bytes(report)
    assert sheet(content, "Indicateurs")[0][1] == 0
    assert [r[1] for r in sheet(content, "Indicateurs")[1:4]] == [None, None, None]  # never 0 %
    assert [r[0] for r in sheet(content, "Par objet")] == [
        "Aucune réclamation reçue en juillet 2025"
    ]
    report_figures(report)  # twelve months to draw, one of them with data
    text = pdf_text(pdf_bytes(report, images=[PIXEL] * 3))
    assert "Aucune réclamation n'a été reçue en juillet 2025" in text
    assert "Réclamations reçues 0 1 −1 0 0" in text


def test_an_empty_database_gives_a_report(tmp_path: Path) -> None:
    store = open_store(tmp_path / "empty.duckdb", Settings(db_path=tmp_path / "empty.duckdb"))
    try:
        report = build_report(store, month=MONTH, policy="acpr")
    finally:
        store.close()
    assert report.last_import is None and report.overdue_total == 0
    report_figures(report)
    text = pdf_text(pdf_bytes(report, images=[PIXEL] * 3))
    assert "aucun import enregistré" in text
    assert "Aucun dossier ouvert n'a dépassé son délai de réponse au 30/11/2025" in text
    assert "Référentiel ACPR" in text


@pytest.mark.parametrize(
    ("month", "as_of", "out", "message"),
    [
        ("2025-13", None, "r.xlsx", "Mois invalide : « 2025-13 »"),
        ("2025-1", None, "r.xlsx", "format attendu AAAA-MM"),
        ("novembre", None, "r.pdf", "Mois invalide"),
        ("2025-11", date(2025, 11, 29), "r.xlsx", "précède la fin du mois du rapport"),
        ("2025-11", None, "r.csv", "Format de sortie inconnu : « r.csv »"),
        ("2025-11", None, "r", "attendu : un fichier .pdf ou .xlsx"),
    ],
)
def test_bad_parameters_are_french_errors(
    loaded: Store, tmp_path: Path, month: str, as_of: date | None, out: str, message: str
) -> None:
    with pytest.raises(CpmsError, match=re.escape(message)):
        write_report(loaded, month=month, policy="cpms", as_of=as_of, out=tmp_path / out)
    assert not (tmp_path / out).exists()
    with pytest.raises(CpmsError, match="Politique inconnue"):
        build_report(loaded, month=MONTH, policy="amf")


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2025, 12, 15), "2025-11"),
        (date(2025, 11, 30), "2025-11"),  # its last day: the month is over that evening
        (date(2025, 1, 1), "2024-12"),  # across the new year
        (date(2024, 2, 29), "2024-02"),  # leap day
    ],
)
def test_the_last_full_month(day: date, expected: str) -> None:
    assert last_full_month(day) == expected


def test_month_choices_run_from_the_first_month_on_record() -> None:
    assert month_choices("2025-09", "2025-11", "2026-01") == [
        "2026-01", "2025-12", "2025-11", "2025-10", "2025-09",
    ]  # fmt: skip
    assert month_choices(None, "2025-11", "2025-10") == ["2025-11"]  # the default is always there


def test_no_browser_is_a_french_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("cpms_metrics.report.browser_path", lambda: None)
    with pytest.raises(CpmsError, match="Chromium est introuvable"):
        render_png([])


# --- The PDF ------------------------------------------------------------------------------------

# A 1x1 white PNG, standing in for the charts where the test is about the text.
PIXEL = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de0000000c4944415408d763f8"
    "ffff3f0005fe02fea7d6a4860000000049454e44ae426082"
)
needs_browser = pytest.mark.skipif(
    browser_path() is None and os.environ.get("CPMS_REQUIRE_BROWSER") != "1",
    reason="Chromium absent (apt-get install chromium) : rendu des graphiques non testé",
)


def pdf_text(content: bytes) -> str:
    """Every page's text, whitespace (narrow spaces included) folded to single spaces."""
    reader = PdfReader(BytesIO(content))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


@pytest.fixture(scope="module")
def rendered(
    loaded: Store, tmp_path_factory: pytest.TempPathFactory
) -> tuple[MonthlyReport, bytes]:
    """The PDF written by `write_report`, charts rendered by kaleido on Chromium, once."""
    out = tmp_path_factory.mktemp("pdf") / "rapport.PDF"  # the suffix in any case
    write_report(loaded, month=MONTH, policy="cpms", as_of=AS_OF, out=out)
    return build_report(loaded, month=MONTH, policy="cpms", as_of=AS_OF), out.read_bytes()


@needs_browser
def test_the_pdf_says_the_kpis(loaded: Store, rendered: tuple[MonthlyReport, bytes]) -> None:
    _, content = rendered
    text = pdf_text(content)
    now = reference(loaded, MONTH, AS_OF)
    before = reference(loaded, *COMPARED["previous"])
    year = reference(loaded, *COMPARED["year"])
    for index, h in enumerate(HEADLINES):
        shown = [
            format_rate(headline(f, index)) if h.is_rate else format_count(headline(f, index))
            for f in (now, before, year)
        ]
        row = " ".join(shown[:2]).replace("\u202f", " ")
        assert re.search(
            re.escape(f"{h.label} {row} ")
            + r"\S+( pt)? "
            + re.escape(shown[2].replace("\u202f", " ")),
            text,
        ), h.label
    # The hand-worked rows, changes included.
    assert "Réclamations reçues 4 3 +1 2 +2" in text
    assert "Accusés de réception dans les délais 33,3 % 66,7 % −33,4 pt 100,0 % −66,7 pt" in text
    assert "Réponses dans les délais 100,0 % 100,0 % 0,0 pt — —" in text
    assert "Taux de saisine du médiateur 25,0 % 0,0 % +25,0 pt 0,0 % +25,0 pt" in text


@needs_browser
def test_the_pdf_first_page_states_its_terms(rendered: tuple[MonthlyReport, bytes]) -> None:
    report, content = rendered
    reader = PdfReader(BytesIO(content))
    first = " ".join(reader.pages[0].extract_text().split())
    assert "Rapport mensuel des réclamations Novembre 2025" in first
    assert "Engagement CPMS : accusé de réception sous 10 jours calendaires" in first
    assert "Date d'arrêté 30/11/2025" in first
    assert "Dernier import des données 15/12/2025 à 07:30" in first
    assert "octobre 2025, arrêté au 31/10/2025 ; novembre 2024, arrêté au 30/11/2024" in first
    assert f"Page 1 sur {len(reader.pages)}" in first
    width, height = reader.pages[0].mediabox.width, reader.pages[0].mediabox.height
    assert (round(float(width)), round(float(height))) == (595, 842)  # A4
    text = pdf_text(content)
    assert "Cohortes provisoires au 30/11/2025" in text
    assert "Dossiers ouverts hors délai de réponse au 30/11/2025" in text
    assert len(reader.pages[1].images) == 3  # the three trend charts
    assert reader.metadata is not None
    assert reader.metadata.creation_date == datetime.fromisoformat("2025-11-30T00:00:00+00:00")
    assert reader.metadata.title == report.title


@needs_browser
def test_the_same_report_gives_the_same_pdf(rendered: tuple[MonthlyReport, bytes]) -> None:
    report, content = rendered
    images = [image.data for image in PdfReader(BytesIO(content)).pages[1].images]
    assert pdf_bytes(report, images) == pdf_bytes(report, images)
