"""Pure functions DataFrame -> Plotly figure for the dashboard (French formats: formats.py).

Figures carry French axis titles and hover texts, `separators=", "`, and colours readable on a
light and a dark background; they set no background so that the app's theme shows through.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from .definitions import STATUS_LABELS
from .drilldown import Point
from .formats import NNBSP, _missing, format_count, format_days, format_rate, month_label
from .months import parse_month
from .queries import is_provisional

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
    counts zero complaints and has no rates. Its `provisional` flag is the frame's, or for a month
    without records `queries.is_provisional`'s (the one rule). `started` is False for a month that
    begins after `as_of`: it has not happened yet, and no figure of it is drawn."""
    known = frame.set_index("key") if len(frame) else pd.DataFrame(columns=frame.columns)
    rows = []
    for month in months:
        if month in known.index:
            row = known.loc[month].to_dict()
        else:
            row = {
                c: 0 if c in _COUNTS or str(c).endswith(_STATUS_SUFFIXES) else None for c in frame
            }
            row["provisional"] = is_provisional(month, None, as_of)
        row["key"] = month
        row["label"] = month_label(month)
        row["tick"] = month_label(month).replace(" ", "<br>")
        row["started"] = parse_month(month) <= as_of
        rows.append(row)
    if not rows:
        return pd.DataFrame(columns=[*frame.columns, "label", "tick", "started"])
    out = pd.DataFrame(rows)
    for column in ("complaints", "escalated"):
        if column in out:
            out[column] = out[column].fillna(0).astype(int)
    out["provisional"] = out["provisional"].fillna(False).astype(bool)
    return out


def month_flags(frames: Sequence[pd.DataFrame], months: Sequence[str], as_of: date) -> list[bool]:
    """The provisional flag of each month over several series of one scope (`queries.monthly_by`
    gives every part the same flag for a month): a chart shades the months the overview does."""
    flags = []
    for month in months:
        found = [bool(f.loc[f["key"] == month, "provisional"].iloc[0]) for f in frames
                 if "key" in f and (f["key"] == month).any()]  # fmt: skip
        flags.append(any(found) if found else is_provisional(month, None, as_of))
    return flags


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


# A provisional month, drawn the same way on every monthly chart: a hatched, lighter bar or a
# hollow marker on a dotted line, over the grey band of `shade_provisional`.
def _bar_marker(colour: str, provisional: Sequence[bool]) -> dict[str, object]:
    return {
        "color": colour,
        "opacity": [0.45 if p else 0.9 for p in provisional],
        "pattern": {"shape": ["/" if p else "" for p in provisional]},
    }


def _custom(points: Sequence[str] | None) -> list[list[str]] | None:
    """A chart's points as `customdata` (`drilldown.Point.key()`): a click names its cases."""
    return None if points is None else [[p] for p in points]


def _month_points(data: pd.DataFrame, **fixed: str) -> list[str]:
    return [Point(month=str(m), **fixed).key() for m in data["key"]]


def _line_traces(
    x: Sequence[str] | pd.Series,
    y: Sequence[float | None],
    hover: Sequence[str],
    provisional: Sequence[bool],
    *,
    name: str,
    colour: str,
    width: float = 2.5,
    points: Sequence[str] | None = None,
) -> list[go.Scatter]:
    """One series as a solid line over final months and a dotted one into and between
    provisional months, with hollow markers there; a month without a value is a gap."""
    final = [None if p else v for v, p in zip(y, provisional, strict=True)]
    # The dotted part: provisional months and the final months next to one, so that it joins on.
    near = [
        p or any(provisional[j] for j in (i - 1, i + 1) if 0 <= j < len(provisional))
        for i, p in enumerate(provisional)
    ]
    dotted = [v if n else None for v, n in zip(y, near, strict=True)]
    traces = [
        go.Scatter(
            x=list(x), y=final, mode="lines+markers", name=name, legendgroup=name,
            line={"color": colour, "width": width}, marker={"size": 8, "symbol": "circle"},
            hovertext=list(hover), hoverinfo="text", customdata=_custom(points),
        )
    ]  # fmt: skip
    if any(provisional):
        traces.append(
            go.Scatter(
                x=list(x), y=dotted, mode="lines+markers", name=f"{name} (provisoire)",
                legendgroup=name, showlegend=False,
                line={"color": colour, "width": width, "dash": "dot"},
                marker={"size": 8, "color": colour, "symbol": [
                    "circle-open" if p else "circle" for p in provisional
                ]},
                hovertext=list(hover), hoverinfo="text", customdata=_custom(points),
            )
        )  # fmt: skip
    return traces


# What each rate of a monthly frame is a share of: the cases it judges (columns summed), and
# their name. A rate is shown with this base, so that 2 cases out of 2 do not read as a trend.
RATE_BASES: dict[str, tuple[tuple[str, ...], str, str]] = {
    "ack_compliance_rate": (("ack_on_time", "ack_late", "ack_overdue"), "jugé", "jugés"),
    "response_compliance_rate": (
        ("response_on_time", "response_late", "response_overdue"), "jugé", "jugés",
    ),
    "escalation_rate": (("complaints",), "réclamation", "réclamations"),
    "same_channel_rate": (("written_answered",), "réponse écrite", "réponses écrites"),
}  # fmt: skip


def rate_base(row: Mapping[Any, Any], column: str) -> int | None:
    """How many cases the rate `column` of `row` (a monthly frame's row) judges."""
    if column not in RATE_BASES:
        return None
    total = 0
    for name in RATE_BASES[column][0]:
        value = row.get(name)
        if value is None or _missing(value):
            return None
        total += int(value)
    return total


def rate_text(rate: float | None, base: int | None, column: str) -> str:
    """`84,9 % — 53 jugés`; `—` alone without a rate."""
    if rate is None or base is None:
        return format_rate(rate)
    _, one, many = RATE_BASES[column]
    return f"{format_rate(rate)} — {format_count(base)} {one if base <= 1 else many}"


def volume_chart(frame: pd.DataFrame, months: Sequence[str], as_of: date) -> go.Figure:
    """Complaints received per cohort month; provisional months lighter and hatched; a month
    that has not begun by `as_of` is not drawn."""
    data = complete_months(frame, months, as_of)
    if data.empty:
        return empty_figure()
    counts = [n if s else None for n, s in zip(data["complaints"], data["started"], strict=True)]
    hover = [
        f"{label}{_suffix(p)}<br>{_complaints(n) if n is not None else 'pas encore commencé'}"
        for label, n, p in zip(data["label"], counts, data["provisional"], strict=True)
    ]
    fig = go.Figure(
        go.Bar(
            x=data["tick"],
            y=counts,
            marker=_bar_marker(VOLUME_COLOUR, data["provisional"].tolist()),
            hovertext=hover,
            hoverinfo="text",
            name="Réclamations",
            customdata=_custom(_month_points(data)),
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


def _rates(data: pd.DataFrame, column: str) -> list[float | None]:
    """A rate per month; none for a month without complaints (never a 0 %) or not yet begun."""
    return [
        None if _missing(v) or not n or not s else float(v)
        for v, n, s in zip(data[column], data["complaints"], data["started"], strict=True)
    ]


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
    months without anything to judge leave a gap, provisional months are dotted, hollow and
    shaded; the hover gives each rate with the number of cases it judges."""
    data = complete_months(frame, months, as_of)
    if data.empty:
        return empty_figure()
    fig = go.Figure()
    values: list[float] = []
    provisional = data["provisional"].tolist()
    records = data.to_dict("records")
    for column, name, colour in series:
        rates = _rates(data, column)
        values += [r for r in rates if r is not None]
        hover = [
            f"{row['label']}{_suffix(p)}<br>{name} : {rate_text(r, rate_base(row, column), column)}"
            for row, r, p in zip(records, rates, provisional, strict=True)
        ]
        for trace in _line_traces(
            data["tick"], [None if r is None else r * 100 for r in rates], hover, provisional,
            name=name, colour=colour, points=_month_points(data),
        ):  # fmt: skip
            fig.add_trace(trace)
    shade_provisional(fig, provisional)
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
    (`ack` or `response`); provisional months lighter and hatched."""
    data = complete_months(frame, months, as_of)
    if data.empty:
        return empty_figure()
    fig = go.Figure()
    provisional = data["provisional"].tolist()
    for status, name in STATUS_LABELS.items():
        counts = [
            int(n) if s else None
            for n, s in zip(data[f"{prefix}_{status}"].fillna(0), data["started"], strict=True)
        ]
        hover = [
            f"{label}{_suffix(p)}<br>{name} : {format_count(n)}"
            for label, n, p in zip(data["label"], counts, provisional, strict=True)
        ]
        fig.add_trace(
            go.Bar(
                x=data["tick"],
                y=counts,
                name=name,
                marker=_bar_marker(STATUS_COLOURS[status], provisional),
                hovertext=hover,
                hoverinfo="text",
                customdata=_custom(_month_points(data, step=prefix, status=status)),
            )
        )
    shade_provisional(fig, provisional)
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
    point_field: str | None = None,
) -> go.Figure:
    """Rates per category (object, channel, mediator…) as horizontal grouped bars, labelled in
    French; hover gives the number of complaints behind each bar. With `point_field` ("object",
    "channel"), each bar names its cases (`drilldown.Point`) from the frame's `key` column."""
    if frame.empty:
        return empty_figure()
    data = frame.iloc[::-1]  # first row on top
    points = (
        None if point_field is None else [Point(**{point_field: str(k)}).key() for k in data["key"]]
    )
    records = data.to_dict("records")
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
                    f"{lab}<br>{name} : {rate_text(r, rate_base(row, column), column)}"
                    f"<br>{format_count(n)} réclamations"
                    for lab, r, n, row in zip(
                        data[label_column], rates, data[count_column], records, strict=True
                    )
                ],
                hoverinfo="text",
                customdata=_custom(points),
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
    objects: Sequence[str] | None = None,
) -> go.Figure:
    """One line per category (e.g. object) of a monthly measure: a count or a rate. Every line
    marks the same provisional months (`month_flags`); a rate leaves a gap for a month without
    complaints and gives, on hover, how many cases it judges. With `objects` (the object of each
    frame, in order), each point names its cases (`drilldown.Point`)."""
    if not frames:
        return empty_figure()
    fig = go.Figure()
    provisional = month_flags(list(frames.values()), months, as_of)
    for index, (name, frame) in enumerate(frames.items()):
        data = complete_months(frame, months, as_of)
        records = data.to_dict("records")
        if percent:
            raw = _rates(data, column)
            bases = [rate_base(r, column) for r in records]
            text = [rate_text(v, n, column) for v, n in zip(raw, bases, strict=True)]
        else:
            raw = [
                None if _missing(v) or not s else float(v)
                for v, s in zip(data[column], data["started"], strict=True)
            ]
            text = [format_count(v) for v in raw]
        hover = [
            f"{label}{_suffix(p)}<br>{name} : {t}"
            for label, t, p in zip(data["label"], text, provisional, strict=True)
        ]
        shown = [None if v is None else (v * 100 if percent else v) for v in raw]
        points = None if objects is None else _month_points(data, object=objects[index])
        for trace in _line_traces(
            data["tick"], shown, hover, provisional, name=name, width=2,
            colour=SERIES_COLOURS[index % len(SERIES_COLOURS)], points=points,
        ):  # fmt: skip
            fig.add_trace(trace)
    shade_provisional(fig, provisional)
    fig.update_xaxes(type="category")
    if percent:
        fig.update_yaxes(range=[0, 105])
    return _layout(fig, x_title="Mois de réception", y_title=y_title, percent=percent, height=360)
