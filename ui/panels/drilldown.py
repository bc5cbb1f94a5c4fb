"""From a figure to the cases: a chart whose bars and points can be clicked, and below it the
complaints behind the clicked point (`drilldown.point_cases`), each reference a link to its case,
with a download for French Excel."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from cpms_metrics.access import Access, mask_nirs_in_frame
from cpms_metrics.charts import rate_chart, status_chart
from cpms_metrics.drilldown import (
    POINT_COLUMNS,
    POINT_DATES,
    Point,
    point_cases,
    point_of,
    point_title,
    readable_point_cases,
)
from cpms_metrics.formats import format_date
from cpms_metrics.worklist import to_csv_bytes
from ui import auth, data
from ui.filters import Filters
from ui.format import count_noun, md
from ui.panels.common import REFERENCE, case_links, reference_link
from ui.widgets import PLOTLY_CONFIG, PROVISIONAL_CAPTION, no_data, paged, withheld_list

HINT = (
    ":material/touch_app: Cliquez sur une barre ou un point d'un graphique pour lister ses "
    "dossiers ici."
)


LAST_CLICKED = "drilldown_last_clicked"  # the key of the chart clicked last


@dataclass(frozen=True)
class Clicked:
    """A chart's clicked point: the chart's key and the complaints the point counts."""

    key: str
    point: Point


def selected_point(event: Any) -> Point | None:
    """The first clicked point of a chart's selection that names its cases, if any."""
    selection = getattr(event, "selection", None) or {}
    for entry in selection.get("points", []):
        if (point := point_of(entry)) is not None:
            return point
    return None


def drill_chart(fig: go.Figure, key: str, base: Point | None = None) -> Clicked | None:
    """A chart whose points can be clicked: the clicked point (its empty fields filled from
    `base`, what the whole chart is about), for `cases_below` to list under the charts."""
    event = st.plotly_chart(
        fig, width="stretch", config=PLOTLY_CONFIG, key=key, on_select=partial(_remember, key),
        selection_mode="points",
    )  # fmt: skip
    point = selected_point(event)
    return None if point is None else Clicked(key, point.within(base or Point()))


def _remember(key: str) -> None:
    st.session_state[LAST_CLICKED] = key


def cases_below(filters: Filters, who: Access, *clicked: Clicked | None) -> None:
    """Under a row of charts, full width: the cases behind the point clicked last among them
    (each chart keeps its own selection), or how to get them."""
    points = [c for c in clicked if c is not None]
    last = st.session_state.get(LAST_CLICKED)
    chosen = next((c for c in points if c.key == last), points[0] if points else None)
    if chosen is None:
        st.caption(HINT)
        return
    cases_behind(filters, who, chosen.point, chosen.key)


def _table(frame: pd.DataFrame) -> None:
    shown = readable_point_cases(frame)
    for column in (POINT_COLUMNS[c] for c in POINT_DATES):  # blank when missing, never "None"
        shown[column] = shown[column].map(lambda d: "" if d is None else format_date(d))
    shown[REFERENCE] = case_links(frame["reference"])
    st.dataframe(
        mask_nirs_in_frame(shown), hide_index=True, width="stretch", height="content",
        column_config={REFERENCE: reference_link()},
    )  # fmt: skip


def cases_behind(filters: Filters, who: Access, point: Point, key: str) -> None:
    """The complaints a chart's point counts: paged, linked, downloadable (logged); only their
    number for a role that may not see lists of cases."""
    scope = filters.scope()
    total: int = data.read("count_point_cases", scope, point)
    title = point_title(point)
    with st.container(border=True):
        st.markdown(
            f"**:material/list: {md(title)}** — {count_noun(total, 'réclamation', 'réclamations')}"
        )
        if not total:
            no_data("Aucune réclamation derrière ce point.")
            return
        if not who.may_see_case_lists:
            withheld_list(total)
            return
        paged(
            f"{key}_cases", total,
            lambda limit, offset: data.read("point_cases", scope, point, limit=limit,
                                            offset=offset),
            _table, "réclamations",
        )  # fmt: skip
        store = data.store()

        def build() -> bytes:
            return to_csv_bytes(readable_point_cases(point_cases(store, scope, point, limit=None)))

        st.download_button(
            "CSV pour Excel", auth.audited_export(build, f"{title}, {total} dossiers, CSV"),
            "dossiers.csv", "text/csv", on_click="ignore", icon=":material/download:",
            help="Point-virgule, UTF-8, dates JJ/MM/AAAA.", key=f"{key}_csv",
        )  # fmt: skip


def monthly_compliance(
    filters: Filters, who: Access, step: str, series: tuple[tuple[str, str, str], ...]
) -> None:
    """Compliance per month beside the statuses per month, for `step` ("ack" or "response");
    a click on a month or a status lists its cases under both."""
    months = data.monthly(filters)
    left, right = st.columns(2)
    with left:
        st.subheader("Conformité par mois")
        rates = rate_chart(months, filters.months, filters.as_of, series)
        by_month = drill_chart(rates, f"{step}_rates")
    with right:
        st.subheader("Statuts par mois")
        statuses = status_chart(months, filters.months, filters.as_of, step)
        by_status = drill_chart(statuses, f"{step}_statuses")
    st.caption(PROVISIONAL_CAPTION)
    cases_below(filters, who, by_status, by_month)
