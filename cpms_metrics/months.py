"""Month arithmetic on `YYYY-MM` strings, the one home for it: parsing, shifting, ends of months,
ranges of months and the last month over on a given day.

A month is written `YYYY-MM` everywhere (URL, command line, `kpis --json`); these functions turn it
into the first day of that month and back.
"""

from __future__ import annotations

import calendar
import re
from datetime import date

from .errors import CpmsError

_MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


# The months a period, a report or a chart may name: wide enough for any stored receipt date,
# narrow enough that the month before or after stays a date (year 10000 is not one).
FIRST_MONTH, LAST_MONTH = date(1900, 1, 1), date(2100, 12, 1)


def parse_month(text: str) -> date:
    """First day of a "YYYY-MM" month from FIRST_MONTH to LAST_MONTH; CpmsError in French
    otherwise."""
    if not _MONTH.fullmatch(text.strip()):
        raise CpmsError(f"Mois invalide : « {text} » (format attendu AAAA-MM, par ex. 2025-11).")
    year, month = (int(part) for part in text.strip().split("-"))
    first = date(year, month, 1)
    if not FIRST_MONTH <= first <= LAST_MONTH:
        raise CpmsError(
            f"Mois hors de la plage acceptée : « {text} » (de {FIRST_MONTH:%Y-%m} à "
            f"{LAST_MONTH:%Y-%m})."
        )
    return first


def month_of(day: date) -> str:
    """`date(2025, 11, 30)` -> `"2025-11"`."""
    return f"{day.year:04d}-{day.month:02d}"


def month_end(first: date) -> date:
    """The last day of the month of `first`."""
    return first.replace(day=calendar.monthrange(first.year, first.month)[1])


def next_month(first: date) -> date:
    """The first day of the month after the month of `first`."""
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)


def shift_month(month: str, months: int) -> str:
    """`shift_month("2025-01", -1)` -> `"2024-12"`."""
    index = parse_month(month).year * 12 + parse_month(month).month - 1 + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def months_between(month_from: str, month_to: str) -> list[str]:
    """Every `YYYY-MM` from `month_from` to `month_to`, inclusive (empty when reversed)."""
    first, last = parse_month(month_from), parse_month(month_to)
    count = (last.year - first.year) * 12 + last.month - first.month + 1
    return [shift_month(month_from, index) for index in range(max(count, 0))]


def last_full_month(day: date) -> str:
    """The latest month over on the evening of `day`: its own month on its last day."""
    month = month_of(day)
    return month if day == month_end(day) else shift_month(month, -1)
