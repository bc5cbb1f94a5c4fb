"""Dossiers à échéance: open complaints with their next deadline, most urgent first, coloured by
how close it is, paged, and downloadable for French Excel; personal data as the role may see it,
each download written to the audit log."""

import streamlit as st

from cpms_metrics.access import PersonalData, mask_nirs, redact
from cpms_metrics.definitions import FIGURES, VIEW_HELP, VIEWS
from cpms_metrics.worklist import BANDS
from ui import auth, data
from ui.format import format_count, period_label
from ui.page import page_setup
from ui.widgets import BAND_ICONS, count_card, no_data, open_cases_table, paged

filters, who = page_setup("Dossiers à échéance")
# Every open complaint by default (the backlog, rules §7); the period is an option.
in_period = st.toggle(
    f"Seulement les dossiers reçus {period_label(filters.month_from, filters.month_to)} "
    f"({format_count(data.count_open_cases(filters, (), None, in_period=True))})",
    key="worklist_in_period",
    help="Par défaut, la liste montre tous les dossiers encore ouverts à la date d'arrêté, quel "
    "que soit leur mois de réception ; les autres filtres s'appliquent.",
)  # fmt: skip
st.caption(
    f":material/visibility: Dossiers encore ouverts parmi les {VIEWS['cohort'].lower()}."
    if in_period
    else f":material/visibility: {VIEWS['backlog']}. {VIEW_HELP['backlog']}"
)

figures = data.kpis(filters)["backlog"]
bands = data.open_case_bands(filters, in_period)
BAND_HELP = {
    "overdue": "Accusé de réception ou réponse dont l'échéance est dépassée "
    f"({format_count(figures['ack_overdue'])} AR et "
    f"{format_count(figures['response_overdue'])} réponses en retard, tous dossiers ouverts).",
    "due_3": FIGURES["backlog_due_soon"].definition,
    "due_10": "Prochaine échéance dans 4 à 10 jours.",
    "later": "Prochaine échéance dans plus de 10 jours.",
}
cards = st.columns(len(BANDS) + 1)
for column, (band, title) in zip(cards, BANDS.items(), strict=False):
    with column:
        count_card(f"{BAND_ICONS[band]} {title}", bands[band], help=BAND_HELP[band])
with cards[-1]:
    opened = FIGURES["backlog_open"]
    if in_period:
        count_card(
            "Dossiers ouverts reçus sur la période", sum(bands.values()),
            help="Réclamations reçues sur la période et encore sans réponse à la date d'arrêté.",
        )  # fmt: skip
    else:
        count_card(opened.label, sum(bands.values()), help=opened.definition)

handlers = data.open_case_handlers(filters, in_period)
left, right = st.columns([3, 2])
chosen = left.pills(
    "Échéance", list(BANDS), selection_mode="multi", key="worklist_bands",
    format_func=lambda band: f"{BAND_ICONS[band]} {BANDS[band]}",
) or []  # fmt: skip
handler = right.selectbox(
    "Gestionnaire", [None, *handlers], key="worklist_handler",
    format_func=lambda h: (
        "Tous" if h is None else f"{mask_nirs(h) or 'Non attribué'} ({handlers[h]})"
    ),
)  # fmt: skip

total = data.count_open_cases(filters, chosen, handler, in_period)
if not total:
    no_data("Aucun dossier ouvert ne correspond à ces critères.")
    st.stop()
paged(
    "worklist", total,
    lambda limit, offset: redact(
        data.open_cases(filters, chosen, handler, limit, offset, in_period), who.personal_data
    ),
    open_cases_table,
)  # fmt: skip
csv, xlsx = data.open_cases_files(filters, chosen, handler, who.personal_data, in_period)
masked = {
    PersonalData.CLEAR: "NIR masqué",
    PersonalData.MASKED: "noms réduits aux initiales, NIR masqué",
    PersonalData.NONE: "sans données personnelles",
}[who.personal_data]
what = f"Dossiers à échéance, {format_count(total)} dossiers ({masked})"
with st.container(horizontal=True, vertical_alignment="center"):
    st.caption(f"Télécharger les {format_count(total)} dossiers de la liste ({masked}) :")
    st.download_button(
        "CSV pour Excel", auth.audited_export(csv, f"{what}, CSV"), "dossiers_a_echeance.csv",
        "text/csv", on_click="ignore", icon=":material/download:",
        help="Point-virgule, UTF-8, dates JJ/MM/AAAA.",
    )  # fmt: skip
    st.download_button(
        "Classeur XLSX", auth.audited_export(xlsx, f"{what}, XLSX"), "dossiers_a_echeance.xlsx",
        on_click="ignore",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        icon=":material/download:",
    )  # fmt: skip
