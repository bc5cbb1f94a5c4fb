"""The sidebar filters: read from and written to the URL, kept across pages, the same scope for
every figure."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from cpms_metrics import Scope, kpis, open_store
from tests.app.conftest import run_page, shown_metrics
from tests.app.known_export import AS_OF, QUERY
from ui import clock
from ui.filters import Filters, parse_params
from ui.format import format_count, format_rate

TODAY = date(2026, 11, 26)
OBJECTS = ("adhesion", "resiliation", "cotisation", "remboursement", "autre")


@pytest.mark.parametrize(
    ("params", "expected", "problems"),
    [
        ({}, Filters(TODAY, "cpms", "2025-12", "2026-11"), 0),
        # The default period follows the as-of date: the 12 months ending with its month.
        ({"as_of": ["2025-12-31"]}, Filters(AS_OF, "cpms", "2025-01", "2025-12"), 0),
        (
            {"from": ["2025-01"], "to": ["2025-12"], "as_of": ["2025-12-31"], "policy": ["acpr"]},
            Filters(AS_OF, "acpr", "2025-01", "2025-12"),
            0,
        ),
        # Months the wrong way round are swapped, and said so.
        ({"from": ["2025-06"], "to": ["2025-03"]}, Filters(TODAY, "cpms", "2025-03", "2025-06"), 1),
        ({"as_of": ["2025-13-45"]}, Filters(TODAY, "cpms", "2025-12", "2026-11"), 1),
        ({"from": ["janvier"]}, Filters(TODAY, "cpms", "2025-12", "2026-11"), 1),
        ({"policy": ["ACPR"]}, Filters(TODAY, "acpr", "2025-12", "2026-11"), 0),
        ({"policy": ["fca"]}, Filters(TODAY, "cpms", "2025-12", "2026-11"), 1),
        # Lists: known values kept in order, unknown ones dropped; companies are free text.
        (
            {"object": ["cotisation", "voyage"], "channel": ["email"], "company": ["A, B & Cie"]},
            Filters(TODAY, "cpms", "2025-12", "2026-11", objects=("cotisation",),
                    channels=("email",), companies=("A, B & Cie",)),
            1,
        ),
    ],
)  # fmt: skip
def test_parse_params(params: dict[str, list[str]], expected: Filters, problems: int) -> None:
    filters, found = parse_params(params, TODAY, "cpms", OBJECTS)
    assert filters == expected
    assert len(found) == problems


def test_previous_period_has_the_same_length_and_point_in_time() -> None:
    now = Filters(date(2026, 3, 31), "cpms", "2025-10", "2026-03")
    assert now.previous() == Filters(date(2025, 9, 30), "cpms", "2025-04", "2025-09")


def test_filters_round_trip_through_the_url(known_db: Path) -> None:
    params = {**QUERY, "policy": "acpr", "object": ["remboursement", "cotisation"]}
    at = run_page("dashboard.py", params)
    assert at.selectbox(key="flt_from").value == "2025-01"
    assert at.selectbox(key="flt_to").value == "2025-12"
    assert at.date_input(key="flt_as_of").value == AS_OF
    assert at.radio(key="flt_policy").value == "acpr"
    assert at.multiselect(key="flt_objects").value == ["remboursement", "cotisation"]
    assert at.query_params["object"] == ["remboursement", "cotisation"]
    assert {k: at.query_params[k] for k in QUERY} == QUERY
    # The figures are those of the same filters on the command line's side.
    store = open_store(known_db)
    expected = kpis(
        store,
        as_of=AS_OF,
        scope=Scope(AS_OF, "acpr", "2025-01", "2025-12", objects=("remboursement", "cotisation")),
    )
    store.close()
    assert shown_metrics(at)["Réclamations reçues"] == format_count(expected["complaints"])
    assert shown_metrics(at)["Accusés de réception dans les délais"] == format_rate(
        expected["ack"]["compliance_rate"]
    )


def test_a_changed_filter_is_written_to_the_url(known_db: Path) -> None:
    at = run_page("dashboard.py", QUERY)
    at.radio(key="flt_policy").set_value("acpr").run()
    at.multiselect(key="flt_channels").set_value(["email"]).run()
    assert at.query_params["policy"] == "acpr"
    assert at.query_params["channel"] == "email"
    assert at.radio(key="flt_policy").value == "acpr"  # the URL, unchanged since, did not win


def test_filters_survive_a_change_of_page(known_db: Path) -> None:
    at = run_page("dashboard.py", QUERY)
    at.radio(key="flt_policy").set_value("acpr").run()
    at.selectbox(key="flt_from").set_value("2025-06").run()
    for page in ("pages/3_objets.py", "pages/5_dossiers_a_echeance.py", "dashboard.py"):
        at.query_params.clear()  # even a link that carries no parameter keeps them
        at.switch_page(page).run()
        assert not at.exception, page
        assert at.radio(key="flt_policy").value == "acpr", page
        assert at.selectbox(key="flt_from").value == "2025-06", page
        assert at.date_input(key="flt_as_of").value == AS_OF, page
        assert at.query_params["from"] == "2025-06", page
        assert any("de juin 2025 à déc. 2025" in c.value for c in at.caption), page


def test_a_new_link_wins_over_the_session(known_db: Path) -> None:
    at = run_page("dashboard.py", QUERY)
    at.radio(key="flt_policy").set_value("acpr").run()
    at.query_params["policy"] = "cpms"  # e.g. the browser's back button
    at.run()
    assert at.radio(key="flt_policy").value == "cpms"


def test_the_default_period_follows_the_as_of_date(known_db: Path) -> None:
    at = run_page("dashboard.py")
    at.date_input(key="flt_as_of").set_value(AS_OF).run()
    assert at.selectbox(key="flt_from").value == "2025-01"
    assert at.selectbox(key="flt_to").value == "2025-12"
    # A period chosen by hand stays when the date changes.
    at.selectbox(key="flt_from").set_value("2025-03").run()
    at.date_input(key="flt_as_of").set_value(date(2025, 11, 30)).run()
    assert at.selectbox(key="flt_from").value == "2025-03"


def test_a_broken_link_is_read_as_far_as_possible(known_db: Path) -> None:
    at = run_page("dashboard.py", {"as_of": "2025-12-31", "policy": "fca", "from": "hier"})
    assert not at.exception
    assert not at.error
    assert "politique « fca » ignorée" in at.warning[-1].value  # after the local-mode banner
    assert at.radio(key="flt_policy").value == "cpms"
    assert at.query_params["policy"] == "cpms"


def test_reset_brings_back_the_defaults(known_db: Path) -> None:
    at = run_page("dashboard.py", {**QUERY, "policy": "acpr", "channel": "email"})
    reset = next(b for b in at.button if b.label == "Réinitialiser les filtres")
    reset.click().run()
    assert at.radio(key="flt_policy").value == "cpms"
    assert at.multiselect(key="flt_channels").value == []
    assert at.date_input(key="flt_as_of").value == clock.today()


@pytest.mark.parametrize(
    ("zone", "expected"),
    [("Europe/Paris", date(2026, 3, 29)), ("UTC", date(2026, 3, 28))],
)
def test_the_default_date_is_the_service_day_not_the_server_day(
    known_db: Path, monkeypatch: pytest.MonkeyPatch, zone: str, expected: date
) -> None:
    # The server's clock says 23:30 UTC on 28 March 2026: already the 29th in Paris.
    monkeypatch.setattr(clock, "utc_now", lambda: datetime(2026, 3, 28, 23, 30, tzinfo=UTC))
    monkeypatch.setenv("CPMS_TIMEZONE", zone)
    at = run_page("dashboard.py")
    assert not at.exception
    assert at.date_input(key="flt_as_of").value == expected
    assert at.query_params["as_of"] == expected.isoformat()
    assert f"situation au {expected:%d/%m/%Y}" in at.caption[0].value
    assert not [b for b in at.button if b.label == "Revenir à aujourd'hui"]
