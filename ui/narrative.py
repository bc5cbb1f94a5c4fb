"""The sentence for executives at the top of the overview: the period in a few words, every
number in it taken from the same `kpis` object as the cards. The complaints and rates are the
period's (its cohorts); the late answers are the backlog's, every open case whatever its month
(rules §7), as on the card "Réponses en retard (dossiers ouverts)"."""

from __future__ import annotations

from typing import Any

from ui.filters import Filters
from ui.format import POLICY_LABELS, count_noun, format_count, format_rate, period_label


def executive_summary(now: dict[str, Any], before: dict[str, Any] | None, filters: Filters) -> str:
    """A short French paragraph (Markdown) summing up the period."""
    period = period_label(filters.month_from, filters.month_to, long=True)
    period = period[0].upper() + period[1:]
    complaints = now["complaints"]
    if complaints == 0:
        return f"{period}, aucune réclamation n'a été reçue. {_backlog(now)}".strip()
    text = f"{period}, **{count_noun(complaints, 'réclamation', 'réclamations')}** "
    text += "a été reçue" if complaints == 1 else "ont été reçues"
    if before is not None and before["complaints"]:
        text += f" ({format_count(before['complaints'])} sur la période précédente)"
    text += ". "
    ack, response = now["ack"]["compliance_rate"], now["response"]["compliance_rate"]
    policy = POLICY_LABELS[filters.policy]
    judged = [
        f"**{format_rate(rate)}** des {what}"
        for rate, what in ((ack, "accusés de réception"), (response, "réponses"))
        if rate is not None
    ]
    untracked = [
        (now[step]["untracked"], what)
        for step, what in (("ack", "accusés de réception"), ("response", "réponses"))
        if now[step].get("untracked")
    ]
    if judged:
        text += f"{' et '.join(judged)} ont respecté les délais ({policy}). "
    elif not untracked:
        text += "Aucun délai n'est encore échu : la conformité ne peut pas encore être jugée. "
    for count, what in untracked:
        text += (
            f"Les {what} ne sont pas suivis pour "
            f"{count_noun(count, 'réclamation', 'réclamations')} (les fichiers importés ne les "
            "donnent pas) : elles sont hors de ce taux. "
        )
    text += _backlog(now) + " "
    escalated = now["escalation"]["escalated"]
    if escalated:
        text += (
            f"{count_noun(escalated, 'réclamation a', 'réclamations ont')} été portée"
            f"{'s' if escalated > 1 else ''} devant un médiateur "
            f"({format_rate(now['escalation']['rate'])})."
        )
    else:
        text += "Aucune réclamation n'a été portée devant un médiateur."
    return text


def _backlog(now: dict[str, Any]) -> str:
    """The open cases past their answer deadline, whatever their month of receipt."""
    overdue = now["backlog"]["response_overdue"]
    if not overdue:
        return "Aucun dossier ouvert n'a dépassé son délai de réponse."
    return (
        f"**{count_noun(overdue, 'réponse est', 'réponses sont')} en retard** "
        "sur des dossiers encore ouverts, quel que soit leur mois de réception."
    )
