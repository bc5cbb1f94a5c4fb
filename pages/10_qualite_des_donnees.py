"""Qualité des données: the soft findings of the period's cases — wrong NIR key, invalid e-mail or
phone, missing items the procedure asks for, misrouted mediator, answer by another channel — by
kind and by month, with the cases behind each kind."""

import streamlit as st

from cpms_metrics.definitions import MISROUTED_LABEL
from cpms_metrics.families import FAMILY_HELP, family_counts, findings_chart
from cpms_metrics.validation import FINDING_KINDS
from ui import data
from ui.format import format_count
from ui.page import page_setup
from ui.panels import quality as panel
from ui.widgets import chart, count_card, no_data, paged

filters, who = page_setup("Qualité des données")
scope = filters.scope()
by_kind = data.read("by_kind", scope)
st.caption(
    ":material/info: Un constat signale une donnée personnelle ou de contact imparfaite : le "
    "dossier reste dans les indicateurs. Demandes hors réclamation comprises, sauf pour les "
    f"{MISROUTED_LABEL.lower()} : le chiffre de la page Médiation, à la date d'arrêté."
)
if by_kind.empty:
    no_data("Aucun constat sur les dossiers de la période : les données sont complètes.")
    st.stop()

counts = family_counts(by_kind)
for column, (family, count) in zip(st.columns(len(counts)), counts.items(), strict=True):
    with column:
        count_card(family, count, help=FAMILY_HELP[family])

left, right = st.columns([3, 2], gap="large")
with left:
    st.subheader("Constats par mois de réception")
    chart(findings_chart(data.read("by_month", scope), filters.months))
with right:
    st.subheader("Par type de constat")
    panel.kinds_table(by_kind)

st.subheader("Dossiers concernés")
totals = dict(zip(by_kind["kind"], by_kind["findings"], strict=True))
kind = st.selectbox(
    "Type de constat", list(totals),
    format_func=lambda k: f"{FINDING_KINDS.get(k, k)} ({format_count(totals[k])})",
)  # fmt: skip
paged(
    f"quality_{kind}", int(totals[kind]),
    lambda limit, offset: data.read("finding_cases", scope, kind, limit=limit, offset=offset)[1],
    lambda frame: panel.finding_cases_table(frame, data.settings().objects, who.personal_data),
    "constats",
)  # fmt: skip
st.caption(":material/open_in_new: La référence ouvre le suivi du dossier dans un nouvel onglet.")
