"""The panels of Qualité des données: findings by kind, and the cases behind one kind, each
reference a link to its case."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import streamlit as st

from cpms_metrics.access import PersonalData, mask_nirs_in_frame
from cpms_metrics.casefile import HEADER, day_text, missing, shown_value, value_text
from cpms_metrics.validation import FINDING_KINDS
from ui.format import format_count
from ui.panels.common import REFERENCE, case_links, reference_link


def kinds_table(by_kind: pd.DataFrame) -> None:
    shown = pd.DataFrame(
        {
            "Constat": by_kind["kind"].map(lambda k: FINDING_KINDS.get(k, k)),
            "Constats": by_kind["findings"].map(format_count),
            "Dossiers": by_kind["cases"].map(format_count),
        }
    )
    st.table(shown, hide_index=True, border="horizontal")


def finding_cases_table(frame: pd.DataFrame, objects: Sequence[str], level: PersonalData) -> None:
    """The cases behind one kind of finding, the value found as the role may see it; the
    reference opens the case's follow-up (a reference holding a NIR is shown, and sought,
    masked: the link never carries a full NIR)."""
    shown = pd.DataFrame(
        {
            REFERENCE: case_links(frame["reference"]),
            "Reçue le": frame["received_on"].map(day_text),
            "Canal": frame["channel"].map(lambda v: value_text("channel", v)),
            "Objet": frame["object"].map(lambda v: value_text("object", v, objects)),
            "Gestionnaire": frame["handler"].map(lambda v: "Non attribué" if missing(v) else v),
            "Champ": frame["field"].map(lambda c: HEADER.get(str(c), str(c))),
            "Valeur": [
                "" if missing(v) else shown_value(f, v, level, objects)
                for f, v in zip(frame["field"], frame["value"], strict=True)
            ],
            "Constat": frame["message"],
        }
    )
    shown = mask_nirs_in_frame(shown)
    if not any(shown["Valeur"]):  # missing items have no value to show
        shown = shown.drop(columns="Valeur")
    st.dataframe(
        shown,
        hide_index=True,
        width="stretch",
        height="content",
        column_config={
            REFERENCE: reference_link(),
            "Constat": st.column_config.TextColumn(width="large"),
        },
    )
