"""Définitions: what each figure counts and which cases it is about, the statuses of a deadline,
the two deadline policies and the data-quality notions, rendered from `cpms_metrics.definitions`
(the one home of them, read by every page, the report and the command line), never written again."""

import pandas as pd
import streamlit as st

from cpms_metrics.definitions import (
    FIGURES,
    MISROUTED_HELP,
    MISROUTED_LABEL,
    POLICY_LABELS,
    POLICY_RULES,
    RATE_RULE,
    STATUS_HELP,
    STATUS_LABELS,
    STEP_LABELS,
    VIEW_HELP,
    VIEWS,
)
from ui.page import page_setup
from ui.widgets import STEP_SHORT, small_table

filters, _ = page_setup("Définitions")
st.caption(
    ":material/info: Chaque chiffre est défini une seule fois : les pages, les téléchargements, "
    "le rapport mensuel et la ligne de commande lisent tous ces mêmes définitions. Un même "
    "libellé montre donc partout le même nombre, pour les mêmes filtres."
)

st.subheader("Les chiffres, par vue")
for view, title in VIEWS.items():
    st.markdown(f"**{title}**")
    st.caption(VIEW_HELP[view])
    figures = [figure for figure in FIGURES.values() if figure.view == view]
    small_table(
        pd.DataFrame(
            {
                "Chiffre": [figure.label for figure in figures],
                "Type": ["taux" if figure.is_rate else "nombre" for figure in figures],
                "Définition": [figure.definition for figure in figures],
            }
        )
    )

st.subheader("Statut d'une échéance, à la date d'arrêté")
steps = " et ".join(
    label.lower() if STEP_SHORT[step] == label.lower() else f"{label.lower()} ({STEP_SHORT[step]})"
    for step, label in STEP_LABELS.items()
)
st.caption(
    f"Chaque réclamation a deux échéances, {steps}, et chacune a un statut ; les cartes des "
    f"pages nomment l'étape : « {STATUS_LABELS['overdue']} ({STEP_SHORT['ack']}) »."
)
small_table(
    pd.DataFrame(
        {
            "Statut": list(STATUS_LABELS.values()),
            "Signification": [STATUS_HELP[status] for status in STATUS_LABELS],
        }
    )
)
st.markdown(f"**Taux dans les délais** — {RATE_RULE}")

st.subheader("Politiques de délais")
small_table(
    pd.DataFrame(
        {
            "Politique": [
                f"{label} (appliquée)" if policy == filters.policy else label
                for policy, label in POLICY_LABELS.items()
            ],
            "Règle": [f"{POLICY_RULES[p][0].upper()}{POLICY_RULES[p][1:]}." for p in POLICY_LABELS],
        }
    )
)
st.caption(
    "La politique appliquée se choisit dans la barre latérale ; elle vaut pour toutes les pages."
)

st.subheader("Qualité des données")
small_table(pd.DataFrame({"Constat": [MISROUTED_LABEL], "Définition": [MISROUTED_HELP]}))
