"""The cases behind a chart's point agree with the figure the point shows, and a case's deadlines
are case_status' statuses in words; on the small database of test_worklist."""

from __future__ import annotations

from datetime import date

import pytest

from cpms_metrics import Scope, Store, queries
from cpms_metrics.casefile import Deadline, case_deadlines, known_handlers
from cpms_metrics.drilldown import (
    Point,
    count_point_cases,
    point_cases,
    readable_point_cases,
)
from cpms_metrics.queries import STATUSES
from cpms_metrics.worklist import to_csv_bytes
from tests.db.test_worklist import AS_OF, store  # noqa: F401 - the fixture

SCOPE = Scope(AS_OF, "cpms", "2025-01", "2025-12")


@pytest.mark.parametrize("policy", ["cpms", "acpr"])
def test_every_bar_of_the_monthly_charts_lists_the_cases_it_counts(
    store: Store,  # noqa: F811
    policy: str,
) -> None:
    scope = Scope(AS_OF, policy, "2025-01", "2025-12")
    monthly = queries.monthly(store, scope)
    assert len(monthly)
    for row in monthly.to_dict("records"):
        month = str(row["key"])
        assert count_point_cases(store, scope, Point(month=month)) == row["complaints"]
        for step in ("ack", "response"):
            for status in STATUSES:
                point = Point(month=month, step=step, status=status)
                frame = point_cases(store, scope, point, limit=None)
                assert (
                    len(frame) == row[f"{step}_{status}"] == count_point_cases(store, scope, point)
                )
                column = "ack_status" if step == "ack" else "answer_status"
                assert set(frame[column]) <= {status}


def test_a_bar_by_object_or_channel_lists_its_complaints_never_a_request(
    store: Store,  # noqa: F811
) -> None:
    by_object = queries.summarise(store, SCOPE, "object")
    for row in by_object.to_dict("records"):
        assert count_point_cases(store, SCOPE, Point(object=row["key"])) == row["complaints"]
    frame = point_cases(store, SCOPE, Point(channel="email"), limit=None)
    assert "G" not in set(frame["reference"])  # a request for information
    assert list(frame["reference"]) == ["H", "A", "F", "E", "B"]  # oldest received first
    page = point_cases(store, SCOPE, Point(channel="email"), limit=2, offset=1)
    assert list(page["reference"]) == list(frame["reference"])[1:3]


def test_the_cases_behind_a_point_read_in_french(store: Store) -> None:  # noqa: F811
    frame = point_cases(store, SCOPE, Point(month="2025-05"), limit=None)
    readable = readable_point_cases(frame).iloc[0].to_dict()
    assert readable["Référence"] == "H"
    assert readable["Reçue le"] == date(2025, 5, 1)
    assert readable["Canal"] == "E-mail"
    assert readable["Réponse"] == "En retard"
    assert readable["Accusé de réception"] == "Dans les délais"
    assert readable["Gestionnaire"] == "Paul"


def test_a_case_deadlines_are_its_case_status_in_words(store: Store) -> None:  # noqa: F811
    deadlines = {(d.step, d.policy): d for d in case_deadlines(store, "B", AS_OF)}
    # B: received 20/12/2025, no acknowledgement; due 30/12 under CPMS: overdue by one day.
    assert deadlines["ack", "cpms"] == Deadline(
        "ack", "cpms", date(2025, 12, 30), None, "overdue", "hors délai depuis 1 jour"
    )
    assert deadlines["response", "cpms"].status == "pending"
    assert deadlines["response", "cpms"].state == "échéance dans 51 jours"
    late = {(d.step, d.policy): d for d in case_deadlines(store, "H", AS_OF)}
    assert late["response", "cpms"].state == "en retard de 9 jours"
    assert late["ack", "cpms"].state == "à temps"
    # The statuses are case_status' own, for each policy.
    for policy in ("cpms", "acpr"):
        with store.cursor() as cur:
            ack, answer = cur.execute(
                "SELECT ack_status, answer_status FROM case_status($d, $p) WHERE reference = 'H'",
                {"d": AS_OF, "p": policy},
            ).fetchone()
        assert (late["ack", policy].status, late["response", policy].status) == (ack, answer)


def test_a_request_or_a_case_not_yet_received_has_no_deadline(store: Store) -> None:  # noqa: F811
    assert case_deadlines(store, "G", AS_OF) == []
    assert case_deadlines(store, "C", date(2025, 12, 1)) == []
    assert case_deadlines(store, "inconnu", AS_OF) == []


def test_the_form_offers_the_known_handlers(store: Store) -> None:  # noqa: F811
    assert known_handlers(store) == ["Anne", "Paul"]


def test_the_cases_behind_a_point_download_for_french_excel(store: Store) -> None:  # noqa: F811
    frame = point_cases(store, SCOPE, Point(month="2025-05"), limit=None)
    lines = to_csv_bytes(readable_point_cases(frame)).decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Référence;Reçue le;Canal;Objet;Gestionnaire;Échéance AR;")
    assert lines[1].startswith("H;01/05/2025;E-mail;")
    assert "01/08/2025" in lines[1]  # the mediator's referral
