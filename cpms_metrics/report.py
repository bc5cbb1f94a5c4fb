"""The monthly report for executives: one closed month's five headline figures against the month
before and the same month a year before, the 12-month trend, breakdowns, escalations and the open
cases past their answer deadline, written as an XLSX workbook or an A4 PDF.

Every figure comes from `queries` (`kpis`, `summarise`, `monthly`): the report says what the
dashboard says. Nothing here reads the clock; the files' dates derive from the report's as-of date,
so the same month, date, policy and data give the same document.
"""

from __future__ import annotations

import asyncio
import io
import math
import os
import shutil
import threading
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from functools import cache, partial
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd
import plotly.graph_objects as go

from .definitions import POLICY_LABELS, POLICY_RULES, change
from .errors import CpmsError
from .fields import CHANNELS, label, object_vocabulary
from .formats import format_count, format_date, format_decimal, format_rate, month_label
from .months import last_full_month as last_full_month  # the report page reads it here
from .months import month_end, months_between, parse_month, shift_month
from .queries import STATUSES, Scope, kpis, monthly, scoped_cases, summarise
from .schema import fetch_one
from .store import Store
from .worklist import mediator_label

TREND_MONTHS = 12
NNBSP = "\u202f"


@dataclass(frozen=True)
class Headline:
    """One of the five headline figures: where it sits in `kpis`' object, and what it is."""

    label: str
    keys: tuple[str, ...]
    is_rate: bool
    lower_is_better: bool
    definition: str

    def value(self, figures: dict[str, Any]) -> Any:
        value: Any = figures
        for key in self.keys:
            value = value[key]
        return value


HEADLINES = (
    Headline(
        "Réclamations reçues", ("complaints",), is_rate=False, lower_is_better=True,
        definition="Réclamations reçues dans le mois, hors demandes d'information, de "
        "clarification ou de confirmation.",
    ),
    Headline(
        "Accusés de réception dans les délais", ("ack", "compliance_rate"), is_rate=True,
        lower_is_better=False,
        definition="Dans les délais / (dans les délais + en retard + hors délai en cours) ; les "
        "dossiers encore dans leur délai ne sont pas jugés.",
    ),
    Headline(
        "Réponses dans les délais", ("response", "compliance_rate"), is_rate=True,
        lower_is_better=False, definition="Même calcul pour la réponse, due sous 2 mois.",
    ),
    Headline(
        "Taux de saisine du médiateur", ("escalation", "rate"), is_rate=True,
        lower_is_better=True,
        definition="Réclamations du mois portées devant un médiateur à la date d'arrêté / "
        "réclamations du mois.",
    ),
    Headline(
        "Réponses en retard (dossiers ouverts)", ("response", "overdue"), is_rate=False,
        lower_is_better=True,
        definition="Réclamations du mois encore sans réponse dont le délai de réponse est dépassé "
        "à la date d'arrêté ; le stock de tous les mois figure dans « Dossiers ouverts hors "
        "délai ».",
    ),
)  # fmt: skip

# Open cases past their answer deadline, by days since that deadline: (label, first, last day).
AGE_BANDS: tuple[tuple[str, int, int | None], ...] = (
    ("1 à 30 jours", 1, 30),
    ("31 à 90 jours", 31, 90),
    ("91 à 180 jours", 91, 180),
    ("Plus de 180 jours", 181, None),
)


# --- The report's data --------------------------------------------------------------------------


@dataclass(frozen=True)
class MonthFigures:
    """`kpis` for one cohort month, as of a date."""

    month: str
    as_of: date
    kpis: dict[str, Any]


@dataclass(frozen=True)
class TrendMonth:
    month: str
    complaints: int
    escalated: int
    ack_rate: float | None
    response_rate: float | None
    escalation_rate: float | None
    provisional: bool
    last_answer_due: date | None


@dataclass(frozen=True)
class Breakdown:
    """One row of a breakdown of the month (by object, by channel)."""

    key: str
    label: str
    complaints: int
    ack_rate: float | None
    response_rate: float | None
    escalation_rate: float | None


@dataclass(frozen=True)
class OverdueRow:
    """Open complaints past their answer deadline for one object, per age band."""

    key: str
    label: str
    counts: tuple[int, ...]

    @property
    def total(self) -> int:
        return sum(self.counts)


@dataclass(frozen=True)
class MonthlyReport:
    month: str
    policy: str
    as_of: date
    last_import: datetime | None
    current: MonthFigures
    previous: MonthFigures
    year_before: MonthFigures
    trend: tuple[TrendMonth, ...]
    by_object: tuple[Breakdown, ...]
    by_channel: tuple[Breakdown, ...]
    mediators: tuple[tuple[str, int], ...]  # (French name, escalations), most first
    overdue: tuple[OverdueRow, ...]  # most first
    summary: tuple[str, ...]

    @property
    def title(self) -> str:
        return f"Rapport mensuel des réclamations — {month_label(self.month, long=True)}"

    @property
    def last_import_text(self) -> str:
        if self.last_import is None:
            return "aucun import enregistré"
        return f"{format_date(self.last_import.date())} à {self.last_import:%H:%M}"

    @property
    def has_complaints(self) -> bool:
        return bool(self.current.kpis["complaints"])

    @property
    def overdue_total(self) -> int:
        return sum(row.total for row in self.overdue)

    @property
    def overdue_by_band(self) -> tuple[int, ...]:
        return tuple(sum(row.counts[i] for row in self.overdue) for i in range(len(AGE_BANDS)))

    @property
    def provisional_months(self) -> tuple[str, ...]:
        return tuple(t.month for t in self.trend if t.provisional)

    def file_name(self, suffix: str) -> str:
        return f"rapport_reclamations_{self.month}_{self.policy}{suffix}"


def month_choices(first_month: str | None, default: str, latest: str) -> list[str]:
    """Closed months to offer, most recent first: from the first month on record (or `default`)
    to `latest` (or `default` when later)."""
    return months_between(min(first_month or default, default), max(latest, default))[::-1]


def _compared_as_of(month: str, as_of: date, months: int) -> date:
    """The as-of date of a comparison month: as many days after its end as `as_of` is after the
    report month's end, so both are seen at the same maturity."""
    late_by = as_of - month_end(parse_month(month))
    return month_end(parse_month(shift_month(month, months))) + late_by


def _number(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _month_figures(store: Store, month: str, as_of: date, policy: str) -> MonthFigures:
    scope = Scope(as_of=as_of, policy=policy, month_from=month, month_to=month)
    return MonthFigures(month, as_of, kpis(store, as_of=as_of, scope=scope))


def _trend(store: Store, month: str, as_of: date, policy: str) -> tuple[TrendMonth, ...]:
    first = shift_month(month, 1 - TREND_MONTHS)
    frame = monthly(store, Scope(as_of=as_of, policy=policy, month_from=first, month_to=month))
    known = {str(r["key"]): r for r in frame.to_dict("records")}
    months = []
    for index in range(TREND_MONTHS):
        key = shift_month(first, index)
        row = known.get(key)
        if row is None:  # no record that month: nothing received, nothing to judge
            months.append(TrendMonth(key, 0, 0, None, None, None, False, None))
            continue
        due = row["last_answer_due"]
        months.append(
            TrendMonth(
                key,
                int(row["complaints"]),
                int(row["escalated"]),
                _number(row["ack_compliance_rate"]),
                _number(row["response_compliance_rate"]),
                _number(row["escalation_rate"]),
                bool(row["provisional"]),
                None if due is None or pd.isna(due) else pd.Timestamp(due).date(),
            )
        )
    return tuple(months)


def _breakdown(
    rows: Sequence[Mapping[Any, Any]], key: str, names: Callable[[str], str]
) -> tuple[Breakdown, ...]:
    return tuple(
        Breakdown(
            str(r[key]),
            names(str(r[key])),
            int(r["complaints"]),
            _number(r["ack_compliance_rate"]),
            _number(r["response_compliance_rate"]),
            _number(r["escalation_rate"]),
        )
        for r in rows
    )


def _by_channel(store: Store, scope: Scope) -> tuple[Breakdown, ...]:
    frame = summarise(store, scope, "channel")
    frame = frame[frame["complaints"] > 0].sort_values(
        ["complaints", "key"], ascending=[False, True]
    )
    return _breakdown(frame.to_dict("records"), "key", lambda v: label(CHANNELS, v))


def _overdue(store: Store, as_of: date, policy: str) -> tuple[OverdueRow, ...]:
    """Open complaints of every cohort whose answer deadline has passed by `as_of`."""
    cases, params = scoped_cases(Scope(as_of=as_of, policy=policy))
    bands = " ".join(
        f"WHEN days <= {int(last)} THEN {index}"
        for index, (_, _, last) in enumerate(AGE_BANDS)
        if last is not None
    )
    with store.cursor() as cur:
        rows = cur.execute(
            f"""SELECT object, CASE {bands} ELSE {len(AGE_BANDS) - 1} END AS band,
                       count(*) AS cases
                FROM (SELECT object, $as_of - answer_due AS days FROM ({cases})
                      WHERE is_complaint AND answer_status = 'overdue')
                GROUP BY ALL""",
            params,
        ).fetchall()
    counts: dict[str, list[int]] = {}
    for obj, band, cases_count in rows:
        counts.setdefault(str(obj), [0] * len(AGE_BANDS))[int(band)] += int(cases_count)
    names = object_vocabulary(tuple(counts))
    found = [OverdueRow(key, label(names, key), tuple(c)) for key, c in counts.items()]
    return tuple(sorted(found, key=lambda r: (-r.total, r.key)))


def _last_import(store: Store) -> datetime | None:
    with store.cursor() as cur:
        # The service's wall-clock time (the session's TimeZone), naive: a spreadsheet has no zone.
        row = fetch_one(cur, "SELECT max(imported_at)::TIMESTAMP FROM imports")
    return None if row is None or row[0] is None else pd.Timestamp(row[0]).to_pydatetime()


def build_report(
    store: Store, *, month: str, policy: str = "cpms", as_of: date | None = None
) -> MonthlyReport:
    """The figures of the report on `month` ("YYYY-MM") under `policy`, as of `as_of` (default:
    the month's last day). CpmsError in French for a bad month, policy or date."""
    first = parse_month(month)
    end = month_end(first)
    as_of = as_of or end
    if as_of < end:
        raise CpmsError(
            f"La date d'arrêté ({format_date(as_of)}) précède la fin du mois du rapport "
            f"({format_date(end)}) : le rapport porte sur un mois clos.",
            title="Date d'arrêté invalide",
        )
    current = _month_figures(store, month, as_of, policy)
    previous = _month_figures(
        store, shift_month(month, -1), _compared_as_of(month, as_of, -1), policy
    )
    year_month = shift_month(month, -12)
    year_before = _month_figures(store, year_month, _compared_as_of(month, as_of, -12), policy)
    objects = object_vocabulary(tuple(r["object"] for r in current.kpis["by_object"]))
    mediators = sorted(
        current.kpis["escalation"]["by_mediator"].items(), key=lambda item: (-item[1], item[0])
    )
    report = MonthlyReport(
        month=month,
        policy=policy,
        as_of=as_of,
        last_import=_last_import(store),
        current=current,
        previous=previous,
        year_before=year_before,
        trend=_trend(store, month, as_of, policy),
        by_object=_breakdown(current.kpis["by_object"], "object", lambda v: label(objects, v)),
        by_channel=_by_channel(store, Scope(as_of, policy, month, month)),
        mediators=tuple((mediator_label(key), int(n)) for key, n in mediators),
        overdue=_overdue(store, as_of, policy),
        summary=(),
    )
    return _with_summary(report)


# --- The written summary ------------------------------------------------------------------------


def _plural(count: int, singular: str, plural: str) -> str:
    return f"{format_count(count)} {singular if count <= 1 else plural}"


def signed(value: float, unit: str = "") -> str:
    """`+2,5 pt`, `−3`, `0`: a change with its sign (a true minus) and French decimals."""
    sign = "+" if value > 0 else "−" if value < 0 else ""
    number = format_decimal(abs(value)) if unit else format_count(abs(value))
    return f"{sign}{number}{NNBSP + unit if unit else ''}"


def _rate_sentence(
    subject: str, now: float | None, before: float | None, report: MonthlyReport, missing: str
) -> str:
    this = month_label(report.month, long=True)
    previous = month_label(report.previous.month, long=True)
    if now is None and before is None:
        return f"{subject} ne peut pas encore être mesuré : {missing}."
    if now is None:
        return (
            f"{subject} ne peut pas encore être mesuré pour {this} ({missing}) ; il était de "
            f"{format_rate(before)} en {previous}."
        )
    if before is None:
        return f"{subject} est de {format_rate(now)} en {this} (non mesurable en {previous})."
    points = change(now, before, True) or 0.0
    if not points:
        return f"{subject} est stable à {format_rate(now)} ({previous} : {format_rate(before)})."
    return (
        f"{subject} passe de {format_rate(before)} en {previous} à {format_rate(now)} en {this} "
        f"({signed(points, 'point' if abs(points) < 2 else 'points')})."
    )


def _judged(block: dict[str, Any]) -> str:
    judged = block["on_time"] + block["late"] + block["overdue"]
    if not block["pending"]:
        return ""
    return (
        f" Ce taux porte sur {_plural(judged, 'dossier jugé', 'dossiers jugés')} ; "
        f"{_plural(block['pending'], 'autre est', 'autres sont')} encore dans le délai."
    )


def _join(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} et {items[-1]}"


def _with_summary(report: MonthlyReport) -> MonthlyReport:
    """The report with its short written summary, every number taken from its own figures."""
    now, before, year = report.current.kpis, report.previous.kpis, report.year_before.kpis
    this = month_label(report.month, long=True)
    previous = month_label(report.previous.month, long=True)
    year_label = month_label(report.year_before.month, long=True)
    n = now["complaints"]
    others = f"{format_count(before['complaints'])} en {previous}"
    others += f" et {format_count(year['complaints'])} en {year_label}"
    if n == 0:
        sentences = [f"Aucune réclamation n'a été reçue en {this} (contre {others})."]
    else:
        verb = "a été reçue" if n == 1 else "ont été reçues"
        sentences = [
            f"En {this}, {_plural(n, 'réclamation', 'réclamations')} {verb}, contre {others}."
        ]
    no_deadline = "aucun délai n'est encore échu"
    sentences.append(
        _rate_sentence(
            "Le taux d'accusés de réception dans les délais",
            now["ack"]["compliance_rate"],
            before["ack"]["compliance_rate"],
            report,
            no_deadline,
        )
    )
    sentences.append(
        _rate_sentence(
            "Le taux de réponse dans les délais",
            now["response"]["compliance_rate"],
            before["response"]["compliance_rate"],
            report,
            no_deadline,
        )
        + _judged(now["response"])
    )
    sentences.append(
        _rate_sentence(
            "Le taux de saisine du médiateur",
            now["escalation"]["rate"],
            before["escalation"]["rate"],
            report,
            "aucune réclamation reçue",
        )
    )
    total = report.overdue_total
    on = format_date(report.as_of)
    if total == 0:
        sentences.append(
            f"Au {on}, aucun dossier ouvert n'a dépassé son délai de réponse, tous mois de "
            "réception confondus."
        )
    else:
        old = sum(report.overdue_by_band[2:])
        text = (
            f"Au {on}, {_plural(total, 'dossier ouvert a', 'dossiers ouverts ont')} dépassé "
            f"{'son' if total == 1 else 'leur'} délai de réponse, tous mois de réception confondus"
        )
        text += f", dont {format_count(old)} depuis plus de 90 jours." if old else "."
        sentences.append(text)
    provisional = [month_label(m, long=True) for m in report.provisional_months]
    if provisional:
        sentences.append(
            f"Cohortes provisoires au {on} (délais de réponse pas tous échus) : "
            f"{_join(provisional)} ; leurs chiffres peuvent encore évoluer."
        )
    return replace(report, summary=tuple(sentences))


# --- The tables as they read --------------------------------------------------------------------


@dataclass(frozen=True)
class TextTable:
    """One of the report's tables as it reads, French headers and formatted cells: the same in
    the PDF and on the page."""

    title: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    empty: str = ""  # what to say instead when there is no row
    note: str = ""
    total: bool = False  # the last row is a total


def _days(value: float | None) -> str:
    return "—" if value is None else f"{format_decimal(value)}{NNBSP}j"


def _shown(value: Any, is_rate: bool) -> str:
    return format_rate(value) if is_rate else format_count(value)


def _shown_change(now: Any, before: Any, is_rate: bool) -> str:
    value = change(now, before, is_rate)
    return "—" if value is None else signed(value, "pt" if is_rate else "")


def headline_table(report: MonthlyReport) -> TextTable:
    this, prev, year = report.current, report.previous, report.year_before
    rows = []
    for h in HEADLINES:
        now, before, then = (h.value(f.kpis) for f in (this, prev, year))
        rows.append(
            (h.label, _shown(now, h.is_rate), _shown(before, h.is_rate),
             _shown_change(now, before, h.is_rate), _shown(then, h.is_rate),
             _shown_change(now, then, h.is_rate))
        )  # fmt: skip
    return TextTable(
        "Chiffres clés",
        ("Indicateur", month_label(this.month), month_label(prev.month), "Écart sur 1 mois",
         month_label(year.month), "Écart sur 1 an"),
        tuple(rows),
        note="Écarts en points pour les taux, en nombre pour les dossiers. Chaque mois de "
        "comparaison est arrêté au même nombre de jours après sa fin que le mois du rapport, pour "
        "comparer des dossiers de même ancienneté.",
    )  # fmt: skip


def detail_tables(report: MonthlyReport) -> dict[str, TextTable]:
    """The month's breakdowns, its deadlines, escalations by mediator, the open cases past due,
    and the trend charts' data."""
    this = month_label(report.month, long=True)
    nothing = f"Aucune réclamation n'a été reçue en {this}."
    rates = ("Réclamations", "AR dans les délais", "Réponses dans les délais", "Taux de saisine")

    def breakdown(title: str, first: str, rows: Sequence[Breakdown]) -> TextTable:
        body = tuple(
            (b.label, format_count(b.complaints), format_rate(b.ack_rate),
             format_rate(b.response_rate), format_rate(b.escalation_rate))
            for b in rows
        )  # fmt: skip
        return TextTable(title, (first, *rates), body, nothing)

    steps = tuple(
        (step, *(format_count(b[s]) for s in STATUSES), format_rate(b["compliance_rate"]),
         _days(b["median_days"]))
        for step, b in (("Accusé de réception", report.current.kpis["ack"]),
                        ("Réponse", report.current.kpis["response"]))
    ) if report.has_complaints else ()  # fmt: skip
    escalated = sum(n for _, n in report.mediators)
    mediators = [
        (name, format_count(n), format_rate(n / escalated)) for name, n in report.mediators
    ]
    if mediators:
        mediators.append(("Total", format_count(escalated), format_rate(1.0)))
    overdue = [(r.label, *(format_count(n) for n in (*r.counts, r.total))) for r in report.overdue]
    if overdue:
        totals = (*report.overdue_by_band, report.overdue_total)
        overdue.append(("Total", *(format_count(n) for n in totals)))
    on = format_date(report.as_of)
    return {
        "objects": breakdown("Par objet", "Objet", report.by_object),
        "channels": breakdown("Par canal", "Canal", report.by_channel),
        "steps": TextTable(
            "Délais du mois",
            ("Étape", "Dans les délais", "En retard", "Hors délai en cours", "En attente", "Taux",
             "Délai médian"),
            steps, nothing,
        ),
        "mediators": TextTable(
            "Saisines du médiateur, par médiateur",
            ("Médiateur", "Saisines", "Part des saisines"),
            tuple(mediators),
            f"Aucune réclamation reçue en {this} n'a été portée devant un médiateur.",
            total=True,
        ),
        "overdue": TextTable(
            f"Dossiers ouverts hors délai de réponse au {on}",
            ("Objet", *(f"Retard de {band.lower()}" for band, _, _ in AGE_BANDS), "Total"),
            tuple(overdue),
            f"Aucun dossier ouvert n'a dépassé son délai de réponse au {on}.",
            "Réclamations de tous les mois de réception encore sans réponse à la date d'arrêté et "
            "dont le délai de réponse est dépassé, par objet et par ancienneté du retard. "
            "Décomptes seuls, sans donnée personnelle.",
            total=True,
        ),
        "trend": TextTable(
            "Données des graphiques",
            ("Mois de réception", *rates, "Statut"),
            tuple(
                (month_label(t.month, long=True), format_count(t.complaints),
                 format_rate(t.ack_rate), format_rate(t.response_rate),
                 format_rate(t.escalation_rate), "provisoire" if t.provisional else "définitif")
                for t in report.trend
            ),
        ),
    }  # fmt: skip


# --- Figures ------------------------------------------------------------------------------------

# Dark ink and a mid tone, told apart by line style and marker too: readable in black and white.
INK = "#1F3A5F"
SECOND = "#B25C00"
SHADE = "#E3E3E3"
GRID = "#D0D0D0"
FONT = "DejaVu Sans, Liberation Sans, Arial, sans-serif"
FIGURE_SIZE = (800, 310)  # px; shown 174 mm wide in the PDF
FIGURE_TITLES = {
    "volume": "Réclamations reçues par mois",
    "compliance": "Accusés de réception et réponses dans les délais",
    "escalation": "Taux de saisine du médiateur",
}


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


def _shade_provisional(fig: go.Figure, trend: Sequence[TrendMonth]) -> None:
    flags = [t.provisional for t in trend]
    if not any(flags):
        return
    start = flags.index(True)
    fig.add_vrect(
        x0=start - 0.5, x1=len(flags) - 0.5, fillcolor=SHADE, opacity=1, line_width=0, layer="below"
    )
    fig.add_annotation(  # above the plot, so that no point hides it
        x=len(flags) - 0.5,
        y=1,
        yref="paper",
        xanchor="right",
        yanchor="bottom",
        text="mois provisoires",
        showarrow=False,
        font={"size": 12, "color": "#555555"},
    )


def volume_figure(trend: Sequence[TrendMonth]) -> go.Figure:
    """Complaints per cohort month: plain bars, provisional months hatched."""
    counts = [t.complaints for t in trend]
    fig = go.Figure(
        go.Bar(
            x=_ticks(trend),
            y=counts,
            name="Réclamations",
            marker={
                "color": ["#FFFFFF" if t.provisional else INK for t in trend],
                "line": {"color": INK, "width": 1.5},
                "pattern": {
                    "shape": ["/" if t.provisional else "" for t in trend],
                    "fgcolor": INK,
                    "solidity": 0.35,
                },
            },
            text=[format_count(n) for n in counts],
            textposition="outside",
            cliponaxis=False,
        )
    )
    _shade_provisional(fig, trend)
    fig.update_yaxes(range=[0, max(max(counts, default=0), 1) * 1.2])
    return _style(fig, "Réclamations")


def _rate_trace(
    trend: Sequence[TrendMonth], values: Sequence[float | None], name: str, colour: str, dash: str,
    symbol: str,
) -> go.Scatter:  # fmt: skip
    return go.Scatter(
        x=_ticks(trend),
        y=[None if v is None else v * 100 for v in values],
        name=name,
        mode="lines+markers",
        line={"color": colour, "width": 2.5, "dash": dash},
        marker={
            "size": 9,
            "color": colour,
            "symbol": [f"{symbol}-open" if t.provisional else symbol for t in trend],
            "line": {"color": colour, "width": 2},
        },
    )


def compliance_figure(trend: Sequence[TrendMonth]) -> go.Figure:
    """Acknowledgement and answer compliance per cohort month."""
    fig = go.Figure(
        [
            _rate_trace(
                trend, [t.ack_rate for t in trend], "Accusés de réception", INK, "solid", "circle"
            ),
            _rate_trace(
                trend, [t.response_rate for t in trend], "Réponses", SECOND, "dash", "square"
            ),
        ]
    )
    _shade_provisional(fig, trend)
    # From 0; when every rate is high, from the tens below the lowest (60 % at most), so that
    # changes show.
    rates = [r for t in trend for r in (t.ack_rate, t.response_rate) if r is not None]
    floor = max(0, min(60, math.floor(min(rates, default=0.0) * 10 - 1) * 10))
    fig.update_yaxes(range=[floor, 104], dtick=10 if floor >= 50 else 20)
    return _style(fig, "Dans les délais", percent=True)


def escalation_figure(trend: Sequence[TrendMonth]) -> go.Figure:
    rates = [t.escalation_rate for t in trend]
    fig = go.Figure(_rate_trace(trend, rates, "Taux de saisine", INK, "solid", "diamond"))
    _shade_provisional(fig, trend)
    top = max((r for r in rates if r is not None), default=0.0) * 100
    fig.update_yaxes(range=[0, max(5.0, top * 1.25)])
    return _style(fig, "Saisines / réclamations", percent=True)


def report_figures(report: MonthlyReport) -> dict[str, go.Figure]:
    """The three 12-month trend charts, keyed as FIGURE_TITLES."""
    return {
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


# --- Workbook -----------------------------------------------------------------------------------

# Excel number formats: stored in Excel's own notation, shown in the reader's locale, so French
# Excel and LibreOffice show `1 234`, `84,9 %`, `31/12/2025`.
XLSX_FORMATS: dict[str, dict[str, Any]] = {
    "text": {"valign": "top", "text_wrap": True},
    "count": {"num_format": "#,##0"},
    "count_change": {"num_format": "+#,##0;-#,##0;0"},
    "rate": {"num_format": "0.0 %"},
    "points": {"num_format": '+0.0" pt";-0.0" pt";0.0" pt"'},
    "days": {"num_format": "0.0"},
    "date": {"num_format": "dd/mm/yyyy", "align": "left"},
    "datetime": {"num_format": "dd/mm/yyyy hh:mm", "align": "left"},
    "month": {"num_format": "[$-40C]mmmm yyyy", "align": "left"},  # French names in any Excel
}
Column = tuple[str, float, str]  # header, width, format
_BY_HEADLINE = {"headline": ("count", "rate"), "change": ("count_change", "points")}


@dataclass(frozen=True)
class Cell:
    """A value with a format other than its column's."""

    value: Any
    kind: str


def _created(report: MonthlyReport) -> datetime:
    """The documents' creation date: the as-of date, never the clock."""
    return datetime.combine(report.as_of, time())


def _day(value: date) -> datetime:
    return datetime.combine(value, time())


def _compared(figures: MonthFigures) -> str:
    return f"{month_label(figures.month, long=True)}, arrêté au {format_date(figures.as_of)}"


def _rate_columns(first: str) -> list[Column]:
    return [
        (first, 24, "text"),
        ("Réclamations", 13, "count"),
        ("AR dans les délais", 13, "rate"),
        ("Réponses dans les délais", 14, "rate"),
        ("Taux de saisine", 12, "rate"),
    ]


def _breakdown_rows(rows: Sequence[Breakdown]) -> list[list[Any]]:
    return [[b.label, b.complaints, b.ack_rate, b.response_rate, b.escalation_rate] for b in rows]


def _workbook_tables(report: MonthlyReport) -> list[tuple[str, list[Column], list[list[Any]]]]:
    """Every sheet of the workbook: name, columns, rows (a last row "Total" is set in bold)."""
    this, prev, year = report.current, report.previous, report.year_before
    imported: Any = "aucun import enregistré"
    if report.last_import is not None:
        imported = Cell(report.last_import, "datetime")
    this_label = month_label(report.month, long=True)
    synthesis: list[list[Any]] = [
        ["Rapport", report.title],
        ["Mois", Cell(_day(parse_month(report.month)), "month")],
        ["Politique de délais", POLICY_LABELS[report.policy]],
        ["Règles appliquées", POLICY_RULES[report.policy]],
        ["Date d'arrêté", Cell(_day(report.as_of), "date")],
        ["Dernier import des données", imported],
        ["Comparaison : mois précédent", _compared(prev)],
        ["Comparaison : même mois un an avant", _compared(year)],
        *(["Résumé" if i == 0 else "", s] for i, s in enumerate(report.summary)),
    ]
    headlines = []
    for h in HEADLINES:
        now, before, then = (h.value(f.kpis) for f in (this, prev, year))
        headlines.append(
            [h.label, now, before, change(now, before, h.is_rate), then,
             change(now, then, h.is_rate), h.definition]
        )  # fmt: skip
    steps = [
        [step, *(this.kpis[key][f] for f in (*STATUSES, "compliance_rate", "median_days",
                                             "p90_days"))]
        for step, key in (("Accusé de réception", "ack"), ("Réponse", "response"))
    ]  # fmt: skip
    escalated = sum(n for _, n in report.mediators)
    overdue: list[list[Any]] = [[r.label, *r.counts, r.total] for r in report.overdue]
    overdue.append(["Total", *report.overdue_by_band, report.overdue_total])
    return [
        ("Synthèse", [("Rubrique", 34, "text"), ("Valeur", 110, "text")], synthesis),
        (
            "Indicateurs",
            [("Indicateur", 38, "text"), (month_label(this.month), 13, "headline"),
             (month_label(prev.month), 13, "headline"),
             (f"Écart avec {month_label(prev.month)}", 16, "change"),
             (month_label(year.month), 13, "headline"),
             (f"Écart avec {month_label(year.month)}", 16, "change"),
             ("Définition", 90, "text")],
            headlines,
        ),
        (
            "Délais du mois",
            [("Étape", 22, "text"), ("Dans les délais", 12, "count"), ("En retard", 11, "count"),
             ("Hors délai en cours", 13, "count"), ("En attente", 11, "count"),
             ("Taux dans les délais", 13, "rate"), ("Délai médian (jours)", 13, "days"),
             ("90e centile (jours)", 13, "days")],
            steps,
        ),
        (
            "Évolution 12 mois",
            [("Mois de réception", 18, "month"), ("Réclamations", 13, "count"),
             ("AR dans les délais", 13, "rate"), ("Réponses dans les délais", 14, "rate"),
             ("Saisines", 10, "count"), ("Taux de saisine", 12, "rate"), ("Statut", 12, "text")],
            [
                [_day(parse_month(t.month)), t.complaints, t.ack_rate, t.response_rate,
                 t.escalated, t.escalation_rate, "provisoire" if t.provisional else "définitif"]
                for t in report.trend
            ],
        ),
        ("Par objet", _rate_columns("Objet"),
         _breakdown_rows(report.by_object) or [[f"Aucune réclamation reçue en {this_label}"]]),
        ("Par canal", _rate_columns("Canal"),
         _breakdown_rows(report.by_channel) or [[f"Aucune réclamation reçue en {this_label}"]]),
        (
            "Médiateurs",
            [("Médiateur", 48, "text"), ("Saisines", 10, "count"),
             ("Part des saisines", 14, "rate")],
            [[name, n, n / escalated] for name, n in report.mediators]
            or [[f"Aucune saisine pour les réclamations reçues en {this_label}"]],
        ),
        (
            "Retards ouverts",
            [("Objet", 22, "text"),
             *((f"Retard de {band.lower()}", 15, "count") for band, _, _ in AGE_BANDS),
             ("Total", 10, "count")],
            overdue,
        ),
    ]  # fmt: skip


def xlsx_bytes(report: MonthlyReport) -> bytes:
    """The workbook: one sheet per table, numbers and dates as such, French formats, frozen
    headers, the charts' data with native charts; its properties derive from the report, so the
    same report gives the same bytes."""
    import xlsxwriter  # type: ignore[import-untyped]

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    book.set_properties(
        {
            "title": report.title,
            "subject": f"{POLICY_LABELS[report.policy]} — arrêté au {format_date(report.as_of)}",
            "author": "CPMS — suivi des réclamations",
            "company": "CPMS",
            "keywords": "réclamations, conformité, rapport mensuel",
            "created": _created(report),
        }
    )
    formats = {
        (kind, bold): book.add_format({**spec, "bold": bold, **({"top": 1} if bold else {})})
        for kind, spec in XLSX_FORMATS.items()
        for bold in (False, True)
    }
    head = book.add_format(
        {"bold": True, "bg_color": "#D9D9D9", "bottom": 1, "text_wrap": True, "valign": "top"}
    )
    headline_kinds = {h.label: h.is_rate for h in HEADLINES}
    for name, columns, rows in _workbook_tables(report):
        ws = book.add_worksheet(name)
        ws.freeze_panes(1, 1)
        ws.set_paper(9)  # A4, landscape, as wide as the page, header on every page
        ws.set_landscape()
        ws.fit_to_pages(1, 0)
        ws.repeat_rows(0)
        for c, (header, width, _) in enumerate(columns):
            ws.write_string(0, c, header, head)
            ws.set_column(c, c, width)
        for r, row in enumerate(rows, start=1):
            total = row[0] == "Total"
            for c, value in enumerate(row):
                kind = columns[c][2]
                if isinstance(value, Cell):  # a format of its own
                    value, kind = value.value, value.kind
                elif kind in _BY_HEADLINE:  # a rate or a count, as the row's headline
                    kind = _BY_HEADLINE[kind][headline_kinds[row[0]]]
                cell = formats[kind, total]
                if value is None:
                    ws.write_blank(r, c, None, cell)
                elif isinstance(value, str):
                    ws.write_string(r, c, value, formats["text", total])
                elif isinstance(value, datetime):
                    ws.write_datetime(r, c, value, cell)
                else:
                    ws.write_number(r, c, value, cell)
        if name == "Évolution 12 mois":
            _xlsx_charts(book, ws, len(rows))
    book.close()
    return buffer.getvalue()


def _xlsx_charts(book: Any, ws: Any, rows: int) -> None:
    """Native charts beside the 12-month table, drawn from its cells."""
    sheet = "'Évolution 12 mois'"
    months = f"={sheet}!$A$2:$A${rows + 1}"
    axis = {"num_format": "[$-40C]mmm yy", "date_axis": False}
    volume = book.add_chart({"type": "column"})
    volume.add_series(
        {
            "name": f"={sheet}!$B$1",
            "categories": months,
            "values": f"={sheet}!$B$2:$B${rows + 1}",
            "fill": {"color": INK},
        }
    )
    volume.set_title({"name": FIGURE_TITLES["volume"], "name_font": {"size": 11}})
    volume.set_legend({"none": True})
    volume.set_x_axis(axis)
    volume.set_y_axis({"num_format": "#,##0", "min": 0})
    ws.insert_chart("I2", volume, {"x_scale": 1.3})

    rates = book.add_chart({"type": "line"})
    for column, colour, dash in (
        ("C", INK, "solid"),
        ("D", SECOND, "dash"),
        ("F", "#777777", "round_dot"),
    ):
        rates.add_series(
            {
                "name": f"={sheet}!${column}$1",
                "categories": months,
                "values": f"={sheet}!${column}$2:${column}${rows + 1}",
                "line": {"color": colour, "width": 2.25, "dash_type": dash},
                "marker": {"type": "circle", "size": 5, "border": {"color": colour},
                           "fill": {"color": colour}},
            }
        )  # fmt: skip
    rates.set_title({"name": "Taux par mois de réception", "name_font": {"size": 11}})
    rates.set_legend({"position": "bottom"})
    rates.set_x_axis(axis)
    rates.set_y_axis({"num_format": "0 %", "min": 0, "max": 1})
    rates.show_blanks_as("gap")
    ws.insert_chart("I18", rates, {"x_scale": 1.3, "y_scale": 1.1})


# --- PDF ----------------------------------------------------------------------------------------

MM = 72 / 25.4  # points per millimetre
MARGIN = 18 * MM
_FONT_DIRS = ("/usr/share/fonts/truetype/dejavu",)
# The first column's width of each table, in mm; the others share the rest.
FIRST_WIDTHS = {"headline": 68, "objects": 50, "channels": 50, "steps": 38, "mediators": 106,
                "overdue": 40, "trend": 34}  # fmt: skip


def _fonts() -> tuple[str, str, bool]:
    """Register the PDF's fonts: DejaVu Sans (Debian's fonts-dejavu-core), else ReportLab's own
    Vera, which lacks the narrow no-break space. Returns (regular, bold, has narrow space)."""
    import reportlab  # type: ignore[import-untyped]
    from reportlab.pdfbase import pdfmetrics  # type: ignore[import-untyped]
    from reportlab.pdfbase.ttfonts import TTFont  # type: ignore[import-untyped]

    candidates = [(Path(d, "DejaVuSans.ttf"), Path(d, "DejaVuSans-Bold.ttf")) for d in _FONT_DIRS]
    found = next(((r, b) for r, b in candidates if r.is_file() and b.is_file()), None)
    if found is not None:
        (regular, bold), names, narrow = found, ("CpmsSans", "CpmsSans-Bold"), True
    else:
        folder = Path(reportlab.__file__).with_name("fonts")
        regular, bold = folder / "Vera.ttf", folder / "VeraBd.ttf"
        names, narrow = ("CpmsVera", "CpmsVera-Bold"), False
    if names[0] not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(names[0], str(regular)))
        pdfmetrics.registerFont(TTFont(names[1], str(bold)))
        pdfmetrics.registerFontFamily(
            names[0], normal=names[0], bold=names[1], italic=names[0], boldItalic=names[1]
        )
    return names[0], names[1], narrow


def pdf_bytes(report: MonthlyReport, images: Sequence[bytes] | None = None) -> bytes:
    """The A4 PDF. `images` are the PNGs of `report_figures` in order (rendered here when not
    given). Its creation date and identifier derive from the report: same report, same bytes."""
    if images is None:
        images = render_png(list(report_figures(report).values()))
    return _PdfWriter(report, images).build()


class _PdfWriter:
    """The report's pages, laid out by ReportLab's platypus: flowing paragraphs and tables, a
    running header, and "Page n sur N" in the footer."""

    def __init__(self, report: MonthlyReport, images: Sequence[bytes]) -> None:
        from reportlab.lib.enums import TA_RIGHT  # type: ignore[import-untyped]
        from reportlab.lib.styles import ParagraphStyle  # type: ignore[import-untyped]

        self.report = report
        self.images = list(images)
        self.regular, self.bold, narrow = _fonts()
        self.space = NNBSP if narrow else "\u00a0"
        self.width = 210 * MM - 2 * MARGIN
        base = ParagraphStyle("base", fontName=self.regular, fontSize=9.5, leading=13)
        bold = ParagraphStyle("bold", base, fontName=self.bold)
        cell = ParagraphStyle("cell", base, fontSize=9, leading=11.5)
        cell_bold = ParagraphStyle("cell_bold", cell, fontName=self.bold)
        self.styles = {
            "base": base,
            "title": ParagraphStyle("title", bold, fontSize=20, leading=25),
            "subtitle": ParagraphStyle("subtitle", base, fontSize=14, leading=18, spaceAfter=10),
            "h2": ParagraphStyle("h2", bold, fontSize=13, leading=17, spaceBefore=12, spaceAfter=6),
            "h3": ParagraphStyle(
                "h3", bold, fontSize=10.5, leading=14, spaceBefore=8, spaceAfter=4
            ),
            "cell": cell,
            "cell_bold": cell_bold,
            "cell_right": ParagraphStyle("cell_right", cell, alignment=TA_RIGHT),
            "cell_bold_right": ParagraphStyle("cell_bold_right", cell_bold, alignment=TA_RIGHT),
            "cell_bold_head": ParagraphStyle(
                "cell_bold_head", cell_bold, fontSize=8.5, leading=10.5
            ),
            "cell_bold_head_right": ParagraphStyle(
                "cell_bold_head_right", cell_bold, fontSize=8.5, leading=10.5, alignment=TA_RIGHT
            ),
            "note": ParagraphStyle("note", base, fontSize=8, leading=10.5, textColor="#444444"),
            "definition": ParagraphStyle(
                "definition", base, fontSize=8.5, leading=11, spaceAfter=3
            ),
            "bullet": ParagraphStyle(
                "bullet",
                base,
                leftIndent=12,
                bulletIndent=2,
                spaceAfter=4,
                bulletFontName=self.regular,
            ),
        }

    def plain(self, value: str) -> str:
        """`value` with the narrow space this font can show."""
        return value.replace(NNBSP, self.space)

    def para(self, value: str, style: str = "base", bullet: str | None = None) -> Any:
        from xml.sax.saxutils import escape

        from reportlab.platypus import Paragraph  # type: ignore[import-untyped]

        return Paragraph(escape(self.plain(value)), self.styles[style], bulletText=bullet)

    def table(
        self,
        header: Sequence[str],
        rows: Sequence[Sequence[str]],
        first_width: float,
        *,
        total: bool = False,
        bold_column: int | None = None,
        text_columns: Sequence[int] = (0,),
    ) -> Any:
        """A table for print: the first column as wide as asked, the others sharing the rest;
        a grey bold header, thin rules, figures right-aligned, a bold total row if asked."""
        from reportlab.lib import colors  # type: ignore[import-untyped]
        from reportlab.platypus import Table, TableStyle

        def cells(row: Sequence[str], kind: str) -> list[Any]:
            return [
                self.para(
                    value,
                    ("cell_bold" if kind != "cell" or c == bold_column else "cell")
                    + ("_head" if kind == "head" else "")
                    + ("" if c in text_columns else "_right"),
                )
                for c, value in enumerate(row)
            ]

        data = [cells(header, "head")]
        data += [
            cells(row, "total" if total and r == len(rows) - 1 else "cell")
            for r, row in enumerate(rows)
        ]
        rest = (self.width - first_width) / (len(header) - 1)
        style = [
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#D9D9D9")),
            ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
            ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.HexColor("#999999")),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("TOPPADDING", (0, 0), (-1, -1), 3),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
        ]
        if total:
            style.append(("LINEABOVE", (0, -1), (-1, -1), 0.8, colors.black))
        widths = [first_width] + [rest] * (len(header) - 1)
        table = Table(data, colWidths=widths, repeatRows=1, hAlign="LEFT")
        table.setStyle(TableStyle(style))
        return table

    def build(self) -> bytes:
        from reportlab.lib.pagesizes import A4  # type: ignore[import-untyped]
        from reportlab.platypus import SimpleDocTemplate

        report = self.report
        buffer = io.BytesIO()
        doc = SimpleDocTemplate(
            buffer,
            pagesize=A4,
            leftMargin=MARGIN,
            rightMargin=MARGIN,
            topMargin=20 * MM,
            bottomMargin=18 * MM,
            title=report.title,
            author="CPMS — suivi des réclamations",
            subject=f"{POLICY_LABELS[report.policy]} — arrêté au {format_date(report.as_of)}",
            creator="cpms_metrics",
            keywords="réclamations, conformité, rapport mensuel",
            lang="fr-FR",
            invariant=1,  # no clock, no random identifier
        )
        stamp = _created(report).strftime("D:%Y%m%d%H%M%S+00'00'")
        doc.build(self.story(), canvasmaker=partial(_numbered_canvas(), writer=self, stamp=stamp))
        return buffer.getvalue()

    # -- content -------------------------------------------------------------------------------

    def story(self) -> list[Any]:
        from reportlab.platypus import CondPageBreak, KeepTogether, PageBreak, Spacer

        report = self.report
        headline = headline_table(report)
        tables = detail_tables(report)
        this = month_label(report.month, long=True)
        story: list[Any] = [
            self.para("Rapport mensuel des réclamations", "title"),
            self.para(this.capitalize(), "subtitle"),
            self.parameters(),
            Spacer(0, 3 * MM),
            *self.text_table("headline", headline, "h2"),
            self.para("Synthèse", "h2"),
            *(self.para(s, "bullet", bullet="•") for s in report.summary),
            PageBreak(),
            self.para(
                f"Évolution sur 12 mois ({month_label(report.trend[0].month, long=True)} à "
                f"{month_label(report.trend[-1].month, long=True)})",
                "h2",
            ),
            self.para(
                "Chaque mois regroupe les réclamations reçues ce mois-là, situation au "
                f"{format_date(report.as_of)}. Zone grisée, barres hachurées et marqueurs "
                "creux : cohortes provisoires, dont des délais de réponse courent encore.",
                "note",
            ),
        ]
        for key, image in zip(FIGURE_TITLES, self.images, strict=True):
            story.append(KeepTogether([self.para(FIGURE_TITLES[key], "h3"), self.image(image)]))
        story += [PageBreak(), self.para(f"Le mois en détail ({this})", "h2")]
        if report.has_complaints:
            for key in ("objects", "channels", "steps", "mediators"):
                story += self.text_table(key, tables[key])
        else:
            story.append(self.para(f"{tables['objects'].empty} Rien à répartir par objet ni par "
                                   "canal, aucune saisine du médiateur."))  # fmt: skip
        story += [
            CondPageBreak(60 * MM),
            *self.text_table("overdue", tables["overdue"], "h2"),
            CondPageBreak(95 * MM),
            *self.text_table("trend", tables["trend"], "h2"),
            CondPageBreak(60 * MM),
            self.definitions(),
        ]
        return story

    def image(self, png: bytes) -> Any:
        from reportlab.platypus import Image

        height = self.width * FIGURE_SIZE[1] / FIGURE_SIZE[0]
        return Image(io.BytesIO(png), width=self.width, height=height)

    def parameters(self) -> Any:
        from reportlab.lib import colors
        from reportlab.platypus import Table, TableStyle

        report = self.report
        rows = [
            ("Politique de délais",
             f"{POLICY_LABELS[report.policy]} : {POLICY_RULES[report.policy]}."),
            ("Date d'arrêté", f"{format_date(report.as_of)} (situation au soir de cette date)"),
            ("Dernier import des données", report.last_import_text),
            ("Comparaisons", f"{_compared(report.previous)} ; {_compared(report.year_before)}"),
        ]  # fmt: skip
        data = [[self.para(k, "cell_bold"), self.para(v, "cell")] for k, v in rows]
        table = Table(data, colWidths=[56 * MM, self.width - 56 * MM], hAlign="LEFT")
        table.setStyle(
            TableStyle(
                [
                    ("BOX", (0, 0), (-1, -1), 0.6, colors.HexColor("#777777")),
                    ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor("#F2F2F2")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("TOPPADDING", (0, 0), (-1, -1), 3),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
                ]
            )
        )
        return table

    def text_table(self, key: str, table: TextTable, heading: str = "h3") -> list[Any]:
        """A table under its title (kept together), its note, or what to say instead."""
        from reportlab.platypus import KeepTogether

        title = self.para(table.title, heading)
        note = [self.para(table.note, "note")] if table.note and heading == "h2" else []
        if not table.rows:
            return [KeepTogether([title, *note, self.para(table.empty)])]
        body = self.table(
            table.header, table.rows, FIRST_WIDTHS[key] * MM, total=table.total,
            bold_column=1 if key == "headline" else None,
            text_columns=(0, 5) if key == "trend" else (0,),
        )  # fmt: skip
        return [KeepTogether([title, *note, body])]

    def definitions(self) -> Any:
        from xml.sax.saxutils import escape

        from reportlab.platypus import KeepTogether, Paragraph

        terms = [(h.label, h.definition) for h in HEADLINES]
        terms.append(
            (
                "Cohorte provisoire",
                "mois de réception dont les délais de réponse ne sont pas tous échus à la date "
                "d'arrêté ; ses taux peuvent encore évoluer.",
            )
        )
        terms.append(("« — »", "rien à juger (aucun délai échu, ou aucune réclamation) : jamais "
                      "0 % ni 100 %."))  # fmt: skip
        notes = [
            Paragraph(
                f"<b>{escape(term)}</b> : {escape(self.plain(text))}",
                self.styles["definition"],
            )
            for term, text in terms
        ]
        return KeepTogether([self.para("Définitions", "h2"), *notes])


@cache
def _numbered_canvas() -> type:
    """ReportLab's canvas, keeping each page until the count is known to write "Page n sur N"
    (the recipe of ReportLab's own documentation), with the running header and footer."""
    from reportlab.pdfgen.canvas import Canvas  # type: ignore[import-untyped]

    class NumberedCanvas(Canvas):  # type: ignore[misc]
        def __init__(self, *args: Any, writer: _PdfWriter, stamp: str, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._writer = writer
            self._saved_pages: list[dict[str, Any]] = []
            self.setDateFormatter(lambda *_: stamp)  # the creation date, from the report

        def showPage(self) -> None:  # ReportLab's name
            self._saved_pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            count = len(self._saved_pages)
            for state in self._saved_pages:
                self.__dict__.update(state)
                self._decorate(count)
                super().showPage()
            super().save()

        def _decorate(self, count: int) -> None:
            writer, report = self._writer, self._writer.report
            width, height = 210 * MM, 297 * MM
            left, right = MARGIN, width - MARGIN
            self.saveState()
            self.setFont(writer.regular, 8)
            self.setFillColorRGB(0.2, 0.2, 0.2)
            self.setStrokeColorRGB(0.4, 0.4, 0.4)
            self.setLineWidth(0.4)
            self.drawString(left, height - 12 * MM, f"Réclamations CPMS · {report.title}")
            rules = f"{POLICY_LABELS[report.policy]} · arrêté au {format_date(report.as_of)}"
            self.drawRightString(right, height - 12 * MM, writer.plain(rules))
            self.line(left, height - 13.5 * MM, right, height - 13.5 * MM)
            self.line(left, 12 * MM, right, 12 * MM)
            self.drawString(left, 8 * MM, "Document interne · décomptes sans donnée personnelle")
            self.drawRightString(right, 8 * MM, f"Page {self._pageNumber} sur {count}")
            self.restoreState()

    return NumberedCanvas


# --- Files --------------------------------------------------------------------------------------

FORMATS = (".pdf", ".xlsx")


def write_report(store: Store, *, month: str, policy: str, as_of: date | None, out: Path) -> None:
    """Write the report on `month` to `out`, a PDF or an XLSX workbook by its suffix."""
    suffix = out.suffix.lower()
    if suffix not in FORMATS:
        raise CpmsError(
            f"Format de sortie inconnu : « {out.name} » (attendu : un fichier .pdf ou .xlsx).",
            title="Rapport impossible",
        )
    report = build_report(store, month=month, policy=policy, as_of=as_of)
    content = pdf_bytes(report) if suffix == ".pdf" else xlsx_bytes(report)
    try:
        out.write_bytes(content)
    except OSError as exc:
        raise CpmsError(
            f"Impossible d'écrire {out} : {exc.strerror or exc}.", title="Rapport impossible"
        ) from exc
