"""French number, date and month formats shared by the pages, the charts, the report and the command
line: `84,9 %`, `12 345`, `12,5 j`, `31/12/2025`, `janv. 2025`; `—` where there is nothing to judge.
"""

from __future__ import annotations

import math
from datetime import date

import pandas as pd

from .months import months_between as months_between  # charts and tests read it here
from .months import parse_month
from .servicetime import zone_info

NNBSP = "\u202f"  # narrow no-break space: thousands separator and before % in French
DASH = "—"  # shown where there is nothing to judge
MONTHS_FR = (
    "janv.", "févr.", "mars", "avr.", "mai", "juin",
    "juil.", "août", "sept.", "oct.", "nov.", "déc.",
)  # fmt: skip
MONTHS_FR_LONG = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)  # fmt: skip


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def format_count(value: int | float | None) -> str:
    """`12345` -> `12 345` (narrow no-break space)."""
    if _missing(value):
        return DASH
    assert value is not None
    return f"{round(value):,}".replace(",", NNBSP).replace("-", "−")


def format_decimal(value: float | None, digits: int = 1) -> str:
    if _missing(value):
        return DASH
    assert value is not None
    text = f"{value:,.{digits}f}".replace(",", NNBSP).replace(".", ",")
    return text.replace("-", "−")


def format_rate(value: float | None, digits: int = 1) -> str:
    """A fraction as a French percentage: `0.849` -> `84,9 %`; None -> `—`."""
    if _missing(value):
        return DASH
    assert value is not None
    return f"{format_decimal(value * 100, digits)}{NNBSP}%"


def format_days(value: float | None) -> str:
    """`12.5` -> `12,5 j`; whole numbers without decimals."""
    if _missing(value):
        return DASH
    assert value is not None
    if float(value).is_integer():
        return f"{format_count(value)}{NNBSP}j"
    return f"{format_decimal(value)}{NNBSP}j"


def format_date(value: date | None) -> str:
    """DD/MM/YYYY; `—` when missing."""
    if value is None or (not isinstance(value, date) and pd.isna(value)):
        return DASH
    return value.strftime("%d/%m/%Y")


def month_label(month: str, long: bool = False) -> str:
    """`2025-01` -> `janv. 2025` (or `janvier 2025`)."""
    first = parse_month(month)
    names = MONTHS_FR_LONG if long else MONTHS_FR
    return f"{names[first.month - 1]} {first.year}"


def format_timestamp(value: object, zone: str, *, seconds: bool = False) -> str:
    """A stored moment as the service's clocks showed it, `DD/MM/YYYY HH:MM` in `zone` (the
    setting CPMS_TIMEZONE); a naive value is taken as already in that zone (as the database reads
    one); `—` when missing."""
    if value is None:
        return DASH
    moment = pd.Timestamp(value)  # type: ignore[arg-type]
    if pd.isna(moment):
        return DASH
    if moment.tzinfo is not None:
        moment = moment.tz_convert(zone_info(zone))
    return moment.strftime("%d/%m/%Y %H:%M:%S" if seconds else "%d/%m/%Y %H:%M")
