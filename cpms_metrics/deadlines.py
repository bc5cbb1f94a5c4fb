"""Deadline rules of docs/regles.md §2: jours ouvrables, calendar months, the two policies.

Pure functions of dates: nothing here reads the clock or the database. `due_dates()` is the one
place where a clock start becomes an acknowledgement and an answer due date.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import holidays

from .settings import POLICIES

ACK_DAYS = 10  # acknowledgement delay: calendar days (cpms) or jours ouvrables (acpr)
ANSWER_MONTHS = 2
SUNDAY = 6

# The holidays library names Moselle "57"; Bas-Rhin and Haut-Rhin share its local holidays.
_SUBDIVISION = {"metropole": None, "alsace-moselle": "57"}


@dataclass(frozen=True)
class Calendar:
    """How due dates are computed: the holiday region and the optional CPC art. 642 extension."""

    holiday_region: str = "metropole"
    extend_to_working_day: bool = False

    @property
    def key(self) -> str:
        """Identifies the due dates computed under this calendar (stored with them)."""
        return f"{self.holiday_region}|{'642' if self.extend_to_working_day else 'strict'}"


@lru_cache(maxsize=512)
def _holidays(region: str, year: int) -> frozenset[date]:
    days = holidays.country_holidays("FR", subdiv=_SUBDIVISION[region], years=year)
    return frozenset(days.keys())


def is_holiday(day: date, region: str = "metropole") -> bool:
    return day in _holidays(region, day.year)


def is_jour_ouvrable(day: date, region: str = "metropole") -> bool:
    """Monday to Saturday, minus public holidays."""
    return day.weekday() != SUNDAY and not is_holiday(day, region)


def add_jours_ouvrables(start: date, count: int, region: str = "metropole") -> date:
    """The `count`-th jour ouvrable after `start` (the start day itself never counts)."""
    day = start
    remaining = count
    while remaining > 0:
        day += timedelta(days=1)
        if is_jour_ouvrable(day, region):
            remaining -= 1
    return day


def add_months(start: date, months: int) -> date:
    """Same day number `months` later, clipped to the last day of a shorter month."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def next_working_day(day: date, region: str = "metropole") -> date:
    """CPC art. 642: a deadline ending on a Saturday, Sunday or holiday moves to the next
    working day."""
    while day.weekday() >= 5 or is_holiday(day, region):
        day += timedelta(days=1)
    return day


@dataclass(frozen=True)
class DueDates:
    acknowledgement: date
    answer: date


def due_dates(policy: str, start: date, cal: Calendar = Calendar()) -> DueDates:
    """Acknowledgement and answer due dates for a clock that starts on `start`."""
    if policy == "cpms":
        ack = start + timedelta(days=ACK_DAYS)
    elif policy == "acpr":
        ack = add_jours_ouvrables(start, ACK_DAYS, cal.holiday_region)
    else:
        raise ValueError(f"unknown policy {policy!r}; expected one of {POLICIES}")
    answer = add_months(start, ANSWER_MONTHS)
    if cal.extend_to_working_day:
        ack = next_working_day(ack, cal.holiday_region)
        answer = next_working_day(answer, cal.holiday_region)
    return DueDates(ack, answer)
