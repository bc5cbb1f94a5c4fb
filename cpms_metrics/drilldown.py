"""The cases behind a point of a chart: a month, an object, a channel, a step's status.

A chart marks each of its points with a `Point` key (Plotly `customdata`, `Point.key()`); a click
on the point gives that key back, and `point_cases` lists the complaints it counts, read from
`case_status` through `queries.scoped_cases` (the one definition of statuses and filters).
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pandas as pd

from .definitions import CASE_STATUS_LABELS, STATUS_LABELS
from .fields import CHANNELS, label, object_vocabulary
from .formats import month_label
from .months import parse_month
from .queries import STATUSES, Scope, scoped_cases
from .schema import fetch_one
from .store import Store

STEPS = {"ack": "ack_status", "response": "answer_status"}


@dataclass(frozen=True)
class Point:
    """Which complaints a point of a chart counts; a field left None does not filter."""

    month: str | None = None  # cohort month, YYYY-MM
    object: str | None = None
    channel: str | None = None
    step: str | None = None  # "ack" or "response"
    status: str | None = None  # a key of STATUS_LABELS; needs `step`

    def __post_init__(self) -> None:
        if self.month is not None:
            parse_month(self.month)
        if self.step is not None and self.step not in STEPS:
            raise ValueError(f"unknown step {self.step!r}")
        if self.status is not None and (self.status not in STATUSES or self.step is None):
            raise ValueError(f"status {self.status!r} needs a known step")

    def key(self) -> str:
        """The point as a short text for a chart's `customdata`: `month=2025-03&step=ack`."""
        return urlencode({f.name: v for f in fields(self) if (v := getattr(self, f.name))})

    @classmethod
    def parse(cls, text: str) -> Point:
        """The point of `key()`; ValueError for a text no chart writes."""
        names = {f.name for f in fields(cls)}
        values = dict(parse_qsl(text, strict_parsing=True))
        if not values or set(values) - names:
            raise ValueError(f"not a chart point: {text!r}")
        return cls(**values)

    def within(self, base: Point) -> Point:
        """This point, its empty fields filled from `base` (what the whole chart is about)."""
        filled = {f.name: getattr(self, f.name) or getattr(base, f.name) for f in fields(self)}
        return replace(self, **filled)


def point_of(selected: Any) -> Point | None:
    """The point of one Plotly selection entry (its `customdata`, a key or a one-item list);
    None when it carries no key (a shading, a reference line)."""
    data = selected.get("customdata") if isinstance(selected, dict) else None
    if isinstance(data, list | tuple):
        data = data[0] if data else None
    if not isinstance(data, str):
        return None
    try:
        return Point.parse(data)
    except ValueError:
        return None


def _point_sql(scope: Scope, point: Point) -> tuple[str, dict[str, Any]]:
    cases, params = scoped_cases(scope)
    clauses = ["is_complaint"]
    if point.month is not None:
        clauses.append("cohort_month = $point_month")
        params["point_month"] = parse_month(point.month)
    for column in ("object", "channel"):
        value = getattr(point, column)
        if value is not None:
            clauses.append(f"{column} = $point_{column}")
            params[f"point_{column}"] = value
    if point.step is not None and point.status is not None:
        clauses.append(f"{STEPS[point.step]} = $point_status")
        params["point_status"] = point.status
    return f"SELECT * FROM ({cases}) WHERE {' AND '.join(clauses)}", params


def count_point_cases(store: Store, scope: Scope, point: Point) -> int:
    """How many complaints the point counts."""
    sql, params = _point_sql(scope, point)
    with store.cursor() as cur:
        row = fetch_one(cur, f"SELECT count(*) FROM ({sql})", params)
    return int(row[0]) if row else 0


def point_cases(
    store: Store, scope: Scope, point: Point, *, limit: int | None = 50, offset: int = 0
) -> pd.DataFrame:
    """The complaints the point counts, oldest received first, with both deadlines and their
    statuses as `case_status` gives them. `limit=None` returns every row."""
    sql, params = _point_sql(scope, point)
    page = ""
    if limit is not None:
        page = "LIMIT $limit OFFSET $offset"
        params |= {"limit": int(limit), "offset": int(offset)}
    with store.cursor() as cur:
        return cur.execute(
            f"""SELECT reference, received_on, channel, object, handler,
                       ack_due, ack_status, answer_due, answer_status, mediator_referred_on
                FROM ({sql}) ORDER BY received_on, reference {page}""",
            params,
        ).df()


POINT_COLUMNS = {
    "reference": "Référence",
    "received_on": "Reçue le",
    "channel": "Canal",
    "object": "Objet",
    "handler": "Gestionnaire",
    "ack_due": "Échéance AR",
    "ack_status": "Accusé de réception",
    "answer_due": "Échéance réponse",
    "answer_status": "Réponse",
    "mediator_referred_on": "Saisine du médiateur",
}
POINT_DATES = ("received_on", "ack_due", "answer_due", "mediator_referred_on")


def readable_point_cases(frame: pd.DataFrame) -> pd.DataFrame:
    """`point_cases` for a person: French column names, labels for codes, dates as `date`."""
    objects = object_vocabulary(tuple(str(o) for o in frame["object"].dropna().unique()))
    out: dict[str, Any] = {}
    for column, title in POINT_COLUMNS.items():
        values = frame[column]
        if column in POINT_DATES:
            values = pd.to_datetime(values).dt.date.astype(object)
            values = values.where(values.notna(), None)
        elif column == "channel":
            values = values.map(lambda v: label(CHANNELS, v))
        elif column == "object":
            values = values.map(lambda v: label(objects, v))
        elif column == "handler":
            values = values.fillna("Non attribué")
        elif column.endswith("_status"):
            values = values.map(CASE_STATUS_LABELS)
        out[title] = values
    return pd.DataFrame(out).reset_index(drop=True)


def point_title(point: Point, objects: dict[str, Any] | None = None) -> str:
    """What the point counts, in French: `Réclamations reçues en mars 2025, objet « … »,
    accusé de réception : en retard`."""
    head = "Réclamations"
    if point.month is not None:
        head += f" reçues en {month_label(point.month, long=True)}"
    parts = [head]
    if point.object is not None:
        names = objects or object_vocabulary((point.object,))
        parts.append(f"objet « {label(names, point.object)} »")
    if point.channel is not None:
        parts.append(f"canal « {label(CHANNELS, point.channel)} »")
    if point.step is not None and point.status is not None:
        step = "accusé de réception" if point.step == "ack" else "réponse"
        parts.append(f"{step} : {STATUS_LABELS[point.status].lower()}")
    return ", ".join(parts)
