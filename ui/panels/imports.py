"""The panels of Import: what an import did or would do, its rejected lines as the role may see
them (a NIR always masked), and the log of past imports."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from cpms_metrics.access import PersonalData, redact_value, scrub_nir
from cpms_metrics.casefile import missing as _missing
from cpms_metrics.fields import HEADER_KEYS, fold
from cpms_metrics.ingest import ImportReport
from cpms_metrics.validation import mask_nir
from cpms_metrics.worklist import to_csv_bytes
from ui import clock
from ui.format import format_count
from ui.panels.common import md


def report_cards(report: ImportReport, *, done: bool) -> None:
    titles = (
        ("Lignes lues", report.rows_read, "Lignes de données du fichier, en-tête exclu."),
        ("Ajoutées" if done else "À ajouter", report.added, "Références absentes de la base."),
        (
            "Mises à jour" if done else "À mettre à jour",
            report.updated,
            "Références déjà en base dont au moins une valeur change (l'historique garde "
            "l'ancienne).",
        ),
        ("Inchangées", report.unchanged, "Références déjà en base, identiques."),
        ("Rejetées", report.rejected, "Lignes dont les indicateurs ne peuvent être calculés."),
        (
            "Constats qualité",
            report.findings,
            "Données personnelles ou de contact imparfaites : la ligne est chargée quand même.",
        ),
    )
    for column, (title, value, help_text) in zip(st.columns(len(titles)), titles, strict=True):
        column.metric(title, format_count(value), border=True, help=help_text)
    notes = []
    if report.duplicates:
        notes.append(
            f"{format_count(report.duplicates)} ligne(s) répétée(s) à l'identique, lue(s) une fois"
        )
    if report.ignored_headers:
        notes.append(
            "colonnes ignorées : " + ", ".join(f"« {md(h)} »" for h in report.ignored_headers)
        )
    if notes:
        st.caption(":material/info: " + " ; ".join(notes) + ".")


def _rejected_value(field: Any, value: Any, level: PersonalData) -> Any:
    if _missing(value):
        return value
    column = HEADER_KEYS.get(fold(str(field or "")))
    if column == "nir":
        return mask_nir(str(value))
    if column is not None:
        value = redact_value(column, value, level)
    return value if _missing(value) else scrub_nir(str(value))


def readable_rejections(rejections: pd.DataFrame, level: PersonalData) -> pd.DataFrame:
    """Rejected lines in French, values as the role may see them; a NIR is always masked."""
    field_column = "column" if "column" in rejections.columns else "field"
    values = [
        _rejected_value(f, v, level)
        for f, v in zip(rejections[field_column], rejections["value"], strict=True)
    ]
    return pd.DataFrame(
        {
            "Ligne": rejections["line"].astype("Int64"),
            "Référence": rejections["reference"],
            "Colonne": rejections[field_column],
            "Valeur": values,
            "Motif": rejections["reason"],
        }
    )


def rejections_table(rejections: pd.DataFrame, level: PersonalData) -> None:
    st.dataframe(
        readable_rejections(rejections, level),
        hide_index=True,
        width="stretch",
        height="content" if len(rejections) <= 12 else 420,
        column_config={"Ligne": st.column_config.NumberColumn(format="%d")},
    )


def rejections_csv(rejections: pd.DataFrame, level: PersonalData) -> bytes:
    """The rejected lines as a CSV for French Excel, values as the role may see them."""
    return to_csv_bytes(readable_rejections(rejections, level))


def imports_table(log: pd.DataFrame) -> None:
    shown = pd.DataFrame(
        {
            "N°": log["id"],
            "Importé le": log["imported_at"].map(clock.moment_text),
            "Fichier": log["file_name"],
            "Lignes lues": log["rows_read"],
            "Ajoutées": log["added"],
            "Mises à jour": log["updated"],
            "Inchangées": log["unchanged"],
            "Doublons": log["duplicates"],
            "Rejetées": log["rejected"],
            "Constats": log["findings"],
        }
    )
    integers = [c for c in shown.columns if c not in ("Importé le", "Fichier")]
    st.dataframe(
        shown,
        hide_index=True,
        width="stretch",
        height="content" if len(shown) <= 12 else 420,
        column_config={c: st.column_config.NumberColumn(format="%d") for c in integers},
    )
