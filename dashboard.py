"""Vue d'ensemble: the five figures of the period against the previous one, the monthly trends,
and one paragraph for executives."""

from functools import reduce
from operator import getitem

import streamlit as st

from cpms_metrics.charts import rate_chart, volume_chart
from ui import data
from ui.format import count_noun, format_count, format_date, period_label
from ui.narrative import executive_summary
from ui.page import page_setup
from ui.widgets import chart, count_card, rate_card

filters, who = page_setup("Vue d'ensemble")
now = data.kpis(filters)
previous = filters.previous()
before = data.kpis(previous)
if not before["complaints"]:  # nothing to compare with before the first complaint on record
    before = None

# (title, kpis keys, is a rate, lower is better, definition)
CARDS = (
    ("Réclamations reçues", ("complaints",), False, True,
     "Hors demandes d'information, de clarification ou de confirmation "
     f"({format_count(now['non_complaints'])} sur la période)."),
    ("Accusés de réception dans les délais", ("ack", "compliance_rate"), True, False,
     "Dans les délais / (dans les délais + en retard + hors délai en cours) : les dossiers "
     "encore dans leur délai ne sont pas jugés."),
    ("Réponses dans les délais", ("response", "compliance_rate"), True, False,
     "Réponses envoyées sous 2 mois, parmi les dossiers jugés."),
    ("Taux de saisine du médiateur", ("escalation", "rate"), True, True,
     "Réclamations portées devant un médiateur / réclamations reçues."),
    ("Réponses en retard (dossiers ouverts)", ("response", "overdue"), False, True,
     "Dossiers encore sans réponse dont le délai de 2 mois est dépassé."),
)  # fmt: skip

st.markdown(executive_summary(now, before, filters))
for column, (title, keys, is_rate, lower, definition) in zip(
    st.columns(len(CARDS)), CARDS, strict=True
):
    value = reduce(getitem, keys, now)
    old = None if before is None else reduce(getitem, keys, before)
    with column:
        card = rate_card if is_rate else count_card
        card(title, value, old, lower_is_better=lower, help=definition)
st.caption(
    f"Variations par rapport aux réclamations reçues "
    f"{period_label(previous.month_from, previous.month_to)}, situation au "
    f"{format_date(previous.as_of)}."
    if before
    else "Pas de variation affichée : aucune réclamation sur la période précédente."
)

if who.can("worklist"):
    bands = data.open_case_bands(filters)
    st.page_link(
        "pages/5_dossiers_a_echeance.py",
        label=f"**À traiter** : {count_noun(bands['overdue'], 'dossier')} hors délai, "
        f"{format_count(bands['due_3'])} à échéance sous 3 jours",
        icon=":material/arrow_forward:",
        query_params=filters.query_params(),
    )

months = data.monthly(filters)
left, right = st.columns(2)
with left:
    st.subheader("Réclamations reçues par mois")
    chart(volume_chart(months, filters.months, filters.as_of))
with right:
    st.subheader("Dans les délais, par mois")
    chart(rate_chart(months, filters.months, filters.as_of))
st.caption(
    "Zone grisée : mois provisoires (mois en cours, ou délais de réponse pas encore tous échus) ; "
    "leurs chiffres peuvent encore évoluer."
)
