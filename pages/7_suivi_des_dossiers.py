"""Suivi des dossiers: find a case by reference or name, or open it by its address
(`suivi_des_dossiers?ref=REFERENCE`), see what is late (each deadline with its state in words),
its findings, attachments and history, and record its acknowledgement, answer and mediator
referral. Personal data as the role may see it; the full NIR only on request, with a reason,
logged."""

import hashlib
from datetime import date

import streamlit as st

from cpms_metrics import CpmsError, casefile
from cpms_metrics.access import PersonalData, redact, redact_case
from cpms_metrics.cases import FOLLOW_UP_COLUMNS, update_case
from cpms_metrics.errors import ValidationError
from cpms_metrics.fields import CHANNELS, MEDIATORS, NATURES, OUTCOMES, cause_vocabulary, label
from cpms_metrics.validation import MAX_LENGTH, length_help
from ui import auth, clock, data
from ui.format import format_count, md
from ui.page import page_setup
from ui.panels import follow_up as panel
from ui.panels.common import field_problem, problems_summary, show_error
from ui.widgets import no_data

requested = st.query_params.get("ref")  # a case's address (page_setup keeps only filters)
filters, who = page_setup("Suivi des dossiers")
objects = data.settings().objects
state = st.session_state
asked = data.read("case", requested) if requested else None
if requested and asked is None:
    st.warning(
        f"**Aucun dossier n'a la référence « {md(requested)} »** — vérifiez le lien, ou "
        "recherchez le dossier ci-dessous par sa référence ou le nom de l'adhérent.",
        icon=":material/search_off:",
    )
elif requested and state.get("suivi_requested") != requested:
    state["suivi_requested"] = state["suivi_search"] = requested

search = st.text_input(
    "Rechercher un dossier", key="suivi_search", icon=":material/search:",
    placeholder="Référence, nom ou prénom — vide : les dossiers les plus récents",
)  # fmt: skip
found = data.read("find_cases", search)
if found.empty:
    no_data(f"Aucun dossier ne correspond à « {md(search)} ».")
    st.stop()
# Chosen by its stored reference, shown as the role may see it (a NIR typed anywhere masked).
rows = dict(
    zip(
        (str(r) for r in found["reference"]),
        redact(found, who.personal_data).to_dict("records"),
        strict=True,
    )
)
count = format_count(len(rows))
shown = f"les {count} plus récents" if len(rows) == 50 else f"{count} trouvé{'s' * (len(rows) > 1)}"
options = list(rows)
reference = st.selectbox(
    f"Dossier ({shown})", options, format_func=lambda r: casefile.case_option(rows[r]),
    index=options.index(requested) if asked is not None and requested in rows else 0,
)  # fmt: skip
case = data.read("case", reference)
if case is None:  # deleted since the search: the next run searches again
    st.rerun()
seen = redact_case(case, who.personal_data)  # what is shown; `case` for the follow-up only
# Widget keys reach the browser: they name the case by a digest, never by its reference.
case_key = hashlib.sha256(reference.encode()).hexdigest()[:16]

st.subheader(md(f"{seen['reference']} · {casefile.person(seen)}"), divider="gray")
deadlines = data.read("deadlines", reference, filters.as_of)
with st.container(horizontal=True):
    st.badge(label(NATURES, case["nature"]), icon=":material/label:", color="blue")
    answered = case.get("responded_on") is not None
    st.badge(
        f"Répondu le {casefile.day_text(case['responded_on'])}" if answered else "Sans réponse",
        icon=":material/task_alt:" if answered else ":material/hourglass_top:",
        color="green" if answered else "orange",
    )  # fmt: skip
    st.badge(md(casefile.source_text(case["source"])), icon=":material/input:", color="gray")
panel.state_badges(deadlines, filters.policy)  # what is late, under the chosen policy
panel.case_card(seen, objects)
if who.may_reveal_nir and case.get("nir"):
    with (
        st.expander(":material/visibility: Afficher le NIR complet"),
        st.form(f"reveal_{case_key}", clear_on_submit=True, enter_to_submit=False),
    ):
        reason = st.text_input(
            "Motif de la consultation", key="reveal_reason",
            help="Inscrit au journal d'audit avec votre nom, l'heure et le dossier.",
        )  # fmt: skip
        if st.form_submit_button("Afficher le NIR", icon=":material/visibility:"):
            try:
                nir = auth.reveal_nir(reference, reason)
            except CpmsError as exc:
                show_error(exc)
            else:  # shown as text, whatever it holds: never rendered as Markdown
                st.success(f"NIR du dossier {md(reference)} :", icon=":material/badge:")
                st.code(nir or "aucun NIR enregistré", language=None)

details, follow_up = st.columns([4, 3], gap="large")
with details:
    st.markdown("##### :material/event: Échéances")
    panel.case_deadlines(case, deadlines)
    st.caption(f"Situation au {casefile.day_text(filters.as_of)} (date d'arrêté).")
    findings = data.read("case_findings", reference)
    if not findings.empty:
        st.markdown("##### :material/rule: Qualité des données")
        panel.case_findings_list(findings, who.personal_data)
    files = data.read("attachments", reference)
    if not files.empty:
        st.markdown(f"##### :material/attach_file: {casefile.header('attachments')}")
        if who.personal_data is PersonalData.CLEAR:
            panel.attachments_list(reference, files)
        else:  # a scanned letter cannot be masked
            st.caption(
                f":material/lock: {format_count(len(files))} pièce(s) jointe(s), réservées aux "
                "rôles qui voient les données personnelles en clair."
            )

version = state.setdefault("suivi_version", 0)
prefix = f"suivi_{version}_{case_key}_"
problems = state["suivi_problems"].get(reference, {}) if "suivi_problems" in state else {}


# The handler is typed by people: it is shown with any NIR masked, and left as stored when the
# field still shows what it was given.
handler_shown = str(seen.get("handler") or "")


def record() -> None:
    typed = {column: state.get(prefix + column) for column in FOLLOW_UP_COLUMNS}
    if typed.get("handler") == handler_shown:
        typed["handler"] = case.get("handler")
    changes = casefile.follow_up_changes(case, typed, FOLLOW_UP_COLUMNS)
    now = clock.now()
    state["suivi_problems"], state["suivi_result"] = {}, None
    if not changes:
        state["suivi_result"] = (reference, "Aucune modification à enregistrer.")
        return
    try:
        update_case(
            data.store(), reference, changes, today=clock.today(now), at=now, objects=objects,
            causes=data.settings().causes,
        )  # fmt: skip
    except ValidationError as exc:
        state["suivi_problems"] = {reference: exc.problems}
    except CpmsError as exc:
        state["suivi_problems"] = {reference: {"Dossier": exc.message}}
    else:
        fields = ", ".join(casefile.header(c) for c in changes)
        auth.log("case_change", f"Suivi : {fields}", reference=reference)
        state["suivi_result"] = (reference, f"Suivi enregistré : {fields}.")
        state["suivi_version"] += 1  # the fields show the stored values again


def day(column: str) -> None:
    value = casefile.as_day(case.get(column))
    st.date_input(
        casefile.header(column), value=value, min_value=min(date(2000, 1, 1), value or date.max),
        max_value=max(clock.today(), value or date.min), format="DD/MM/YYYY",
        key=prefix + column, help=panel.FOLLOW_UP_HELP[column],
    )  # fmt: skip
    field_problem(problems, column)


def choice(column: str, vocabulary: dict[str, tuple[str, tuple[str, ...]]]) -> None:
    current = case.get(column)
    options = list(dict.fromkeys([*vocabulary, *([current] if current else [])]))
    st.selectbox(
        casefile.header(column), options, index=options.index(current) if current else None,
        format_func=lambda v: casefile.value_text(column, v), placeholder="Non renseigné",
        key=prefix + column, help=panel.FOLLOW_UP_HELP[column],
    )  # fmt: skip
    field_problem(problems, column)


with follow_up, st.form(f"suivi_{case_key}", enter_to_submit=False):
    st.markdown("##### :material/edit_calendar: Suivi")
    left, right = st.columns(2)
    with left:
        day("acknowledged_on")
    with right:
        day("responded_on")
    choice("response_channel", CHANNELS)
    day("mediator_referred_on")
    choice("mediator", MEDIATORS)
    if competent := casefile.competent_mediator(case):
        competent_name = casefile.value_text("mediator", competent)
        st.caption(f":material/balance: Médiateur compétent : {competent_name}")
    st.text_input(
        casefile.header("handler"), value=handler_shown, key=prefix + "handler",
        max_chars=MAX_LENGTH["handler"],
        help=f"{panel.FOLLOW_UP_HELP['handler']} {length_help('handler')}",
    )  # fmt: skip
    st.markdown("###### :material/gavel: Suite donnée (recommandation ACPR 2024-R-02)")
    choice("outcome", OUTCOMES)
    st.number_input(
        casefile.header("redress_amount"), min_value=0.0, step=10.0, format="%.2f",
        value=case.get("redress_amount"), key=prefix + "redress_amount",
        help=panel.FOLLOW_UP_HELP["redress_amount"],
    )  # fmt: skip
    field_problem(problems, "redress_amount")
    choice("cause", cause_vocabulary(data.settings().causes))
    st.text_input(
        casefile.header("dysfunction"), value=case.get("dysfunction") or "",
        key=prefix + "dysfunction", max_chars=MAX_LENGTH["dysfunction"],
        help=f"{panel.FOLLOW_UP_HELP['dysfunction']} {length_help('dysfunction')}",
    )  # fmt: skip
    field_problem(problems, "dysfunction")
    if problems:
        problems_summary(problems, FOLLOW_UP_COLUMNS, "Le suivi")
    st.form_submit_button("Enregistrer le suivi", type="primary", icon=":material/save:",
                          on_click=record)  # fmt: skip
if (result := state.get("suivi_result")) and result[0] == reference:
    follow_up.success(result[1], icon=":material/check_circle:")

st.markdown("##### :material/history: Historique du dossier")
panel.history_table(data.read("history", reference), objects, who.personal_data)
