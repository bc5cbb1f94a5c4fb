"""The KPI queries: named SQL over the `case_status` relation, with bound parameters.

Every figure of the dashboard and of `kpis --json` comes from here: SQL aggregates, Python only
divides counts into rates (no denominator, no rate) and shapes the result.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from .definitions import UNTRACKED
from .errors import CpmsError
from .fields import FOUNDED_OUTCOMES, OUTCOMES
from .months import month_end, next_month, parse_month
from .settings import POLICIES
from .store import Store

STATUSES = ("on_time", "late", "overdue", "pending")
NO_CAUSE = "non_renseignee"
# ACPR 2024-R-02 (rules §10): the outcome of the complaints answered by the as-of date.
OUTCOME_KEYS = (*OUTCOMES, "not_recorded")

# Dimensions a breakdown may group by: allow-listed, never taken from user text.
DIMENSIONS = {
    "object": "object",
    "month": "strftime(cohort_month, '%Y-%m')",
    "channel": "channel",
    "mediator": "effective_mediator",
    "risk_carrier": "coalesce(risk_carrier, 'inconnu')",
    "handler": "coalesce(handler, 'non attribué')",
    "cause": f"coalesce(cause, '{NO_CAUSE}')",
}


@dataclass(frozen=True)
class Scope:
    """Which cases a figure is about: as of a date, under a policy, cohort months and filters."""

    as_of: date
    policy: str = "cpms"
    month_from: str | None = None  # "YYYY-MM", inclusive
    month_to: str | None = None
    objects: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    risk_carriers: tuple[str, ...] = ()
    companies: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self) -> None:
        if self.policy not in POLICIES:
            raise CpmsError(f"Politique inconnue : {self.policy} (cpms ou acpr).")
        for month in (self.month_from, self.month_to):
            if month is not None:
                parse_month(month)
        if self.month_from and self.month_to and self.month_from > self.month_to:
            raise CpmsError(
                f"Période vide : le mois de début ({self.month_from}) est après le mois de fin "
                f"({self.month_to})."
            )


def scope_filter(scope: Scope) -> tuple[str, dict[str, Any]]:
    clauses: list[str] = []
    params: dict[str, Any] = {"as_of": scope.as_of, "policy": scope.policy}
    if scope.month_from:
        clauses.append("received_on >= $start")
        params["start"] = parse_month(scope.month_from)
    if scope.month_to:
        clauses.append("received_on < $stop")
        params["stop"] = next_month(parse_month(scope.month_to))
    for column, values in (
        ("object", scope.objects),
        ("channel", scope.channels),
        ("risk_carrier", scope.risk_carriers),
        ("company", scope.companies),
    ):
        if values:
            clauses.append(f"list_contains(${column}s, {column})")
            params[f"{column}s"] = list(values)
    return (" AND ".join(clauses) or "TRUE"), params


def scoped_cases(scope: Scope) -> tuple[str, dict[str, Any]]:
    where, params = scope_filter(scope)
    return f"SELECT * FROM case_status($as_of, $policy) WHERE {where}", params


# Counts add up across groups: kpis aggregates once at a fine grain and sums in Python. Statuses
# are read from case_status, never recomputed from dates here.
_STEP_STATUS = {"ack": "ack_status", "response": "answer_status"}
_COUNTS = ",\n".join(
    [
        "count_if(is_complaint) AS complaints",
        "count_if(NOT is_complaint) AS non_complaints",
        *(
            f"count_if(is_complaint AND {column} = '{status}') AS {step}_{status}"
            for step, column in _STEP_STATUS.items()
            for status in (*STATUSES, UNTRACKED)
        ),
        "count_if(is_complaint AND escalated) AS escalated",
        """count_if(is_complaint AND channel IN ('email', 'courrier') AND answer_done_on IS NOT NULL
             AND response_channel IS NOT NULL) AS written_answered""",
        """count_if(is_complaint AND channel IN ('email', 'courrier')
             AND answer_done_on IS NOT NULL AND response_channel = channel) AS same_channel""",
        *(
            f"count_if(is_complaint AND answer_done_on IS NOT NULL AND outcome = '{outcome}')"
            f" AS outcome_{outcome}"
            for outcome in OUTCOMES
        ),
        """count_if(is_complaint AND answer_done_on IS NOT NULL AND outcome IS NULL)
             AS outcome_not_recorded""",
        """coalesce(sum(redress_amount) FILTER (WHERE is_complaint AND answer_done_on IS NOT NULL),
             0)::DOUBLE AS redress_total""",
    ]
)
COUNT_COLUMNS = (
    "complaints", "non_complaints",
    "ack_on_time", "ack_late", "ack_overdue", "ack_pending", "ack_untracked",
    "response_on_time", "response_late", "response_overdue", "response_pending",
    "response_untracked",
    "escalated", "written_answered", "same_channel",
    *(f"outcome_{key}" for key in OUTCOME_KEYS),
)  # fmt: skip
# Median and 90th percentile (linear interpolation), over complaints done by the as-of date.
_QUANTILES = """
    quantile_cont(CASE WHEN is_complaint THEN ack_days END, [0.5, 0.9]) AS ack_quantiles,
    quantile_cont(CASE WHEN is_complaint THEN answer_days END, [0.5, 0.9]) AS response_quantiles
"""


def rate(numerator: int, denominator: int) -> float | None:
    """A fraction in [0, 1], or None when there is nothing to judge."""
    return numerator / denominator if denominator else None


def compliance_rate(row: Mapping[Any, Any], prefix: str) -> float | None:
    on_time = row[f"{prefix}_on_time"]
    return rate(on_time, on_time + row[f"{prefix}_late"] + row[f"{prefix}_overdue"])


def founded_rate(row: Mapping[Any, Any]) -> float | None:
    """(Fondée + partiellement fondée) / (those + non fondée); None without an outcome."""
    founded = sum(int(row[f"outcome_{key}"]) for key in FOUNDED_OUTCOMES)
    return rate(founded, founded + int(row["outcome_non_fondee"]))


def outcome_block(row: Mapping[Any, Any]) -> dict[str, Any]:
    """The `outcome` block of `kpis` from a row of counts."""
    block: dict[str, Any] = {key: int(row[f"outcome_{key}"]) for key in OUTCOME_KEYS}
    block["founded_rate"] = founded_rate(row)
    block["redress_total"] = round(float(row["redress_total"] or 0.0), 2)
    return block


def _as_float(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def summarise(store: Store, scope: Scope, by: str | None = None) -> pd.DataFrame:
    """One row of counts per value of `by` (a key of DIMENSIONS), or one row for the whole scope.

    Columns: `key`, the measures above, and the derived rates. Groups with no record are absent.
    """
    return summarise_many(store, scope, (by,))[by]


def summarise_many(
    store: Store, scope: Scope, dimensions: tuple[str | None, ...]
) -> dict[str | None, pd.DataFrame]:
    """`summarise` for several dimensions; None stands for the whole scope."""
    for by in dimensions:
        if by is not None and by not in DIMENSIONS:
            raise ValueError(f"unknown dimension {by!r}")
    cases, params = scoped_cases(scope)
    result: dict[str | None, pd.DataFrame] = {}
    with store.cursor() as cur:
        for by in dimensions:
            key, group = ("NULL", "") if by is None else (DIMENSIONS[by], "GROUP BY 1")
            frame = cur.execute(
                f"""SELECT {key} AS key, {_COUNTS}, {_QUANTILES},
                           max(answer_due) FILTER (WHERE is_complaint) AS last_answer_due
                    FROM ({cases}) {group}""",
                params,
            ).df()
            result[by] = _with_quantiles(_with_rates(frame))
    return result


def _with_quantiles(frame: pd.DataFrame) -> pd.DataFrame:
    for prefix in ("ack", "response"):
        # a list [median, p90], or NULL when nothing was done
        pairs: list[Any] = [
            list(q) if isinstance(q, list | tuple | np.ndarray) else [None, None]
            for q in frame.pop(f"{prefix}_quantiles")
        ]
        frame[f"{prefix}_median_days"] = [_as_float(p[0]) for p in pairs]
        frame[f"{prefix}_p90_days"] = [_as_float(p[1]) for p in pairs]
    return frame


def _with_rates(frame: pd.DataFrame) -> pd.DataFrame:
    for column in COUNT_COLUMNS:  # counts stay integers whatever the SQL type of count_if
        if column in frame.columns:
            frame[column] = frame[column].fillna(0).astype("int64")
    records = frame.to_dict("records")
    frame["ack_compliance_rate"] = [compliance_rate(r, "ack") for r in records]
    frame["response_compliance_rate"] = [compliance_rate(r, "response") for r in records]
    frame["escalation_rate"] = [rate(r["escalated"], r["complaints"]) for r in records]
    frame["same_channel_rate"] = [rate(r["same_channel"], r["written_answered"]) for r in records]
    if "outcome_non_fondee" in frame.columns:
        frame["founded_rate"] = [founded_rate(r) for r in records]
        frame["redress_total"] = frame["redress_total"].fillna(0.0).astype("float64").round(2)
    return frame


def _status_block(row: Mapping[Any, Any], prefix: str) -> dict[str, Any]:
    return {
        "on_time": int(row[f"{prefix}_on_time"]),
        "late": int(row[f"{prefix}_late"]),
        "overdue": int(row[f"{prefix}_overdue"]),
        "pending": int(row[f"{prefix}_pending"]),
        "untracked": int(row[f"{prefix}_untracked"]),
        "compliance_rate": compliance_rate(row, prefix),
        "median_days": _as_float(row[f"{prefix}_median_days"]),
        "p90_days": _as_float(row[f"{prefix}_p90_days"]),
    }


# --- The backlog (rules §7) and the deadlines that fell in a period (rules §8) ------------------

BACKLOG_KEYS = ("open", "ack_overdue", "response_overdue", "due_within_3_days")
DUE_SOON_DAYS = 3
_BACKLOG = f"""
    count_if(is_open) AS open,
    count_if(is_open AND ack_status = 'overdue') AS ack_overdue,
    count_if(is_open AND answer_status = 'overdue') AS response_overdue,
    count_if(is_open AND ack_status <> 'overdue' AND answer_status <> 'overdue'
             AND next_due - $as_of <= {DUE_SOON_DAYS}) AS due_within_3_days
"""


def months_with_complaints(store: Store, scope: Scope) -> list[str]:
    """The cohort months ("YYYY-MM", oldest first) holding at least one complaint received by
    the as-of date, under the scope's filters but whatever its period: where the data is."""
    where, params = scope_filter(backlog_scope(scope))
    with store.cursor() as cur:
        rows = cur.execute(
            f"""SELECT DISTINCT strftime(cohort_month, '%Y-%m') AS month
                FROM case_status($as_of, $policy) WHERE is_complaint AND {where}
                ORDER BY month""",
            params,
        ).fetchall()
    return [str(r[0]) for r in rows]


def backlog_scope(scope: Scope) -> Scope:
    """The scope of the backlog: every month received by the as-of date, the other filters kept."""
    return replace(scope, month_from=None, month_to=None)


def _in_period(column: str, scope: Scope) -> str:
    """SQL: `column` (a date) falls within the scope's months (bound as $start / $stop)."""
    clauses = ["TRUE"]
    if scope.month_from:
        clauses.append(f"{column} >= $start")
    if scope.month_to:
        clauses.append(f"{column} < $stop")
    return " AND ".join(clauses)


def _due_counts(scope: Scope) -> str:
    counts = [
        f"count_if(is_complaint AND {status_column} = '{status}' AND {_in_period(due, scope)})"
        f" AS due_{step}_{status}"
        for step, status_column, due in (
            ("ack", "ack_status", "ack_due"),
            ("response", "answer_status", "answer_due"),
        )
        for status in (*STATUSES, UNTRACKED)
    ]
    counts.append(
        "count_if(is_complaint AND escalated AND "
        f"{_in_period('mediator_referred_on', scope)}) AS due_referrals"
    )
    return ",\n".join(counts)


def backlog_and_due(store: Store, scope: Scope) -> tuple[dict[str, int], dict[str, Any]]:
    """The `backlog` and `due` blocks of `kpis`, in one scan of every case received by the as-of
    date: the backlog ignores the scope's months, the due block applies them to due dates."""
    where, params = scope_filter(backlog_scope(scope))
    if scope.month_from:
        params["start"] = parse_month(scope.month_from)
    if scope.month_to:
        params["stop"] = next_month(parse_month(scope.month_to))
    with store.cursor() as cur:
        cur.execute(
            f"""SELECT {_BACKLOG}, {_due_counts(scope)}
                FROM case_status($as_of, $policy) WHERE {where}""",
            params,
        )
        names = [column[0] for column in cur.description]
        values = cur.fetchall()[0]
    row = {name: int(value or 0) for name, value in zip(names, values, strict=True)}
    backlog = {key: row[key] for key in BACKLOG_KEYS}
    due: dict[str, Any] = {}
    for step in ("ack", "response"):
        block: dict[str, Any] = {
            status: row[f"due_{step}_{status}"] for status in (*STATUSES, UNTRACKED)
        }
        block["compliance_rate"] = rate(
            block["on_time"], block["on_time"] + block["late"] + block["overdue"]
        )
        due[step] = block
    due["referrals"] = row["due_referrals"]
    return backlog, due


def kpis(
    store: Store,
    *,
    as_of: date,
    policy: str = "cpms",
    month_from: str | None = None,
    month_to: str | None = None,
    scope: Scope | None = None,
) -> dict[str, Any]:
    """The object of rules.md §6, as plain Python values.

    Two scans: counts at the grain (object, month, mediator of an escalation), summed here into
    the total and the breakdowns; then the quantiles of the whole scope.
    """
    scope = scope or Scope(as_of=as_of, policy=policy, month_from=month_from, month_to=month_to)
    cases, params = scoped_cases(scope)
    with store.cursor() as cur:
        grain = cur.execute(
            f"""SELECT object, cohort_month,
                       CASE WHEN is_complaint AND escalated THEN effective_mediator END AS mediator,
                       {_COUNTS}
                FROM ({cases}) GROUP BY ALL""",
            params,
        ).df()
        quantiles = cur.execute(f"SELECT {_QUANTILES} FROM ({cases})", params).df()
    backlog, due = backlog_and_due(store, scope)
    counts = [*COUNT_COLUMNS, "redress_total"]
    grain["month"] = pd.to_datetime(grain["cohort_month"]).dt.strftime("%Y-%m")
    total = _with_quantiles(
        _with_rates(pd.DataFrame([grain[counts].sum().to_dict()]).join(quantiles))
    ).to_dict("records")[0]
    by_object = _with_rates(grain.groupby("object", as_index=False)[counts].sum())
    by_month = _with_rates(grain.groupby("month", as_index=False)[counts].sum())
    by_mediator = grain.dropna(subset=["mediator"]).groupby("mediator")["escalated"].sum()

    def entries(frame: pd.DataFrame, key: str) -> list[dict[str, Any]]:
        return [
            {
                key: str(r[key]),
                "complaints": int(r["complaints"]),
                "ack_compliance_rate": _as_float(r["ack_compliance_rate"]),
                "response_compliance_rate": _as_float(r["response_compliance_rate"]),
                "escalation_rate": _as_float(r["escalation_rate"]),
            }
            for r in frame.to_dict("records")
        ]

    objects = by_object[by_object["complaints"] > 0].sort_values(
        ["complaints", "object"], ascending=[False, True]
    )
    months = by_month[by_month["complaints"] > 0].sort_values("month")
    return {
        "as_of": scope.as_of.isoformat(),
        "policy": scope.policy,
        "period": {"from": scope.month_from, "to": scope.month_to},
        "complaints": int(total["complaints"]),
        "non_complaints": int(total["non_complaints"]),
        "ack": _status_block(total, "ack"),
        "response": _status_block(total, "response"),
        "escalation": {
            "escalated": int(total["escalated"]),
            "rate": _as_float(total["escalation_rate"]),
            "by_mediator": {str(k): int(v) for k, v in sorted(by_mediator.items()) if v > 0},
        },
        "same_channel_rate": _as_float(total["same_channel_rate"]),
        "by_object": entries(objects, "object"),
        "by_month": entries(months, "month"),
        "backlog": backlog,
        "due": due,
        "outcome": outcome_block(total),
    }


def monthly(store: Store, scope: Scope) -> pd.DataFrame:
    """Per cohort month with at least one record, oldest first, with a `provisional` flag: a month
    not yet over, or with an answer deadline not yet past, as of `scope.as_of`."""
    frame = summarise(store, scope, "month").sort_values("key").reset_index(drop=True)
    return _with_provisional(frame, scope.as_of)


def monthly_by(store: Store, scope: Scope, by: str) -> dict[str, pd.DataFrame]:
    """`monthly` for each value of `by` (a key of DIMENSIONS), in one scan."""
    if by not in DIMENSIONS or by == "month":
        raise ValueError(f"unknown dimension {by!r}")
    cases, params = scoped_cases(scope)
    with store.cursor() as cur:
        frame = cur.execute(
            f"""SELECT {DIMENSIONS[by]} AS part, {DIMENSIONS["month"]} AS key, {_COUNTS},
                       {_QUANTILES}, max(answer_due) FILTER (WHERE is_complaint) AS last_answer_due
                FROM ({cases}) GROUP BY 1, 2""",
            params,
        ).df()
    frame = _with_quantiles(_with_rates(frame))
    # Provisional is a property of the cohort month, whatever the part: every part's month reads
    # the latest answer deadline of the whole month, so that a breakdown shades the months the
    # overview shades.
    frame["last_answer_due"] = frame.groupby("key")["last_answer_due"].transform("max")
    return {
        str(part): _with_provisional(
            rows.drop(columns="part").sort_values("key").reset_index(drop=True), scope.as_of
        )
        for part, rows in frame.groupby("part")
    }


def is_provisional(month: str, last_answer_due: Any, as_of: date) -> bool:
    """Rules §3: a cohort month not yet over, or with an answer deadline not yet past, as of
    `as_of` (`last_answer_due`: its complaints' latest answer due date, None without any)."""
    late = last_answer_due is not None and pd.notna(last_answer_due)
    return month_end(parse_month(month)) > as_of or (
        late and pd.Timestamp(last_answer_due).date() >= as_of
    )


def _with_provisional(frame: pd.DataFrame, as_of: date) -> pd.DataFrame:
    frame["provisional"] = [
        is_provisional(str(month), due, as_of)
        for month, due in zip(frame["key"], frame["last_answer_due"], strict=True)
    ]
    return frame
