"""The floor under `kpis`: one hand-written DuckDB query over the `complaints` table our import
writes, computing the counts behind every figure of `kpis` under the cpms policy, with no view, no
macro and no pandas.

It reads only what the export brought (the due dates are worked out here from docs/regles.md §2,
not read from the columns the import stores), so that equal counts also check the stored due dates
and the `case_status` macro. It is the benchmark's second baseline for `kpis`.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import duckdb

# cpms policy (rules §2): the clock starts at receipt, the acknowledgement is due 10 calendar days
# later and the answer 2 calendar months later (DuckDB clamps to the month's last day, as §2 asks).
# Statuses as of $as_of (rules §3); an answer is also an acknowledgement; a step no file tracked is
# in no status. One scan counts at the grain (object, cohort month, mediator of an escalation), a
# second one takes the quantiles of the delays; the grain is then summed four ways: the whole
# scope, per object, per month, per mediator.
BARE_KPIS_SQL = """
WITH cases AS (
    SELECT
        nature = 'reclamation' AS is_complaint,
        object,
        date_trunc('month', received_on) AS month,
        received_on + 10 AS ack_due,
        CAST(received_on + INTERVAL 2 MONTH AS DATE) AS answer_due,
        least(CASE WHEN acknowledged_on <= $as_of THEN acknowledged_on END,
              CASE WHEN responded_on <= $as_of THEN responded_on END) AS ack_on,
        CASE WHEN responded_on <= $as_of THEN responded_on END AS answer_on,
        NOT coalesce(ack_tracked, TRUE) AND acknowledged_on IS NULL AND responded_on IS NULL
            AS ack_untracked,
        NOT coalesce(answer_tracked, TRUE) AND responded_on IS NULL AS answer_untracked,
        coalesce(mediator_referred_on <= $as_of, FALSE) AS escalated,
        mediator, risk_carrier,
        channel IN ('email', 'courrier') AS written,
        channel, response_channel, outcome, redress_amount
    FROM complaints
    WHERE received_on <= $as_of
),
judged AS (
    SELECT
        *,
        is_complaint AND answer_on IS NULL AND NOT answer_untracked AS is_open,
        ack_on IS NULL AND NOT ack_untracked AND $as_of > ack_due AS ack_overdue,
        answer_on IS NULL AND NOT answer_untracked AND $as_of > answer_due AS answer_overdue
    FROM cases
),
grain AS (
    SELECT
        object, month,
        CASE WHEN is_complaint AND escalated THEN
            coalesce(mediator,
                     CASE risk_carrier WHEN 'assureur' THEN 'mediation_assurance'
                                       WHEN 'institution_prevoyance' THEN 'mediateur_ctip'
                                       WHEN 'mutuelle' THEN 'mediateur_mutualite' END,
                     'inconnu') END AS mediator,
        count_if(is_complaint) AS complaints,
        count_if(NOT is_complaint) AS non_complaints,
        count_if(is_complaint AND NOT ack_untracked AND ack_on <= ack_due) AS ack_on_time,
        count_if(is_complaint AND NOT ack_untracked AND ack_on > ack_due) AS ack_late,
        count_if(is_complaint AND ack_overdue) AS ack_overdue,
        count_if(is_complaint AND NOT ack_untracked AND ack_on IS NULL AND $as_of <= ack_due)
            AS ack_pending,
        count_if(is_complaint AND ack_untracked) AS ack_untracked,
        count_if(is_complaint AND NOT answer_untracked AND answer_on <= answer_due)
            AS response_on_time,
        count_if(is_complaint AND NOT answer_untracked AND answer_on > answer_due) AS response_late,
        count_if(is_complaint AND answer_overdue) AS response_overdue,
        count_if(is_complaint AND NOT answer_untracked AND answer_on IS NULL
                 AND $as_of <= answer_due) AS response_pending,
        count_if(is_complaint AND answer_untracked) AS response_untracked,
        count_if(is_complaint AND escalated) AS escalated,
        count_if(is_complaint AND written AND answer_on IS NOT NULL
                 AND response_channel IS NOT NULL) AS written_answered,
        count_if(is_complaint AND written AND answer_on IS NOT NULL AND response_channel = channel)
            AS same_channel,
        count_if(is_complaint AND answer_on IS NOT NULL AND outcome = 'fondee') AS fondee,
        count_if(is_complaint AND answer_on IS NOT NULL AND outcome = 'partiellement_fondee')
            AS partiellement_fondee,
        count_if(is_complaint AND answer_on IS NOT NULL AND outcome = 'non_fondee') AS non_fondee,
        count_if(is_complaint AND answer_on IS NOT NULL AND outcome IS NULL) AS not_recorded,
        sum(redress_amount) FILTER (WHERE is_complaint AND answer_on IS NOT NULL) AS redress_total,
        count_if(is_open) AS open,
        count_if(is_open AND ack_overdue) AS backlog_ack_overdue,
        count_if(is_open AND answer_overdue) AS backlog_response_overdue,
        count_if(is_open AND NOT ack_overdue AND NOT answer_overdue
                 AND CASE WHEN ack_on IS NULL AND NOT ack_untracked THEN ack_due ELSE answer_due END
                     - $as_of <= 3) AS due_within_3_days
    FROM judged
    GROUP BY ALL
),
days AS (
    SELECT
        quantile_cont(least(CASE WHEN acknowledged_on <= $as_of THEN acknowledged_on END,
                            CASE WHEN responded_on <= $as_of THEN responded_on END)
                      - received_on, [0.5, 0.9]) AS ack_days,
        quantile_cont(CASE WHEN responded_on <= $as_of THEN responded_on END - received_on,
                      [0.5, 0.9]) AS response_days
    FROM complaints
    WHERE received_on <= $as_of AND nature = 'reclamation'
)
SELECT
    GROUPING(object, month, mediator) AS grouping_id, object, strftime(month, '%Y-%m') AS month,
    mediator,
    sum(complaints) AS complaints, sum(non_complaints) AS non_complaints,
    sum(ack_on_time) AS ack_on_time, sum(ack_late) AS ack_late, sum(ack_overdue) AS ack_overdue,
    sum(ack_pending) AS ack_pending, sum(ack_untracked) AS ack_untracked,
    sum(response_on_time) AS response_on_time, sum(response_late) AS response_late,
    sum(response_overdue) AS response_overdue, sum(response_pending) AS response_pending,
    sum(response_untracked) AS response_untracked,
    sum(escalated) AS escalated, sum(written_answered) AS written_answered,
    sum(same_channel) AS same_channel,
    sum(fondee) AS fondee, sum(partiellement_fondee) AS partiellement_fondee,
    sum(non_fondee) AS non_fondee, sum(not_recorded) AS not_recorded,
    coalesce(sum(redress_total), 0) AS redress_total,
    sum(open) AS open, sum(backlog_ack_overdue) AS backlog_ack_overdue,
    sum(backlog_response_overdue) AS backlog_response_overdue,
    sum(due_within_3_days) AS due_within_3_days,
    any_value(days.ack_days) AS ack_days, any_value(days.response_days) AS response_days
FROM grain CROSS JOIN days
GROUP BY GROUPING SETS ((), (object), (month), (mediator))
"""

STEPS = ("ack", "response")
STATUSES = ("on_time", "late", "overdue", "pending", "untracked")
OUTCOMES = ("fondee", "partiellement_fondee", "non_fondee", "not_recorded")
# GROUPING(object, month, mediator): a bit set for each column a row is not grouped by.
_WHOLE = 0b111
_BY = {"object": 0b011, "month": 0b101, "mediator": 0b110}


def _judged(counts: dict[str, int], prefix: str) -> int:
    return counts[f"{prefix}_on_time"] + counts[f"{prefix}_late"] + counts[f"{prefix}_overdue"]


def bare_counts(con: duckdb.DuckDBPyConnection, as_of: date) -> dict[str, Any]:
    """Run the query and shape its rows: the counts of the whole scope, and per object and per
    month the counts behind the breakdowns' rates."""
    cursor = con.execute(BARE_KPIS_SQL, {"as_of": as_of})
    names = [column[0] for column in cursor.description]
    rows = [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]
    total = next(row for row in rows if row["grouping_id"] == _WHOLE)
    out: dict[str, Any] = {
        key: total[key]
        for key in ("complaints", "non_complaints", "escalated", "written_answered",
                    "same_channel", *OUTCOMES, "open", "backlog_ack_overdue",
                    "backlog_response_overdue", "due_within_3_days")
    }  # fmt: skip
    for step in STEPS:
        out.update({f"{step}_{status}": total[f"{step}_{status}"] for status in STATUSES})
        median, p90 = total[f"{step}_days"] or (None, None)
        out[f"{step}_median_days"], out[f"{step}_p90_days"] = median, p90
    out["redress_total"] = round(float(total["redress_total"]), 2)
    out["by_mediator"] = {
        str(row["mediator"]): int(row["escalated"])
        for row in sorted(rows, key=lambda row: str(row["mediator"]))
        if row["grouping_id"] == _BY["mediator"] and row["mediator"] is not None
        and row["escalated"]
    }  # fmt: skip
    for key in ("object", "month"):
        out[f"by_{key}"] = {
            str(row[key]): _breakdown(row)
            for row in rows
            if row["grouping_id"] == _BY[key] and row["complaints"]
        }
    return out


def _breakdown(row: dict[str, Any]) -> dict[str, int]:
    return {
        "complaints": row["complaints"],
        "ack_on_time": row["ack_on_time"],
        "ack_judged": _judged(row, "ack"),
        "response_on_time": row["response_on_time"],
        "response_judged": _judged(row, "response"),
        "escalated": row["escalated"],
    }


def counts_of_kpis(result: dict[str, Any]) -> dict[str, Any]:
    """The same counts read back from a `kpis` result (no period: its `due` block then counts
    every due date, rules §8, so it must equal the status counts of the whole scope)."""
    out: dict[str, Any] = {
        "complaints": result["complaints"],
        "non_complaints": result["non_complaints"],
        "escalated": result["escalation"]["escalated"],
        **{key: result["outcome"][key] for key in OUTCOMES},
        "redress_total": result["outcome"]["redress_total"],
        "open": result["backlog"]["open"],
        "backlog_ack_overdue": result["backlog"]["ack_overdue"],
        "backlog_response_overdue": result["backlog"]["response_overdue"],
        "due_within_3_days": result["backlog"]["due_within_3_days"],
        "by_mediator": dict(sorted(result["escalation"]["by_mediator"].items())),
        "same_channel_rate": result["same_channel_rate"],
    }
    for step in STEPS:
        block = result[step]
        out.update({f"{step}_{status}": block[status] for status in STATUSES})
        out[f"{step}_median_days"] = block["median_days"]
        out[f"{step}_p90_days"] = block["p90_days"]
        for status in STATUSES:
            out[f"due_{step}_{status}"] = result["due"][step][status]
    for key in ("object", "month"):
        out[f"by_{key}"] = {
            entry[key]: {
                "complaints": entry["complaints"],
                "ack_compliance_rate": entry["ack_compliance_rate"],
                "response_compliance_rate": entry["response_compliance_rate"],
                "escalation_rate": entry["escalation_rate"],
            }
            for entry in result[f"by_{key}"]
        }
    return out


def _rate(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def differences(kpis_result: dict[str, Any], bare: dict[str, Any]) -> list[str]:
    """Every figure where `kpis` and the bare query disagree, named; empty when all agree.
    A rate is compared with the same division of the bare counts; the whole scope's compliance
    and escalation rates follow from the counts compared here."""
    ours = counts_of_kpis(kpis_result)
    expected: dict[str, Any] = {key: bare[key] for key in ours if key in bare}
    expected["same_channel_rate"] = _rate(bare["same_channel"], bare["written_answered"])
    for step in STEPS:
        for status in STATUSES:
            expected[f"due_{step}_{status}"] = bare[f"{step}_{status}"]
    for key in ("object", "month"):
        expected[f"by_{key}"] = {
            name: {
                "complaints": row["complaints"],
                "ack_compliance_rate": _rate(row["ack_on_time"], row["ack_judged"]),
                "response_compliance_rate": _rate(row["response_on_time"], row["response_judged"]),
                "escalation_rate": _rate(row["escalated"], row["complaints"]),
            }
            for name, row in bare[f"by_{key}"].items()
        }
    ours_flat, expected_flat = _flat(ours), _flat(expected)
    found = [
        f"{key}: kpis {value!r}, requête nue {expected_flat.get(key, 'absente')!r}"
        for key, value in ours_flat.items()
        if key not in expected_flat or not _same(value, expected_flat[key])
    ]
    found += [f"{key}: absent de kpis" for key in sorted(expected_flat.keys() - ours_flat.keys())]
    return found


def _flat(tree: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """`{"by_month": {"2026-01": {"complaints": 3}}}` -> `{"by_month.2026-01.complaints": 3}`."""
    out: dict[str, Any] = {}
    for key, value in tree.items():
        if isinstance(value, dict) and value:
            out.update(_flat(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def _same(left: Any, right: Any) -> bool:
    if isinstance(left, float) and isinstance(right, float):
        return abs(left - right) <= 1e-9 * max(1.0, abs(left))
    return bool(left == right)
