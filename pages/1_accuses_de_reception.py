"""Accusés de réception: compliance per month, status counts, days to acknowledge, by channel,
and the late or overdue acknowledgements."""

import streamlit as st

from cpms_metrics.charts import ACK_COLOUR, breakdown_chart, delay_chart, rate_chart, status_chart
from cpms_metrics.fields import CHANNELS, label
from ui import data
from ui.page import page_setup
from ui.widgets import (
    breakdown,
    chart,
    late_cases_table,
    no_data,
    paged,
    status_cards,
    withheld_list,
)

filters, who = page_setup("Accusés de réception")
ack = data.kpis(filters)["ack"]

status_cards(ack, "ack", "AR dans les délais", "AR")

months = data.monthly(filters)
series = (("ack_compliance_rate", "Accusés de réception", ACK_COLOUR),)
left, right = st.columns(2)
with left:
    st.subheader("Conformité par mois")
    chart(rate_chart(months, filters.months, filters.as_of, series))
with right:
    st.subheader("Statuts par mois")
    chart(status_chart(months, filters.months, filters.as_of, "ack"))

left, right = st.columns(2)
with left:
    st.subheader("Jours pour accuser réception")
    delays = data.delay_distribution(filters, "ack")
    chart(delay_chart(delays, "Jours entre le début du délai et l'accusé de réception"))
with right:
    st.subheader("Par canal de réception")
    channels = breakdown(data.summary(filters, "channel"), lambda v: label(CHANNELS, v))
    chart(breakdown_chart(channels, "label", series, target=1.0))

st.subheader("Accusés de réception en retard ou hors délai")
total = data.count_cases(filters, "ack_late")
if total and not who.may_see_case_lists:
    withheld_list(total)
elif total:
    paged(
        "ack_late", total,
        lambda limit, offset: data.list_cases(filters, "ack_late", limit, offset),
        lambda rows: late_cases_table(rows, "AR envoyé le"),
    )  # fmt: skip
else:
    no_data("Aucun accusé de réception en retard ou hors délai sur la période.")
