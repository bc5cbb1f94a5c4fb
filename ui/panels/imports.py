"""The panels of Import: what an import did or would do, its rejected lines as the role may see
them (`rejects.readable_rejections`: a NIR always masked), and the log of past imports."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from cpms_metrics.access import PersonalData, mask_nirs_in_frame
from cpms_metrics.ingest import ImportReport
from cpms_metrics.rejects import readable_rejections
from ui import clock
from ui.format import format_count, md


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
        (
            "Périmées",
            report.stale,
            "Lignes identiques à une version antérieure du dossier (export plus ancien que la "
            "base) : elles ne sont pas appliquées.",
        ),
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
    if report.untracked_steps:
        notes.append("étapes non suivies : " + report.untracked_note())
    if notes:
        st.caption(":material/info: " + " ; ".join(notes) + ".")


def rejections_table(rejections: pd.DataFrame, level: PersonalData) -> None:
    st.dataframe(  # masked by `readable_rejections`
        readable_rejections(rejections, level),
        hide_index=True,
        width="stretch",
        height="content" if len(rejections) <= 12 else 420,
        column_config={"Ligne": st.column_config.NumberColumn(format="%d")},
    )


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
            "Périmées": log["stale"],
            "Doublons": log["duplicates"],
            "Rejetées": log["rejected"],
            "Constats": log["findings"],
        }
    )
    integers = [c for c in shown.columns if c not in ("Importé le", "Fichier")]
    st.dataframe(
        mask_nirs_in_frame(shown),
        hide_index=True,
        width="stretch",
        height="content" if len(shown) <= 12 else 420,
        column_config={c: st.column_config.NumberColumn(format="%d") for c in integers},
    )
