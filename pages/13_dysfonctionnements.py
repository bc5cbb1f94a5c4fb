"""Dysfonctionnements (ACPR 2024-R-02): the outcome of the answered complaints by object, cause and
month; the register of dysfunctions and their corrective actions, created and edited here with
their history; the complaints linked to each; recurrence after a closed action; the members who
complain again and again."""

from typing import Any

import pandas as pd
import streamlit as st

from cpms_metrics import dysfunctions as dys
from cpms_metrics.access import mask_nirs_in_frame
from cpms_metrics.definitions import (
    ACPR_RECOMMENDATION,
    DYSFUNCTION_STATUS_LABELS,
    OUTCOME_FIGURES,
    OUTCOME_SCOPE,
    RECURRENCE_HELP,
    REPEAT_HELP,
    REPEAT_LABEL,
)
from cpms_metrics.errors import CpmsError, ValidationError
from cpms_metrics.fields import OUTCOMES, cause_vocabulary, label, object_vocabulary
from ui import clock, data
from ui.format import format_count, format_date, format_decimal, format_rate, md
from ui.page import page_setup
from ui.panels.common import REFERENCE, case_links, reference_link
from ui.widgets import count_card, no_data, rate_card, small_table

filters, who = page_setup("Dysfonctionnements")


def _show(frame: pd.DataFrame) -> None:
    """A table whose text may have been typed by someone: NIR-shaped numbers masked."""
    small_table(mask_nirs_in_frame(frame))


config = data.settings()
store = data.store()
objects, causes = object_vocabulary(config.objects), cause_vocabulary(config.causes)
st.caption(
    f":material/gavel: Recommandation ACPR {ACPR_RECOMMENDATION} : analyser les réclamations "
    "pour trouver les dysfonctionnements, suivre les actions correctives et vérifier que les "
    "réclamations ne reviennent pas."
)

# --- Outcome of the answered complaints --------------------------------------------------------
st.subheader("Suite donnée aux réclamations")
st.caption(f":material/info: {OUTCOME_SCOPE}.")
figures = data.kpis(filters)
for column, figure in zip(st.columns(len(OUTCOME_FIGURES)), OUTCOME_FIGURES, strict=True):
    with column:
        value = figure.value(figures)
        if figure.is_rate:
            rate_card(figure.label, value, help=figure.definition)
        elif figure.key == "redress_total":
            st.metric(figure.label, f"{format_decimal(value, 2)} €", help=figure.definition)
        else:
            count_card(figure.label, value, help=figure.definition)


def _outcome_table(by: str, names: Any) -> pd.DataFrame:
    frame = data.summary(filters, by)
    answered = sum(frame[f"outcome_{k}"] for k in (*OUTCOMES, "not_recorded"))
    frame = frame[answered > 0]
    return pd.DataFrame(
        {
            "": [names(k) for k in frame["key"]],
            "Répondues": [format_count(int(v)) for v in answered[answered > 0]],
            **{
                label(OUTCOMES, k): [format_count(int(v)) for v in frame[f"outcome_{k}"]]
                for k in OUTCOMES
            },
            "Taux fondées": [format_rate(v) for v in frame["founded_rate"]],
            "Gestes (€)": [format_decimal(v, 2) for v in frame["redress_total"]],
        }
    )


tabs = st.tabs(["Par objet", "Par cause", "Par mois"])
for tab, (by, names) in zip(
    tabs,
    (
        ("object", lambda k: label(objects, k)),
        ("cause", lambda k: "Non renseignée" if k == "non_renseignee" else label(causes, k)),
        ("month", str),
    ),
    strict=True,
):
    with tab:
        table = _outcome_table(by, names)
        if table.empty:
            no_data("Aucune réclamation répondue sur la période.")
        else:
            _show(table)

# --- The register ---------------------------------------------------------------------------------


def _d(value: Any) -> Any:
    return None if value is None or pd.isna(value) else pd.Timestamp(value).date()


st.subheader("Registre des dysfonctionnements")
register = data.read("dysfunctions")
if register.empty:
    no_data("Aucun dysfonctionnement enregistré.")
else:
    _show(
        pd.DataFrame(
            {
                "Identifiant": register["identifier"],
                "Intitulé": register["title"],
                "Objet": [label(objects, v) if v else "—" for v in register["object"]],
                "Cause": [label(causes, v) if v else "—" for v in register["cause"]],
                "Détecté le": [format_date(_d(v)) for v in register["detected_on"]],
                "Responsable": register["owner"].fillna("—"),
                "Action corrective": register["action"].fillna("—"),
                "Échéance": [format_date(_d(v)) for v in register["action_due"]],
                "Statut": [DYSFUNCTION_STATUS_LABELS[s] for s in register["status"]],
                "Clos le": [format_date(_d(v)) for v in register["closed_on"]],
                "Réclamations liées": register["complaints"],
            }
        )
    )

today = clock.today()
editable = who.may_edit_dysfunctions
status_keys = list(DYSFUNCTION_STATUS_LABELS)
object_keys, cause_keys = ["", *objects], ["", *causes]


def _fields(prefix: str, current: dict[str, Any]) -> dict[str, Any]:
    """The form's fields (inside an st.form), filled with `current`."""
    values: dict[str, Any] = {}
    values["title"] = st.text_input(
        "Intitulé", current.get("title") or "", max_chars=dys.MAX_LENGTH["title"],
        key=f"{prefix}_title",
    )  # fmt: skip
    left, right = st.columns(2)
    with left:
        values["object"] = st.selectbox(
            "Objet", object_keys, index=object_keys.index(current.get("object") or ""),
            format_func=lambda k: label(objects, k) if k else "—", key=f"{prefix}_object",
        ) or None  # fmt: skip
        values["detected_on"] = st.date_input(
            "Détecté le", current.get("detected_on") or today, max_value=today,
            format="DD/MM/YYYY", key=f"{prefix}_detected_on",
        )  # fmt: skip
        values["owner"] = st.text_input(
            "Responsable", current.get("owner") or "", max_chars=dys.MAX_LENGTH["owner"],
            key=f"{prefix}_owner",
        )  # fmt: skip
    with right:
        values["cause"] = st.selectbox(
            "Cause", cause_keys, index=cause_keys.index(current.get("cause") or ""),
            format_func=lambda k: label(causes, k) if k else "—", key=f"{prefix}_cause",
        ) or None  # fmt: skip
        values["action_due"] = st.date_input(
            "Échéance de l'action corrective", current.get("action_due"), format="DD/MM/YYYY",
            key=f"{prefix}_action_due",
        )  # fmt: skip
        values["status"] = st.selectbox(
            "Statut", status_keys, index=status_keys.index(current.get("status") or "ouvert"),
            format_func=DYSFUNCTION_STATUS_LABELS.get, key=f"{prefix}_status",
        )  # fmt: skip
    values["action"] = st.text_area(
        "Action corrective", current.get("action") or "", max_chars=dys.MAX_LENGTH["action"],
        key=f"{prefix}_action",
    )  # fmt: skip
    values["closed_on"] = st.date_input(
        "Clos le (pour un dysfonctionnement clos)", current.get("closed_on"), max_value=today,
        format="DD/MM/YYYY", key=f"{prefix}_closed_on",
    )  # fmt: skip
    return values


def _problems(exc: ValidationError) -> None:
    st.error(
        "Rien n'a été enregistré : "
        + " ; ".join(f"{field} : {md(reason)}" for field, reason in exc.problems.items())
        + "."
    )


if editable:
    with (
        st.expander("Nouveau dysfonctionnement", icon=":material/add:"),
        st.form("dysfunction_new"),
    ):
        identifier = st.text_input(
            "Identifiant (par ex. DYS-2025-004)", max_chars=dys.MAX_LENGTH["identifier"],
            key="new_identifier",
        )  # fmt: skip
        values = _fields("new", {})
        if st.form_submit_button("Créer le dysfonctionnement", key="new_submit"):
            try:
                created = dys.create_dysfunction(
                    store, {**values, "identifier": identifier}, who=who.who,
                    at=clock.now(), today=today,
                )  # fmt: skip
                st.success(f"Dysfonctionnement {created} créé.")
                st.session_state["dysfunction_selected"] = created
                st.rerun()
            except ValidationError as exc:
                _problems(exc)
elif not register.empty:
    st.caption(
        ":material/lock: Le registre se modifie par l'équipe qualité (rôles Qualité, Admin)."
    )

# --- One dysfunction ------------------------------------------------------------------------------
if not register.empty:
    st.subheader("Un dysfonctionnement")
    identifiers = list(register["identifier"])
    chosen = st.session_state.get("dysfunction_selected")
    selected = st.selectbox(
        "Dysfonctionnement", identifiers,
        index=identifiers.index(chosen) if chosen in identifiers else 0,
        format_func=lambda i: f"{i} — {register.set_index('identifier').loc[i, 'title']}",
        key="dysfunction_pick",
    )  # fmt: skip
    current = dys.get_dysfunction(store, selected)
    if editable:
        with st.form(f"dysfunction_edit_{selected}"):
            changes = _fields(f"edit_{selected}", current)
            if st.form_submit_button("Enregistrer les modifications", key="edit_submit"):
                try:
                    done = dys.update_dysfunction(
                        store, selected, changes, who=who.who, at=clock.now(), today=today
                    )
                    st.success(
                        "Modifications enregistrées : "
                        + ", ".join(dys.FIELDS[f].lower() for f in done) + "."
                        if done else "Aucune modification."
                    )  # fmt: skip
                    current = dys.get_dysfunction(store, selected)
                except ValidationError as exc:
                    _problems(exc)
    linked = dys.linked_complaints(store, selected)
    st.markdown(f"**Réclamations liées** ({format_count(len(linked))})")
    if linked.empty:
        st.caption("Aucune réclamation liée : liez-en une ici ou depuis le suivi des dossiers.")
    else:  # each reference a link to its case
        st.dataframe(
            mask_nirs_in_frame(
                pd.DataFrame(
                    {
                        REFERENCE: case_links(linked["reference"]),
                        "Reçue le": [
                            format_date(pd.Timestamp(v).date()) for v in linked["received_on"]
                        ],
                        "Objet": [label(objects, v) for v in linked["object"]],
                        "Cause": [label(causes, v) if v else "—" for v in linked["cause"]],
                        "Suite donnée": [
                            label(OUTCOMES, v) if v else "—" for v in linked["outcome"]
                        ],
                    }
                )
            ),
            hide_index=True, width="stretch", height="content",
            column_config={REFERENCE: reference_link()},
        )  # fmt: skip
    if editable:
        with st.form(f"dysfunction_link_{selected}"):
            reference = st.text_input("Référence de la réclamation à lier", key="link_reference")
            if st.form_submit_button("Lier la réclamation", key="link_submit"):
                try:
                    dys.link_complaint(
                        store, reference.strip(), selected, who=who.who, at=clock.now()
                    )
                    st.success(f"Réclamation {md(reference.strip())} liée à {md(selected)}.")
                    st.rerun()
                except CpmsError as exc:
                    st.error(md(exc.message))
    again = dys.recurrence(store, selected)
    if again is not None:
        st.markdown("**Les réclamations sont-elles revenues ?**", help=RECURRENCE_HELP)
        left, right = st.columns(2)
        with left:
            count_card(
                f"3 mois avant la clôture (depuis le {format_date(again['before_from'])})",
                again["before"],
            )
        with right:
            count_card(
                f"3 mois après la clôture (jusqu'au {format_date(again['after_to'])})",
                again["after"],
            )
        if again["recurred"]:
            st.warning(
                "Des réclamations de même objet et de même cause sont arrivées après la clôture : "
                "vérifiez l'efficacité de l'action corrective.",
                icon=":material/replay:",
            )
        else:
            st.success("Aucune réclamation de même objet et de même cause depuis la clôture.")
    elif current["status"] == "clos":
        st.caption("Indiquez l'objet et la cause pour suivre la récurrence après la clôture.")
    steps = dys.history(store, selected)
    st.markdown("**Historique**")
    _show(
        pd.DataFrame(
            {
                "Quand": [clock.moment_text(v) for v in steps["changed_at"]],
                "Qui": steps["who"],
                "Action": steps["action"].map(
                    {"creation": "Création", "modification": "Modification", "cloture": "Clôture"}
                ),
                "Champ": [dys.FIELDS.get(f, "—") if f else "—" for f in steps["field"]],
                "Avant": steps["old_value"].fillna("—"),
                "Après": steps["new_value"].fillna("—"),
            }
        )
    )

# --- Repeat complainants --------------------------------------------------------------------------
st.subheader(REPEAT_LABEL, help=REPEAT_HELP)
repeat = data.read("repeat_list", as_of=filters.as_of)
count_card(REPEAT_LABEL, len(repeat), help=REPEAT_HELP)
if who.may_see_case_lists and not repeat.empty:
    _show(
        pd.DataFrame(
            {
                "NIR (masqué)": repeat["nir_masked"],
                "Réclamations": repeat["complaints"],
                "Première": [format_date(pd.Timestamp(v).date()) for v in repeat["first_received"]],
                "Dernière": [format_date(pd.Timestamp(v).date()) for v in repeat["last_received"]],
                "Références": repeat["references"],
            }
        )
    )
