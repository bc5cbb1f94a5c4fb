"""Cached accessors: every figure a page shows comes through here, from `cpms_metrics`.

The store opens a connection per query and closes it (`keep_open=False`), so a nightly import can
write to the file while the dashboard is open; results are cached on the file's data version, so
the next interaction after an import shows the new data. A `CpmsError` met on the way is shown
as an error with its title and stops the page.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, NoReturn

import pandas as pd
import streamlit as st

from cpms_metrics import (
    CpmsError,
    Store,
    access,
    cases,
    demo,
    open_store,
    queries,
    worklist,
)
from cpms_metrics import dysfunctions as dys
from cpms_metrics.access import PersonalData
from cpms_metrics.casefile import case_deadlines, known_handlers
from cpms_metrics.drilldown import count_point_cases, point_cases
from cpms_metrics.ingest import import_log
from cpms_metrics.quality import finding_cases, findings_by_kind, findings_by_month
from cpms_metrics.queries import Scope
from cpms_metrics.settings import Settings, load_settings
from ui import clock
from ui.filters import Filters

SAMPLE_PATH = Path(__file__).resolve().parent.parent / "sample_data" / "complaints.csv"


def _stop(exc: CpmsError) -> NoReturn:
    st.error(f"**{exc.title}** — {exc.message}", icon=":material/error:")
    st.stop()


def settings() -> Settings:
    try:
        return load_settings()
    except CpmsError as exc:
        _stop(exc)


@st.cache_resource(show_spinner="Préparation de la base de données…")
def _open(path: str) -> Store:
    """The store at `path`; on the very first run (no file yet) it is filled with the sample."""
    first_run = not Path(path).exists()
    config = load_settings()
    store = open_store(path, config, keep_open=False)
    if first_run and SAMPLE_PATH.exists():
        now = clock.now()
        demo.load_sample(
            store, SAMPLE_PATH, today=clock.today(now), imported_at=now, objects=config.objects
        )
    return store


def store() -> Store:
    try:
        return _open(str(settings().db_path))
    except CpmsError as exc:
        _stop(exc)


# The one cache registry of the app: (database, data version, query name, arguments) -> result.
# Figures take a Scope first (`_call`); the case pages' reads take what they need (`read`).
_QUERIES: dict[str, Callable[..., Any]] = {
    "kpis": lambda s, scope: queries.kpis(s, as_of=scope.as_of, scope=scope),
    "summary": queries.summarise,
    "monthly": queries.monthly,
    "monthly_by": queries.monthly_by,
    "bands": worklist.open_case_bands,
    "handlers": worklist.open_case_handlers,
    "count_open": worklist.count_open_cases,
    "open_cases": worklist.open_cases,
    "count_cases": worklist.count_cases,
    "list_cases": worklist.list_cases,
    "delays": worklist.delay_distribution,
    "answer_durations": worklist.answer_durations,
    "referral_delays": worklist.referral_delays,
    "referral_stats": worklist.referral_delay_stats,
    "months": queries.months_with_complaints,
    "count_point_cases": count_point_cases,
    "point_cases": point_cases,
    # The case pages (Suivi des dossiers, Import, Qualité des données).
    "find_cases": cases.find_cases,
    "case": cases.get_case,
    "deadlines": case_deadlines,
    "history": cases.case_history,
    "attachments": cases.case_attachments,
    "case_findings": cases.case_findings,
    "handlers_known": known_handlers,
    "imports": import_log,
    "by_kind": findings_by_kind,
    "by_month": findings_by_month,
    "finding_cases": finding_cases,
    # ACPR 2024-R-02: members who complain again and again, the dysfunctions register.
    "repeat_count": dys.count_repeat_complainants,
    "repeat_list": dys.repeat_complainants,
    "dysfunctions": dys.list_dysfunctions,
}


@st.cache_data(show_spinner=False, max_entries=1024)
def _cached(path: str, version: str, name: str, *args: Any, **kwargs: Any) -> Any:
    return _QUERIES[name](_open(path), *args, **kwargs)


def read(name: str, *args: Any, **kwargs: Any) -> Any:
    """A read of `_QUERIES` with its own arguments, cached until the database file changes; a
    CpmsError stops the page."""
    current = store()
    try:
        return _cached(str(current.path), current.data_version(), name, *args, **kwargs)
    except CpmsError as exc:
        _stop(exc)


def _call(name: str, filters: Filters | Scope, *args: Any, **kwargs: Any) -> Any:
    current = store()
    scope = filters if isinstance(filters, Scope) else filters.scope()
    try:
        return _cached(str(current.path), current.data_version(), name, scope, *args, **kwargs)
    except CpmsError as exc:
        _stop(exc)


def open_scope(filters: Filters, in_period: bool = False) -> Scope:
    """Which open complaints the worklist is about: the backlog (rules §7, every complaint
    received by the as-of date, whatever the period; the other filters kept), or, when asked,
    only those received in the period."""
    return filters.scope() if in_period else queries.backlog_scope(filters.scope())


# --- About the database -------------------------------------------------------------------------


@dataclass(frozen=True)
class DataInfo:
    first_day: date | None
    last_day: date | None
    records: int
    companies: tuple[str, ...]
    is_sample: bool

    @property
    def first_month(self) -> str | None:
        return None if self.first_day is None else self.first_day.strftime("%Y-%m")


@st.cache_data(show_spinner=False, max_entries=16)
def _info(path: str, version: str) -> DataInfo:
    current = _open(path)
    first, last, records = worklist.data_bounds(current)
    return DataInfo(
        first, last, records, tuple(worklist.companies(current)), demo.is_sample(current)
    )


def info() -> DataInfo:
    current = store()
    try:
        return _info(str(current.path), current.data_version())
    except CpmsError as exc:
        _stop(exc)


# --- Figures ------------------------------------------------------------------------------------


def months_with_complaints(filters: Filters) -> list[str]:
    """The months holding complaints, whatever the period chosen (the other filters kept)."""
    result: list[str] = _call("months", filters)
    return result


def kpis(filters: Filters) -> dict[str, Any]:
    """docs/regles.md §6, exactly as `python -m cpms_metrics kpis --json` gives it."""
    result: dict[str, Any] = _call("kpis", filters)
    return result


def summary(filters: Filters, by: str | None = None) -> pd.DataFrame:
    frame: pd.DataFrame = _call("summary", filters, by)
    return frame


def monthly(filters: Filters) -> pd.DataFrame:
    frame: pd.DataFrame = _call("monthly", filters)
    return frame


def monthly_by_object(filters: Filters, objects: Sequence[str]) -> dict[str, pd.DataFrame]:
    """`monthly` for each object (one scan), in the order of `objects`."""
    parts: dict[str, pd.DataFrame] = _call("monthly_by", filters, "object")
    return {key: parts[key] for key in objects}


# The open complaints: the backlog by default, those received in the period when `in_period`.


def open_case_bands(filters: Filters, in_period: bool = False) -> dict[str, int]:
    bands: dict[str, int] = _call("bands", open_scope(filters, in_period))
    return bands


def open_case_handlers(filters: Filters, in_period: bool = False) -> dict[str, int]:
    handlers: dict[str, int] = _call("handlers", open_scope(filters, in_period))
    return handlers


def count_open_cases(
    filters: Filters, bands: Sequence[str], handler: str | None, in_period: bool = False
) -> int:
    count: int = _call(
        "count_open", open_scope(filters, in_period), bands=tuple(bands), handler=handler
    )
    return count


def open_cases(
    filters: Filters,
    bands: Sequence[str],
    handler: str | None,
    limit: int | None,
    offset: int,
    in_period: bool = False,
) -> pd.DataFrame:
    frame: pd.DataFrame = _call(
        "open_cases", open_scope(filters, in_period), bands=tuple(bands), handler=handler,
        limit=limit, offset=offset,
    )  # fmt: skip
    return frame


def count_cases(filters: Filters, name: str) -> int:
    count: int = _call("count_cases", filters, name)
    return count


def list_cases(filters: Filters, name: str, limit: int, offset: int) -> pd.DataFrame:
    frame: pd.DataFrame = _call("list_cases", filters, name, limit=limit, offset=offset)
    return frame


def delay_distribution(filters: Filters, step: str) -> pd.DataFrame:
    frame: pd.DataFrame = _call("delays", filters, step)
    return frame


def time_to_answer(filters: Filters) -> pd.DataFrame:
    return worklist.time_to_answer(_call("answer_durations", filters))


def referral_delays(filters: Filters) -> pd.DataFrame:
    frame: pd.DataFrame = _call("referral_delays", filters)
    return frame


def referral_delay_stats(filters: Filters) -> dict[str, float | None]:
    stats: dict[str, float | None] = _call("referral_stats", filters)
    return stats


def open_cases_files(
    filters: Filters,
    bands: Sequence[str],
    handler: str | None,
    personal_data: PersonalData,
    in_period: bool = False,
) -> tuple[Callable[[], bytes], Callable[[], bytes]]:
    """CSV and XLSX of every open case the worklist shows, with the personal data the role may
    see (`access.redact`), built only when downloaded (outside the page's run, hence straight
    from the domain)."""
    current, scope = store(), open_scope(filters, in_period)

    def readable() -> pd.DataFrame:
        rows = worklist.open_cases(current, scope, bands=bands, handler=handler, limit=None)
        shown = access.redact(rows, personal_data)
        # A column the role may not see is left out of the file, not exported empty.
        hidden = rows.columns.difference(shown.columns)
        withheld = [title for c, title in worklist.EXPORT_COLUMNS.items() if c in hidden]
        readable = worklist.readable_open_cases(shown.reindex(columns=rows.columns))
        return readable.drop(columns=withheld)

    return (lambda: worklist.to_csv_bytes(readable())), (lambda: worklist.to_xlsx_bytes(readable()))
