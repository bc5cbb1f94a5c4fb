"""Objets: per object, volume, acknowledgement and answer compliance, escalation rate, and the
monthly trend of each."""

import pandas as pd
import streamlit as st

from cpms_metrics.charts import COMPLIANCE_SERIES, breakdown_chart, trend_chart
from cpms_metrics.fields import label, object_vocabulary
from ui import data
from ui.empty_period import empty_period
from ui.format import format_count, format_rate
from ui.page import page_setup
from ui.panels.drilldown import cases_below, drill_chart
from ui.widgets import PROVISIONAL_CAPTION, small_table

filters, who = page_setup("Objets")
by_object = data.kpis(filters)["by_object"]  # most complaints first, as the command line lists
if not by_object:
    empty_period(filters, "Aucune réclamation sur la période : rien à répartir par objet.")
    st.stop()
names = object_vocabulary(tuple(row["object"] for row in by_object))
labels = [label(names, row["object"]) for row in by_object]

st.subheader("Synthèse par objet")
small_table(
    pd.DataFrame(
        {
            "Objet": labels,
            "Réclamations": [format_count(r["complaints"]) for r in by_object],
            "AR dans les délais": [format_rate(r["ack_compliance_rate"]) for r in by_object],
            "Réponses dans les délais": [
                format_rate(r["response_compliance_rate"]) for r in by_object
            ],
            "Taux de saisine du médiateur": [format_rate(r["escalation_rate"]) for r in by_object],
        }
    )
)

left, right = st.columns([2, 3])
with left:
    st.subheader("Dans les délais, par objet")
    frame = pd.DataFrame(by_object).assign(label=labels, key=[r["object"] for r in by_object])
    by_label = breakdown_chart(frame, "label", COMPLIANCE_SERIES, target=1.0, point_field="object")
    by_object_clicked = drill_chart(by_label, "objects_breakdown")
with right:
    st.subheader("Évolution par objet")
    measures = {
        "complaints": ("Réclamations", False),
        "ack_compliance_rate": ("AR dans les délais", True),
        "response_compliance_rate": ("Réponses dans les délais", True),
        "escalation_rate": ("Taux de saisine", True),
    }
    measure = st.segmented_control(
        "Indicateur", list(measures), format_func=lambda m: measures[m][0],
        default="complaints", key="object_measure", label_visibility="collapsed",
    ) or "complaints"  # fmt: skip
    title, percent = measures[measure]
    monthly = data.monthly_by_object(filters, [row["object"] for row in by_object])
    trends = dict(zip(labels, monthly.values(), strict=True))
    trend = trend_chart(
        trends, filters.months, filters.as_of, measure, percent=percent, y_title=title,
        objects=[row["object"] for row in by_object],
    )  # fmt: skip
    by_month_clicked = drill_chart(trend, "objects_trend")
    st.caption(PROVISIONAL_CAPTION)
cases_below(filters, who, by_object_clicked, by_month_clicked)
