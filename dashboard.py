"""Vue d'ensemble: the five figures of the period against the previous one, the monthly trends,
and one paragraph for executives."""

import streamlit as st

from cpms_metrics.charts import rate_chart, volume_chart
from cpms_metrics.definitions import OVERVIEW_HEADLINES, REPEAT_HELP, REPEAT_LABEL, VIEWS
from ui import data
from ui.empty_period import empty_period
from ui.format import count_noun, format_count, format_date, period_label
from ui.narrative import executive_summary
from ui.page import page_setup
from ui.panels.drilldown import cases_below, drill_chart
from ui.widgets import PROVISIONAL_CAPTION, figure_card

filters, who = page_setup("Vue d'ensemble")
now = data.kpis(filters)
empty_period(filters, "Aucune réclamation reçue sur la période choisie.")
previous = filters.previous()
before = data.kpis(previous)
if not before["complaints"]:  # nothing to compare with before the first complaint on record
    before = None

st.markdown(executive_summary(now, before, filters))
for column, figure in zip(st.columns(len(OVERVIEW_HEADLINES)), OVERVIEW_HEADLINES, strict=True):
    with column:
        requests = f" Demandes hors réclamation : {format_count(now['non_complaints'])}."
        figure_card(figure, now, before, extra=requests if figure.key == "complaints" else "")
# Which cases each card is about (rules §8: every page says which view a figure belongs to).
views = {}
for figure in OVERVIEW_HEADLINES:
    views.setdefault(figure.view, []).append(f"« {figure.label} »")
st.caption(
    " · ".join(f"{', '.join(labels)} : {VIEWS[view].lower()}" for view, labels in views.items())
    + "."
)
st.caption(
    f"Variations par rapport à la période précédente : réclamations reçues "
    f"{period_label(previous.month_from, previous.month_to)}, situation au "
    f"{format_date(previous.as_of)}."
    if before
    else "Pas de variation affichée : aucune réclamation sur la période précédente."
)

if who.can("worklist"):
    bands = data.open_case_bands(filters)  # the backlog: every open case, whatever the period
    st.page_link(
        "pages/5_dossiers_a_echeance.py",
        label=f"**À traiter** : {count_noun(bands['overdue'], 'dossier')} hors délai, "
        f"{format_count(bands['due_3'])} à échéance sous 3 jours, sur "
        f"{count_noun(sum(bands.values()), 'dossier ouvert', 'dossiers ouverts')} "
        "(tous mois de réception)",
        icon=":material/arrow_forward:",
        query_params=filters.query_params(),
    )

# ACPR 2024-R-02: members who complain again and again (a count; the list is the quality team's).
repeat = data.read("repeat_count", as_of=filters.as_of)
repeat_text = (
    f"**{REPEAT_LABEL}** : {count_noun(repeat, 'adhérent')} avec au moins deux réclamations en "
    "12 mois"
)
if who.can("dysfunctions"):
    st.page_link(
        "pages/13_dysfonctionnements.py", label=repeat_text, icon=":material/group:",
        query_params=filters.query_params(), help=REPEAT_HELP,
    )  # fmt: skip
else:
    st.markdown(f":material/group: {repeat_text}", help=REPEAT_HELP)

months = data.monthly(filters)
left, right = st.columns(2)
with left:
    st.subheader("Réclamations reçues par mois")
    volume = drill_chart(volume_chart(months, filters.months, filters.as_of), "overview_volume")
with right:
    st.subheader("Dans les délais, par mois")
    rates = drill_chart(rate_chart(months, filters.months, filters.as_of), "overview_rates")
st.caption(PROVISIONAL_CAPTION)
cases_below(filters, who, volume, rates)
