"""The peer an analyst would write: rules.md's KPIs in straightforward vectorised pandas.

It works on a canonical export already in memory (one DataFrame, dates as datetime64) and computes
the due dates itself (numpy business days for the jours ouvrables), so that both sides do the same
work from the same data. It is the benchmark's baseline and a second opinion on the figures.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import holidays
import numpy as np
import pandas as pd

MEDIATOR_BY_CARRIER = {
    "assureur": "mediation_assurance",
    "institution_prevoyance": "mediateur_ctip",
    "mutuelle": "mediateur_mutualite",
}


def _rate(num: float, den: float) -> float | None:
    return float(num / den) if den else None


def _quantile(values: pd.Series, q: float) -> float | None:
    values = values.dropna()
    return float(values.quantile(q)) if len(values) else None


def _block(status: pd.Series, days: pd.Series) -> dict[str, Any]:
    counts = status.value_counts()
    on_time, late, overdue = (int(counts.get(k, 0)) for k in ("on_time", "late", "overdue"))
    return {
        "on_time": on_time,
        "late": late,
        "overdue": overdue,
        "pending": int(counts.get("pending", 0)),
        "compliance_rate": _rate(on_time, on_time + late + overdue),
        "median_days": _quantile(days, 0.5),
        "p90_days": _quantile(days, 0.9),
    }


def _status(done: pd.Series, due: pd.Series, as_of: pd.Timestamp) -> pd.Series:
    return pd.Series(
        np.select(
            [done.notna() & (done <= due), done.notna(), as_of > due],
            ["on_time", "late", "overdue"],
            "pending",
        ),
        index=done.index,
    )


def kpis(
    frame: pd.DataFrame,
    *,
    as_of: date,
    policy: str = "cpms",
    month_from: str | None = None,
    month_to: str | None = None,
) -> dict[str, Any]:
    cutoff = pd.Timestamp(as_of)
    df = frame[frame["received_on"] <= cutoff]
    month = df["received_on"].dt.strftime("%Y-%m")
    if month_from:
        df, month = df[month >= month_from], month[month >= month_from]
    if month_to:
        df, month = df[month <= month_to], month[month <= month_to]
    complaint = df["nature"] == "reclamation"
    non_complaints = int((~complaint).sum())
    df, month = df[complaint], month[complaint]

    start = df["received_on"]
    if policy == "acpr":
        start = df["sent_on"].fillna(df["received_on"])
        years = range(start.dt.year.min() - 1, start.dt.year.max() + 2) if len(df) else []
        off = np.array(sorted(holidays.France(years=list(years))), dtype="datetime64[D]")
        # roll backward: a start on a Sunday or holiday counts from the jour ouvrable before it
        ack_due = pd.Series(
            np.busday_offset(
                start.values.astype("datetime64[D]"),
                10,
                roll="backward",
                weekmask="1111110",
                holidays=off,
            ),
            index=df.index,
        ).astype("datetime64[ns]")
    else:
        ack_due = start + pd.Timedelta(days=10)
    answer_due = start + pd.DateOffset(months=2)

    def seen(column: str) -> pd.Series:
        return df[column].where(df[column] <= cutoff)

    answer_done = seen("responded_on")
    ack_done = pd.concat([seen("acknowledged_on"), answer_done], axis=1).min(axis=1)
    ack_status = _status(ack_done, ack_due, cutoff)
    answer_status = _status(answer_done, answer_due, cutoff)
    ack_days = (ack_done - start).dt.days
    answer_days = (answer_done - start).dt.days
    escalated = seen("mediator_referred_on").notna()
    mediator = df["mediator"].fillna(df["risk_carrier"].map(MEDIATOR_BY_CARRIER)).fillna("inconnu")
    written = df["channel"].isin(["email", "courrier"]) & answer_done.notna()
    written &= df["response_channel"].notna()

    def compliance(status: pd.Series) -> float | None:
        counts = status.value_counts()
        judged = counts.get("on_time", 0) + counts.get("late", 0) + counts.get("overdue", 0)
        return _rate(counts.get("on_time", 0), judged)

    def breakdown(keys: pd.Series, name: str) -> list[dict[str, Any]]:
        rows = []
        for key, index in keys.groupby(keys).groups.items():
            rows.append(
                {
                    name: key,
                    "complaints": len(index),
                    "ack_compliance_rate": compliance(ack_status[index]),
                    "response_compliance_rate": compliance(answer_status[index]),
                    "escalation_rate": _rate(escalated[index].sum(), len(index)),
                }
            )
        return rows

    by_object = sorted(
        breakdown(df["object"], "object"), key=lambda r: (-r["complaints"], r["object"])
    )
    return {
        "as_of": as_of.isoformat(),
        "policy": policy,
        "period": {"from": month_from, "to": month_to},
        "complaints": len(df),
        "non_complaints": non_complaints,
        "ack": _block(ack_status, ack_days.where(ack_done.notna())),
        "response": _block(answer_status, answer_days),
        "escalation": {
            "escalated": int(escalated.sum()),
            "rate": _rate(escalated.sum(), len(df)),
            "by_mediator": {
                k: int(v) for k, v in sorted(mediator[escalated].value_counts().items())
            },
        },
        "same_channel_rate": _rate(
            (df["response_channel"][written] == df["channel"][written]).sum(), written.sum()
        ),
        "by_object": by_object,
        "by_month": sorted(breakdown(month, "month"), key=lambda r: r["month"]),
    }


def load_canonical(path: str) -> pd.DataFrame:
    """Read a canonical export as an analyst would: pandas.read_csv with date parsing."""
    dates = ["received_on", "sent_on", "acknowledged_on", "responded_on", "mediator_referred_on"]
    return pd.read_csv(path, parse_dates=dates, date_format="%Y-%m-%d")
