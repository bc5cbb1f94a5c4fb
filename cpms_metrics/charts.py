"""Pure functions DataFrame -> Plotly figure for the dashboard (French formats: formats.py).

Figures carry French axis titles and hover texts, `separators=", "`, and colours readable on a
light and a dark background; they set no background so that the app's theme shows through.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date

import pandas as pd
import plotly.graph_objects as go

from .definitions import STATUS_LABELS
from .formats import NNBSP, _missing, format_count, format_days, format_rate, month_label
from .months import month_end, parse_month

# --- Colours ------------------------------------------------------------------------------------

ACK_COLOUR = "#3B82F6"
ANSWER_COLOUR = "#14B8A6"
ESCALATION_COLOUR = "#D946EF"
SAME_CHANNEL_COLOUR = "#8B5CF6"
VOLUME_COLOUR = "#6366F1"
REFERENCE_COLOUR = "#94A3B8"
STATUS_COLOURS = {
    "on_time": "#22C55E",
    "late": "#F59E0B",
    "overdue": "#EF4444",
    "pending": "#94A3B8",
}
SERIES_COLOURS = ("#3B82F6", "#F59E0B", "#14B8A6", "#D946EF", "#EF4444", "#84CC16", "#A855F7")


def _layout(
    fig: go.Figure,
    *,
    x_title: str | None = None,
    y_title: str | None = None,
    height: int = 320,
    percent: bool = False,
) -> go.Figure:
    fig.update_layout(
        separators=", ",
        height=height,
        margin={"l": 8, "r": 8, "t": 40, "b": 8},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0, "title": None},
        hoverlabel={"namelength": -1},
        bargap=0.25,
    )
    fig.update_xaxes(title_text=x_title, showgrid=False)
    fig.update_yaxes(title_text=y_title, rangemode="tozero", zeroline=False)
    if percent:
        fig.update_yaxes(ticksuffix=f"{NNBSP}%")
    return fig


def empty_figure(message: str = "Aucune donnée sur la période") -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(text=message, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return _layout(fig, height=220)


# --- Monthly figures ----------------------------------------------------------------------------


_COUNTS = ("complaints", "non_complaints", "escalated", "written_answered", "same_channel")
_STATUS_SUFFIXES = ("_on_time", "_late", "_overdue", "_pending")


def complete_months(frame: pd.DataFrame, months: Sequence[str], as_of: date) -> pd.DataFrame:
    """`queries.monthly`'s frame with a row for every month of `months`: a month without records
    counts zero complaints, has no rates, and is provisional while it is not over."""
    known = frame.set_index("key") if len(frame) else pd.DataFrame(columns=frame.columns)
    rows = []
    for month in months:
        if month in known.index:
            row = known.loc[month].to_dict()
        else:
            row = {
                c: 0 if c in _COUNTS or str(c).endswith(_STATUS_SUFFIXES) else None for c in frame
            }
            row["provisional"] = month_end(parse_month(month)) > as_of
        row["key"] = month
        row["label"] = month_label(month)
        row["tick"] = month_label(month).replace(" ", "<br>")
        rows.append(row)
    if not rows:
        return pd.DataFrame(columns=[*frame.columns, "label", "tick"])
    out = pd.DataFrame(rows)
    for column in ("complaints", "escalated"):
        if column in out:
            out[column] = out[column].fillna(0).astype(int)
    out["provisional"] = out["provisional"].fillna(False).astype(bool)
    return out


def shade_provisional(fig: go.Figure, provisional: Sequence[bool]) -> None:
    """A grey band behind provisional months, labelled once."""
    labelled = False
    for index, flag in enumerate(provisional):
        if not flag:
            continue
        fig.add_vrect(
            x0=index - 0.5,
            x1=index + 0.5,
            fillcolor=REFERENCE_COLOUR,
            opacity=0.15,
            line_width=0,
            layer="below",
        )
        if not labelled:
            fig.add_annotation(
                x=index - 0.45,
                y=1,
                yref="paper",
                xanchor="left",
                yanchor="top",
                text="provisoire",
                showarrow=False,
                font={"size": 11, "color": REFERENCE_COLOUR},
            )
            labelled = True


def _complaints(count: int) -> str:
    return f"{format_count(count)} réclamation{'s' if count > 1 else ''}"


def _suffix(provisional: bool) -> str:
    return " (provisoire)" if provisional else ""


def volume_chart(frame: pd.DataFrame, months: Sequence[str], as_of: date) -> go.Figure:
    """Complaints received per cohort month; provisional months lighter and hatched."""
    data = complete_months(frame, months, as_of)
    if data.empty:
        return empty_figure()
    hover = [
        f"{label}{_suffix(p)}<br>{_complaints(n)}"
        for label, n, p in zip(data["label"], data["complaints"], data["provisional"], strict=True)
    ]
    fig = go.Figure(
        go.Bar(
            x=data["tick"],
            y=data["complaints"],
            marker={
                "color": VOLUME_COLOUR,
                "opacity": [0.45 if p else 0.9 for p in data["provisional"]],
                "pattern": {"shape": ["/" if p else "" for p in data["provisional"]]},
            },
            hovertext=hover,
            hoverinfo="text",
            name="Réclamations",
        )
    )
    shade_provisional(fig, data["provisional"].tolist())
    fig.update_xaxes(type="category")
    return _layout(fig, x_title="Mois de réception", y_title="Réclamations reçues")


RateSeries = Sequence[tuple[str, str, str]]  # (column, legend, colour)
COMPLIANCE_SERIES: RateSeries = (
    ("ack_compliance_rate", "Accusés de réception", ACK_COLOUR),
    ("response_compliance_rate", "Réponses", ANSWER_COLOUR),
)


def rate_chart(
    frame: pd.DataFrame,
    months: Sequence[str],
    as_of: date,
    series: RateSeries = COMPLIANCE_SERIES,
    *,
    target: float | None = 1.0,
    y_title: str = "Dans les délais",
) -> go.Figure:
    """Rates per cohort month, one line per series, against the `target` line (100 % by default);
    months without anything to judge leave a gap, provisional months are shaded."""
    data = complete_months(frame, months, as_of)
    if data.empty:
        return empty_figure()
    fig = go.Figure()
    values: list[float] = []
    for column, name, colour in series:
        rates = [None if _missing(v) else float(v) for v in data[column]]
        values += [r for r in rates if r is not None]
        hover = [
            f"{label}{_suffix(p)}<br>{name} : {format_rate(r)}"
            for label, r, p in zip(data["label"], rates, data["provisional"], strict=True)
        ]
        fig.add_trace(
            go.Scatter(
                x=data["tick"],
                y=[None if r is None else r * 100 for r in rates],
                mode="lines+markers",
                name=name,
                line={"color": colour, "width": 2.5},
                marker={
                    "size": 8,
                    "symbol": ["circle-open" if p else "circle" for p in data["provisional"]],
                },
                hovertext=hover,
                hoverinfo="text",
            )
        )
    shade_provisional(fig, data["provisional"].tolist())
    if target is not None:
        fig.add_hline(
            y=target * 100,
            line={"color": REFERENCE_COLOUR, "dash": "dash", "width": 1.5},
            annotation_text=f"objectif {format_rate(target, 0)}",
            annotation_position="top left",
            annotation_font={"color": REFERENCE_COLOUR, "size": 11},
        )
    low = min(values, default=1.0) * 100
    floor = 0 if target is None else max(0, min(80, math.floor((low - 5) / 10) * 10))
    top = 105 if target is not None else max(5, math.ceil(max(values, default=0.05) * 110))
    fig.update_yaxes(range=[floor, top])
    fig.update_xaxes(type="category")
    return _layout(fig, x_title="Mois de réception", y_title=y_title, percent=True)


def status_chart(frame: pd.DataFrame, months: Sequence[str], as_of: date, prefix: str) -> go.Figure:
    """Complaints per cohort month stacked by the status of their `prefix` deadline
    (`ack` or `response`)."""
    data = complete_months(frame, months, as_of)
    if data.empty:
        return empty_figure()
    fig = go.Figure()
    for status, name in STATUS_LABELS.items():
        counts = data[f"{prefix}_{status}"].fillna(0).astype(int)
        hover = [
            f"{label}{_suffix(p)}<br>{name} : {format_count(n)}"
            for label, n, p in zip(data["label"], counts, data["provisional"], strict=True)
        ]
        fig.add_trace(
            go.Bar(
                x=data["tick"],
                y=counts,
                name=name,
                marker_color=STATUS_COLOURS[status],
                hovertext=hover,
                hoverinfo="text",
            )
        )
    shade_provisional(fig, data["provisional"].tolist())
    fig.update_layout(barmode="stack")
    fig.update_xaxes(type="category")
    return _layout(fig, x_title="Mois de réception", y_title="Réclamations")


# --- Distributions ------------------------------------------------------------------------------


def delay_chart(distribution: pd.DataFrame, x_title: str) -> go.Figure:
    """Complaints per number of days (`worklist.delay_distribution`), stacked by status."""
    if distribution.empty:
        return empty_figure("Aucun dossier traité sur la période")
    fig = go.Figure()
    for status in ("on_time", "late"):
        part = distribution[distribution["status"] == status]
        if part.empty:
            continue
        name = STATUS_LABELS[status]
        hover = [
            f"{format_days(d)} : {_complaints(n)} ({name.lower()})"
            for d, n in zip(part["days"], part["cases"], strict=True)
        ]
        fig.add_trace(
            go.Bar(
                x=part["days"],
                y=part["cases"],
                name=name,
                marker_color=STATUS_COLOURS[status],
                hovertext=hover,
                hoverinfo="text",
            )
        )
    fig.update_layout(barmode="stack", bargap=0.1)
    return _layout(fig, x_title=x_title, y_title="Réclamations")


def count_chart(
    frame: pd.DataFrame, x_title: str, *, bin_days: int = 15, colour: str = ESCALATION_COLOUR
) -> go.Figure:
    """Complaints per span of `bin_days` days, from a frame with columns `days` and `cases`."""
    if frame.empty:
        return empty_figure("Aucune saisine sur la période")
    starts = (frame["days"].astype(int) // bin_days) * bin_days
    counts = frame.groupby(starts)["cases"].sum()
    spans = range(0, int(counts.index.max()) + 1, bin_days)
    values = [int(counts.get(start, 0)) for start in spans]
    ticks = [f"{start}–{start + bin_days - 1}" for start in spans]
    hover = [
        f"De {start} à {start + bin_days - 1} jours : {_complaints(n)}"
        for start, n in zip(spans, values, strict=True)
    ]
    fig = go.Figure(
        go.Bar(
            x=ticks,
            y=values,
            marker_color=colour,
            hovertext=hover,
            hoverinfo="text",
            name="Réclamations",
        )
    )
    fig.update_layout(bargap=0.1, showlegend=False)
    fig.update_xaxes(type="category")
    return _layout(fig, x_title=x_title, y_title="Réclamations")


TWO_MONTHS_DAYS = 61  # two calendar months are 59 to 62 days; the mark is indicative


def time_to_answer_chart(curve: pd.DataFrame, mark_day: int = TWO_MONTHS_DAYS) -> go.Figure:
    """Share of complaints answered by day N (`worklist.time_to_answer`), two months marked."""
    if curve.empty:
        return empty_figure("Aucune réclamation sur la période")
    days = [0, *curve["day"].astype(int)]
    shares = [0.0, *curve["answered_share"].astype(float)]
    at_risk = [int(curve["at_risk"].iloc[0]), *curve["at_risk"].astype(int)]
    hover = [
        f"Jour {d} : {format_rate(s)} répondues<br>{format_count(n)} dossiers encore suivis"
        for d, s, n in zip(days, shares, at_risk, strict=True)
    ]
    fig = go.Figure(
        go.Scatter(
            x=days,
            y=[s * 100 for s in shares],
            mode="lines",
            line={"shape": "hv", "color": ANSWER_COLOUR, "width": 2.5},
            name="Part des réclamations répondues",
            hovertext=hover,
            hoverinfo="text",
        )
    )
    fig.add_vline(
        x=mark_day,
        line={"color": REFERENCE_COLOUR, "dash": "dash", "width": 1.5},
        annotation_text="2 mois",
        annotation_position="top right",
        annotation_font={"color": REFERENCE_COLOUR, "size": 11},
    )
    fig.update_yaxes(range=[0, 102])
    fig.update_xaxes(range=[0, max(mark_day + 30, min(days[-1], 240))])
    fig.update_layout(showlegend=False)
    return _layout(
        fig,
        x_title="Jours depuis le début du délai",
        y_title="Réclamations répondues",
        percent=True,
    )


# --- Breakdowns ---------------------------------------------------------------------------------


def breakdown_chart(
    frame: pd.DataFrame,
    label_column: str,
    series: RateSeries,
    *,
    count_column: str = "complaints",
    target: float | None = None,
) -> go.Figure:
    """Rates per category (object, channel, mediator…) as horizontal grouped bars, labelled in
    French; hover gives the number of complaints behind each bar."""
    if frame.empty:
        return empty_figure()
    data = frame.iloc[::-1]  # first row on top
    fig = go.Figure()
    for column, name, colour in series:
        rates = [None if _missing(v) else float(v) for v in data[column]]
        fig.add_trace(
            go.Bar(
                y=data[label_column],
                x=[None if r is None else r * 100 for r in rates],
                orientation="h",
                name=name,
                marker_color=colour,
                text=[format_rate(r) for r in rates],
                textposition="outside",
                cliponaxis=False,
                hovertext=[
                    f"{lab}<br>{name} : {format_rate(r)}<br>{format_count(n)} réclamations"
                    for lab, r, n in zip(data[label_column], rates, data[count_column], strict=True)
                ],
                hoverinfo="text",
            )
        )
    if target is not None:
        fig.add_vline(x=target * 100, line={"color": REFERENCE_COLOUR, "dash": "dash"})
    fig.update_layout(barmode="group", showlegend=len(series) > 1)
    height = 90 + 28 * len(data) * max(1, len(series))
    fig = _layout(fig, height=min(max(height, 220), 600))
    highest = max([v for c, _, _ in series for v in data[c] if not _missing(v)], default=0.0)
    top = 118 if target is not None else max(5.0, highest * 100 * 1.3)
    fig.update_xaxes(range=[0, top], showgrid=True, ticksuffix=f"{NNBSP}%")
    fig.update_yaxes(rangemode="normal")
    return fig


def trend_chart(
    frames: dict[str, pd.DataFrame],
    months: Sequence[str],
    as_of: date,
    column: str,
    *,
    percent: bool,
    y_title: str,
) -> go.Figure:
    """One line per category (e.g. object) of a monthly measure: a count or a rate."""
    if not frames:
        return empty_figure()
    fig = go.Figure()
    provisional: list[bool] = []
    for index, (name, frame) in enumerate(frames.items()):
        data = complete_months(frame, months, as_of)
        provisional = data["provisional"].tolist()
        raw = [None if _missing(v) else float(v) for v in data[column]]
        shown = [None if v is None else (v * 100 if percent else v) for v in raw]
        text = [format_rate(v) if percent else format_count(v) for v in raw]
        fig.add_trace(
            go.Scatter(
                x=data["tick"],
                y=shown,
                mode="lines+markers",
                name=name,
                line={"color": SERIES_COLOURS[index % len(SERIES_COLOURS)], "width": 2},
                hovertext=[
                    f"{label}{_suffix(p)}<br>{name} : {t}"
                    for label, t, p in zip(data["label"], text, data["provisional"], strict=True)
                ],
                hoverinfo="text",
            )
        )
    shade_provisional(fig, provisional)
    fig.update_xaxes(type="category")
    if percent:
        fig.update_yaxes(range=[0, 105])
    return _layout(fig, x_title="Mois de réception", y_title=y_title, percent=percent, height=360)
