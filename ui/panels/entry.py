"""The panels of Saisie d'une réclamation: what is and is not a complaint, and what a user needs
once a case is saved."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from cpms_metrics.access import mask_nirs
from cpms_metrics.casefile import NOT_A_COMPLAINT, day_text
from cpms_metrics.cases import SavedCase
from cpms_metrics.fields import COMPLAINT, NATURES, label
from cpms_metrics.worklist import mediator_label
from ui.format import POLICY_LABELS, format_date, md


def complaint_guidance() -> None:
    """What is and is not a complaint, in the procedure's words, with its three examples."""
    with st.container(border=True):
        st.markdown(
            ":material/menu_book: **Réclamation ou demande ?** Selon la procédure CPMS, une "
            "réclamation est **la manifestation d'un mécontentement** sur un aspect du contrat "
            "ou de son suivi. Il ne s'agit donc pas :"
        )
        for column, (title, example) in zip(
            st.columns(len(NOT_A_COMPLAINT)), NOT_A_COMPLAINT, strict=True
        ):
            column.markdown(f"**{title}**  \n*{example}*")
        st.caption(
            "Une demande choisie comme nature est enregistrée, mais hors des indicateurs de "
            "délais (AR sous 10 jours, réponse sous 2 mois)."
        )


def saved_case_panel(saved: SavedCase, nature: str, received_on: date | None) -> None:
    """What a user needs once a case is saved: its reference, its deadlines, its mediator."""
    is_complaint = nature == COMPLAINT
    what = "Réclamation" if is_complaint else label(NATURES, nature)
    st.success(
        f"**{what} enregistrée** sous la référence **{md(saved.reference)}**.",
        icon=":material/check_circle:",
    )
    with st.container(border=True):
        reference, received, kind = st.columns(3)
        reference.metric("Référence", mask_nirs(saved.reference))
        received.metric("Reçue le", day_text(received_on))
        kind.metric("Nature", label(NATURES, nature))
        deadlines, mediator = st.columns([3, 2], gap="large")
        with deadlines:
            st.markdown("**:material/event: Échéances**")
            if is_complaint:
                due = saved.due.values()
                st.table(
                    pd.DataFrame(
                        {
                            "Politique de délais": [POLICY_LABELS[p] for p in saved.due],
                            "Accusé de réception au plus tard le": [
                                format_date(d.acknowledgement) for d in due
                            ],
                            "Réponse au plus tard le": [format_date(d.answer) for d in due],
                        }
                    ),
                    hide_index=True,
                    border="horizontal",
                )
            else:
                st.caption(
                    "Une demande n'entre pas dans les indicateurs de délais : aucune échéance "
                    "ne s'applique."
                )
        with mediator:
            st.markdown("**:material/balance: Médiateur compétent en cas de litige**")
            if saved.mediator:
                name = mediator_label(saved.mediator)
                address = (saved.mediator_address or "").removeprefix(f"{name}, ")
                st.markdown(f"{name}  \n{address}")
            else:
                st.caption(
                    "Porteur de risque non renseigné : le médiateur compétent ne peut pas être "
                    "déterminé."
                )
