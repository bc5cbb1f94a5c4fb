"""Streamlit helpers of the case pages (Saisie, Suivi des dossiers, Import, Qualité des données):
widget values turned into the domain's canonical values, cached reads keyed on the database's
data version, the processing of an uploaded export, and the French panels these pages show.

Writes go through `ui.data.store()` (one connection per call, released at once), so the
command-line import can write to the file while the app is open.
"""

from __future__ import annotations

import contextlib
import hashlib
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from streamlit.errors import StreamlitPageNotFoundError

from cpms_metrics import CpmsError, Store
from cpms_metrics.access import PersonalData, mask_nirs, mask_nirs_in_frame, redact_value, scrub_nir
from cpms_metrics.cases import (
    SavedCase,
    attachment_content,
    case_attachments,
    case_findings,
    case_history,
    find_cases,
    get_case,
)
from cpms_metrics.charts import SERIES_COLOURS
from cpms_metrics.definitions import MISROUTED_HELP, MISROUTED_LABEL
from cpms_metrics.fields import (
    CHANNELS,
    COLUMN_BY_NAME,
    COMPLAINT,
    DATE_COLUMNS,
    MEDIATOR_BY_CARRIER,
    NATURES,
    OUTCOMES,
    RISK_CARRIERS,
    cause_vocabulary,
    label,
    object_vocabulary,
)
from cpms_metrics.ingest import (
    ImportReport,
    Prepared,
    import_log,
    load,
    preview,
    read_and_prepare,
)
from cpms_metrics.profiles import NO_PROFILE, Profile
from cpms_metrics.quality import finding_cases, findings_by_kind, findings_by_month
from cpms_metrics.rejects import readable_rejections
from cpms_metrics.store import scratch_prefix
from cpms_metrics.validation import FINDING_KINDS, mask_nir
from cpms_metrics.worklist import mediator_label
from ui import clock, data
from ui.format import DASH, POLICY_LABELS, format_count, format_date, md, month_label
from ui.widgets import PLOTLY_CONFIG

HEADER = {name: column.header for name, column in COLUMN_BY_NAME.items()}
UPLOAD_TYPES = ["csv", "xlsx", "parquet"]


def header(column: str) -> str:
    return HEADER[column]


def link(page: str, text: str, icon: str, params: Mapping[str, Any] | None = None) -> None:
    """A link to another page; nothing when the page runs on its own (AppTest, `streamlit run`
    of a single file), where the other pages do not exist."""
    with contextlib.suppress(StreamlitPageNotFoundError):
        st.page_link(page, label=text, icon=icon, query_params=dict(params or {}))


def show_error(exc: CpmsError, after: str = "") -> None:
    st.error(f"**{exc.title}** — {md(exc.message)}{after}", icon=":material/error:")


# --- Cached reads -------------------------------------------------------------------------------

_attachments = case_attachments
_case_findings = case_findings


_READS: dict[str, Callable[..., Any]] = {
    "find_cases": find_cases,
    "case": get_case,
    "history": case_history,
    "attachments": _attachments,
    "case_findings": _case_findings,
    "imports": import_log,
    "by_kind": findings_by_kind,
    "by_month": findings_by_month,
    "finding_cases": finding_cases,
}


@st.cache_data(show_spinner=False, max_entries=512)
def _cached(_store: Store, path: str, version: str, name: str, *args: Any, **kwargs: Any) -> Any:
    return _READS[name](_store, *args, **kwargs)


def read(name: str, *args: Any, **kwargs: Any) -> Any:
    """A read of `_READS`, cached until the database file changes; a CpmsError stops the page."""
    store = data.store()
    try:
        return _cached(store, str(store.path), store.data_version(), name, *args, **kwargs)
    except CpmsError as exc:
        show_error(exc)
        st.stop()


# --- Values as a person reads them --------------------------------------------------------------


def _missing(value: Any) -> bool:
    return value is None or (not isinstance(value, str | bytes) and bool(pd.isna(value)))


def as_day(value: Any) -> date | None:
    """A stored date (Timestamp, datetime, date, ISO text) as a `date`; None when missing."""
    if _missing(value):
        return None
    if isinstance(value, pd.Timestamp | datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def day_text(value: Any) -> str:
    day = as_day(value)
    return DASH if day is None else format_date(day)


def _vocabularies(objects: Sequence[str]) -> dict[str, Any]:
    return {
        "channel": CHANNELS,
        "response_channel": CHANNELS,
        "nature": NATURES,
        "object": object_vocabulary(tuple(objects)),
        "risk_carrier": RISK_CARRIERS,
        "outcome": OUTCOMES,
        "cause": cause_vocabulary(data.settings().causes),
    }


def value_text(column: str, value: Any, objects: Sequence[str] = ()) -> str:
    """A stored value in French: dates as JJ/MM/AAAA, codes as labels, the NIR masked."""
    if _missing(value) or value == "":
        return DASH
    if column in DATE_COLUMNS:
        return day_text(value)
    if column == "nir":
        return mask_nir(str(value))
    if column == "mediator":
        return mediator_label(str(value))
    vocabularies = _vocabularies(tuple(dict.fromkeys([*objects, str(value)])))
    if column in vocabularies:
        return str(mask_nirs(label(vocabularies[column], str(value))))
    return str(mask_nirs(str(value)))


def person(case: Mapping[str, Any]) -> str:
    names = [str(case[c]) for c in ("first_name", "last_name") if not _missing(case.get(c))]
    return " ".join(n for n in names if n.strip()) or "Adhérent non renseigné"


# --- Saisie -------------------------------------------------------------------------------------

# The form's fields, in the order the domain lists its problems.
ENTRY_COLUMNS = (
    "received_on", "sent_on", "channel", "reference", "nature",
    "last_name", "first_name", "nir", "company", "risk_carrier",
    "postal_address", "email", "phone",
    "object", "description",
)  # fmt: skip
NOT_A_COMPLAINT = (
    ("Une demande d'information", "« À quel montant de remboursement ai-je droit ? »"),
    (
        "Une demande de clarification",
        "« Je ne comprends pas sur quelle base je dois calculer mon remboursement. »",
    ),
    (
        "Une demande de confirmation",
        "« Ai-je bien droit à telle ou telle prestation dans mon contrat ? »",
    ),
)


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


def entry_values(
    state: Mapping[str, Any], prefix: str
) -> tuple[dict[str, Any], list[tuple[str, bytes]]]:
    """The form's widget values (keys `prefix + column`) as canonical values for `save_case`,
    and the attached files as (name, bytes)."""
    values: dict[str, Any] = {}
    for column in ENTRY_COLUMNS:
        value = state.get(prefix + column)
        values[column] = value.strip() if isinstance(value, str) else value
    files = state.get(prefix + "attachments") or []
    return values, [(file.name, file.getvalue()) for file in files]


def problems_summary(
    problems: Mapping[str, str], columns: Sequence[str], what: str = "Le dossier"
) -> None:
    """Every problem of a refused form at once, by field, in the form's order."""
    order = {header(c): i for i, c in enumerate(columns)}
    ordered = sorted(problems.items(), key=lambda item: order.get(item[0], len(order)))
    count = len(ordered)
    st.error(
        f"**{what} n'a pas été enregistré** — {count} point{'s' if count > 1 else ''} à "
        "corriger :\n"
        + "\n".join(f"- **{md(field)}** : {md(reason)}" for field, reason in ordered)
        + "\n\nLes valeurs saisies sont conservées.",
        icon=":material/error:",
    )


def field_problem(problems: Mapping[str, str], column: str) -> None:
    """The problem of one field, in red under it."""
    reason = problems.get(header(column))
    if reason:
        st.markdown(f":red[:material/error: {md(reason)}]")


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


# --- Suivi des dossiers -------------------------------------------------------------------------

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


def source_text(source: Any) -> str:
    """`saisie` -> `Saisie`, `import #3` -> `Import n° 3`."""
    return str(source).replace("import #", "Import n° ").capitalize()


def case_option(row: Mapping[str, Any]) -> str:
    return f"{row['reference']} · {person(row)} · reçue le {day_text(row['received_on'])}"


def case_card(case: Mapping[str, Any], objects: Sequence[str]) -> None:
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
    if not _missing(case.get("description")):
        st.markdown(f"**{header('description')}**")
        st.markdown("\n".join(f"> {md(line)}  " for line in str(case["description"]).splitlines()))


def case_deadlines(case: Mapping[str, Any]) -> None:
    """Due dates under both policies, next to what was done."""
    if case.get("nature") != COMPLAINT:
        st.caption(
            ":material/info: Demande hors réclamation : hors des indicateurs de délais, "
            "sans échéance."
        )
        return
    frame = pd.DataFrame(
        {
            "Étape": ["Accusé de réception", "Réponse"],
            **{
                f"Échéance — {POLICY_LABELS[p]}": [
                    day_text(case.get(f"ack_due_{p}")),
                    day_text(case.get(f"answer_due_{p}")),
                ]
                for p in POLICY_LABELS
            },
            "Fait le": [day_text(case.get("acknowledged_on")), day_text(case.get("responded_on"))],
        }
    )
    st.table(frame, hide_index=True, border="horizontal")


def competent_mediator(case: Mapping[str, Any]) -> str | None:
    carrier = case.get("risk_carrier")
    return None if _missing(carrier) else MEDIATOR_BY_CARRIER.get(str(carrier))


def follow_up_changes(
    case: Mapping[str, Any], typed: Mapping[str, Any], columns: Sequence[str]
) -> dict[str, Any]:
    """The follow-up fields whose typed value differs from the stored one."""
    changes: dict[str, Any] = {}
    for column in columns:
        value = typed.get(column)
        if isinstance(value, str):
            value = value.strip() or None
        stored = case.get(column)
        stored = (
            as_day(stored) if column in DATE_COLUMNS else (None if _missing(stored) else stored)
        )
        if value != stored:
            changes[column] = value
    return changes


def shown_value(column: Any, value: Any, level: PersonalData, objects: Sequence[str]) -> str:
    """A value of a case's history or findings as the role may see it, in French; anything
    shaped like a NIR masked, whatever the column (the history keeps old values in clear)."""
    if _missing(column):
        return "" if _missing(value) else scrub_nir(str(value))
    return scrub_nir(value_text(str(column), redact_value(str(column), value, level), objects))


def history_table(history: pd.DataFrame, objects: Sequence[str], level: PersonalData) -> None:
    """The case's history, newest first, each value in French as the role may see it, never a
    full NIR."""
    actions = {"creation": "Création du dossier", "modification": "Modification"}
    rows = []
    for record in history.iloc[::-1].to_dict("records"):
        column = record["field"]
        field = "" if _missing(column) else header(str(column))
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


# --- Import -------------------------------------------------------------------------------------


@dataclass
class UploadCheck:
    """An uploaded export read and checked, with what loading it would do; nothing written."""

    key: str  # the upload's name, size and digest: a new file is checked anew
    prepared: Prepared
    report: ImportReport
    version: str  # the database's data version the preview was computed on


def upload_key(name: str, content: bytes) -> str:
    return f"{name}:{len(content)}:{hashlib.sha256(content).hexdigest()[:16]}"


def check_upload(
    store: Store,
    name: str,
    content: bytes,
    *,
    today: date,
    objects: tuple[str, ...],
    profile: Profile = NO_PROFILE,
) -> UploadCheck:
    """Read and check an uploaded export (its suffix says its format), through `profile` for
    the export of another tool, and preview its loading; raises ImportFileError when the file
    cannot be used."""
    file_name = Path(name).name
    if file_name in ("", ".", ".."):
        file_name = "export.csv"
    with tempfile.TemporaryDirectory(prefix=scratch_prefix()) as folder:
        # The file keeps its own name: the import log shows it.
        path = Path(folder) / file_name
        path.write_bytes(content)
        prepared = read_and_prepare(
            path, import_day=today, objects=objects, causes=data.settings().causes, profile=profile
        )
    version = store.data_version()
    return UploadCheck(upload_key(name, content), prepared, preview(store, prepared), version)


def fresh_preview(store: Store, check: UploadCheck) -> UploadCheck:
    """The same check, its preview recomputed if the database changed since (another import)."""
    version = store.data_version()
    if version == check.version:
        return check
    return UploadCheck(check.key, check.prepared, preview(store, check.prepared), version)


def confirm_upload(store: Store, check: UploadCheck, *, now: datetime) -> ImportReport:
    """Load the checked export in one transaction."""
    return load(store, check.prepared, imported_at=now)


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


# --- Qualité des données ------------------------------------------------------------------------

# The cards and the chart group kinds as the procedure's checks do.
FAMILIES: dict[str, tuple[str, ...]] = {
    "NIR invalide": ("nir_invalide",),
    "E-mail ou tél. invalide": ("email_invalide", "telephone_invalide"),
    "Éléments manquants": (
        "nir_manquant", "nom_manquant", "entreprise_manquante", "coordonnees_manquantes",
    ),
    MISROUTED_LABEL: ("mauvaise_orientation",),
    "Réponse par un autre canal": ("canal_reponse_different",),
    "Autres constats": (
        "code_postal_invalide", "ar_apres_reponse", "valeur_inconnue", "nir_hors_champ",
    ),
}  # fmt: skip
FAMILY_HELP = {
    "NIR invalide": "Numéro de sécurité sociale dont la clé ou le format est incorrect.",
    "E-mail ou tél. invalide": "Adresse électronique ou numéro de téléphone mal formé.",
    "Éléments manquants": "NIR, nom, prénom, entreprise ou coordonnée du canal absents "
    "(éléments demandés par la procédure).",
    MISROUTED_LABEL: MISROUTED_HELP,  # the Médiation page's figure (quality._scoped)
    "Réponse par un autre canal": "Réponse envoyée par une autre voie que la réclamation.",
    "Autres constats": "Code postal, AR daté après la réponse, valeur non reconnue, NIR saisi "
    "dans un autre champ.",
}
FAMILY_OF = {kind: family for family, kinds in FAMILIES.items() for kind in kinds}


def family_counts(by_kind: pd.DataFrame) -> dict[str, int]:
    counts = dict.fromkeys(FAMILIES, 0)
    for record in by_kind.to_dict("records"):
        counts[FAMILY_OF.get(str(record["kind"]), "Autres constats")] += int(record["findings"])
    return counts


def findings_chart(by_month: pd.DataFrame, months: Sequence[str]) -> go.Figure:
    """Findings per month of receipt, stacked by family."""
    frame = by_month.assign(
        family=by_month["kind"].map(lambda k: FAMILY_OF.get(k, "Autres constats"))
    )
    table = (
        frame.pivot_table(index="month", columns="family", values="findings", aggfunc="sum")
        .reindex(index=list(months), columns=list(FAMILIES))
        .fillna(0)
    )
    ticks = [month_label(m) for m in months]
    fig = go.Figure()
    for index, family in enumerate(FAMILIES):
        counts = [int(v) for v in table[family]]
        if not any(counts):
            continue
        fig.add_trace(
            go.Bar(
                x=ticks,
                y=counts,
                name=family,
                marker_color=SERIES_COLOURS[index % len(SERIES_COLOURS)],
                hovertext=[
                    f"{t}<br>{family} : {format_count(c)}"
                    for t, c in zip(ticks, counts, strict=True)
                ],
                hoverinfo="text",
            )
        )
    fig.update_layout(
        barmode="stack",
        separators=", ",
        height=340,
        margin={"l": 8, "r": 8, "t": 40, "b": 8},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0, "title": None},
        bargap=0.25,
    )
    fig.update_xaxes(type="category", showgrid=False, title_text="Mois de réception")
    fig.update_yaxes(rangemode="tozero", title_text="Constats")
    return fig


def chart(fig: go.Figure) -> None:
    st.plotly_chart(fig, width="stretch", config=PLOTLY_CONFIG)


def kinds_table(by_kind: pd.DataFrame) -> None:
    shown = pd.DataFrame(
        {
            "Constat": by_kind["kind"].map(lambda k: FINDING_KINDS.get(k, k)),
            "Constats": by_kind["findings"].map(format_count),
            "Dossiers": by_kind["cases"].map(format_count),
        }
    )
    st.table(shown, hide_index=True, border="horizontal")


SUIVI_PAGE = "pages/7_suivi_des_dossiers.py"
SUIVI_URL = "suivi_des_dossiers"


def finding_cases_table(frame: pd.DataFrame, objects: Sequence[str], level: PersonalData) -> None:
    """The cases behind one kind of finding, the value found as the role may see it; the
    reference opens the case's follow-up (a reference holding a NIR is shown, and sought,
    masked: the link never carries a full NIR)."""
    shown = pd.DataFrame(
        {
            "Référence": [
                f"{SUIVI_URL}?ref={quote(str(mask_nirs(str(r))))}" for r in frame["reference"]
            ],
            "Reçue le": frame["received_on"].map(day_text),
            "Canal": frame["channel"].map(lambda v: value_text("channel", v)),
            "Objet": frame["object"].map(lambda v: value_text("object", v, objects)),
            "Gestionnaire": frame["handler"].map(lambda v: "Non attribué" if _missing(v) else v),
            "Champ": frame["field"].map(lambda c: HEADER.get(str(c), str(c))),
            "Valeur": [
                "" if _missing(v) else shown_value(f, v, level, objects)
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
            "Référence": st.column_config.LinkColumn(
                display_text=r"ref=(.*)$", help="Ouvrir le suivi du dossier"
            ),
            "Constat": st.column_config.TextColumn(width="large"),
        },
    )
