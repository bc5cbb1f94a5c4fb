"""Délais de réponse: compliance per month, status counts, time to answer (Kaplan-Meier, open
cases censored), same-channel answers, and the late or overdue answers."""

import streamlit as st

from cpms_metrics.charts import (
    ANSWER_COLOUR,
    SAME_CHANNEL_COLOUR,
    TWO_MONTHS_DAYS,
    breakdown_chart,
    time_to_answer_chart,
)
from cpms_metrics.fields import CHANNELS, label
from cpms_metrics.worklist import answered_by
from ui import data
from ui.empty_period import empty_period
from ui.format import format_rate
from ui.page import page_setup
from ui.panels.drilldown import cases_below, drill_chart, monthly_compliance
from ui.widgets import (
    breakdown,
    chart,
    late_cases,
    rate_card,
    status_cards,
)

filters, who = page_setup("Délais de réponse")
figures = data.kpis(filters)
empty_period(filters, "Aucune réclamation reçue sur la période choisie.")

status_cards(figures, "response", "réponses")

series = (("response_compliance_rate", "Réponses", ANSWER_COLOUR),)
monthly_compliance(filters, who, "response", series)

left, right = st.columns(2)
with left:
    st.subheader("Part des réclamations répondues, jour après jour")
    curve = data.time_to_answer(filters)
    chart(time_to_answer_chart(curve))
    st.caption(
        f"À 2 mois ({TWO_MONTHS_DAYS} jours) : {format_rate(answered_by(curve, TWO_MONTHS_DAYS))}"
        " des réclamations ont reçu une réponse. Estimation de Kaplan-Meier : un dossier encore "
        "ouvert compte jusqu'à la date d'arrêté, puis sort du calcul sans fausser la courbe."
    )
with right:
    st.subheader("Par canal de réception")
    rate_card(
        "Réponses écrites par le même canal", figures["same_channel_rate"],
        help="Réclamations reçues par e-mail ou courrier, répondues par le même canal : "
        "CPMS répond selon les mêmes modalités que la réclamation.",
    )  # fmt: skip
    channels = breakdown(data.summary(filters, "channel"), lambda v: label(CHANNELS, v))
    by_channel = (*series, ("same_channel_rate", "Par le même canal", SAME_CHANNEL_COLOUR))
    clicked = drill_chart(
        breakdown_chart(channels, "label", by_channel, target=1.0, point_field="channel"),
        "response_channels",
    )
cases_below(filters, who, clicked)

st.subheader("Réponses en retard ou hors délai")
late_cases(
    filters, who, "answer_late", "Répondu le",
    "Aucune réponse en retard ou hors délai sur la période.",
)  # fmt: skip
