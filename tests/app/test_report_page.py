"""The Rapport mensuel page, run by AppTest on the known export (tests/app/known_export.py): the
month's cards are `kpis`' for that month, and both download buttons deliver their file.

December 2025 as of 2025-12-31, policy `cpms`, worked out by hand:
- received: R07, R08, R10 -> 3 (November: R09 alone);
- acknowledgements due in December: R10 (due 12-11, done that day: on time), R07 (due 12-25:
  overdue) -> 1/2 = 50,0 % (R08's is due 01-05); November: R09's, on time -> 100,0 %;
- answers due in December: none (nothing received in October) -> "—"; no referral;
- open past the answer deadline on 12-31, every cohort: R04, R06 and R11 (from 2024) -> 3; the
  same three on 11-30 -> change 0;
- the cohort, as context: AR 1/2 (R07 overdue, R08 pending, R10 on time), answers all still due,
  no escalation.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import date
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from streamlit.runtime.media_file_manager import MediaFileManager

from cpms_metrics import kpis, open_store
from cpms_metrics.definitions import REPORT_HEADLINES, VIEWS
from cpms_metrics.report import COHORT_FIGURES, browser_path
from tests.app.conftest import run_page, shown_metrics
from tests.app.known_export import QUERY
from ui.format import format_count, format_rate

PAGE = "pages/8_rapport_mensuel.py"


def reference(db: Path, month: str, as_of: date, policy: str = "cpms") -> dict[str, Any]:
    store = open_store(db)
    try:
        return kpis(store, as_of=as_of, policy=policy, month_from=month, month_to=month)
    finally:
        store.close()


def cards(result: dict[str, Any]) -> dict[str, str]:
    """The report's cards: its headlines, then the cohort's rates as context."""
    return {
        h.label: format_rate(h.value(result)) if h.is_rate else format_count(h.value(result))
        for h in (*REPORT_HEADLINES, *COHORT_FIGURES)
    }


@pytest.fixture
def downloads(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """What each download button would deliver, by file name: bytes, or the callable Streamlit
    runs when the button is clicked."""
    served: dict[str, Any] = {}
    add, add_deferred = MediaFileManager.add, MediaFileManager.add_deferred

    def keep(self: MediaFileManager, data: Any, mimetype: str, coordinates: str,
             file_name: str | None = None, **kwargs: Any) -> str:  # fmt: skip
        served[str(file_name)] = data
        return add(self, data, mimetype, coordinates, file_name, **kwargs)

    def keep_deferred(self: MediaFileManager, data: Callable[[], Any], mimetype: str | None,
                      coordinates: str, file_name: str | None = None,
                      **kwargs: Any) -> str:  # fmt: skip
        served[str(file_name)] = data
        return add_deferred(self, data, mimetype, coordinates, file_name, **kwargs)

    monkeypatch.setattr(MediaFileManager, "add", keep)
    monkeypatch.setattr(MediaFileManager, "add_deferred", keep_deferred)
    return served


def test_the_default_month_is_the_last_full_one_and_its_cards_are_kpis(known_db: Path) -> None:
    at = run_page(PAGE, {**QUERY, "policy": "cpms"})  # the sidebar's date: 2025-12-31
    assert not at.exception and not at.error
    assert at.selectbox[0].value == "2025-12"
    assert at.date_input(key="report_as_of_2025-12").value == date(2025, 12, 31)
    shown = shown_metrics(at)
    assert shown == cards(reference(known_db, "2025-12", date(2025, 12, 31)))
    assert list(shown)[: len(REPORT_HEADLINES)] == [h.label for h in REPORT_HEADLINES]
    assert shown == {
        "Réclamations reçues": "3",
        "Accusés de réception dus sur la période, dans les délais": "50,0\u202f%",
        "Réponses dues sur la période, dans les délais": "—",
        "Saisines du médiateur sur la période": "0",
        "Réponses en retard (dossiers ouverts)": "3",
        "Accusés de réception dans les délais": "50,0\u202f%",
        "Réponses dans les délais": "—",
        "Taux de saisine du médiateur": "0,0\u202f%",
    }
    deltas = {m.label: m.delta for m in at.metric}
    assert deltas["Réclamations reçues"] == "+2"  # against R09 alone in November
    assert deltas["Accusés de réception dus sur la période, dans les délais"] == "-50,0\u202fpt"
    assert deltas["Réponses en retard (dossiers ouverts)"] == "0"
    captions = [c.value for c in at.caption]
    assert "2 jugés" in captions and "aucun dossier jugé" in captions  # what each rate judges
    assert any(VIEWS["due"].lower() in c for c in captions)  # the due-in-month view, named
    summary = next(m.value for m in at.markdown if "En décembre 2025" in m.value)
    assert "En décembre 2025, 3 réclamations ont été reçues" in summary
    assert "Accusés de réception dus en décembre 2025 : 50,0\u202f% dans les délais" in summary
    assert "Au 31/12/2025, 3 dossiers ouverts ont dépassé leur délai de réponse" in summary
    headings = [s.value for s in at.subheader]
    assert f"Contexte : {VIEWS['cohort'].lower()} (décembre 2025, provisoire)" in headings
    assert any(h.startswith(VIEWS["backlog"]) for h in headings)


@pytest.mark.parametrize("policy", ["cpms", "acpr"])
def test_another_month_and_policy(known_db: Path, policy: str) -> None:
    at = run_page(PAGE, QUERY)
    at.selectbox[0].set_value("2025-06")
    at.radio[-1].set_value(policy)  # the page's own policy choice, after the sidebar's
    at.run()
    assert not at.exception and not at.error
    assert shown_metrics(at) == cards(reference(known_db, "2025-06", date(2025, 6, 30), policy))
    assert any("juin 2025" in s.value for s in at.subheader)


def test_a_month_without_complaints(known_db: Path) -> None:
    at = run_page(PAGE, QUERY)
    at.selectbox[0].set_value("2025-08").run()
    assert not at.exception and not at.error
    assert shown_metrics(at) == cards(reference(known_db, "2025-08", date(2025, 8, 31)))
    assert shown_metrics(at)["Réclamations reçues"] == "0"
    assert shown_metrics(at)["Accusés de réception dans les délais"] == "—"  # never 0 %
    # R06's answer (received 06-02) fell due in August, unanswered.
    assert shown_metrics(at)["Réponses dues sur la période, dans les délais"] == "0,0\u202f%"
    assert any("Aucune réclamation n'a été reçue en août 2025" in m.value for m in at.markdown)


def test_the_workbook_button_delivers_the_kpis(known_db: Path, downloads: dict[str, Any]) -> None:
    at = run_page(PAGE, {**QUERY, "policy": "acpr"})
    assert [button.label for button in at.download_button] == [
        "Rapport PDF", "Classeur XLSX", "Registre 2025 (XLSX)",
    ]  # fmt: skip
    assert not any(button.proto.disabled for button in at.download_button)
    content = downloads["rapport_reclamations_2025-12_acpr.xlsx"]
    rows = load_workbook(BytesIO(content))["Indicateurs"].iter_rows(min_row=3, values_only=True)
    expected = reference(known_db, "2025-12", date(2025, 12, 31), "acpr")
    assert [row[2] for row in rows] == pytest.approx([h.value(expected) for h in REPORT_HEADLINES])


@pytest.mark.skipif(
    browser_path() is None and os.environ.get("CPMS_REQUIRE_BROWSER") != "1",
    reason="Chromium absent (apt-get install chromium) : PDF non testé",
)
def test_the_pdf_button_delivers_the_report(known_db: Path, downloads: dict[str, Any]) -> None:
    run_page(PAGE, QUERY)
    make_pdf = downloads["rapport_reclamations_2025-12_cpms.pdf"]
    assert callable(make_pdf)  # built only when clicked: the page stays quick
    reader = PdfReader(BytesIO(make_pdf()))
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    assert "Rapport mensuel des réclamations Décembre 2025" in text
    assert "Date d'arrêté 31/12/2025" in text
    assert "Dernier import des données 10/01/2026 à 00:00" in text
    assert "Réclamations reçues 3 1 +2" in text
    assert (
        "Accusés de réception dus sur la période, dans les délais 50,0 % (2 jugés) 100,0 % (1 "
        "jugé) −50,0 pt" in text
    )
    assert "Accusés de réception dus en décembre 2025 : 50,0 % dans les délais" in text


def test_the_register_button_delivers_the_year_and_logs_it(
    known_db: Path, downloads: dict[str, Any]
) -> None:
    """ACPR 2024-R-02: the register of the report's year, built and logged when downloaded."""
    from cpms_metrics import open_store
    from cpms_metrics.access import audit_log
    from cpms_metrics.settings import load_settings

    run_page(PAGE, QUERY)
    make = downloads["registre-reclamations-2025.xlsx"]
    assert callable(make)
    book = load_workbook(BytesIO(make()))
    rows = list(book["Registre"].iter_rows(min_row=3, values_only=True))
    assert [row[0] for row in rows] == [
        "R01",
        "R02",
        "R03",
        "R04",
        "R06",
        "R09",
        "R10",
        "R07",
        "R08",
    ]  # fmt: skip  (the 9 complaints of 2025, by day of receipt)
    store = open_store(known_db, load_settings())
    try:
        assert "Registre des réclamations 2025" in audit_log(store)["detail"].iloc[0]
    finally:
        store.close()
