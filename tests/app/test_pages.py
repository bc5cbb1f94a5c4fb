"""Every page, run by AppTest on a database built from a small known export: the figures shown
are `kpis`' for the same filters, and no page raises."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cpms_metrics import Scope, kpis, open_store, worklist
from cpms_metrics.definitions import MISROUTED_LABEL, OVERVIEW_HEADLINES
from cpms_metrics.queries import backlog_scope
from tests.app.conftest import PAGES, linked, run_page, shown_metrics
from tests.app.known_export import AS_OF, EXPECTED_BACKLOG, EXPECTED_CARDS, QUERY
from ui import clock
from ui.format import format_count, format_days, format_rate

CARD_KEYS = {figure.label: figure.keys for figure in OVERVIEW_HEADLINES}


def reference(db: Path, policy: str = "cpms", **scope: Any) -> dict[str, Any]:
    """What `python -m cpms_metrics kpis --json` gives for the same filters."""
    store = open_store(db)
    try:
        chosen = Scope(AS_OF, policy, "2025-01", "2025-12", **scope)
        return kpis(store, as_of=AS_OF, scope=chosen)
    finally:
        store.close()


def card_value(result: dict[str, Any], keys: tuple[str, ...]) -> str:
    value: Any = result
    for key in keys:
        value = value[key]
    return format_rate(value) if keys[-1] in ("compliance_rate", "rate") else format_count(value)


@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs_and_states_its_period(known_db: Path, page: str) -> None:
    at = run_page(page, {**QUERY, "policy": "acpr"})
    assert not at.exception
    assert not at.error
    assert at.title[0].value
    assert any(
        "de janv. 2025 à déc. 2025" in c.value
        and "situation au 31/12/2025" in c.value
        and "Référentiel ACPR" in c.value
        for c in at.caption
    )


def test_the_five_cards_are_the_hand_worked_figures(known_db: Path) -> None:
    at = run_page("dashboard.py", {**QUERY, "policy": "cpms"})
    assert shown_metrics(at) == EXPECTED_CARDS


@pytest.mark.parametrize("policy", ["cpms", "acpr"])
def test_the_five_cards_equal_kpis(known_db: Path, policy: str) -> None:
    at = run_page("dashboard.py", {**QUERY, "policy": policy})
    expected = reference(known_db, policy)
    assert list(shown_metrics(at)) == list(CARD_KEYS)
    for label, keys in CARD_KEYS.items():
        assert shown_metrics(at)[label] == card_value(expected, keys), label


def test_cards_compare_with_the_previous_period(known_db: Path) -> None:
    # 2025-07..2025-12 against 2025-01..2025-06 as of 2025-06-30: 5 complaints then, 4 now.
    at = run_page("dashboard.py", {"from": "2025-07", "to": "2025-12", "as_of": "2025-12-31"})
    deltas = {m.label: m.delta for m in at.metric}
    assert deltas["Réclamations reçues"] == "-1"
    assert "janv. 2025 à juin 2025" in " ".join(c.value for c in at.caption)


def test_the_sentence_for_executives_uses_the_same_figures(known_db: Path) -> None:
    at = run_page("dashboard.py", {**QUERY, "policy": "cpms"})
    text = next(m.value for m in at.markdown if "ont été reçues" in m.value)
    assert "De janvier 2025 à décembre 2025, **9 réclamations** ont été reçues" in text
    assert "**62,5\u202f%** des accusés de réception" in text
    assert "**3 réponses sont en retard**" in text  # the backlog: R11 of 2024 included


@pytest.mark.parametrize(
    ("page", "block", "titles"),
    [
        (
            "pages/1_accuses_de_reception.py",
            "ack",
            ("Accusés de réception dans les délais", "Dans les délais (AR)", "En retard (AR)",
             "Hors délai en cours (AR)", "En attente (AR)", "Délai médian (AR)"),
        ),
        (
            "pages/2_delais_de_reponse.py",
            "response",
            ("Réponses dans les délais", "Dans les délais (réponse)", "En retard (réponse)",
             "Hors délai en cours (réponse)", "En attente (réponse)", "Délai médian (réponse)"),
        ),
    ],
)  # fmt: skip
@pytest.mark.parametrize("policy", ["cpms", "acpr"])
def test_status_pages_show_kpis(
    known_db: Path, page: str, block: str, titles: tuple[str, ...], policy: str
) -> None:
    expected = reference(known_db, policy)[block]
    shown = shown_metrics(run_page(page, {**QUERY, "policy": policy}))
    values = (
        format_rate(expected["compliance_rate"]),
        *(format_count(expected[s]) for s in ("on_time", "late", "overdue", "pending")),
        format_days(expected["median_days"]),
    )
    assert [shown[t] for t in titles] == list(values)


def test_answer_page_shows_the_same_channel_rate(known_db: Path) -> None:
    shown = shown_metrics(run_page("pages/2_delais_de_reponse.py", QUERY))
    assert shown["Réponses écrites par le même canal"] == format_rate(
        reference(known_db)["same_channel_rate"]
    )
    assert shown["Réponses écrites par le même canal"] == "66,7\u202f%"  # R01, R09 of R01 R02 R09


def test_late_lists_hold_the_late_and_overdue_cases(known_db: Path) -> None:
    at = run_page("pages/1_accuses_de_reception.py", QUERY)
    table = at.dataframe[0].value
    # Still open first (R04 overdue longest, then R07), then the late one.
    assert linked(table["Référence"]) == ["R04", "R07", "R02"]
    assert list(table["Statut"]) == ["Hors délai en cours", "Hors délai en cours", "En retard"]


def test_objects_page_shows_by_object(known_db: Path) -> None:
    expected = reference(known_db)["by_object"]
    table = run_page("pages/3_objets.py", QUERY).table[0].value
    assert list(table["Réclamations"]) == [format_count(r["complaints"]) for r in expected]
    assert list(table["AR dans les délais"]) == [
        format_rate(r["ack_compliance_rate"]) for r in expected
    ]
    assert list(table["Taux de saisine du médiateur"]) == [
        format_rate(r["escalation_rate"]) for r in expected
    ]
    assert table["Objet"].iloc[0] == "Remboursement"  # most complaints first, as the CLI


def test_mediation_page(known_db: Path) -> None:
    at = run_page("pages/4_mediation.py", QUERY)
    escalation = reference(known_db)["escalation"]
    shown = shown_metrics(at)
    assert shown["Saisines du médiateur"] == format_count(escalation["escalated"])
    assert shown["Taux de saisine du médiateur"] == format_rate(escalation["rate"])
    assert shown[MISROUTED_LABEL] == "1"
    assert linked(at.dataframe[0].value["Référence"]) == ["R03"]
    addresses = " ".join(at.table[-1].value["Adresse"])
    assert "TSA 50110, 75441 Paris Cedex 09" in addresses
    assert "10 rue Cambacérès, 75008 Paris" in addresses


def test_worklist_lists_every_open_case_by_default(known_db: Path) -> None:
    at = run_page("pages/5_dossiers_a_echeance.py", QUERY)
    store = open_store(known_db)
    scope = Scope(AS_OF, "cpms", "2025-01", "2025-12")
    bands = worklist.open_case_bands(store, backlog_scope(scope))
    backlog = kpis(store, as_of=AS_OF, scope=scope)["backlog"]
    store.close()
    assert backlog == EXPECTED_BACKLOG
    shown = shown_metrics(at)
    assert [v for k, v in shown.items() if k != "Dossiers ouverts"] == [
        format_count(n) for n in bands.values()
    ]
    assert shown["Dossiers ouverts"] == format_count(backlog["open"])
    assert bands["due_3"] == backlog["due_within_3_days"]
    table = at.dataframe[0].value
    # R11, received in December 2024, is open too: the period does not hide it.
    assert linked(table["Référence"]) == ["R11", "R04", "R06", "R07", "R08", "R10"]
    assert list(table["Situation"])[:4] == ["Hors délai"] * 4
    assert "269054958815780" not in table.to_string()  # the NIR is masked
    assert "2 69 05 49 ••• ••• 80" in list(table["NIR"])


def test_worklist_narrowed_to_the_period(known_db: Path) -> None:
    at = run_page("pages/5_dossiers_a_echeance.py", QUERY)
    at.toggle(key="worklist_in_period").set_value(True).run()
    assert linked(at.dataframe[0].value["Référence"]) == ["R04", "R06", "R07", "R08", "R10"]
    assert shown_metrics(at)["Dossiers ouverts reçus sur la période"] == "5"


def test_worklist_filters_by_band_and_handler(known_db: Path) -> None:
    at = run_page("pages/5_dossiers_a_echeance.py", QUERY)
    at.button_group(key="worklist_bands").set_value(["overdue"]).run()
    assert linked(at.dataframe[0].value["Référence"]) == ["R11", "R04", "R06", "R07"]
    at.selectbox(key="worklist_handler").set_value("Karim Benali").run()
    assert linked(at.dataframe[0].value["Référence"]) == ["R06"]


# --- Edge cases ---------------------------------------------------------------------------------

EDGE_CASES = {
    "empty database": "",
    "one complaint": (
        "Référence;Date de réception;Canal;Nature;Objet\nX1;02/06/2025;E-mail;Réclamation;Autre\n"
    ),
    # The file tracks both steps (their columns are there, empty): the cases are pending.
    "every case still open": (
        "Référence;Date de réception;Canal;Nature;Objet;Date AR;Date de réponse\n"
        "X1;26/12/2025;E-mail;Réclamation;Autre;;\nX2;28/12/2025;Courrier;Réclamation;Autre;;\n"
    ),
}


@pytest.mark.parametrize("case", EDGE_CASES)
@pytest.mark.parametrize("page", PAGES)
def test_edge_cases_explain_and_never_fake_a_rate(db_path: Path, case: str, page: str) -> None:
    from tests.app.known_export import build_db

    build_db(db_path, EDGE_CASES[case])
    at = run_page(page, QUERY)
    assert not at.exception
    assert not at.error
    if page == "dashboard.py":
        shown = shown_metrics(at)
        for title in ("Accusés de réception dans les délais", "Réponses dans les délais"):
            if case == "every case still open":
                assert shown[title] == "—"
            elif case == "one complaint":  # a file without AR or answer column: not tracked
                assert shown[title] == "Non suivi"
        if case == "empty database":
            assert shown["Taux de saisine du médiateur"] == "—"
            assert any("aucune réclamation" in i.value for i in at.info)


def test_a_period_without_complaints(known_db: Path) -> None:
    for page in PAGES:
        at = run_page(page, {"from": "2023-01", "to": "2023-06", "as_of": "2023-06-30"})
        assert not at.exception, page
        assert not at.error, page
    shown = shown_metrics(run_page("dashboard.py", {"from": "2023-01", "to": "2023-06"}))
    assert shown["Réclamations reçues"] == "0"
    assert shown["Accusés de réception dans les délais"] == "—"
    assert shown["Taux de saisine du médiateur"] == "—"


def test_every_case_open_shows_no_rate_but_the_pending_cases(db_path: Path) -> None:
    from tests.app.known_export import build_db

    build_db(db_path, EDGE_CASES["every case still open"])
    shown = shown_metrics(run_page("pages/2_delais_de_reponse.py", QUERY))
    assert shown["Réponses dans les délais"] == "—"
    assert shown["En attente (réponse)"] == "2"
    assert shown["Délai médian (réponse)"] == "—"


def test_today_is_the_default_date(known_db: Path) -> None:
    at = run_page("dashboard.py")
    assert at.date_input(key="flt_as_of").value == clock.today()  # the service's day
    assert at.query_params["as_of"] == clock.today().isoformat()


def test_an_empty_period_says_where_the_data_is_and_shows_it(known_db: Path) -> None:
    at = run_page("dashboard.py", {"from": "2023-01", "to": "2023-06"})
    notes = [i.value for i in at.info if "Les réclamations enregistrées ont été reçues" in i.value]
    assert len(notes) == 1 and "mois contenant des données" in notes[0]
    button = at.button(key="empty_period_show")
    assert button.label.startswith("Afficher de ")
    button.click().run()
    assert not at.exception
    assert shown_metrics(at)["Réclamations reçues"] != "0"
    assert not [i for i in at.info if "Les réclamations enregistrées" in i.value]
    for page in ("pages/1_accuses_de_reception.py", "pages/3_objets.py", "pages/4_mediation.py"):
        shown = run_page(page, {"from": "2023-01", "to": "2023-06"})
        assert shown.button(key="empty_period_show").label.startswith("Afficher"), page
