"""Accusés de réception: compliance per month, status counts, days to acknowledge, by channel,
and the late or overdue acknowledgements."""

import streamlit as st

from cpms_metrics.charts import ACK_COLOUR, breakdown_chart, delay_chart
from cpms_metrics.fields import CHANNELS, label
from ui import data
from ui.empty_period import empty_period
from ui.page import page_setup
from ui.panels.drilldown import cases_below, drill_chart, monthly_compliance
from ui.widgets import (
    breakdown,
    chart,
    late_cases,
    status_cards,
)

filters, who = page_setup("Accusés de réception")
empty_period(filters, "Aucune réclamation reçue sur la période choisie.")
status_cards(data.kpis(filters), "ack", "AR")

series = (("ack_compliance_rate", "Accusés de réception", ACK_COLOUR),)
monthly_compliance(filters, who, "ack", series)

left, right = st.columns(2)
with left:
    st.subheader("Jours pour accuser réception")
    delays = data.delay_distribution(filters, "ack")
    chart(delay_chart(delays, "Jours entre le début du délai et l'accusé de réception"))
with right:
    st.subheader("Par canal de réception")
    channels = breakdown(data.summary(filters, "channel"), lambda v: label(CHANNELS, v))
    by_channel = breakdown_chart(channels, "label", series, target=1.0, point_field="channel")
    clicked = drill_chart(by_channel, "ack_channels")
cases_below(filters, who, clicked)

st.subheader("Accusés de réception en retard ou hors délai")
late_cases(
    filters, who, "ack_late", "AR envoyé le",
    "Aucun accusé de réception en retard ou hors délai sur la période.",
)  # fmt: skip
