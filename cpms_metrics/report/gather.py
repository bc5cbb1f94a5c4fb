"""The report's figures, gathered from `queries` (the dashboard's own numbers) into dataclasses:
the month and its comparisons, the 12-month trend, breakdowns, the backlog past due; no formatting.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

import pandas as pd

from ..definitions import FIGURES, REPORT_HEADLINES, Figure
from ..errors import CpmsError
from ..fields import CHANNELS, label, object_vocabulary
from ..formats import format_date, month_label
from ..months import month_end, months_between, parse_month, shift_month
from ..queries import Scope, backlog_and_due, kpis, monthly, scoped_cases, summarise
from ..schema import fetch_one
from ..store import Store
from ..worklist import mediator_label

TREND_MONTHS = 12
# The cohort figures the report keeps as context, after its headlines (REPORT_HEADLINES).
COHORT_FIGURES = tuple(FIGURES[k] for k in ("ack_rate", "response_rate", "escalation_rate"))

# Open cases past their answer deadline, by days since that deadline: (label, first, last day).
AGE_BANDS: tuple[tuple[str, int, int | None], ...] = (
    ("1 à 30 jours", 1, 30),
    ("31 à 90 jours", 31, 90),
    ("91 à 180 jours", 91, 180),
    ("Plus de 180 jours", 181, None),
)


def judged(figure: Figure, figures: Mapping[str, Any]) -> int | None:
    """How many cases a rate judges (its denominator), None for a count: on time + late + overdue
    for a compliance rate, the complaints received for the escalation rate."""
    if not figure.is_rate:
        return None
    if figure.keys[-1] == "compliance_rate":
        block: Any = figures
        for key in figure.keys[:-1]:
            block = block[key]
        return int(block["on_time"] + block["late"] + block["overdue"])
    return int(figures["complaints"])


def untracked(figure: Figure, figures: Mapping[str, Any]) -> int:
    """How many complaints a compliance rate leaves out because no imported file tracks its step
    (export-format.md): in no status and in no rate; 0 for any other figure."""
    if not figure.is_rate or figure.keys[-1] != "compliance_rate":
        return 0
    block: Any = figures
    for key in figure.keys[:-1]:
        block = block[key]
    return int(block.get("untracked", 0))


@dataclass(frozen=True)
class MonthFigures:
    """`kpis` for one month (its cohort, its due dates, the backlog as of `as_of`)."""

    month: str
    as_of: date
    kpis: dict[str, Any]
    provisional: bool  # the month's cohort still has answer deadlines to come

    def value(self, figure: Figure) -> Any:
        return figure.value(self.kpis)

    def judged(self, figure: Figure) -> int | None:
        return judged(figure, self.kpis)

    def untracked(self, figure: Figure) -> int:
        return untracked(figure, self.kpis)


@dataclass(frozen=True)
class Rate:
    """A rate, how many cases it judges and how many it leaves out as not tracked: no rate (None)
    when there is nothing to judge."""

    value: float | None
    judged: int
    untracked: int = 0


@dataclass(frozen=True)
class TrendMonth:
    """One month of the 12-month trend: its cohort (provisional or not) and its due dates."""

    month: str
    complaints: int
    escalated: int
    ack: Rate
    response: Rate
    escalation: Rate
    provisional: bool
    due_ack: Rate
    due_response: Rate
    referrals: int


@dataclass(frozen=True)
class Breakdown:
    """One row of a breakdown of the month's cohort (by object, by channel)."""

    key: str
    label: str
    complaints: int
    ack: Rate
    response: Rate
    escalation: Rate


@dataclass(frozen=True)
class OverdueRow:
    """Open complaints past their answer deadline for one object, per age band."""

    key: str
    label: str
    counts: tuple[int, ...]

    @property
    def total(self) -> int:
        return sum(self.counts)


@dataclass(frozen=True)
class MonthlyReport:
    month: str
    policy: str
    as_of: date
    last_import: datetime | None
    current: MonthFigures
    previous: MonthFigures
    year_before: MonthFigures
    trend: tuple[TrendMonth, ...]
    by_object: tuple[Breakdown, ...]
    by_channel: tuple[Breakdown, ...]
    mediators: tuple[tuple[str, int], ...]  # (French name, escalations), most first
    overdue: tuple[OverdueRow, ...]  # most first
    summary: tuple[str, ...]

    @property
    def headlines(self) -> tuple[Figure, ...]:
        return REPORT_HEADLINES

    @property
    def comparisons(self) -> tuple[MonthFigures, MonthFigures, MonthFigures]:
        return self.current, self.previous, self.year_before

    @property
    def title(self) -> str:
        return f"Rapport mensuel des réclamations — {month_label(self.month, long=True)}"

    @property
    def last_import_text(self) -> str:
        if self.last_import is None:
            return "aucun import enregistré"
        return f"{format_date(self.last_import.date())} à {self.last_import:%H:%M}"

    @property
    def has_complaints(self) -> bool:
        return bool(self.current.kpis["complaints"])

    @property
    def backlog_overdue(self) -> int:
        """Open complaints past their answer deadline as of the as-of date, every cohort."""
        return int(self.current.kpis["backlog"]["response_overdue"])

    @property
    def overdue_total(self) -> int:
        return sum(row.total for row in self.overdue)

    @property
    def overdue_by_band(self) -> tuple[int, ...]:
        return tuple(sum(row.counts[i] for row in self.overdue) for i in range(len(AGE_BANDS)))

    @property
    def provisional_months(self) -> tuple[str, ...]:
        return tuple(t.month for t in self.trend if t.provisional)

    def file_name(self, suffix: str) -> str:
        return f"rapport_reclamations_{self.month}_{self.policy}{suffix}"


def month_choices(first_month: str | None, default: str, latest: str) -> list[str]:
    """Closed months to offer, most recent first: from the first month on record (or `default`)
    to `latest` (or `default` when later)."""
    return months_between(min(first_month or default, default), max(latest, default))[::-1]


def _compared_as_of(month: str, as_of: date, months: int) -> date:
    """The as-of date of a comparison month: as many days after its end as `as_of` is after the
    report month's end, so both are seen at the same maturity."""
    late_by = as_of - month_end(parse_month(month))
    return month_end(parse_month(shift_month(month, months))) + late_by


def _number(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _rate(row: Mapping[Any, Any], prefix: str) -> Rate:
    """The compliance rate of a `summarise` row, with its judged cases."""
    count = sum(int(row[f"{prefix}_{status}"]) for status in ("on_time", "late", "overdue"))
    return Rate(
        _number(row[f"{prefix}_compliance_rate"]), count, int(row.get(f"{prefix}_untracked", 0))
    )


def _due_rate(block: Mapping[str, Any]) -> Rate:
    judged = block["on_time"] + block["late"] + block["overdue"]
    return Rate(block["compliance_rate"], judged, int(block.get("untracked", 0)))


def _month_figures(store: Store, month: str, as_of: date, policy: str) -> MonthFigures:
    scope = Scope(as_of=as_of, policy=policy, month_from=month, month_to=month)
    cohort = monthly(store, scope)
    provisional = bool(cohort["provisional"].iloc[0]) if len(cohort) else False
    return MonthFigures(month, as_of, kpis(store, as_of=as_of, scope=scope), provisional)


def _trend(store: Store, month: str, as_of: date, policy: str) -> tuple[TrendMonth, ...]:
    first = shift_month(month, 1 - TREND_MONTHS)
    frame = monthly(store, Scope(as_of=as_of, policy=policy, month_from=first, month_to=month))
    known = {str(r["key"]): r for r in frame.to_dict("records")}
    months = []
    for key in months_between(first, month):
        _, due = backlog_and_due(store, Scope(as_of, policy, key, key))
        row = known.get(key)
        cohort: Mapping[Any, Any]
        if row is None or not row["complaints"]:  # nothing received: no rate, nothing drawn
            cohort = {"complaints": 0, "escalated": 0, "provisional": False}
            no_rate = Rate(None, 0)
            rates = (no_rate, no_rate, no_rate)
        else:
            cohort = row
            rates = (
                _rate(row, "ack"),
                _rate(row, "response"),
                Rate(_number(row["escalation_rate"]), int(row["complaints"])),
            )
        months.append(
            TrendMonth(
                key,
                int(cohort["complaints"]),
                int(cohort["escalated"]),
                *rates,
                provisional=bool(row is not None and row["provisional"]),
                due_ack=_due_rate(due["ack"]),
                due_response=_due_rate(due["response"]),
                referrals=int(due["referrals"]),
            )
        )
    return tuple(months)


def _breakdown(
    rows: Sequence[Mapping[Any, Any]], key: str, names: Callable[[str], str]
) -> tuple[Breakdown, ...]:
    return tuple(
        Breakdown(
            str(r[key]),
            names(str(r[key])),
            int(r["complaints"]),
            _rate(r, "ack"),
            _rate(r, "response"),
            Rate(_number(r["escalation_rate"]), int(r["complaints"])),
        )
        for r in rows
    )


def _by(store: Store, scope: Scope, by: str, names: Callable[[str], str]) -> tuple[Breakdown, ...]:
    frame = summarise(store, scope, by)
    frame = frame[frame["complaints"] > 0].sort_values(
        ["complaints", "key"], ascending=[False, True]
    )
    return _breakdown(frame.to_dict("records"), "key", names)


def _overdue(store: Store, as_of: date, policy: str) -> tuple[OverdueRow, ...]:
    """The backlog's open complaints past their answer deadline (rules §7), by object and by how
    long ago that deadline passed: the same condition as `kpis`' backlog.response_overdue."""
    cases, params = scoped_cases(Scope(as_of=as_of, policy=policy))
    bands = " ".join(
        f"WHEN days <= {int(last)} THEN {index}"
        for index, (_, _, last) in enumerate(AGE_BANDS)
        if last is not None
    )
    with store.cursor() as cur:
        rows = cur.execute(
            f"""SELECT object, CASE {bands} ELSE {len(AGE_BANDS) - 1} END AS band,
                       count(*) AS cases
                FROM (SELECT object, $as_of - answer_due AS days FROM ({cases})
                      WHERE is_open AND answer_status = 'overdue')
                GROUP BY ALL""",
            params,
        ).fetchall()
    counts: dict[str, list[int]] = {}
    for obj, band, cases_count in rows:
        counts.setdefault(str(obj), [0] * len(AGE_BANDS))[int(band)] += int(cases_count)
    names = object_vocabulary(tuple(counts))
    found = [OverdueRow(key, label(names, key), tuple(c)) for key, c in counts.items()]
    return tuple(sorted(found, key=lambda r: (-r.total, r.key)))


def _last_import(store: Store) -> datetime | None:
    with store.cursor() as cur:
        # The service's wall-clock time (the session's TimeZone), naive: a spreadsheet has no zone.
        row = fetch_one(cur, "SELECT max(imported_at)::TIMESTAMP FROM imports")
    return None if row is None or row[0] is None else pd.Timestamp(row[0]).to_pydatetime()


def build_report(
    store: Store, *, month: str, policy: str = "cpms", as_of: date | None = None
) -> MonthlyReport:
    """The figures of the report on `month` ("YYYY-MM") under `policy`, as of `as_of` (default:
    the month's last day), with its written summary. CpmsError in French for a bad month, policy
    or date."""
    from .wording import summary  # the sentences are written from this module's figures

    first = parse_month(month)
    end = month_end(first)
    as_of = as_of or end
    if as_of < end:
        raise CpmsError(
            f"La date d'arrêté ({format_date(as_of)}) précède la fin du mois du rapport "
            f"({format_date(end)}) : le rapport porte sur un mois clos.",
            title="Date d'arrêté invalide",
        )
    Scope(as_of, policy)  # a French error for an unknown policy, before any query
    current = _month_figures(store, month, as_of, policy)
    previous = _month_figures(
        store, shift_month(month, -1), _compared_as_of(month, as_of, -1), policy
    )
    year_month = shift_month(month, -12)
    year_before = _month_figures(store, year_month, _compared_as_of(month, as_of, -12), policy)
    objects = object_vocabulary(tuple(r["object"] for r in current.kpis["by_object"]))
    mediators = sorted(
        current.kpis["escalation"]["by_mediator"].items(), key=lambda item: (-item[1], item[0])
    )
    scope = Scope(as_of, policy, month, month)
    report = MonthlyReport(
        month=month,
        policy=policy,
        as_of=as_of,
        last_import=_last_import(store),
        current=current,
        previous=previous,
        year_before=year_before,
        trend=_trend(store, month, as_of, policy),
        by_object=_by(store, scope, "object", lambda v: label(objects, v)),
        by_channel=_by(store, scope, "channel", lambda v: label(CHANNELS, v)),
        mediators=tuple((mediator_label(key), int(n)) for key, n in mediators),
        overdue=_overdue(store, as_of, policy),
        summary=(),
    )
    return replace(report, summary=summary(report))
