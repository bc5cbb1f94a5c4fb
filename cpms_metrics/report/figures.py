"""The report's 12-month charts (Plotly, sized for A4), rendered to PNG by kaleido on Chromium: a
month with nothing to judge is not drawn, provisional months are marked as on the dashboard.
"""

from __future__ import annotations

import asyncio
import math
import os
import shutil
import threading
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import plotly.graph_objects as go

from ..charts import shade_provisional
from ..definitions import FIGURES
from ..errors import CpmsError
from ..formats import NNBSP, format_count, month_label
from .gather import MonthlyReport, Rate, TrendMonth
from .wording import rate_of

# Dark ink and a mid tone, told apart by line style and marker too: readable in black and white.
INK = "#1F3A5F"
SECOND = "#B25C00"
GRID = "#D0D0D0"
FONT = "DejaVu Sans, Liberation Sans, Arial, sans-serif"
FIGURE_SIZE = (800, 310)  # px; shown 174 mm wide in the PDF
FIGURE_TITLES = {
    "due": "Échéances tombées chaque mois : part dans les délais",
    "volume": "Réclamations reçues par mois",
    "compliance": "Réclamations reçues chaque mois : accusés de réception et réponses dans les "
    "délais",
    "escalation": "Réclamations reçues chaque mois : taux de saisine du médiateur",
}
PROVISIONAL_NOTE = "Zone grisée, barres hachurées, marqueurs creux : mois provisoires"


def _ticks(trend: Sequence[TrendMonth]) -> list[str]:
    return [month_label(t.month).replace(" ", "<br>") for t in trend]


def _style(fig: go.Figure, y_title: str, *, percent: bool = False) -> go.Figure:
    fig.update_layout(
        template="simple_white",
        separators=", ",
        width=FIGURE_SIZE[0],
        height=FIGURE_SIZE[1],
        margin={"l": 64, "r": 16, "t": 36, "b": 44},
        font={"family": FONT, "size": 13, "color": "#222222"},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0, "title": None},
        showlegend=len(fig.data) > 1,
        bargap=0.3,
    )
    fig.update_xaxes(type="category", showgrid=False, ticks="")
    fig.update_yaxes(title_text=y_title, showgrid=True, gridcolor=GRID, zeroline=False)
    if percent:
        fig.update_yaxes(ticksuffix=f"{NNBSP}%")
    return fig


def _mark_provisional(fig: go.Figure, trend: Sequence[TrendMonth]) -> None:
    """The dashboard's grey band on provisional months, and a line under the chart saying so."""
    flags = [t.provisional for t in trend]
    if not any(flags):
        return
    shade_provisional(fig, flags)
    fig.add_annotation(  # above the plot, right: the legend is on the left
        x=1, y=1.02, xref="paper", yref="paper", xanchor="right", yanchor="bottom",
        text=PROVISIONAL_NOTE, showarrow=False, font={"size": 11, "color": "#555555"},
    )  # fmt: skip


def volume_figure(trend: Sequence[TrendMonth]) -> go.Figure:
    """Complaints per cohort month: plain bars, provisional months hatched; a month without any
    complaint has no bar."""
    counts = [t.complaints or None for t in trend]
    fig = go.Figure(
        go.Bar(
            x=_ticks(trend),
            y=counts,
            name=FIGURES["complaints"].label,
            marker={
                "color": ["#FFFFFF" if t.provisional else INK for t in trend],
                "line": {"color": INK, "width": 1.5},
                "pattern": {
                    "shape": ["/" if t.provisional else "" for t in trend],
                    "fgcolor": INK,
                    "solidity": 0.35,
                },
            },
            text=["" if n is None else format_count(n) for n in counts],
            textposition="outside",
            cliponaxis=False,
        )
    )
    _mark_provisional(fig, trend)
    fig.update_yaxes(range=[0, max((n for n in counts if n), default=1) * 1.2])
    return _style(fig, FIGURES["complaints"].label)


def _rate_trace(
    trend: Sequence[TrendMonth], rates: Sequence[Rate], name: str, colour: str, dash: str,
    symbol: str, *, provisional: bool = True,
) -> go.Scatter:  # fmt: skip
    """A rate per month, with how many cases it judges in the hover; no point without a rate."""
    hollow = [provisional and t.provisional for t in trend]
    return go.Scatter(
        x=_ticks(trend),
        y=[None if r.value is None else r.value * 100 for r in rates],
        name=name,
        mode="lines+markers",
        line={"color": colour, "width": 2.5, "dash": dash},
        marker={
            "size": 9,
            "color": colour,
            "symbol": [f"{symbol}-open" if h else symbol for h in hollow],
            "line": {"color": colour, "width": 2},
        },
        hovertext=[
            f"{month_label(t.month)} : {rate_of(r)}" for t, r in zip(trend, rates, strict=True)
        ],
        hoverinfo="text",
    )


def _rate_range(fig: go.Figure, rates: Sequence[Rate]) -> None:
    """From 0; when every rate is high, from the tens below the lowest (60 % at most)."""
    values = [r.value for r in rates if r.value is not None]
    floor = max(0, min(60, math.floor(min(values, default=0.0) * 10 - 1) * 10))
    fig.update_yaxes(range=[floor, 104], dtick=10 if floor >= 50 else 20)


def due_figure(trend: Sequence[TrendMonth]) -> go.Figure:
    """Acknowledgements and answers due in each month, share on time (rules §8): a closed
    month's due dates are all past, so none is provisional."""
    ack = [t.due_ack for t in trend]
    response = [t.due_response for t in trend]
    fig = go.Figure(
        [
            _rate_trace(trend, ack, "Accusés de réception dus", INK, "solid", "circle",
                        provisional=False),
            _rate_trace(trend, response, "Réponses dues", SECOND, "dash", "square",
                        provisional=False),
        ]
    )  # fmt: skip
    _rate_range(fig, [*ack, *response])
    return _style(fig, "Dans les délais", percent=True)


def compliance_figure(trend: Sequence[TrendMonth]) -> go.Figure:
    """Acknowledgement and answer compliance per cohort month."""
    ack = [t.ack for t in trend]
    response = [t.response for t in trend]
    fig = go.Figure(
        [
            _rate_trace(trend, ack, "Accusés de réception", INK, "solid", "circle"),
            _rate_trace(trend, response, "Réponses", SECOND, "dash", "square"),
        ]
    )
    _mark_provisional(fig, trend)
    _rate_range(fig, [*ack, *response])
    return _style(fig, "Dans les délais", percent=True)


def escalation_figure(trend: Sequence[TrendMonth]) -> go.Figure:
    rates = [t.escalation for t in trend]
    name = FIGURES["escalation_rate"].label
    fig = go.Figure(_rate_trace(trend, rates, name, INK, "solid", "diamond"))
    _mark_provisional(fig, trend)
    top = max((r.value for r in rates if r.value is not None), default=0.0) * 100
    fig.update_yaxes(range=[0, max(5.0, top * 1.25)])
    return _style(fig, "Saisines / réclamations", percent=True)


def report_figures(report: MonthlyReport) -> dict[str, go.Figure]:
    """The four 12-month charts, keyed as FIGURE_TITLES."""
    return {
        "due": due_figure(report.trend),
        "volume": volume_figure(report.trend),
        "compliance": compliance_figure(report.trend),
        "escalation": escalation_figure(report.trend),
    }


T = TypeVar("T")


def _run_in_thread(factory: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine on its own event loop in its own thread, so that a caller already inside
    an event loop (a web server, a notebook) can call this synchronously."""
    box: dict[str, Any] = {}

    def target() -> None:
        async def main() -> T:
            return await factory()

        try:
            box["value"] = asyncio.run(main())
        except BaseException as exc:  # handed back to the caller's thread
            box["error"] = exc

    worker = threading.Thread(target=target, name="cpms-report-figures")
    worker.start()
    worker.join()
    if "error" in box:
        raise box["error"]
    value: T = box["value"]
    return value


def browser_path() -> str | None:
    """The Chromium that renders the charts: `BROWSER_PATH` when set (choreographer's own
    variable), else Debian's. Never a downloaded browser."""
    for candidate in (
        os.environ.get("BROWSER_PATH"),
        "/usr/bin/chromium",
        shutil.which("chromium"),
    ):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def render_png(figures: Sequence[go.Figure], scale: float = 3) -> list[bytes]:
    """PNG images of `figures`, rendered by kaleido in one Chromium session."""
    path = browser_path()
    if path is None:
        raise CpmsError(
            "Chromium est introuvable : installez-le (apt-get install chromium) ou indiquez son "
            "chemin dans la variable BROWSER_PATH.",
            title="PDF impossible",
        )
    import kaleido  # type: ignore[import-untyped]  # heavy: only for the PDF

    async def render() -> list[bytes]:
        # mathjax=False: no download from a CDN; plotly.js comes from the plotly package.
        async with kaleido.Kaleido(path=path, mathjax=False, n=1, timeout=120) as renderer:
            images = []
            for fig in figures:
                image = await renderer.calc_fig(fig, opts={"format": "png", "scale": scale})
                images.append(bytes(image))
            return images

    try:
        return _run_in_thread(render)
    except CpmsError:
        raise
    except Exception as exc:
        raise CpmsError(
            f"Le rendu des graphiques par Chromium ({path}) a échoué : {exc}",
            title="PDF impossible",
        ) from exc
