"""Charts and French formats: pure functions, no database, no Streamlit."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import pytest

from cpms_metrics import charts
from cpms_metrics.formats import (
    format_count,
    format_date,
    format_days,
    format_rate,
    month_label,
    months_between,
)

NNBSP = "\u202f"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.849, f"84,9{NNBSP}%"),
        (0.8495, f"85,0{NNBSP}%"),  # 84.95 rounds half-even in binary: shown as 85,0
        (1.0, f"100,0{NNBSP}%"),
        (0.0, f"0,0{NNBSP}%"),  # a real zero, when something was judged
        (None, "—"),  # nothing to judge: never 0 % or 100 %
        (float("nan"), "—"),
    ],
)
def test_format_rate(value: float | None, expected: str) -> None:
    assert format_rate(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0, "0"), (999, "999"), (12345, f"12{NNBSP}345"), (1234567, f"1{NNBSP}234{NNBSP}567"),
     (-3, "−3"), (None, "—")],
)  # fmt: skip
def test_format_count(value: int | None, expected: str) -> None:
    assert format_count(value) == expected


def test_days_dates_and_months() -> None:
    assert format_days(2.0) == f"2{NNBSP}j"
    assert format_days(12.5) == f"12,5{NNBSP}j"
    assert format_days(None) == "—"
    assert format_date(date(2025, 1, 5)) == "05/01/2025"
    assert format_date(None) == "—"
    assert month_label("2025-02") == "févr. 2025"
    assert month_label("2025-08", long=True) == "août 2025"
    assert months_between("2024-11", "2025-02") == ["2024-11", "2024-12", "2025-01", "2025-02"]
    assert months_between("2025-03", "2025-03") == ["2025-03"]


def monthly_frame() -> pd.DataFrame:
    """What queries.monthly returns: months with records only, here 2025-01 and 2025-03."""
    return pd.DataFrame(
        {
            "key": ["2025-01", "2025-03"],
            "complaints": [1234, 7],
            "ack_on_time": [1000, 3],
            "ack_late": [200, 1],
            "ack_overdue": [34, 0],
            "ack_pending": [0, 3],
            "response_on_time": [900, 0],
            "response_late": [100, 0],
            "response_overdue": [0, 0],
            "response_pending": [234, 7],
            "ack_compliance_rate": [1000 / 1234, 0.75],
            "response_compliance_rate": [0.9, None],
            "escalation_rate": [0.01, 0.0],
            "escalated": [12, 0],
            "provisional": [False, True],
        }
    )


MONTHS = ["2025-01", "2025-02", "2025-03"]
AS_OF = date(2025, 3, 31)


def test_complete_months_fills_the_gaps_without_inventing_rates() -> None:
    data = charts.complete_months(monthly_frame(), MONTHS, AS_OF)
    assert list(data["key"]) == MONTHS
    february = data.iloc[1]
    assert february["complaints"] == 0
    assert february["ack_on_time"] == 0
    assert pd.isna(february["ack_compliance_rate"])
    assert not february["provisional"]  # February is over on 2025-03-31 and has no deadline
    assert list(data["label"]) == ["janv. 2025", "févr. 2025", "mars 2025"]


def test_a_month_not_yet_over_is_provisional_even_without_records() -> None:
    data = charts.complete_months(monthly_frame().iloc[:1], ["2025-01", "2025-04"], AS_OF)
    assert list(data["provisional"]) == [False, True]


def figure_text(fig: go.Figure) -> str:
    return fig.to_json()


def test_volume_chart_french_hover_and_provisional_months() -> None:
    fig = charts.volume_chart(monthly_frame(), MONTHS, AS_OF)
    assert fig.layout.separators == ", "
    bar = fig.data[0]
    assert bar.hovertext[0] == f"janv. 2025<br>1{NNBSP}234 réclamations"
    assert bar.hovertext[2] == "mars 2025 (provisoire)<br>7 réclamations"
    assert list(bar.marker.pattern.shape) == ["", "", "/"]
    assert fig.layout.xaxis.title.text == "Mois de réception"
    assert any(a.text == "provisoire" for a in fig.layout.annotations)
    assert len(fig.layout.shapes) == 1  # one grey band, behind March


def test_rate_chart_has_the_100_percent_line_and_gaps() -> None:
    fig = charts.rate_chart(monthly_frame(), MONTHS, AS_OF)
    # Each series: a solid line over final months, a dotted one into the provisional March.
    ack, ack_provisional, response, response_provisional = fig.data
    assert ack.name == "Accusés de réception"
    assert ack.y[0] == pytest.approx(100 * 1000 / 1234)
    assert ack.y[1] is None  # February: nothing to judge, a gap rather than a 0 %
    assert ack.y[2] is None  # March is provisional: drawn on the dotted line only
    assert ack_provisional.line.dash == "dot" and not ack_provisional.showlegend
    assert ack_provisional.y[2] == pytest.approx(75)
    assert ack_provisional.marker.symbol[2] == "circle-open"
    assert response.y[2] is None and response_provisional.y[2] is None
    # A rate says how many cases it judges: on time + late + overdue.
    assert (
        ack.hovertext[0] == f"janv. 2025<br>Accusés de réception : 81,0{NNBSP}% — 1{NNBSP}234 jugés"
    )
    assert (
        ack.hovertext[2]
        == f"mars 2025 (provisoire)<br>Accusés de réception : 75,0{NNBSP}% — 4 jugés"
    )
    assert response.hovertext[2] == "mars 2025 (provisoire)<br>Réponses : —"
    assert any(s.y0 == 100 and s.y1 == 100 for s in fig.layout.shapes)
    assert fig.layout.yaxis.ticksuffix == f"{NNBSP}%"


def test_a_month_without_complaints_is_never_a_0_percent() -> None:
    # A month with records but no complaint (requests only) whose rate came out as 0.
    frame = monthly_frame().assign(complaints=[1234, 0], escalation_rate=[0.01, 0.0])
    series = (("escalation_rate", "Taux de saisine", "#000"),)
    fig = charts.rate_chart(frame, MONTHS, AS_OF, series, target=None)
    assert all(y is None for trace in fig.data for y in trace.y[1:])
    assert fig.data[0].hovertext[0].endswith(f"1,0{NNBSP}% — 1{NNBSP}234 réclamations")


def test_months_not_yet_begun_are_not_drawn() -> None:
    months = ["2025-03", "2025-04"]
    volume = charts.volume_chart(monthly_frame(), months, AS_OF).data[0]
    assert list(volume.y) == [7, None]
    assert volume.hovertext[1] == "avr. 2025 (provisoire)<br>pas encore commencé"
    assert list(charts.status_chart(monthly_frame(), months, AS_OF, "ack").data[3].y) == [3, None]


def test_a_breakdown_marks_the_provisional_months_of_the_whole_scope() -> None:
    # Provisional is the month's flag (queries.monthly_by gives every part the month's flag): a
    # part without complaints that month still shows it provisional, like the overview.
    whole = monthly_frame()
    part = whole.iloc[:1]  # January only
    flags = charts.month_flags([part, whole], MONTHS, AS_OF)
    assert flags == [False, False, True]
    fig = charts.trend_chart(
        {"A": part, "B": whole}, MONTHS, AS_OF, "ack_compliance_rate", percent=True, y_title="x"
    )
    assert len(fig.layout.shapes) == 1  # one grey band, behind March, for every line
    final_a = fig.data[0]
    assert final_a.hovertext[2] == "mars 2025 (provisoire)<br>A : —"
    assert final_a.y[1] is None and final_a.y[2] is None
    provisional_b = next(t for t in fig.data if t.name == "B (provisoire)")
    assert provisional_b.marker.symbol[2] == "circle-open"


def test_status_chart_stacks_the_four_statuses() -> None:
    fig = charts.status_chart(monthly_frame(), MONTHS, AS_OF, "ack")
    assert [t.name for t in fig.data] == [
        "Dans les délais", "En retard", "Hors délai en cours", "En attente",
    ]  # fmt: skip
    assert fig.layout.barmode == "stack"
    assert list(fig.data[3].y) == [0, 0, 3]
    assert list(fig.data[0].marker.pattern.shape) == ["", "", "/"]  # March is provisional


def test_time_to_answer_chart_marks_two_months() -> None:
    curve = pd.DataFrame(
        {"day": [5, 40], "at_risk": [4, 3], "answered": [1, 1], "censored": [0, 0],
         "answered_share": [0.25, 0.5]}
    )  # fmt: skip
    fig = charts.time_to_answer_chart(curve)
    line = fig.data[0]
    assert list(line.x) == [0, 5, 40]
    assert list(line.y) == [0, 25, 50]
    assert line.line.shape == "hv"
    assert line.hovertext[1].startswith(f"Jour 5 : 25,0{NNBSP}% répondues")
    assert any(s.x0 == charts.TWO_MONTHS_DAYS for s in fig.layout.shapes)


def test_breakdown_and_count_charts() -> None:
    frame = pd.DataFrame(
        {"label": ["E-mail", "Courrier"], "complaints": [10, 0],
         "ack_compliance_rate": [0.5, None]}
    )  # fmt: skip
    fig = charts.breakdown_chart(frame, "label", (("ack_compliance_rate", "AR", "#000"),))
    assert list(fig.data[0].text) == ["—", f"50,0{NNBSP}%"]  # first row on top
    assert fig.data[0].hovertext[1] == f"E-mail<br>AR : 50,0{NNBSP}%<br>10 réclamations"
    judged = frame.assign(ack_on_time=[3, 0], ack_late=[2, 0], ack_overdue=[1, 0])
    hover = charts.breakdown_chart(judged, "label", (("ack_compliance_rate", "AR", "#000"),))
    assert hover.data[0].hovertext[1] == (
        f"E-mail<br>AR : 50,0{NNBSP}% — 6 jugés<br>10 réclamations"
    )
    assert fig.layout.xaxis.ticksuffix == f"{NNBSP}%"
    delays = pd.DataFrame({"days": [3, 20, 31], "cases": [1, 2, 4]})
    bars = charts.count_chart(delays, "Jours", bin_days=15).data[0]
    assert list(bars.x) == ["0–14", "15–29", "30–44"]
    assert list(bars.y) == [1, 2, 4]


@pytest.mark.parametrize(
    "build",
    [
        lambda: charts.volume_chart(monthly_frame().iloc[0:0], [], AS_OF),
        lambda: charts.rate_chart(monthly_frame().iloc[0:0], [], AS_OF),
        lambda: charts.delay_chart(pd.DataFrame(columns=["days", "status", "cases"]), "Jours"),
        lambda: charts.count_chart(pd.DataFrame(columns=["days", "cases"]), "Jours"),
        lambda: charts.time_to_answer_chart(pd.DataFrame()),
        lambda: charts.trend_chart({}, MONTHS, AS_OF, "complaints", percent=False, y_title="x"),
    ],
)
def test_empty_data_gives_a_french_message_not_an_error(build: object) -> None:
    fig = build()  # type: ignore[operator]
    assert fig.layout.annotations[0].text.startswith("Aucun")


def test_new_domain_modules_do_not_import_streamlit() -> None:
    code = (
        "import sys, cpms_metrics.charts, cpms_metrics.worklist, cpms_metrics.demo; "
        "assert 'streamlit' not in sys.modules"
    )
    root = Path(__file__).resolve().parents[2]
    subprocess.run([sys.executable, "-c", code], check=True, cwd=root)
