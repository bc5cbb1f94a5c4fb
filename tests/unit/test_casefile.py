"""The words of a deadline's state, the address of a case, and the key of a chart's point."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from cpms_metrics import CpmsError
from cpms_metrics.casefile import case_address, deadline_state
from cpms_metrics.drilldown import Point, point_of, point_title

AS_OF = date(2025, 6, 15)


@pytest.mark.parametrize(
    ("status", "due", "done_on", "words"),
    [
        ("on_time", date(2025, 6, 10), date(2025, 6, 10), "à temps"),
        ("on_time", date(2025, 6, 20), date(2025, 6, 1), "à temps"),
        ("late", date(2025, 6, 10), date(2025, 6, 13), "en retard de 3 jours"),
        ("late", date(2025, 6, 10), date(2025, 6, 11), "en retard de 1 jour"),
        ("overdue", date(2025, 6, 3), None, "hors délai depuis 12 jours"),
        ("overdue", date(2025, 6, 14), None, "hors délai depuis 1 jour"),
        ("pending", date(2025, 6, 17), None, "échéance dans 2 jours"),
        ("pending", date(2025, 6, 16), None, "échéance dans 1 jour"),
        ("pending", AS_OF, None, "échéance aujourd'hui"),
    ],
)
def test_a_deadline_state_in_words(
    status: str, due: date, done_on: date | None, words: str
) -> None:
    assert deadline_state(status, due, done_on, AS_OF) == words


def test_an_unknown_status_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown status"):
        deadline_state("soon", AS_OF, None, AS_OF)


@pytest.mark.parametrize(
    ("reference", "address"),
    [
        ("REC-2025-0001", "suivi_des_dossiers?ref=REC-2025-0001"),
        ("A B/C&d=1", "suivi_des_dossiers?ref=A%20B%2FC%26d%3D1"),
        ("Réf é", "suivi_des_dossiers?ref=R%C3%A9f%20%C3%A9"),
    ],
)
def test_a_case_has_one_address_its_reference_url_encoded(reference: str, address: str) -> None:
    assert case_address(reference) == address


@pytest.mark.parametrize(
    "point",
    [
        Point(month="2025-03"),
        Point(month="2025-03", step="ack", status="late"),
        Point(object="resiliation"),
        Point(channel="email"),
        Point(month="2025-11", object="autre"),
    ],
)
def test_a_point_key_reads_back(point: Point) -> None:
    assert Point.parse(point.key()) == point
    assert point_of({"customdata": [point.key()]}) == point
    assert point_of({"customdata": point.key()}) == point


@pytest.mark.parametrize(
    "selected",
    [{}, {"customdata": None}, {"customdata": []}, {"customdata": ["x=1"]}, "month=2025-01"],
)
def test_a_selection_without_a_point_key_is_none(selected: Any) -> None:
    assert point_of(selected) is None


@pytest.mark.parametrize(
    "arguments",
    [
        {"month": "2025-13"},
        {"step": "answer"},
        {"step": "ack", "status": "done"},
        {"status": "late"},
    ],
)
def test_a_point_that_no_chart_draws_is_refused(arguments: dict[str, str]) -> None:
    with pytest.raises((CpmsError, ValueError)):  # CpmsError (in French) for a month
        Point(**arguments)


def test_a_point_fills_its_blanks_from_its_chart_and_says_what_it_counts() -> None:
    point = Point(month="2025-03").within(Point(step="ack", status="overdue"))
    assert point == Point(month="2025-03", step="ack", status="overdue")
    assert point_title(Point(object="autre", channel="email")) == (
        "Réclamations, objet « Autre », canal « E-mail »"
    )
    assert point_title(point) == (
        "Réclamations reçues en mars 2025, accusé de réception : hors délai en cours"
    )
