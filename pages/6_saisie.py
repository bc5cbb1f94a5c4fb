"""Saisie: a new case typed by the complaints service, checked by the import's own rules. A refused
form lists every problem and keeps what was typed; a saved one shows its reference, its deadlines
under both policies and the competent mediator. Each saved case goes to the audit log."""

from collections.abc import Callable
from datetime import date
from typing import Any

import streamlit as st

from cpms_metrics import CpmsError
from cpms_metrics.casefile import ENTRY_COLUMNS, entry_values, header
from cpms_metrics.cases import save_case
from cpms_metrics.errors import ValidationError
from cpms_metrics.fields import (
    CHANNELS,
    NATURES,
    RISK_CARRIERS,
    cause_vocabulary,
    label,
    object_vocabulary,
)  # fmt: skip
from cpms_metrics.validation import MAX_LENGTH, length_help
from ui import auth, clock, data
from ui.page import page_setup
from ui.panels import entry
from ui.panels.common import SUIVI_PAGE, field_problem, link, problems_summary, show_error

filters, who = page_setup("Saisie d'une réclamation")
objects = data.settings().objects
state = st.session_state
state.setdefault("saisie_version", 0)
prefix = f"saisie_{state['saisie_version']}_"  # a new version is a blank form


def save() -> None:
    values, attachments = entry_values(state, prefix)
    now = clock.now()
    state.pop("saisie_failure", None)
    try:
        saved = save_case(
            data.store(), values, today=clock.today(now), at=now, objects=objects,
            attachments=attachments, causes=data.settings().causes,
        )  # fmt: skip
    except ValidationError as exc:
        state["saisie_problems"] = exc.problems
        return
    except CpmsError as exc:
        state["saisie_failure"] = exc
        return
    auth.log("case_change", f"Création du dossier ({label(NATURES, values['nature'])})",
             reference=saved.reference)  # fmt: skip
    state["saisie_saved"] = (saved, values["nature"], values["received_on"])
    state["saisie_version"] += 1
    state.pop("saisie_problems", None)


entry.complaint_guidance()
if saved := state.get("saisie_saved"):
    entry.saved_case_panel(*saved)
    with st.container(horizontal=True, vertical_alignment="center"):
        st.button(
            "Saisir un nouveau dossier", type="primary", icon=":material/add:",
            on_click=lambda: state.pop("saisie_saved", None),
        )  # fmt: skip
        link(
            SUIVI_PAGE, "Ouvrir le suivi du dossier", ":material/folder_open:",
            {**filters.query_params(), "ref": saved[0].reference},
        )  # fmt: skip
    st.stop()

problems = state.get("saisie_problems", {})
today = clock.today()
vocabularies = {"channel": CHANNELS, "nature": NATURES, "risk_carrier": RISK_CARRIERS,
                "object": object_vocabulary(objects),
                "cause": cause_vocabulary(data.settings().causes)}  # fmt: skip


def field(column: str, widget: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
    """A widget labelled with the export's header, its problem (if any) under it; a text field
    stops at its column's limit, which its help states."""
    if column in vocabularies:
        kwargs["format_func"] = lambda v: label(vocabularies[column], v)
    if column in MAX_LENGTH:
        if widget in (st.text_input, st.text_area):  # a new handler is checked on saving
            kwargs["max_chars"] = MAX_LENGTH[column]
        kwargs["help"] = " ".join(filter(None, (kwargs.get("help"), length_help(column))))
    widget(header(column), *args, key=prefix + column, **kwargs)
    field_problem(problems, column)


def day(column: str, value: date | None, help: str) -> None:
    field(column, st.date_input, value=value, min_value=date(2000, 1, 1), max_value=today,
          format="DD/MM/YYYY", help=help)  # fmt: skip


with st.form("saisie", enter_to_submit=False):
    st.caption(
        ":material/checklist: **Réclamation écrite** (e-mail, courrier) : tous les éléments de la "
        "procédure sont requis — nom, prénom, NIR, coordonnée du canal, entreprise, objet, "
        "formulation. **Par téléphone** : nom, prénom, téléphone, objet et formulation ; un NIR "
        "ou une adresse manquants deviennent un constat de qualité des données."
    )
    st.markdown("##### :material/inbox: Réception")
    received, sent, channel, reference = st.columns([1, 1, 1.5, 1.3])
    with received:
        day("received_on", today, "Réception par le service réclamations : début du délai CPMS.")
    with sent:
        day("sent_on", None, "Facultative : envoi de la réclamation écrite par le client, "
            "début du délai ACPR.")  # fmt: skip
    with channel:
        field("channel", st.radio, list(CHANNELS), index=None, horizontal=True)
    with reference:
        field(
            "reference",
            st.text_input,
            placeholder="Attribuée à l'enregistrement",
            help="Facultative : vide, une référence unique SAI-AAAA-NNNNNN est créée.",
        )
    field("nature", st.radio, list(NATURES), horizontal=True,
          help="Une demande est enregistrée hors des indicateurs de délais.")  # fmt: skip

    st.markdown("##### :material/badge: Adhérent")
    last_name, first_name, nir = st.columns(3)
    with last_name:
        field("last_name", st.text_input)
    with first_name:
        field("first_name", st.text_input)
    with nir:  # never kept in the browser's form history
        field("nir", st.text_input, placeholder="15 caractères, clé comprise", autocomplete="off")
    company, carrier = st.columns([2, 1])
    with company:
        field("company", st.text_input)
    with carrier:
        field("risk_carrier", st.selectbox, list(RISK_CARRIERS), index=None,
              placeholder="Choisir", help="Détermine le médiateur compétent.")  # fmt: skip

    st.markdown("##### :material/contact_mail: Coordonnées")
    for column, name in zip(st.columns(3), ("postal_address", "email", "phone"), strict=True):
        with column:
            field(name, st.text_input)

    st.markdown("##### :material/description: Réclamation")
    subject, cause, files = st.columns([1, 1, 2])
    with subject:
        field("object", st.selectbox, list(vocabularies["object"]), index=None,
              placeholder="Choisir")  # fmt: skip
    with cause:  # ACPR 2024-R-02: the root cause, when already known; else set with the answer
        field("cause", st.selectbox, list(vocabularies["cause"]), index=None,
              placeholder="Facultative",
              help="Cause de la réclamation, si elle est déjà connue ; sinon, elle se renseigne "
              "avec la réponse sur la page Suivi des dossiers.")  # fmt: skip
    with files:
        st.file_uploader(header("attachments"), accept_multiple_files=True,
                         key=prefix + "attachments",
                         help="Courrier, e-mail ou pièce du client : glisser-déposer les "
                         "fichiers ici ou les choisir sur le poste.")  # fmt: skip
    field("description", st.text_area, height=120,
          placeholder="La réclamation dans les mots du client")  # fmt: skip
    # Known handlers offered; a new name is typed in the same field.
    field("handler", st.selectbox, data.read("handlers_known"), index=None,
          accept_new_options=True, placeholder="Choisir ou saisir un nom",
          help="Personne qui traite le dossier : un nom déjà connu, ou un nouveau nom saisi "
          "ici. Facultatif.")  # fmt: skip

    if problems:
        problems_summary(problems, ENTRY_COLUMNS)
    if failure := state.get("saisie_failure"):
        show_error(failure)
    st.form_submit_button(
        "Enregistrer le dossier", type="primary", icon=":material/save:", on_click=save
    )
