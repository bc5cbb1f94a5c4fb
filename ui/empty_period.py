"""The no-data path of the period pages: say which months hold data, and offer to show them."""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from cpms_metrics.formats import month_label
from cpms_metrics.months import shift_month
from ui import data
from ui.filters import Filters, show_filters
from ui.format import period_label

SHOWN_MONTHS = 12  # the period offered: the last twelve months that hold data, at most


def data_period(filters: Filters, months: list[str]) -> Filters:
    """The filters moved to the last months holding data (a year at most)."""
    last = months[-1]
    return replace(
        filters, month_from=max(months[0], shift_month(last, -(SHOWN_MONTHS - 1))), month_to=last
    )


def empty_period(filters: Filters, message: str) -> bool:
    """When the period holds no complaint: `message`, the months that hold some and a button to
    show them (or, with none at all, where to import some); returns whether it was empty."""
    months = data.months_with_complaints(filters)
    if any(filters.month_from <= m <= filters.month_to for m in months):
        return False
    if not months:
        st.info(
            f"{message} La base ne contient aucune réclamation reçue au plus tard à la date "
            "d'arrêté avec ces filtres : importez un export depuis la page Import, ou élargissez "
            "les filtres.",
            icon=":material/info:",
        )
        return True
    span = (
        f"en {month_label(months[0], long=True)}"
        if len(months) == 1
        else f"de {month_label(months[0], long=True)} à {month_label(months[-1], long=True)}"
    )
    st.info(
        f"{message} Les réclamations enregistrées ont été reçues {span} "
        f"({len(months)} mois contenant des données).",
        icon=":material/info:",
    )
    target = data_period(filters, months)
    st.button(
        f"Afficher {period_label(target.month_from, target.month_to)}",
        icon=":material/calendar_month:",
        on_click=show_filters,
        args=(target,),
        key="empty_period_show",
    )
    return True
