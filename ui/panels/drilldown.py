"""From a figure to the cases: a chart whose bars and points can be clicked, and below it the
complaints behind the clicked point (`drilldown.point_cases`), each reference a link to its case,
with a download for French Excel."""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from cpms_metrics.access import Access, mask_nirs_in_frame
from cpms_metrics.charts import rate_chart, status_chart
from cpms_metrics.drilldown import Point, point_cases, point_of, point_title, readable_point_cases
from cpms_metrics.formats import format_date
from cpms_metrics.worklist import to_csv_bytes
from ui import auth, data
from ui.filters import Filters
from ui.format import count_noun, md
from ui.panels.common import REFERENCE, case_links, reference_link
from ui.widgets import PLOTLY_CONFIG, PROVISIONAL_CAPTION, no_data, paged, withheld_list

HINT = ":material/touch_app: Cliquez sur une barre ou un point pour lister les dossiers."


def selected_point(event: Any) -> Point | None:
    """The first clicked point of a chart's selection that names its cases, if any."""
    selection = getattr(event, "selection", None) or {}
    for entry in selection.get("points", []):
        if (point := point_of(entry)) is not None:
            return point
    return None


def drill_chart(
    fig: go.Figure, key: str, filters: Filters, who: Access, base: Point | None = None
) -> None:
    """A chart whose points can be clicked; the complaints behind the clicked one are listed
    below it. `base` says what the whole chart is about (e.g. one step)."""
    event = st.plotly_chart(
        fig, width="stretch", config=PLOTLY_CONFIG, key=key, on_select="rerun",
        selection_mode="points",
    )  # fmt: skip
    point = selected_point(event)
    if point is None:
        st.caption(HINT)
        return
    cases_behind(filters, who, point.within(base or Point()), key)


def _table(frame: pd.DataFrame) -> None:
    shown = readable_point_cases(frame)
    for column in shown.columns:
        if shown[column].map(lambda v: hasattr(v, "isoformat")).any():
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
    a click on a month or a status lists its cases."""
    months = data.monthly(filters)
    left, right = st.columns(2)
    with left:
        st.subheader("Conformité par mois")
        rates = rate_chart(months, filters.months, filters.as_of, series)
        drill_chart(rates, f"{step}_rates", filters, who)
    with right:
        st.subheader("Statuts par mois")
        statuses = status_chart(months, filters.months, filters.as_of, step)
        drill_chart(statuses, f"{step}_statuses", filters, who)
    st.caption(PROVISIONAL_CAPTION)
