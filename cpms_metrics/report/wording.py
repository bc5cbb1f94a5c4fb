"""The report's French sentences and cells: a rate with the cases it judges, a change through
`definitions.change` ("stable" only when it is 0, as on the overview), the written summary.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..definitions import FIGURES, STATUS_LABELS, UNTRACKED_LABEL, Figure, change
from ..formats import DASH, NNBSP, format_count, format_date, format_decimal, format_rate
from ..formats import month_label as month_label
from ..queries import STATUSES

if TYPE_CHECKING:
    from .gather import MonthFigures, MonthlyReport, Rate


def plural(count: int, singular: str, many: str) -> str:
    """`0 dossier`, `1 dossier`, `12 dossiers` (French: 0 and 1 are singular)."""
    return f"{format_count(count)} {singular if count <= 1 else many}"


def signed(value: float, unit: str = "") -> str:
    """`+2,5 pt`, `−3`, `0`: a change with its sign (a true minus) and French decimals."""
    sign = "+" if value > 0 else "−" if value < 0 else ""
    number = format_decimal(abs(value)) if unit else format_count(abs(value))
    return f"{sign}{number}{NNBSP + unit if unit else ''}"


def denominator(figure: Figure, count: int) -> str:
    """What a rate is over: `54 jugés` for a compliance rate, `4 réclamations` otherwise; no
    rate without it."""
    if figure.keys[-1] == "compliance_rate":
        return plural(count, "jugé", "jugés") if count else "aucun dossier jugé"
    return plural(count, "réclamation", "réclamations") if count else "aucune réclamation"


def untracked_text(count: int) -> str:
    """`12 non suivis`: the cases a rate leaves out, no imported file tracking their step."""
    return plural(count, "non suivi", "non suivis")


def rate_text(
    value: float | None, judged: int, figure: Figure | None = None, untracked: int = 0
) -> str:
    """`93,1 % (54 jugés)`, `93,1 % (54 jugés, 12 non suivis)`; `—` when there is nothing to
    judge, so 2 of 2 never reads alone; `Non suivi (12 dossiers)` when every case it would judge
    comes from files that do not track the step (never 0 %)."""
    if value is None:
        if untracked and not judged:
            return f"{UNTRACKED_LABEL} ({plural(untracked, 'dossier', 'dossiers')})"
        return DASH
    over = denominator(figure, judged) if figure else plural(judged, "jugé", "jugés")
    if untracked:
        over += f", {untracked_text(untracked)}"
    return f"{format_rate(value)} ({over})"


def rate_of(rate: Rate, figure: Figure | None = None) -> str:
    return rate_text(rate.value, rate.judged, figure, rate.untracked)


def shown(figure: Figure, figures: MonthFigures) -> str:
    """A headline's value for a month as it reads: a rate with its judged cases (and those it
    leaves out as not tracked), or a count."""
    value = figures.value(figure)
    if not figure.is_rate:
        return format_count(value)
    return rate_text(value, figures.judged(figure) or 0, figure, figures.untracked(figure))


def shown_change(figure: Figure, now: MonthFigures, then: MonthFigures) -> str:
    value = change(now.value(figure), then.value(figure), figure.is_rate)
    return DASH if value is None else signed(value, "pt" if figure.is_rate else "")


def join(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} et {items[-1]}"


def _value(value: Any, is_rate: bool) -> str:
    return format_rate(value) if is_rate else format_count(value)


def comparison(figure: Figure, now: MonthFigures, then: MonthFigures, at_date: bool = False) -> str:
    """`−1,2 point par rapport à octobre 2025 (94,3 %)`, `stable par rapport à …`, or what is
    missing; against `then`'s month, or its as-of date when `at_date`."""
    if at_date:
        relative = absolute = f"au {format_date(then.as_of)}"
    else:
        relative = f"à {month_label(then.month, long=True)}"
        absolute = f"en {month_label(then.month, long=True)}"
    before = then.value(figure)
    if before is None:
        return f"rien à juger {absolute}"
    points = change(now.value(figure), before, figure.is_rate)
    shown_before = _value(before, figure.is_rate)
    if points is None:
        return f"{shown_before} {absolute}"
    if points == 0:
        return f"stable par rapport {relative} ({shown_before})"
    unit = ("point" if abs(points) < 2 else "points") if figure.is_rate else ""
    return f"{signed(points, unit)} par rapport {relative} ({shown_before})"


def _statuses(block: Mapping[str, Any]) -> str:
    """`3 jugés : 1 dans les délais, 1 en retard, 1 hors délai en cours ; 1 en attente`."""
    judged = block["on_time"] + block["late"] + block["overdue"]
    parts = [f"{format_count(block[s])} {STATUS_LABELS[s].lower()}" for s in STATUSES[:3]]
    text = f"{plural(judged, 'jugé', 'jugés')} : {', '.join(parts)}"
    if block["pending"]:
        text += f" ; {format_count(block['pending'])} {STATUS_LABELS['pending'].lower()}"
    if block.get("untracked"):
        text += f" ; {untracked_text(block['untracked'])}, hors du taux"
    return text


# The sentences' subjects for the deadlines that fell in the month (rules §8).
_DUE_SUBJECTS = {
    "due_ack_rate": ("ack", "Accusés de réception dus", "Aucun accusé de réception n'était dû"),
    "due_response_rate": ("response", "Réponses dues", "Aucune réponse n'était due"),
}


def _due_sentence(key: str, report: MonthlyReport) -> str:
    figure = FIGURES[key]
    step, subject, nothing = _DUE_SUBJECTS[key]
    now, before, year = report.comparisons
    this = month_label(report.month, long=True)
    block = now.kpis["due"][step]
    if not any(block[s] for s in STATUSES):
        if block.get("untracked"):
            return (
                f"{subject} en {this} : {UNTRACKED_LABEL.lower()}s "
                f"({plural(block['untracked'], 'dossier', 'dossiers')} dont aucun fichier "
                "importé ne donne cette étape) : pas de taux."
            )
        return f"{nothing} en {this}."
    rate = block["compliance_rate"]
    head = (
        f"{subject} en {this} : {format_rate(rate)} dans les délais"
        if rate is not None
        else f"{subject} en {this} : aucun délai échu à juger"
    )
    return (
        f"{head} ({_statuses(block)}) ; {comparison(figure, now, before)} ; "
        f"{comparison(figure, now, year)}."
    )


def _received(report: MonthlyReport) -> str:
    now, before, year = (f.kpis["complaints"] for f in report.comparisons)
    this = month_label(report.month, long=True)
    others = f"{format_count(before)} en {month_label(report.previous.month, long=True)}"
    others += f" et {format_count(year)} en {month_label(report.year_before.month, long=True)}"
    if now == 0:
        return f"Aucune réclamation n'a été reçue en {this} (contre {others})."
    verb = "a été reçue" if now == 1 else "ont été reçues"
    return f"En {this}, {plural(now, 'réclamation', 'réclamations')} {verb}, contre {others}."


def _referrals(report: MonthlyReport) -> str:
    figure = FIGURES["due_referrals"]
    now, before, year = report.comparisons
    this = month_label(report.month, long=True)
    return (
        f"Saisines du médiateur faites en {this} : {format_count(now.value(figure))} ; "
        f"{comparison(figure, now, before)} ; "
        f"{comparison(figure, now, year)}."
    )


def _backlog(report: MonthlyReport) -> str:
    figure = FIGURES["backlog_response_overdue"]
    now, before, year = report.comparisons
    total = report.backlog_overdue
    on = format_date(report.as_of)
    compared = (
        f" ; {comparison(figure, now, before, True)} ; {comparison(figure, now, year, True)}."
    )
    if total == 0:
        return (
            f"Au {on}, aucun dossier ouvert n'a dépassé son délai de réponse, tous mois de "
            f"réception confondus{compared}"
        )
    old = sum(report.overdue_by_band[2:])
    text = (
        f"Au {on}, {plural(total, 'dossier ouvert a', 'dossiers ouverts ont')} dépassé "
        f"{'son' if total == 1 else 'leur'} délai de réponse, tous mois de réception confondus"
    )
    return text + (f", dont {format_count(old)} depuis plus de 90 jours" if old else "") + compared


def cohort_sentence(report: MonthlyReport) -> str:
    """The month's cohort as context: its rates, with what they judge, marked provisional."""
    now = report.current
    this = month_label(report.month, long=True)
    if not report.has_complaints:
        return f"Aucune réclamation reçue en {this} : pas de taux par cohorte."
    status = (
        "cohorte provisoire, des délais de réponse courent encore"
        if now.provisional
        else "cohorte définitive"
    )
    ack, response, escalation = (
        FIGURES[k] for k in ("ack_rate", "response_rate", "escalation_rate")
    )
    return (
        f"Réclamations reçues en {this} ({status}) : accusés de réception dans les délais "
        f"{shown(ack, now)}, réponses dans les délais {shown(response, now)}, taux de saisine "
        f"du médiateur {shown(escalation, now)}."
    )


def summary(report: MonthlyReport) -> tuple[str, ...]:
    """The report's short written summary: the headlines first (received, due in the month,
    referrals, backlog), then the cohort as context and the provisional months."""
    sentences = [
        _received(report),
        _due_sentence("due_ack_rate", report),
        _due_sentence("due_response_rate", report),
        _referrals(report),
        _backlog(report),
        cohort_sentence(report),
    ]
    provisional = [month_label(m, long=True) for m in report.provisional_months]
    if provisional:
        sentences.append(
            f"Cohortes provisoires au {format_date(report.as_of)} (délais de réponse pas tous "
            f"échus) : {join(provisional)} ; leurs chiffres peuvent encore évoluer."
        )
    return tuple(sentences)
