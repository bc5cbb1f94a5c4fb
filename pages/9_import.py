"""Import: upload an export (CSV, XLSX, Parquet), see what loading it would do — rows read, to add,
to update, unchanged, rejected with their reasons, data-quality findings — then load it on
confirmation. Rejected lines can be downloaded; every past import is listed. Imports and downloads
go to the audit log; rejected values are shown as the role may see personal data."""

from pathlib import Path

import streamlit as st

from cpms_metrics import CpmsError
from cpms_metrics import upload as uploads
from cpms_metrics.access import mask_nirs
from cpms_metrics.errors import HeaderNotFound
from cpms_metrics.ingest import rejects_of
from cpms_metrics.profiles import NO_PROFILE, load_profile
from cpms_metrics.rejects import rejections_csv
from ui import auth, clock, data
from ui.format import format_count, md
from ui.mapping import MappingSource, mapping_step, profile_names
from ui.page import page_setup
from ui.panels import imports as panel
from ui.panels.common import show_error
from ui.widgets import no_data

_, who = page_setup("Import")
objects = data.settings().objects
profiles_dir = data.settings().profiles_dir
store = data.store()
state = st.session_state
version = state.setdefault("import_version", 0)  # a new version is an empty uploader
UNCHANGED = " La base n'a pas été modifiée."


def confirm() -> None:
    check = state.pop("import_check")
    try:
        state["import_done"] = done = uploads.confirm_upload(store, check, now=clock.now())
    except CpmsError as exc:
        state["import_failure"], state["import_check"] = exc, check
    else:
        auth.log(
            "import",
            f"Import n° {done.import_id} de « {done.file_name} » depuis le tableau de bord : "
            f"{done.rows_read} lignes lues, {done.added} ajoutées, {done.updated} mises à jour, "
            f"{done.rejected} rejetées",
        )
        state["import_version"] += 1


def cancel() -> None:
    state.pop("import_check", None)
    state.pop("import_mapping", None)
    state["import_version"] += 1


st.caption(
    ":material/info: Export des réclamations au format de l'outil de gestion (une ligne par "
    "dossier). Le fichier est d'abord vérifié : rien n'est écrit avant votre confirmation. Un "
    "même fichier importé deux fois ne change rien la seconde fois ; une cellule vide n'efface "
    "jamais une valeur enregistrée, et une ligne identique à une version antérieure du dossier "
    "(export plus ancien) est « périmée » : elle n'est pas appliquée."
)
if (done := state.get("import_done")) and "import_check" not in state:
    stale = f", {format_count(done.stale)} ligne(s) périmée(s) non appliquée(s)"
    st.success(
        f"**Import n° {done.import_id} terminé** — « {md(done.file_name)} » : "
        f"{format_count(done.added)} dossier(s) ajouté(s), {format_count(done.updated)} mis à "
        f"jour, {format_count(done.rejected)} ligne(s) rejetée(s){stale if done.stale else ''}.",
        icon=":material/check_circle:",
    )
    panel.report_cards(done, done=True)

mapping: MappingSource | None = state.get("import_mapping")
if mapping is not None and "import_check" not in state:
    # The headers were not recognised: say which column is which, then check the import.
    with st.container(border=True):
        try:
            chosen = mapping_step(
                mapping, today=clock.today(), objects=objects, folder=profiles_dir
            )
        except CpmsError as exc:
            show_error(exc, UNCHANGED)
            chosen = None
        st.button("Choisir un autre fichier", icon=":material/close:", on_click=cancel,
                  key="map_cancel")  # fmt: skip
    if chosen is not None:
        try:
            with st.spinner("Lecture et vérification du fichier…"):
                state["import_check"] = uploads.check_upload(
                    store, mapping.name, mapping.content, today=clock.today(), objects=objects,
                    causes=data.settings().causes, profile=chosen,
                )  # fmt: skip
        except CpmsError as exc:
            show_error(exc, UNCHANGED)
        else:
            state.pop("import_mapping", None)
            st.rerun()
elif (check := state.get("import_check")) is None:
    names = profile_names(profiles_dir)
    profile_name = st.selectbox(
        "Profil d'import", ["", *names], key="import_profile",
        format_func=lambda n: n or "Aucun (format du tableau de bord, ou correspondance à l'écran)",
        help="Pour l'export d'un autre outil : un profil (fichier TOML du dossier "
        f"{profiles_dir}, réglage CPMS_PROFILES_DIR) dit quelle colonne est laquelle.",
    ) if names else ""  # fmt: skip
    upload = st.file_uploader(
        "Export à importer", type=uploads.UPLOAD_TYPES, key=f"import_upload_{version}",
        help="CSV séparé par « ; » ou « , » (UTF-8 ou Windows-1252, celui d'Excel), classeur "
        "Excel .xlsx (première feuille) ou Parquet.",
    )  # fmt: skip
    if upload is not None:
        content = upload.getvalue()
        key = uploads.upload_key(upload.name, content)
        if (failed := state.get("import_failed")) and failed[0] == key:
            show_error(failed[1], UNCHANGED)  # the same file again: not read twice
        else:
            try:
                profile = (
                    load_profile(
                        profile_name,
                        folder=profiles_dir,
                        objects=objects,
                        causes=data.settings().causes,
                    )
                    if profile_name
                    else NO_PROFILE
                )
                with st.spinner("Lecture et vérification du fichier…"):
                    state["import_check"] = uploads.check_upload(
                        store, upload.name, content, today=clock.today(), objects=objects,
                        causes=data.settings().causes, profile=profile,
                    )  # fmt: skip
            except HeaderNotFound as exc:
                state["import_mapping"] = MappingSource(upload.name, content, exc.message)
                state.pop("import_done", None)
                st.rerun()
            except CpmsError as exc:
                state["import_failed"] = (key, exc)
                show_error(exc, UNCHANGED)
            else:
                state.pop("import_done", None)
                st.rerun()
else:
    check = state["import_check"] = uploads.fresh_preview(store, check)
    report = check.report
    with st.container(border=True):
        name = md(report.file_name)
        st.markdown(f"##### :material/fact_check: Vérification de « {name} »")
        st.caption("Rien n'a encore été écrit dans la base : voici ce que l'import ferait.")
        panel.report_cards(report, done=False)
        if len(report.rejections):
            st.markdown("**Lignes rejetées**, avec leur motif :")
            panel.rejections_table(report.rejections, who.personal_data)
        if failure := state.pop("import_failure", None):
            show_error(failure, UNCHANGED)
        with st.container(horizontal=True):
            st.button(
                "Confirmer l'import", type="primary", icon=":material/upload:", on_click=confirm,
                disabled=not report.loaded_anything,
                help=None if report.loaded_anything else "Aucune ligne à charger.",
            )  # fmt: skip
            st.button("Choisir un autre fichier", icon=":material/close:", on_click=cancel)
            if len(report.rejections):
                rejections = report.rejections
                st.download_button(
                    "Lignes rejetées (CSV)",
                    auth.audited_export(
                        lambda: rejections_csv(rejections, who.personal_data),
                        f"Lignes rejetées de « {report.file_name} » (vérification), CSV",
                    ),
                    f"{Path(report.file_name).stem}_rejets.csv", "text/csv", on_click="ignore",
                    icon=":material/download:",
                )  # fmt: skip

st.subheader("Imports précédents")
log = data.read("imports")
if log.empty:
    no_data("Aucun import pour l'instant.")
    st.stop()
panel.imports_table(log)
rejected = {int(r["id"]): r for r in log[log["rejected"] > 0].to_dict("records")}
if rejected:
    left, right = st.columns([2, 1], vertical_alignment="bottom")
    chosen = left.selectbox(
        "Lignes rejetées d'un import", list(rejected),
        format_func=lambda i: f"Import n° {i} — {mask_nirs(rejected[i]['file_name'])} "
        f"({format_count(rejected[i]['rejected'])} ligne(s))",
    )  # fmt: skip
    right.download_button(
        "Télécharger (CSV)",
        auth.audited_export(
            lambda: rejections_csv(rejects_of(store, chosen), who.personal_data),
            f"Lignes rejetées de l'import n° {chosen}, CSV",
        ),
        f"import_{chosen}_rejets.csv", "text/csv", on_click="ignore", icon=":material/download:",
    )  # fmt: skip
