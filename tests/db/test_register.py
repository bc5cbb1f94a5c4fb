"""The annual register (ACPR 2024-R-02): `register --year` writes one row per complaint received in
the year, and its synthesis totals are `kpis`' figures for the year; the export is logged."""

from __future__ import annotations

from datetime import date

import openpyxl
import pytest

from cpms_metrics import cli, kpis
from cpms_metrics.access import audit_log
from cpms_metrics.sample import generate
from cpms_metrics.store import Store

YEAR = 2025
AS_OF = date(2025, 12, 31)


@pytest.fixture
def filled(store: Store, tmp_path, load_text) -> Store:
    french = generate(1500, 3, date(2026, 3, 31)).astype(object)
    text = french.to_csv(sep=";", index=False)
    report = load_text(text, import_day=date(2026, 3, 31))
    assert report.rejected == 0
    store.close()
    return store


def test_register_has_one_row_per_complaint_and_totals_of_kpis(filled, tmp_path, monkeypatch):
    out = tmp_path / "registre.xlsx"
    code = cli.main(["register", "--year", str(YEAR), "--as-of", AS_OF.isoformat(), "--out",
                     str(out), "--db", str(filled.path)])  # fmt: skip
    assert code == 0
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["Registre", "Synthèse"]
    registre = list(book["Registre"].iter_rows(min_row=3, values_only=True))
    expected = kpis(filled, as_of=AS_OF, month_from="2025-01", month_to="2025-12")
    assert len(registre) == expected["complaints"] > 100
    with filled.cursor() as cur:
        references = {
            r[0]
            for r in cur.execute(
                "SELECT reference FROM complaints WHERE nature = 'reclamation' "
                "AND year(received_on) = 2025"
            ).fetchall()
        }
    assert {row[0] for row in registre} == references
    headers = [c.value for c in book["Registre"][2]]
    nir = headers.index("NIR (masqué)")
    shown = [row[nir] for row in registre if row[nir]]
    assert shown and all("*" in value or "•" in value or "x" in value.lower() for value in shown)
    outcome = headers.index("Suite donnée")
    assert {"Fondée", "Non fondée", "Partiellement fondée"} <= {row[outcome] for row in registre}

    synthesis = list(book["Synthèse"].iter_rows(min_row=3, values_only=True))
    totals = [row for row in synthesis if row[1] == "Total"]
    assert [row[0] for row in totals] == ["Objet", "Canal", "Porteur de risque"]
    answered = sum(expected["outcome"][k] for k in
                   ("fondee", "partiellement_fondee", "non_fondee", "not_recorded"))  # fmt: skip
    for row in totals:
        assert row[2] == expected["complaints"]
        assert row[3] == answered
        assert row[4] == pytest.approx(expected["ack"]["compliance_rate"])
        assert row[5] == pytest.approx(expected["response"]["compliance_rate"])
        assert row[6] == pytest.approx(expected["response"]["median_days"])
        assert row[7] == expected["escalation"]["escalated"]
        assert row[8] == pytest.approx(expected["outcome"]["founded_rate"])
    for group in ("Objet", "Canal", "Porteur de risque"):  # the parts add up to the total
        parts = [row for row in synthesis if row[0] == group and row[1] != "Total"]
        assert sum(row[2] for row in parts) == expected["complaints"]
        assert sum(row[7] for row in parts) == expected["escalation"]["escalated"]
    rate_cell = book["Synthèse"].cell(row=3, column=5)
    assert rate_cell.number_format == "0.0\\ %"
    logged = audit_log(filled)
    assert (logged["action"] == "export").sum() == 1
    assert "Registre des réclamations 2025" in logged["detail"].iloc[0]


def test_register_refuses_another_format(filled, tmp_path, capsys):
    code = cli.main(["register", "--year", "2025", "--out", str(tmp_path / "r.pdf"), "--db",
                     str(filled.path)])  # fmt: skip
    assert code == 2
    assert "XLSX" in capsys.readouterr().err
