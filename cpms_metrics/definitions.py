"""One definition of every figure, status, view and policy text the dashboard shows.

The pages, the downloads, the monthly report and the command line read their labels, help texts
and headline lists from here, so that one name always means one number (docs/regles.md §9). The
numbers themselves come from `queries.kpis`; a figure here says where it sits in that object.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ACPR_RECOMMENDATION = "2024-R-02"  # replaced 2022-R-01 on 2 July 2024, same deadlines

# --- Policies -----------------------------------------------------------------------------------

POLICY_LABELS = {"cpms": "Engagement CPMS", "acpr": "Référentiel ACPR"}
POLICY_RULES = {
    "cpms": "accusé de réception sous 10 jours calendaires et réponse sous 2 mois, "
    "à compter de la réception de la réclamation",
    "acpr": "accusé de réception sous 10 jours ouvrables et réponse sous 2 mois, à compter de "
    f"l'envoi de la réclamation quand il est connu (recommandation ACPR {ACPR_RECOMMENDATION})",
}
POLICY_SHORT_RULES = {
    "cpms": "AR sous 10 jours calendaires, réponse sous 2 mois",
    "acpr": "AR sous 10 jours ouvrables, réponse sous 2 mois, à compter de l'envoi",
}

# --- Statuses of a deadline as of a date (rules §3) -------------------------------------------

STATUS_LABELS = {
    "on_time": "Dans les délais",
    "late": "En retard",
    "overdue": "Hors délai en cours",
    "pending": "En attente",
}
STATUS_HELP = {
    "on_time": "Fait au plus tard à l'échéance.",
    "late": "Fait après l'échéance.",
    "overdue": "Pas encore fait, et l'échéance est dépassée à la date d'arrêté.",
    "pending": "Pas encore fait, et l'échéance n'est pas encore dépassée : pas encore jugé.",
}
# A step no imported file tracks (export-format.md): in no status above and in no rate.
UNTRACKED = "untracked"
UNTRACKED_LABEL = "Non suivi"
UNTRACKED_HELP = (
    "Dossiers dont aucun fichier importé ne donne cette étape (pas de colonne de date d'accusé "
    "de réception, ou de réponse) et pour lesquels rien ne l'enregistre : ni jugés, ni comptés "
    "dans le taux."
)
# Every value of `case_status`' ack_status / answer_status, labelled (a case's own deadlines).
CASE_STATUS_LABELS = {**STATUS_LABELS, UNTRACKED: UNTRACKED_LABEL}
STEP_LABELS = {"ack": "Accusé de réception", "response": "Réponse"}
RATE_RULE = (
    "Dans les délais / (dans les délais + en retard + hors délai en cours) : les dossiers encore "
    "dans leur délai ne sont pas jugés ; sans dossier jugé, pas de taux (« — »)."
)

# --- Views: which cases a figure is about -----------------------------------------------------

VIEWS = {
    "cohort": "Réclamations reçues sur la période",
    "backlog": "Dossiers ouverts à la date d'arrêté, quel que soit leur mois de réception",
    "due": "Échéances tombées sur la période",
}
VIEW_HELP = {
    "cohort": "Chaque réclamation compte dans le mois de sa réception (sa cohorte). Un mois "
    "dont les délais de réponse ne sont pas tous échus est provisoire : ses taux peuvent encore "
    "changer.",
    "backlog": "Toutes les réclamations reçues jusqu'à la date d'arrêté et encore sans réponse, "
    "sans tenir compte de la période choisie (les autres filtres s'appliquent).",
    "due": "Les accusés de réception et les réponses dont l'échéance tombe dans les mois de la "
    "période, jugés à la date d'arrêté ; les saisines du médiateur faites dans ces mois.",
}

# --- Data-quality notions -----------------------------------------------------------------------

MISROUTED_LABEL = "Mauvaises orientations"
MISROUTED_HELP = (
    "Réclamations portées devant un médiateur (à la date d'arrêté) dont le médiateur enregistré "
    "n'est pas celui dont relève leur porteur de risque."
)


# --- Outcome, causes, dysfunctions (ACPR 2024-R-02, docs/regles.md §10) -----------------------

OUTCOME_SCOPE = "Réclamations reçues sur la période et répondues à la date d'arrêté"
DYSFUNCTION_STATUS_LABELS = {"ouvert": "Ouvert", "en_cours": "En cours", "clos": "Clos"}
RECURRENCE_HELP = (
    "Pour un dysfonctionnement clos : les réclamations de même objet et de même cause reçues dans "
    "les 3 mois avant sa clôture et dans les 3 mois après. Des réclamations après la clôture : "
    "l'action corrective n'a peut-être pas suffi."
)
REPEAT_LABEL = "Réclamants récurrents"
REPEAT_HELP = (
    "Adhérents (même NIR, comparé dans la base et jamais affiché) ayant au moins deux "
    "réclamations reçues dans les 12 mois qui précèdent la date d'arrêté."
)


# --- Figures ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    """A named figure: where it sits in `kpis`' object, which view it belongs to, what it means."""

    key: str
    label: str
    keys: tuple[str, ...]
    view: str  # a key of VIEWS
    is_rate: bool
    lower_is_better: bool
    definition: str

    def value(self, figures: dict[str, Any]) -> Any:
        value: Any = figures
        for key in self.keys:
            value = value[key]
        return value


def _figure(
    key: str, label: str, keys: tuple[str, ...], view: str, definition: str, *, rate: bool,
    lower: bool,
) -> Figure:  # fmt: skip
    return Figure(key, label, keys, view, rate, lower, definition)


FIGURES = {
    f.key: f
    for f in (
        _figure(
            "complaints", "Réclamations reçues", ("complaints",), "cohort",
            "Réclamations reçues sur la période, hors demandes d'information, de clarification "
            "ou de confirmation.", rate=False, lower=True,
        ),
        _figure(
            "non_complaints", "Demandes hors réclamation", ("non_complaints",), "cohort",
            "Demandes d'information, de clarification ou de confirmation reçues sur la période : "
            "gardées, mais exclues de tous les délais et taux.", rate=False, lower=False,
        ),
        _figure(
            "ack_rate", "Accusés de réception dans les délais", ("ack", "compliance_rate"),
            "cohort", f"Réclamations reçues sur la période. {RATE_RULE}", rate=True, lower=False,
        ),
        _figure(
            "response_rate", "Réponses dans les délais", ("response", "compliance_rate"),
            "cohort", "Réclamations reçues sur la période, réponse due sous 2 mois. "
            f"{RATE_RULE}", rate=True, lower=False,
        ),
        _figure(
            "escalation_rate", "Taux de saisine du médiateur", ("escalation", "rate"), "cohort",
            "Réclamations reçues sur la période portées devant un médiateur à la date d'arrêté / "
            "réclamations reçues sur la période.", rate=True, lower=True,
        ),
        _figure(
            "escalated", "Saisines du médiateur", ("escalation", "escalated"), "cohort",
            "Réclamations reçues sur la période portées devant un médiateur à la date d'arrêté.",
            rate=False, lower=True,
        ),
        _figure(
            "backlog_open", "Dossiers ouverts", ("backlog", "open"), "backlog",
            "Réclamations reçues jusqu'à la date d'arrêté et encore sans réponse, quel que soit "
            "leur mois de réception.", rate=False, lower=True,
        ),
        _figure(
            "backlog_ack_overdue", "Accusés de réception en retard (dossiers ouverts)",
            ("backlog", "ack_overdue"), "backlog",
            "Dossiers ouverts sans accusé de réception dont l'échéance est dépassée.",
            rate=False, lower=True,
        ),
        _figure(
            "backlog_response_overdue", "Réponses en retard (dossiers ouverts)",
            ("backlog", "response_overdue"), "backlog",
            "Dossiers ouverts dont le délai de réponse de 2 mois est dépassé, quel que soit leur "
            "mois de réception.", rate=False, lower=True,
        ),
        _figure(
            "backlog_due_soon", "À échéance sous 3 jours", ("backlog", "due_within_3_days"),
            "backlog", "Dossiers ouverts sans étape hors délai dont la prochaine échéance tombe "
            "dans les 3 jours.", rate=False, lower=True,
        ),
        _figure(
            "due_ack_rate", "Accusés de réception dus sur la période, dans les délais",
            ("due", "ack", "compliance_rate"), "due",
            f"Accusés de réception dont l'échéance tombe dans la période. {RATE_RULE}",
            rate=True, lower=False,
        ),
        _figure(
            "due_response_rate", "Réponses dues sur la période, dans les délais",
            ("due", "response", "compliance_rate"), "due",
            f"Réponses dont l'échéance tombe dans la période. {RATE_RULE}", rate=True,
            lower=False,
        ),
        _figure(
            "due_referrals", "Saisines du médiateur sur la période", ("due", "referrals"), "due",
            "Réclamations portées devant un médiateur dans les mois de la période (au plus tard "
            "à la date d'arrêté), quel que soit leur mois de réception.", rate=False, lower=True,
        ),
        # ACPR 2024-R-02 (docs/regles.md §10): the outcome of the answered complaints.
        _figure(
            "outcome_fondee", "Réclamations fondées", ("outcome", "fondee"), "cohort",
            f"{OUTCOME_SCOPE} dont la suite donnée est « Fondée ».", rate=False, lower=True,
        ),
        _figure(
            "outcome_partiellement_fondee", "Réclamations partiellement fondées",
            ("outcome", "partiellement_fondee"), "cohort",
            f"{OUTCOME_SCOPE} dont la suite donnée est « Partiellement fondée ».", rate=False,
            lower=True,
        ),
        _figure(
            "outcome_non_fondee", "Réclamations non fondées", ("outcome", "non_fondee"), "cohort",
            f"{OUTCOME_SCOPE} dont la suite donnée est « Non fondée ».", rate=False, lower=False,
        ),
        _figure(
            "outcome_not_recorded", "Réponses sans suite enregistrée",
            ("outcome", "not_recorded"), "cohort",
            f"{OUTCOME_SCOPE} sans suite donnée enregistrée (ou non reconnue à l'import).",
            rate=False, lower=True,
        ),
        _figure(
            "founded_rate", "Taux de réclamations fondées", ("outcome", "founded_rate"), "cohort",
            f"{OUTCOME_SCOPE} : (fondées + partiellement fondées) / (fondées + partiellement "
            "fondées + non fondées) ; les réponses sans suite enregistrée n'entrent pas au "
            "dénominateur ; sans dénominateur, pas de taux (« — »).", rate=True, lower=True,
        ),
        _figure(
            "redress_total", "Gestes et indemnisations (€)", ("outcome", "redress_total"),
            "cohort", f"{OUTCOME_SCOPE} : somme des montants accordés, en euros.", rate=False,
            lower=True,
        ),
    )
}  # fmt: skip
OUTCOME_FIGURES = tuple(
    FIGURES[k]
    for k in ("founded_rate", "outcome_fondee", "outcome_partiellement_fondee",
              "outcome_non_fondee", "outcome_not_recorded", "redress_total")
)  # fmt: skip

# The overview's five cards, and the five figures the monthly report leads with.
OVERVIEW_HEADLINES = tuple(
    FIGURES[k]
    for k in (
        "complaints", "ack_rate", "response_rate", "escalation_rate", "backlog_response_overdue",
    )
)  # fmt: skip
REPORT_HEADLINES = tuple(
    FIGURES[k]
    for k in ("complaints", "due_ack_rate", "due_response_rate", "due_referrals",
              "backlog_response_overdue")
)  # fmt: skip


def change(now: Any, before: Any, is_rate: bool) -> float | None:
    """A figure's change: in percentage points between the rates as shown (to 0.1 %), so that a
    reader can check it from the two figures; in number for a count. None without both."""
    if now is None or before is None:
        return None
    if is_rate:
        return float(round(round(now * 100, 1) - round(before * 100, 1), 1))
    return float(now - before)
