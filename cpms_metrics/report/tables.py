"""The report's tables as they read, French headers and formatted cells, the same in the PDF and on
the page; each table's title names the view it shows (definitions.VIEWS).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..definitions import (
    FIGURES,
    REPORT_HEADLINES,
    STATUS_LABELS,
    STEP_LABELS,
    UNTRACKED_LABEL,
    VIEWS,
)
from ..formats import (
    DASH,
    NNBSP,
    format_count,
    format_date,
    format_decimal,
    format_rate,
    month_label,
)
from ..queries import STATUSES
from .gather import AGE_BANDS, COHORT_FIGURES, Breakdown, MonthlyReport
from .wording import rate_of, rate_text, shown, shown_change

PROVISIONAL = "provisoire"
FINAL = "définitif"


@dataclass(frozen=True)
class TextTable:
    """One of the report's tables as it reads."""

    title: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    empty: str = ""  # what to say instead when there is no row
    note: str = ""
    total: bool = False  # the last row is a total
    groups: dict[int, str] | None = None  # a heading before the row of each index (the PDF's)


def view_title(view: str, report: MonthlyReport, provisional: bool = False) -> str:
    """`Échéances tombées sur la période — novembre 2025`, the view first."""
    if view == "backlog":
        return f"{VIEWS[view]} — au {format_date(report.as_of)}"
    text = f"{VIEWS[view]} — {month_label(report.month, long=True)}"
    return f"{text} ({PROVISIONAL})" if provisional else text


def headline_table(report: MonthlyReport) -> TextTable:
    """The five figures the report leads with, against the month before and a year before."""
    now, before, year = report.comparisons
    groups: dict[int, str] = {}
    for index, figure in enumerate(REPORT_HEADLINES):  # each view named once, before its rows
        if figure.view not in (h.view for h in REPORT_HEADLINES[:index]):
            groups[index] = f"Vue : {VIEWS[figure.view].lower()}"
    rows = tuple(
        (h.label, shown(h, now), shown(h, before), shown_change(h, now, before),
         shown(h, year), shown_change(h, now, year))
        for h in REPORT_HEADLINES
    )  # fmt: skip
    return TextTable(
        f"Chiffres clés — {month_label(report.month, long=True)}",
        ("Indicateur", month_label(now.month), month_label(before.month), "Écart sur 1 mois",
         month_label(year.month), "Écart sur 1 an"),
        rows,
        note="La période est le mois du rapport. Écarts en points entre les taux affichés, en "
        "nombre pour les dossiers ; entre parenthèses, le nombre de dossiers jugés. Chaque mois de "
        "comparaison est arrêté au même nombre de jours après sa fin que le mois du rapport, pour "
        "comparer des dossiers de même ancienneté.",
        groups=groups,
    )  # fmt: skip


def _days(value: float | None) -> str:
    return DASH if value is None else f"{format_decimal(value)}{NNBSP}j"


def _tracks_all(blocks: Sequence[tuple[str, Mapping[str, Any]]]) -> bool:
    """Whether every case of these steps comes from files that track them (no "Non suivi")."""
    return not any(block.get("untracked") for _, block in blocks)


def _step_header(blocks: Sequence[tuple[str, Mapping[str, Any]]], days: bool) -> tuple[str, ...]:
    untracked = () if _tracks_all(blocks) else (UNTRACKED_LABEL,)
    median = ("Délai médian",) if days else ()
    statuses = tuple(STATUS_LABELS[s] for s in STATUSES)
    return ("Étape", *statuses, *untracked, "Taux dans les délais", *median)


def _steps(
    blocks: Sequence[tuple[str, Mapping[str, Any]]], days: bool
) -> tuple[tuple[str, ...], ...]:
    """One row per step: its statuses (and its untracked cases when a file did not track it),
    its rate with the cases judged, its median if asked."""
    rows = []
    tracked = _tracks_all(blocks)
    for step, block in blocks:
        judged = sum(int(block[s]) for s in STATUSES[:3])
        untracked = int(block.get("untracked", 0))
        row = [STEP_LABELS[step], *(format_count(block[s]) for s in STATUSES)]
        if not tracked:
            row.append(format_count(untracked))
        row.append(rate_text(block["compliance_rate"], judged, untracked=untracked))
        if days:
            row.append(_days(block["median_days"]))
        rows.append(tuple(row))
    return tuple(rows)


def _breakdown(title: str, first: str, rows: Sequence[Breakdown], empty: str) -> TextTable:
    header = (first, *(f.label for f in (FIGURES["complaints"], *COHORT_FIGURES)))
    ack, response, escalation = COHORT_FIGURES
    body = tuple(
        (b.label, format_count(b.complaints), rate_of(b.ack, ack), rate_of(b.response, response),
         rate_of(b.escalation, escalation))
        for b in rows
    )  # fmt: skip
    return TextTable(title, header, body, empty)


def detail_tables(report: MonthlyReport) -> dict[str, TextTable]:
    """The month's due dates; its cohort (steps, objects, channels, mediators); the backlog past
    due; the trend charts' data, one table per view."""
    this = month_label(report.month, long=True)
    nothing = f"Aucune réclamation n'a été reçue en {this}."
    now = report.current.kpis
    provisional = report.current.provisional
    cohort = view_title("cohort", report, provisional)
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
    due_figures = (FIGURES["due_ack_rate"], FIGURES["due_response_rate"])
    due_steps = [(s, now["due"][s]) for s in ("ack", "response")]
    cohort_steps = [(s, now[s]) for s in ("ack", "response")]
    return {
        "due": TextTable(
            view_title("due", report),
            _step_header(due_steps, days=False),
            _steps(due_steps, days=False),
            note=f"Les accusés de réception et les réponses dont l'échéance tombe en {this}, "
            f"jugés au {on}. {FIGURES['due_referrals'].label} : "
            f"{format_count(now['due']['referrals'])}.",
        ),
        "steps": TextTable(
            f"{cohort} : délais",
            _step_header(cohort_steps, days=True),
            _steps(cohort_steps, days=True) if report.has_complaints else (),
            nothing,
        ),
        "objects": _breakdown(f"{cohort} : par objet", "Objet", report.by_object, nothing),
        "channels": _breakdown(f"{cohort} : par canal", "Canal", report.by_channel, nothing),
        "mediators": TextTable(
            f"{cohort} : saisines du médiateur, par médiateur",
            ("Médiateur", FIGURES["escalated"].label, "Part des saisines"),
            tuple(mediators),
            f"Aucune réclamation reçue en {this} n'a été portée devant un médiateur.",
            total=True,
        ),
        "overdue": TextTable(
            f"{view_title('backlog', report)} : hors délai de réponse",
            ("Objet", *(f"Retard de {band.lower()}" for band, _, _ in AGE_BANDS), "Total"),
            tuple(overdue),
            f"Aucun dossier ouvert n'a dépassé son délai de réponse au {on}.",
            f"{FIGURES['backlog_response_overdue'].definition} Par objet et par ancienneté du "
            "retard ; décomptes seuls, sans donnée personnelle.",
            total=True,
        ),
        "trend_due": TextTable(
            f"{VIEWS['due']}, mois par mois",
            ("Mois", *(f.label for f in due_figures), FIGURES["due_referrals"].label),
            tuple(
                (
                    month_label(t.month, long=True),
                    rate_of(t.due_ack),
                    rate_of(t.due_response),
                    format_count(t.referrals),
                )
                for t in report.trend
            ),
            note=f"Chaque mois : les échéances tombées ce mois-là, jugées au {on}.",
        ),
        "trend": TextTable(
            f"{VIEWS['cohort']}, mois par mois",
            (
                "Mois de réception",
                FIGURES["complaints"].label,
                *(f.label for f in COHORT_FIGURES),
                "Statut",
            ),
            tuple(
                (
                    month_label(t.month, long=True),
                    format_count(t.complaints),
                    rate_of(t.ack, COHORT_FIGURES[0]),
                    rate_of(t.response, COHORT_FIGURES[1]),
                    rate_of(t.escalation, COHORT_FIGURES[2]),
                    PROVISIONAL if t.provisional else FINAL,
                )
                for t in report.trend
            ),
            note=f"Chaque mois regroupe les réclamations reçues ce mois-là, situation au {on} ; "
            "un mois provisoire a encore des délais de réponse qui courent.",
        ),
    }
