"""One truth for every figure (rules §9): every page, run by AppTest on one dataset for the same
filters, shows one value under one label; the overview, the worklist, Médiation and Qualité des
données agree with `kpis` and with each other.

The dataset is the seeded sample generator's (1,200 rows ending on 2026-11-20), imported by the
real importer; the filters are one closed month as of its last evening, so that the monthly
report's default month is the sidebar's period, and then the twelve months to it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
import streamlit as st

from cpms_metrics import Scope, kpis, open_store, quality, worklist
from cpms_metrics.definitions import FIGURES, MISROUTED_LABEL, STATUS_LABELS, VIEWS
from cpms_metrics.ingest import import_file
from cpms_metrics.queries import backlog_scope
from cpms_metrics.sample import write_sample
from cpms_metrics.settings import load_settings
from tests.app.conftest import PAGES, linked, run_page, shown_metrics
from tests.app.known_export import AS_OF, QUERY, TEXT, build_db
from ui.format import format_count

SAMPLE_END = date(2026, 11, 20)
MONTH = {"from": "2026-10", "to": "2026-10", "as_of": "2026-10-31"}
YEAR = {"from": "2025-11", "to": "2026-10", "as_of": "2026-10-31"}
REPORT = "pages/8_rapport_mensuel.py"
OVERVIEW_LATE = FIGURES["backlog_response_overdue"].label


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("one_truth")
    export = folder / "sample.csv"
    write_sample(export, 1200, 20250101, SAMPLE_END)
    settings = load_settings({})
    store = open_store(folder / "cpms.duckdb", settings)
    try:
        import_file(
            store,
            export,
            import_day=date(2026, 11, 21),
            imported_at=datetime(2026, 11, 21),
            objects=settings.objects,
        )
    finally:
        store.close()
    return folder / "cpms.duckdb"


@pytest.fixture
def sample(sample_db: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("CPMS_DB", str(sample_db))
    monkeypatch.delenv("CPMS_POLICY", raising=False)
    st.cache_data.clear()  # AppTest's caches outlive a run: no figure of another test's database
    st.cache_resource.clear()
    yield sample_db


def figures(db: Path, query: dict[str, str], policy: str = "cpms") -> dict[str, Any]:
    store = open_store(db)
    try:
        scope = Scope(date.fromisoformat(query["as_of"]), policy, query["from"], query["to"])
        return kpis(store, as_of=scope.as_of, scope=scope)
    finally:
        store.close()


def metrics_by_page(pages: tuple[str, ...], query: dict[str, str]) -> dict[str, dict[str, str]]:
    shown = {}
    for page in pages:
        at = run_page(page, query)
        assert not at.exception, page
        assert not at.error, page
        shown[page] = shown_metrics(at)
    return shown


def disagreements(shown: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    """Labels shown with different values: label -> {page: value}."""
    pages_of: dict[str, dict[str, str]] = {}
    for page, metrics in shown.items():
        for label, value in metrics.items():
            pages_of.setdefault(label, {})[page] = value
    return {label: by_page for label, by_page in pages_of.items() if len(set(by_page.values())) > 1}


def shared(shown: dict[str, dict[str, str]]) -> set[str]:
    seen: dict[str, int] = {}
    for metrics in shown.values():
        for label in metrics:
            seen[label] = seen.get(label, 0) + 1
    return {label for label, count in seen.items() if count > 1}


DASHBOARD_PAGES = tuple(page for page in PAGES if page != REPORT)


@pytest.mark.parametrize("policy", ["cpms", "acpr"])
@pytest.mark.parametrize("query", [MONTH, YEAR], ids=["month", "year"])
def test_one_label_one_value_on_every_page(
    sample: Path, query: dict[str, str], policy: str
) -> None:
    shown = metrics_by_page(DASHBOARD_PAGES, {**query, "policy": policy})
    assert disagreements(shown) == {}
    # The test compares something: the cards shared by the overview and the detail pages.
    assert {
        FIGURES["ack_rate"].label,
        FIGURES["response_rate"].label,
        FIGURES["escalation_rate"].label,
        MISROUTED_LABEL,
    } <= shared(shown)
    expected = figures(sample, query, policy)
    overview = shown["dashboard.py"]
    assert overview[OVERVIEW_LATE] == format_count(expected["backlog"]["response_overdue"])
    worklist_cards = shown["pages/5_dossiers_a_echeance.py"]
    assert worklist_cards[FIGURES["backlog_open"].label] == format_count(
        expected["backlog"]["open"]
    )
    assert (
        shown["pages/4_mediation.py"][MISROUTED_LABEL]
        == shown["pages/10_qualite_des_donnees.py"][MISROUTED_LABEL]
    )


def test_the_monthly_report_shows_the_dashboard_s_values(sample: Path) -> None:
    shown = metrics_by_page(("dashboard.py", "pages/1_accuses_de_reception.py", REPORT), MONTH)
    assert FIGURES["complaints"].label in shared(shown)
    assert disagreements(shown) == {}


def test_the_worklist_is_the_backlog_and_its_bands_agree(sample: Path) -> None:
    expected = figures(sample, YEAR)["backlog"]
    at = run_page("pages/5_dossiers_a_echeance.py", YEAR)
    cards = shown_metrics(at)
    assert cards[FIGURES["backlog_open"].label] == format_count(expected["open"])
    assert cards[":orange[:material/alarm:] ≤ 3 jours"] == format_count(
        expected["due_within_3_days"]
    )
    store = open_store(sample)
    try:
        scope = backlog_scope(Scope(date(2026, 10, 31), "cpms", "2025-11", "2026-10"))
        rows = worklist.open_cases(store, scope, limit=None)
    finally:
        store.close()
    # "Hors délai" is every open case with an overdue step: the late answers are among them.
    late = rows[rows["band"] == "overdue"]
    assert (late["answer_status"] == "overdue").sum() == expected["response_overdue"]
    assert (late["ack_status"] == "overdue").sum() == expected["ack_overdue"]
    assert cards[":red[:material/error:] Hors délai"] == format_count(len(late))
    # The period narrows it only when asked.
    at.toggle(key="worklist_in_period").set_value(True).run()
    assert FIGURES["backlog_open"].label not in shown_metrics(at)


def test_the_definitions_page_renders_every_definition(sample: Path) -> None:
    at = run_page("pages/12_definitions.py", MONTH)
    assert not at.exception
    tables = " ".join(table.value.to_string() for table in at.table)
    for figure in FIGURES.values():
        assert figure.label in tables
    for label in STATUS_LABELS.values():
        assert label in tables
    text = " ".join(m.value for m in at.markdown)
    assert all(view in text for view in VIEWS.values())
    assert MISROUTED_LABEL in tables


# --- Médiation and Qualité des données: one "mauvaise orientation" ---------------------------

# R13 names a mediator that its carrier does not call for, but was never referred; R14 was
# referred after the as-of date. The import records both as findings; neither is a misrouted
# referral as of 2025-12-31 (rules §4): R03 alone is, on both pages.
EXTRA = (
    "R13;10/09/2025;;E-mail;Réclamation;Autre;Faure;Ana;;;Mutuelle;12/09/2025;;;;"
    "La Médiation de l'Assurance;\n"
    "R14;01/10/2025;;E-mail;Réclamation;Autre;Roy;Max;;;Mutuelle;03/10/2025;;;05/01/2026;"
    "La Médiation de l'Assurance;\n"
)


def test_mediation_and_quality_count_the_same_misrouted_referrals(db_path: Path) -> None:
    build_db(db_path, TEXT + EXTRA)
    mediation = run_page("pages/4_mediation.py", QUERY)
    quality_page = run_page("pages/10_qualite_des_donnees.py", QUERY)
    assert shown_metrics(mediation)[MISROUTED_LABEL] == "1"
    assert shown_metrics(quality_page)[MISROUTED_LABEL] == "1"
    assert linked(mediation.dataframe[0].value["Référence"]) == ["R03"]
    store = open_store(db_path)
    try:
        scope = Scope(AS_OF, "cpms", "2025-01", "2025-12")
        by_kind = quality.findings_by_kind(store, scope)
        with store.cursor() as cur:
            recorded = cur.execute(
                "SELECT count(*) FROM findings WHERE kind = 'mauvaise_orientation'"
            ).fetchall()[0][0]
    finally:
        store.close()
    assert recorded == 3  # R03 R13 R14 at import: what the page used to count
    misrouted = by_kind.set_index("kind").loc["mauvaise_orientation"]
    assert (misrouted["findings"], misrouted["cases"]) == (1, 1)
    # The page's case list for that kind is the same single case.
    quality_page.selectbox[0].set_value("mauvaise_orientation").run()
    assert list(quality_page.dataframe[0].value["Référence"]) == ["suivi_des_dossiers?ref=R03"]
