"""Médiation: escalation rate per month, per object and per mediator, misrouted referrals, days
from complaint to referral, and each mediator's address as the procedure gives it."""

import streamlit as st

from cpms_metrics.charts import ESCALATION_COLOUR, breakdown_chart, count_chart, rate_chart
from cpms_metrics.definitions import FIGURES, MISROUTED_HELP, MISROUTED_LABEL
from cpms_metrics.fields import label, object_vocabulary
from cpms_metrics.worklist import mediator_label
from ui import data
from ui.empty_period import empty_period
from ui.format import format_days
from ui.page import page_setup
from ui.panels.drilldown import cases_below, drill_chart
from ui.widgets import (
    PROVISIONAL_CAPTION,
    breakdown,
    chart,
    count_card,
    figure_card,
    mediator_directory,
    mediators_table,
    misrouted_table,
    no_data,
    paged,
    withheld_list,
)

filters, who = page_setup("Médiation")
figures = data.kpis(filters)
empty_period(filters, "Aucune réclamation reçue sur la période choisie.")
delays = data.referral_delay_stats(filters)
misrouted = data.count_cases(filters, "misrouted")  # case_status' `misrouted`, as Qualité

cards = st.columns(4)
with cards[0]:
    figure_card(FIGURES["escalated"], figures)
with cards[1]:
    figure_card(FIGURES["escalation_rate"], figures)
with cards[2]:
    count_card(MISROUTED_LABEL, misrouted, help=MISROUTED_HELP)
with cards[3]:
    st.metric(
        "Délai médian avant saisine", format_days(delays["median_days"]), border=True,
        help=f"De la réception à la saisine ; 9 sur 10 en {format_days(delays['p90_days'])} "
        "ou moins.",
    )  # fmt: skip

series = (("escalation_rate", "Taux de saisine", ESCALATION_COLOUR),)
left, right = st.columns(2)
with left:
    st.subheader("Taux de saisine par mois")
    months = data.monthly(filters)
    monthly_rate = rate_chart(months, filters.months, filters.as_of, series, target=None)
    by_month = drill_chart(monthly_rate.update_yaxes(title_text="Saisines"), "mediation_rates")
    st.caption(PROVISIONAL_CAPTION)
with right:
    st.subheader("Taux de saisine par objet")
    objects = data.summary(filters, "object")
    names = object_vocabulary(tuple(objects["key"]))
    by_object = breakdown(objects, lambda v: label(names, v))
    by_label = breakdown_chart(by_object, "label", series, point_field="object")
    by_object_clicked = drill_chart(by_label, "mediation_objects")
cases_below(filters, who, by_month, by_object_clicked)

left, right = st.columns(2)
with left:
    st.subheader("Par médiateur")
    mediators_table(breakdown(data.summary(filters, "mediator"), mediator_label))
with right:
    st.subheader("Jours entre la réclamation et la saisine")
    chart(count_chart(data.referral_delays(filters), "Jours depuis la réception"))

st.subheader("Saisines mal orientées")
if misrouted and not who.may_see_case_lists:
    withheld_list(misrouted, "saisines")
elif misrouted:
    paged(
        "misrouted", misrouted,
        lambda limit, offset: data.list_cases(filters, "misrouted", limit, offset),
        misrouted_table, "saisines",
    )  # fmt: skip
else:
    no_data("Aucune saisine mal orientée sur la période.")

st.subheader("Médiateurs compétents selon la procédure")
mediator_directory()
