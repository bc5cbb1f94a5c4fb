"""Dossiers à échéance: open complaints with their next deadline, most urgent first, coloured by
how close it is, paged, and downloadable for French Excel; personal data as the role may see it,
each download written to the audit log."""

from dataclasses import replace

import streamlit as st

from cpms_metrics.access import PersonalData, mask_nirs, redact
from cpms_metrics.worklist import BANDS
from ui import auth, data
from ui.format import format_count, month_label
from ui.page import page_setup
from ui.widgets import BAND_ICONS, count_card, no_data, open_cases_table, paged

filters, who = page_setup("Dossiers à échéance")
first_month = data.info().first_month or filters.month_from
everything = replace(filters, month_from=min(first_month, filters.month_from))
older = data.count_open_cases(everything, (), None) - data.count_open_cases(filters, (), None)
if older and st.toggle(
    f"Inclure les dossiers encore ouverts reçus avant {month_label(filters.month_from)} "
    f"({format_count(older)})", key="worklist_older",
):  # fmt: skip
    filters = everything

bands = data.open_case_bands(filters)
cards = st.columns(len(BANDS) + 1)
for column, (band, title) in zip(cards, BANDS.items(), strict=False):
    with column:
        count_card(f"{BAND_ICONS[band]} {title}", bands[band])
with cards[-1]:
    count_card("Dossiers ouverts", sum(bands.values()), help="Réclamations encore sans réponse.")

handlers = data.open_case_handlers(filters)
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

total = data.count_open_cases(filters, chosen, handler)
if not total:
    no_data("Aucun dossier ouvert ne correspond à ces critères.")
    st.stop()
paged(
    "worklist", total,
    lambda limit, offset: redact(
        data.open_cases(filters, chosen, handler, limit, offset), who.personal_data
    ),
    open_cases_table,
)  # fmt: skip
csv, xlsx = data.open_cases_files(filters, chosen, handler, who.personal_data)
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
