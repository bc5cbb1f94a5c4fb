"""Case-level reads for the dashboard pages: open complaints with their next deadline, lists of
late cases, distributions of delays and the time-to-answer curve.

Like queries.py, every read goes through `queries.scoped_cases(scope)` (the one place filters
apply), binds its values and picks columns from fixed lists; lists are counted and paged in SQL.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd

from .access import mask_nirs, needs_neutralising, neutralise
from .fields import (
    CHANNELS,
    MEDIATORS,
    RISK_CARRIERS,
    cause_vocabulary,
    label,
    object_vocabulary,
)
from .queries import DUE_SOON_DAYS, Scope, scoped_cases
from .schema import fetch_one
from .store import Store
from .validation import mask_nir

# Open complaints by how close their next deadline is, most urgent first.
BANDS = {
    "overdue": "Hors délai",
    "due_3": "≤ 3 jours",
    "due_10": "≤ 10 jours",
    "later": "Plus de 10 jours",
}
STEPS = {"ack": "Accusé de réception", "answer": "Réponse"}
UNASSIGNED = ""  # handler filter value for cases nobody handles yet

# The band of an open complaint reads its statuses from case_status: a case with an overdue step
# is "Hors délai", the others by days to their next deadline, so that the bands add up to the
# backlog of queries.kpis (rules §7): "Hors délai" counts the open cases with an overdue
# acknowledgement or answer, "≤ 3 jours" is `due_within_3_days`, the four bands are `open`.
_OPEN_CASES = f"""
    SELECT reference, received_on, channel, object, cause, dysfunction, handler, company,
        risk_carrier, last_name, first_name, nir, ack_due, answer_due, ack_done_on,
        ack_status, answer_status, next_step, next_due,
        $as_of - received_on AS open_days,
        next_due - $as_of AS days_left,
        CASE WHEN ack_status = 'overdue' OR answer_status = 'overdue' THEN 'overdue'
             WHEN next_due - $as_of <= {DUE_SOON_DAYS} THEN 'due_3'
             WHEN next_due - $as_of <= 10 THEN 'due_10'
             ELSE 'later' END AS band
    FROM ({{cases}})
    WHERE is_open
"""
_OPEN_ORDER = "ORDER BY next_due, received_on, reference"


def _open_cases(
    scope: Scope, bands: Sequence[str], handler: str | None
) -> tuple[str, dict[str, Any]]:
    cases, params = scoped_cases(scope)
    clauses = []
    if bands:
        unknown = set(bands) - set(BANDS)
        if unknown:
            raise ValueError(f"unknown bands {sorted(unknown)}")
        clauses.append("list_contains($bands, band)")
        params["bands"] = list(bands)
    if handler is not None:
        clauses.append("coalesce(handler, '') = $handler")
        params["handler"] = handler
    where = " AND ".join(clauses) or "TRUE"
    return f"SELECT * FROM ({_OPEN_CASES.format(cases=cases)}) WHERE {where}", params


def open_case_bands(store: Store, scope: Scope) -> dict[str, int]:
    """Open complaints per band (every band present, zero included). Over `backlog_scope(scope)`,
    "overdue" counts the backlog's open cases with an overdue step, "due_3" its
    `due_within_3_days`, and the bands add up to its `open`."""
    sql, params = _open_cases(scope, (), None)
    with store.cursor() as cur:
        rows = cur.execute(f"SELECT band, count(*) FROM ({sql}) GROUP BY 1", params).fetchall()
    found = {str(band): int(count) for band, count in rows}
    return {band: found.get(band, 0) for band in BANDS}


def open_case_handlers(store: Store, scope: Scope) -> dict[str, int]:
    """Open complaints per handler (UNASSIGNED for none), by name."""
    sql, params = _open_cases(scope, (), None)
    with store.cursor() as cur:
        rows = cur.execute(
            f"SELECT coalesce(handler, '') AS h, count(*) FROM ({sql}) GROUP BY 1 ORDER BY 1",
            params,
        ).fetchall()
    return {str(h): int(n) for h, n in rows}


def count_open_cases(
    store: Store, scope: Scope, *, bands: Sequence[str] = (), handler: str | None = None
) -> int:
    sql, params = _open_cases(scope, bands, handler)
    with store.cursor() as cur:
        row = fetch_one(cur, f"SELECT count(*) FROM ({sql})", params)
    return int(row[0]) if row else 0


def open_cases(
    store: Store,
    scope: Scope,
    *,
    bands: Sequence[str] = (),
    handler: str | None = None,
    limit: int | None = 50,
    offset: int = 0,
) -> pd.DataFrame:
    """Open complaints, most urgent first: overdue ones (the longest overdue first), then by due
    date. `next_step` is the deadline still to meet first ('ack' until acknowledged, then
    'answer'); `days_left` is negative once it has passed. `limit=None` returns every row."""
    sql, params = _open_cases(scope, bands, handler)
    page = ""
    if limit is not None:
        page = "LIMIT $limit OFFSET $offset"
        params |= {"limit": int(limit), "offset": int(offset)}
    with store.cursor() as cur:
        return cur.execute(f"SELECT * FROM ({sql}) {_OPEN_ORDER} {page}", params).df()


# --- Lists of cases -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _CaseList:
    where: str
    columns: str
    order: str


_STEP_COLUMNS = {
    step: f"""reference, received_on, channel, object, handler, {step}_due AS due,
        {step}_done_on AS done_on, {step}_status AS status,
        coalesce({step}_done_on, $as_of) - {step}_due AS days_late"""
    for step in ("ack", "answer")
}
CASE_LISTS = {
    # Late or overdue acknowledgements / answers: the ones still open first, longest late first.
    "ack_late": _CaseList(
        "ack_status IN ('late', 'overdue')",
        _STEP_COLUMNS["ack"],
        "ORDER BY status = 'late', days_late DESC, reference",
    ),
    "answer_late": _CaseList(
        "answer_status IN ('late', 'overdue')",
        _STEP_COLUMNS["answer"],
        "ORDER BY status = 'late', days_late DESC, reference",
    ),
    # "Mauvaise orientation" (rules §4, §9): case_status' `misrouted`, the one definition.
    "misrouted": _CaseList(
        "misrouted",
        """reference, received_on, object, risk_carrier, mediator, derived_mediator,
           mediator_referred_on, handler""",
        "ORDER BY mediator_referred_on DESC, reference",
    ),
}


def _case_list(scope: Scope, name: str) -> tuple[_CaseList, str, dict[str, Any]]:
    if name not in CASE_LISTS:
        raise ValueError(f"unknown case list {name!r}")
    spec = CASE_LISTS[name]
    cases, params = scoped_cases(scope)
    return spec, f"SELECT * FROM ({cases}) WHERE is_complaint AND ({spec.where})", params


def count_cases(store: Store, scope: Scope, name: str) -> int:
    """How many complaints the list `name` (a key of CASE_LISTS) holds."""
    _, sql, params = _case_list(scope, name)
    with store.cursor() as cur:
        row = fetch_one(cur, f"SELECT count(*) FROM ({sql})", params)
    return int(row[0]) if row else 0


def list_cases(
    store: Store, scope: Scope, name: str, *, limit: int = 50, offset: int = 0
) -> pd.DataFrame:
    """One page of the list `name` (a key of CASE_LISTS)."""
    spec, sql, params = _case_list(scope, name)
    params |= {"limit": int(limit), "offset": int(offset)}
    with store.cursor() as cur:
        return cur.execute(
            f"SELECT {spec.columns} FROM ({sql}) {spec.order} LIMIT $limit OFFSET $offset", params
        ).df()


# --- Distributions ------------------------------------------------------------------------------

_DAYS = {"ack": ("ack_days", "ack_status"), "answer": ("answer_days", "answer_status")}


def delay_distribution(store: Store, scope: Scope, step: str) -> pd.DataFrame:
    """Complaints done by `as_of` per number of days from clock start (`days`) and status."""
    if step not in _DAYS:
        raise ValueError(f"unknown step {step!r}")
    days, status = _DAYS[step]
    cases, params = scoped_cases(scope)
    with store.cursor() as cur:
        return cur.execute(
            f"""SELECT {days} AS days, {status} AS status, count(*) AS cases FROM ({cases})
                WHERE is_complaint AND {days} IS NOT NULL GROUP BY ALL ORDER BY 1, 2""",
            params,
        ).df()


def answer_durations(store: Store, scope: Scope) -> pd.DataFrame:
    """Complaints per days from clock start to answer (`answered`) or, still open, to `as_of`."""
    cases, params = scoped_cases(scope)
    with store.cursor() as cur:
        return cur.execute(
            f"""SELECT CASE WHEN answer_done_on IS NULL THEN $as_of - clock_start
                            ELSE answer_days END AS days,
                       answer_done_on IS NOT NULL AS answered,
                       count(*) AS cases
                FROM ({cases}) WHERE is_complaint GROUP BY ALL ORDER BY 1, 2""",
            params,
        ).df()


def time_to_answer(durations: pd.DataFrame) -> pd.DataFrame:
    """Kaplan-Meier estimate of the share of complaints answered by each day.

    `durations` is `answer_durations`' frame. Open complaints are censored at `as_of`: they count
    as not yet answered while they are observed, and drop out after, so that recent complaints do
    not pull the curve down. Columns: day, at_risk, answered, censored, answered_share.
    """
    columns = ["day", "at_risk", "answered", "censored", "answered_share"]
    if durations.empty:
        return pd.DataFrame(columns=columns)
    frame = durations.assign(days=durations["days"].astype(int), cases=durations["cases"])
    events = frame[frame["answered"]].groupby("days")["cases"].sum()
    censored = frame[~frame["answered"]].groupby("days")["cases"].sum()
    days = sorted(set(events.index) | set(censored.index))
    at_risk = int(frame["cases"].sum())
    survival = 1.0
    rows = []
    for day in days:
        answered, dropped = int(events.get(day, 0)), int(censored.get(day, 0))
        if answered:
            survival *= 1 - answered / at_risk
        rows.append((day, at_risk, answered, dropped, 1 - survival))
        at_risk -= answered + dropped
    return pd.DataFrame(rows, columns=columns)


def answered_by(curve: pd.DataFrame, day: int) -> float | None:
    """Share answered by `day` on a `time_to_answer` curve; None when no complaint was observed
    that long."""
    if curve.empty or int(curve["day"].max()) < day:
        return None
    reached = curve[curve["day"] <= day]
    return float(reached["answered_share"].iloc[-1]) if len(reached) else 0.0


def referral_delays(store: Store, scope: Scope) -> pd.DataFrame:
    """Escalated complaints per number of days from receipt to the mediator's referral."""
    cases, params = scoped_cases(scope)
    with store.cursor() as cur:
        return cur.execute(
            f"""SELECT mediator_referred_on - received_on AS days, count(*) AS cases
                FROM ({cases}) WHERE is_complaint AND escalated GROUP BY ALL ORDER BY 1""",
            params,
        ).df()


def referral_delay_stats(store: Store, scope: Scope) -> dict[str, float | None]:
    """Median and 90th percentile of days from receipt to referral (None without referrals)."""
    cases, params = scoped_cases(scope)
    with store.cursor() as cur:
        row = fetch_one(
            cur,
            f"""SELECT quantile_cont(mediator_referred_on - received_on, 0.5),
                       quantile_cont(mediator_referred_on - received_on, 0.9)
                FROM ({cases}) WHERE is_complaint AND escalated""",
            params,
        )
    median, p90 = row if row else (None, None)
    return {
        "median_days": None if median is None else float(median),
        "p90_days": None if p90 is None else float(p90),
    }


# --- What the filters can offer -----------------------------------------------------------------


def data_bounds(store: Store) -> tuple[date | None, date | None, int]:
    """First and last day of receipt on record, and how many records there are."""
    with store.cursor() as cur:
        row = fetch_one(cur, "SELECT min(received_on), max(received_on), count(*) FROM complaints")
    if row is None:
        return None, None, 0
    return row[0], row[1], int(row[2])


def companies(store: Store) -> list[str]:
    with store.cursor() as cur:
        rows = cur.execute(
            "SELECT DISTINCT company FROM complaints WHERE company IS NOT NULL ORDER BY 1"
        ).fetchall()
    return [str(r[0]) for r in rows]


# --- Export of the open cases -------------------------------------------------------------------

EXPORT_COLUMNS = {
    "reference": "Référence",
    "band": "Situation",
    "next_step": "Prochaine étape",
    "next_due": "Échéance",
    "days_late": "Jours de retard",
    "days_left": "Jours restants",
    "received_on": "Reçue le",
    "open_days": "Ouverte depuis (jours)",
    "ack_due": "Échéance AR",
    "answer_due": "Échéance réponse",
    "channel": "Canal",
    "object": "Objet",
    "cause": "Cause",
    "dysfunction": "Dysfonctionnement",
    "handler": "Gestionnaire",
    "company": "Entreprise / Souscripteur",
    "risk_carrier": "Porteur de risque",
    "last_name": "Nom",
    "first_name": "Prénom",
    "nir": "NIR (masqué)",
}
EXPORT_DATES = ("next_due", "received_on", "ack_due", "answer_due")


def readable_open_cases(frame: pd.DataFrame) -> pd.DataFrame:
    """`open_cases` for a person: French column names, labels for codes, the NIR masked."""
    objects = object_vocabulary(tuple(str(o) for o in frame["object"].dropna().unique()))
    causes = cause_vocabulary(tuple(str(c) for c in frame["cause"].dropna().unique()))
    readers: dict[str, Callable[[Any], str | None]] = {
        "band": BANDS.get,
        "next_step": STEPS.get,
        "channel": lambda v: label(CHANNELS, v),
        "object": lambda v: label(objects, v),
        "cause": lambda v: label(causes, v),
        "risk_carrier": lambda v: label(RISK_CARRIERS, v),
        "nir": lambda v: mask_nir(str(v)),
    }
    # Lateness reads positive: days past the deadline, or days left before it, never both.
    late = (-frame["days_left"]).where(frame["days_left"] < 0).astype("Int64")
    frame = frame.assign(
        days_late=late, days_left=frame["days_left"].where(frame["days_left"] >= 0).astype("Int64")
    )
    out: dict[str, Any] = {}
    for column, title in EXPORT_COLUMNS.items():
        values = frame[column]
        if column in readers:
            read = readers[column]
            values = values.map(lambda v, read=read: "" if _missing(v) else read(v))
        elif column in EXPORT_DATES:
            values = pd.to_datetime(values).dt.date
        out[title] = values
    return pd.DataFrame(out).reset_index(drop=True)


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """CSV that French Excel opens as it is: UTF-8 with BOM, `;`, dates as DD/MM/YYYY, no text
    cell that a spreadsheet would run as a formula (`access.neutralise`) and no full NIR, whatever
    the column (`access.mask_nirs`)."""
    text = frame.copy()
    for column in text.columns:
        values = text[column].dropna()
        if len(values) and isinstance(values.iloc[0], date):
            text[column] = text[column].map(lambda d: "" if _missing(d) else f"{d:%d/%m/%Y}")
        else:
            text[column] = text[column].map(lambda v: neutralise(mask_nirs(v)))
    text.columns = [neutralise(mask_nirs(str(c))) for c in text.columns]
    buffer = io.StringIO()
    text.to_csv(buffer, sep=";", index=False, lineterminator="\r\n")
    return buffer.getvalue().encode("utf-8-sig")


def to_xlsx_bytes(frame: pd.DataFrame, sheet: str = "Dossiers") -> bytes:
    """An Excel workbook of `frame`: bold frozen header, dates shown as DD/MM/YYYY; printed
    landscape, fitted to the page's width, the header repeated on every page. A text that
    a spreadsheet would run as a formula is kept as it is, stored as text and marked so
    ("quote prefix"): Excel shows it, never runs it, even once the cell is edited. No full NIR,
    whatever the column (`access.mask_nirs`)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    ws = workbook.active
    ws.title = sheet
    ws.append([mask_nirs(str(c)) for c in frame.columns])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for record in frame.itertuples(index=False):
        ws.append([None if _missing(v) else mask_nirs(v) for v in record])
    for row in ws.iter_rows():
        for cell in row:
            if needs_neutralising(cell.value):
                cell.data_type = "s"  # openpyxl writes a text starting with "=" as a formula
                cell.quotePrefix = True
    for index, column in enumerate(frame.columns, start=1):
        letter = ws.cell(row=1, column=index).column_letter
        values = frame[column].dropna()
        if len(values) and isinstance(values.iloc[0], date):
            for cell in ws[letter][1:]:
                cell.number_format = "DD/MM/YYYY"
        width = max([len(str(column)), *(len(str(v)) for v in values.head(200))])
        ws.column_dimensions[letter].width = min(max(10, width + 2), 45)
    ws.freeze_panes = "A2"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # as many pages down as it takes
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = "1:1"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _missing(value: Any) -> bool:
    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))


def mediator_label(value: str | None) -> str:
    if value is None or value == "inconnu":
        return "Inconnu"
    return label(MEDIATORS, value)
