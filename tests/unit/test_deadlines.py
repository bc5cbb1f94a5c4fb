"""Deadline rules, table-driven; every expected date is worked out by hand from a calendar."""

from datetime import date

import pytest

from cpms_metrics.deadlines import (
    Calendar,
    add_jours_ouvrables,
    add_months,
    due_dates,
    is_jour_ouvrable,
)

MOSELLE = Calendar(holiday_region="alsace-moselle")
EXTENDED = Calendar(extend_to_working_day=True)


@pytest.mark.parametrize(
    "start, cpms_ack, acpr_ack, acpr_moselle_ack",
    [
        # docs/regles.md's reference table
        (
            date(2025, 12, 19),
            date(2025, 12, 29),
            date(2026, 1, 2),
            date(2026, 1, 3),
        ),  # Christmas + New Year
        (
            date(2025, 4, 11),
            date(2025, 4, 21),
            date(2025, 4, 24),
            date(2025, 4, 25),
        ),  # Good Friday, Easter Monday
        (
            date(2026, 4, 30),
            date(2026, 5, 10),
            date(2026, 5, 15),
            date(2026, 5, 15),
        ),  # 1 and 8 May, Ascension
        # Whit Monday 2025-06-09: Sat 7 counts, Mon 9 does not
        (date(2025, 6, 5), date(2025, 6, 15), date(2025, 6, 18), date(2025, 6, 18)),
        # 14 July 2025 is a Monday
        (date(2025, 7, 10), date(2025, 7, 20), date(2025, 7, 23), date(2025, 7, 23)),
        # Ascension 2025-05-29 and 8 May: Fri 2 May start, 1 May already past
        (date(2025, 5, 2), date(2025, 5, 12), date(2025, 5, 15), date(2025, 5, 15)),
        # a Sunday start: Monday is the first jour ouvrable
        (date(2025, 3, 2), date(2025, 3, 12), date(2025, 3, 13), date(2025, 3, 13)),
        # 11 November 2025 is a Tuesday
        (date(2025, 11, 7), date(2025, 11, 17), date(2025, 11, 20), date(2025, 11, 20)),
        # Leap day inside the window: 2024-02-29 counts as a jour ouvrable (Thursday)
        (date(2024, 2, 24), date(2024, 3, 5), date(2024, 3, 7), date(2024, 3, 7)),
    ],
)
def test_acknowledgement_due(start, cpms_ack, acpr_ack, acpr_moselle_ack):
    assert due_dates("cpms", start).acknowledgement == cpms_ack
    assert due_dates("acpr", start).acknowledgement == acpr_ack
    assert due_dates("acpr", start, MOSELLE).acknowledgement == acpr_moselle_ack
    # the calendar-day policy ignores holidays, whatever the region
    assert due_dates("cpms", start, MOSELLE).acknowledgement == cpms_ack


@pytest.mark.parametrize(
    "start, expected",
    [
        (date(2025, 12, 31), date(2026, 2, 28)),  # docs/regles.md: clipped to month end
        (date(2023, 12, 30), date(2024, 2, 29)),  # docs/regles.md: leap year
        (date(2025, 2, 28), date(2025, 4, 28)),  # docs/regles.md: same day number, not month end
        (date(2023, 12, 31), date(2024, 2, 29)),  # leap year, clipped
        (date(2025, 12, 29), date(2026, 2, 28)),
        (date(2025, 11, 15), date(2026, 1, 15)),  # across a year end
        (date(2025, 8, 31), date(2025, 10, 31)),
        (date(2025, 7, 31), date(2025, 9, 30)),
        (date(2099, 12, 31), date(2100, 2, 28)),  # 2100 is not a leap year
    ],
)
def test_answer_due_is_two_calendar_months(start, expected):
    assert add_months(start, 2) == expected
    assert due_dates("cpms", start).answer == expected
    assert due_dates("acpr", start).answer == expected


@pytest.mark.parametrize(
    "day, region, expected",
    [
        (date(2025, 12, 27), "metropole", True),  # Saturday is a jour ouvrable
        (date(2025, 12, 28), "metropole", False),  # Sunday
        (date(2025, 12, 26), "metropole", True),
        (date(2025, 12, 26), "alsace-moselle", False),  # Saint-Étienne
        (date(2025, 4, 18), "metropole", True),
        (date(2025, 4, 18), "alsace-moselle", False),  # Good Friday
        (date(2026, 5, 25), "metropole", False),  # Whit Monday 2026
        (date(2026, 7, 14), "metropole", False),
        (date(2026, 8, 15), "metropole", False),  # Assumption, a Saturday in 2026
        (date(2026, 11, 11), "metropole", False),
    ],
)
def test_jours_ouvrables(day, region, expected):
    assert is_jour_ouvrable(day, region) is expected


def test_start_day_never_counts():
    assert add_jours_ouvrables(date(2025, 3, 3), 1) == date(2025, 3, 4)
    assert add_jours_ouvrables(date(2025, 3, 3), 0) == date(2025, 3, 3)


@pytest.mark.parametrize(
    "policy, start, ack, answer",
    [
        # 2025-12-19 + 10 days = Mon 29: already a working day, unchanged
        ("cpms", date(2025, 12, 19), date(2025, 12, 29), date(2026, 2, 19)),
        # 2025-04-11 + 10 days = Easter Monday 21 → Tue 22; 2025-06-11 is a Wednesday
        ("cpms", date(2025, 4, 11), date(2025, 4, 22), date(2025, 6, 11)),
        # ack Sun 2026-05-10 → Mon 11; answer Thu 2026-06-30 unchanged
        ("cpms", date(2026, 4, 30), date(2026, 5, 11), date(2026, 6, 30)),
        # acpr ack Fri 2026-01-02 is already a working day: unchanged
        ("acpr", date(2025, 12, 19), date(2026, 1, 2), date(2026, 2, 19)),
        # answer Sat 2025-11-15 (start 2025-09-15) → Mon 17
        ("cpms", date(2025, 9, 15), date(2025, 9, 25), date(2025, 11, 17)),
        # start on Ascension 2026-05-14; Whit Monday skipped → ack Wed 27; answer 14 July → Wed 15
        ("acpr", date(2026, 5, 14), date(2026, 5, 27), date(2026, 7, 15)),
    ],
)
def test_cpc_642_extension(policy, start, ack, answer):
    assert due_dates(policy, start, EXTENDED) == type(due_dates(policy, start))(ack, answer)


def test_extension_is_off_by_default():
    # 2026-04-30 + 10 days is a Sunday and stays so without the setting
    assert due_dates("cpms", date(2026, 4, 30)).acknowledgement == date(2026, 5, 10)


def test_unknown_policy_is_refused():
    with pytest.raises(ValueError):
        due_dates("other", date(2025, 1, 1))
