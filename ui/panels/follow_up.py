"""The panels of Suivi des dossiers: a case in three columns, its deadlines with their state in
words, its findings, attachments and history, as the role may see them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd
import streamlit as st

from cpms_metrics import Store
from cpms_metrics.access import PersonalData, scrub_nir
from cpms_metrics.casefile import (
    Deadline,
    day_text,
    header,
    missing,
    shown_value,
    source_text,
    value_text,
)
from cpms_metrics.cases import attachment_content
from cpms_metrics.definitions import CASE_STATUS_LABELS, POLICY_LABELS, STEP_LABELS
from cpms_metrics.fields import COMPLAINT
from cpms_metrics.validation import FINDING_KINDS
from ui import clock, data
from ui.format import DASH, format_count, md

FOLLOW_UP_HELP = {
    "acknowledged_on": "Date d'envoi de l'accusé de réception au client.",
    "responded_on": "Date d'envoi de la réponse ; elle vaut accusé de réception si celui-ci "
    "n'a pas été envoyé avant.",
    "response_channel": "Voie par laquelle la réponse a été envoyée ; la procédure veut la même "
    "que celle de la réclamation.",
    "mediator_referred_on": "Date à laquelle le client a saisi le médiateur.",
    "mediator": "Médiateur saisi par le client.",
    "handler": "Personne qui traite le dossier.",
    "outcome": "Suite donnée à la réclamation avec la réponse (recommandation ACPR 2024-R-02).",
    "redress_amount": "Montant du geste commercial ou de l'indemnisation accordé, en euros.",
    "cause": "Cause de la réclamation, pour trouver les dysfonctionnements (liste du réglage "
    "CPMS_CAUSES).",
    "dysfunction": "Identifiant du dysfonctionnement révélé (registre de la page "
    "Dysfonctionnements).",
}
STATE_COLOURS = {
    "on_time": "green", "late": "orange", "overdue": "red", "pending": "blue", "untracked": "gray",
}  # fmt: skip
STATE_ICONS = {
    "on_time": ":material/check_circle:",
    "late": ":material/history:",
    "overdue": ":material/error:",
    "pending": ":material/schedule:",
    "untracked": ":material/visibility_off:",  # no imported file gives this step
}


def case_card(case: dict[str, Any], objects: Sequence[str]) -> None:
    """One case in three columns: the complaint, the member, the contact details."""

    def lines(columns: Sequence[str]) -> str:
        return "  \n".join(
            f"{header(c)} : **{md(value_text(c, case.get(c), objects))}**" for c in columns
        )

    complaint, member, contact = st.columns(3)
    with complaint:
        st.markdown("**:material/description: Réclamation**")
        st.markdown(lines(("received_on", "sent_on", "channel", "nature", "object")))
    with member:
        st.markdown("**:material/badge: Adhérent**")
        st.markdown(lines(("last_name", "first_name", "nir", "company", "risk_carrier")))
    with contact:
        st.markdown("**:material/contact_mail: Coordonnées**")
        st.markdown(lines(("postal_address", "email", "phone", "handler")))
    if not missing(case.get("description")):
        st.markdown(f"**{header('description')}**")
        st.markdown("\n".join(f"> {md(line)}  " for line in str(case["description"]).splitlines()))


def state_badges(deadlines: Sequence[Deadline], policy: str) -> None:
    """What is late, at a glance: one badge per deadline of the chosen policy."""
    with st.container(horizontal=True):
        for deadline in (d for d in deadlines if d.policy == policy):
            st.badge(
                f"{STEP_LABELS[deadline.step]} : {deadline.state}",
                icon=STATE_ICONS[deadline.status],
                color=STATE_COLOURS[deadline.status],  # type: ignore[arg-type]
            )


def case_deadlines(case: dict[str, Any], deadlines: Sequence[Deadline]) -> None:
    """Each deadline under both policies with what was done and its state in words
    (`casefile.deadline_state`, from case_status)."""
    if case.get("nature") != COMPLAINT:
        st.caption(
            ":material/info: Demande hors réclamation : hors des indicateurs de délais, "
            "sans échéance."
        )
        return
    if not deadlines:
        st.caption(":material/info: Dossier reçu après la date d'arrêté : aucun délai à juger.")
        return
    frame = pd.DataFrame(
        {
            "Étape": [STEP_LABELS[d.step] for d in deadlines],
            "Politique": [POLICY_LABELS[d.policy] for d in deadlines],
            "Échéance": [day_text(d.due) for d in deadlines],
            "Fait le": [day_text(d.done_on) for d in deadlines],
            "Statut": [CASE_STATUS_LABELS[d.status] for d in deadlines],
            "Situation": [d.state for d in deadlines],
        }
    )
    st.table(frame, hide_index=True, border="horizontal")


def history_table(history: pd.DataFrame, objects: Sequence[str], level: PersonalData) -> None:
    """The case's history, newest first, each value in French as the role may see it, never a
    full NIR."""
    actions = {"creation": "Création du dossier", "modification": "Modification"}
    rows = []
    for record in history.iloc[::-1].to_dict("records"):
        column = record["field"]
        field = "" if missing(column) else header(str(column))
        rows.append(
            {
                "Le": clock.moment_text(record["changed_at"]),
                "Origine": source_text(record["source"]),
                "Action": actions.get(str(record["action"]), str(record["action"])),
                "Champ": field,
                "Avant": shown_value(column, record["old_value"], level, objects) if field else "",
                "Après": shown_value(column, record["new_value"], level, objects) if field else "",
            }
        )
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", height="content")


def case_findings_list(findings: pd.DataFrame, level: PersonalData) -> None:
    for record in findings.to_dict("records"):
        kind = FINDING_KINDS.get(str(record["kind"]), str(record["kind"]))
        value = shown_value(record["field"], record["value"], level, ())
        value = f" ({value})" if value and value != DASH else ""
        st.markdown(
            f":orange[:material/warning:] **{kind}** — {md(scrub_nir(record['message']) + value)}"
        )


def _reader(store: Store, reference: str, file_name: str) -> Callable[[], bytes]:
    return lambda: attachment_content(store, reference, file_name)


def attachments_list(reference: str, files: pd.DataFrame) -> None:
    """One download button per attached file; the file is read only when downloaded, outside
    the page's run (hence the store taken now)."""
    store = data.store()
    with st.container(horizontal=True):
        for record in files.to_dict("records"):
            name = str(record["file_name"])
            st.download_button(
                f"{md(name)} ({format_count(int(record['size']) // 1024 or 1)} Ko)",
                _reader(store, reference, name),
                name,
                on_click="ignore",
                icon=":material/attach_file:",
                key=f"attachment_{reference}_{name}",
            )
