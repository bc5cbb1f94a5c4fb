"""French formats for what the pages show: rates, counts, days, dates, months, changes.

The number formats are the charts' own (`cpms_metrics.charts`), so a card and the hover text of
a chart never disagree; this module adds what only the page frame needs.
"""

from __future__ import annotations

import re
from typing import Any

from cpms_metrics.access import mask_nirs
from cpms_metrics.definitions import POLICY_LABELS as POLICY_LABELS
from cpms_metrics.definitions import change
from cpms_metrics.formats import (
    DASH,
    NNBSP,
    format_count,
    format_date,
    format_days,
    format_decimal,
    format_rate,
    month_label,
)

__all__ = [
    "DASH",
    "count_change",
    "count_noun",
    "format_count",
    "format_date",
    "format_days",
    "format_decimal",
    "format_rate",
    "md",
    "month_label",
    "period_label",
    "points_change",
]

_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=^])")


def md(text: Any) -> str:
    """Stored or typed text for a Markdown element (`st.markdown`, `st.caption`, `st.error`, a
    label): shown as typed, never as a link, an image, a colour, a formula or an icon (every
    Markdown character escaped), and with any NIR masked (`access.mask_nirs`). The one escape
    of the pages: every stored value written into Markdown goes through it."""
    return _MARKDOWN.sub(r"\\\1", str(mask_nirs(str(text))))


def period_label(month_from: str, month_to: str, long: bool = False) -> str:
    """`de janv. 2025 à déc. 2025`, or `en janv. 2025` for a single month."""
    if month_from == month_to:
        return f"en {month_label(month_from, long)}"
    return f"de {month_label(month_from, long)} à {month_label(month_to, long)}"


def count_noun(count: int, singular: str, plural: str | None = None) -> str:
    """`0 dossier`, `1 dossier`, `12 345 dossiers` (French: 0 and 1 are singular)."""
    return f"{format_count(count)} {singular if count <= 1 else plural or singular + 's'}"


def points_change(current: float | None, previous: float | None) -> str | None:
    """Change of a rate in percentage points, signed with an ASCII minus so that `st.metric`
    colours it (`+1,2 pt`, `-0,8 pt`); None when either side has nothing to judge."""
    points = change(current, previous, is_rate=True)
    if points is None:
        return None
    if points == 0:
        return "0"
    sign = "+" if points > 0 else "-"
    return f"{sign}{format_decimal(abs(points))}{NNBSP}pt"


def count_change(current: int, previous: int | None) -> str | None:
    """Change of a count (`+12`, `-3`, `0`); None without a previous figure."""
    if previous is None:
        return None
    change = current - previous
    if change == 0:
        return "0"
    return f"{'+' if change > 0 else '-'}{format_count(abs(change))}"
