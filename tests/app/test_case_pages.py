"""The case pages run by AppTest on the known export (tests/app/known_export.py): Saisie, Suivi
des dossiers, Import and Qualité des données.

A file_uploader cannot be driven by AppTest: the import page's processing is
`cpms_metrics.upload.check_upload`, called here with bytes, and its result is put in the session
as the page would put it; the attachments of the form are saved through the same `save_case`
call the page makes. The browser test (tests/e2e/test_form_browser.py)
drives both uploaders for real.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from cpms_metrics import Scope, casefile, families, kpis, open_store, upload
from cpms_metrics.access import PersonalData, audit_log
from cpms_metrics.cases import attachment_content, get_case, save_case
from cpms_metrics.definitions import MISROUTED_LABEL
from cpms_metrics.errors import ImportFileError
from cpms_metrics.ingest import import_log
from cpms_metrics.quality import findings_by_kind
from cpms_metrics.rejects import rejections_csv
from cpms_metrics.settings import load_settings
from tests.app.conftest import ROOT, run_page, shown_metrics
from tests.app.known_export import QUERY, TEXT, write_export
from ui import auth, clock
from ui.format import format_count

SAISIE = "pages/6_saisie.py"
SUIVI = "pages/7_suivi_des_dossiers.py"
IMPORT = "pages/9_import.py"
QUALITE = "pages/10_qualite_des_donnees.py"


def today() -> date:
    """The pages read the clock when they run: so do these tests (a run may cross midnight),
    as the service's day (CPMS_TIMEZONE), not the server's."""
    return clock.today()


NIR = "2 85 05 2A 123 456 80"  # valid key (Corsica: 2A counts as 19)
WRITTEN = {  # field label -> value: a complete written complaint
    "Canal": "courrier",
    "Nom": "Lefèvre",
    "Prénom": "Zoé",
    "Numéro de sécurité sociale": NIR,
    "Adresse postale": "5 rue Geoffroy Marie 75009 Paris",
    "Adresse électronique": "zoe.lefevre@example.fr",
    "Téléphone": "01 47 70 30 97",
    "Entreprise / Souscripteur": "Clinique du Parc",
    "Porteur de risque": "institution_prevoyance",
    "Objet": "remboursement",
    "Formulation": "Remboursement de mars non reçu.",
}
WIDGETS = ("text_input", "text_area", "radio", "selectbox", "date_input", "number_input")


def widget(at: AppTest, label: str) -> Any:
    """The page's widget labelled `label` (the sidebar filters left aside)."""
    for kind in WIDGETS:
        for found in getattr(at, kind):
            if found.label == label and not str(found.key).startswith("flt_"):
                return found
    raise KeyError(label)


def button(at: AppTest, text: str) -> Any:
    return next(b for b in at.button if b.label.startswith(text))


def fill(at: AppTest, values: dict[str, Any]) -> AppTest:
    for label, value in values.items():
        widget(at, label).set_value(value)
    return at


def submit(at: AppTest) -> AppTest:
    return button(at, "Enregistrer").click().run()


def cli_kpis(db: Path) -> dict[str, Any]:
    """`python -m cpms_metrics kpis --json`, in its own process, as of today."""
    done = subprocess.run(
        [sys.executable, "-m", "cpms_metrics", "kpis", "--db", str(db), "--as-of",
         today().isoformat(), "--json"],
        cwd=ROOT, capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def stored(db: Path) -> dict[str, int]:
    store = open_store(db, keep_open=False)
    with store.cursor() as cur:
        rows = cur.execute(
            "SELECT (SELECT count(*) FROM complaints), (SELECT count(*) FROM imports), "
            "(SELECT count(*) FROM attachments)"
        ).fetchall()[0]
    return dict(zip(("cases", "imports", "attachments"), map(int, rows), strict=True))


def shown(markdown: str) -> str:
    """Markdown as read on the page: the escapes of typed values (`ui.panels.common.md`) removed."""
    return re.sub(r"\\(.)", r"\1", markdown)


def texts(at: AppTest) -> str:
    """Everything the page shows as text, tables included."""
    parts: list[str] = []
    for kind in ("markdown", "caption", "success", "error", "info", "subheader", "metric"):
        parts += [shown(str(getattr(e, "value", ""))) for e in getattr(at, kind)]
    parts += [e.value.to_string() for e in (*at.dataframe, *at.table)]
    return "\n".join(parts)


# --- Saisie -----------------------------------------------------------------------------------


def test_a_valid_complaint_is_saved_and_counted_while_the_app_is_open(known_db: Path) -> None:
    before = cli_kpis(known_db)["complaints"]
    overview = run_page("dashboard.py")
    shown_before = shown_metrics(overview)["Réclamations reçues"]

    at = submit(fill(run_page(SAISIE), WRITTEN))
    assert not at.exception
    assert not at.error
    success = shown(at.success[0].value)
    assert "Réclamation enregistrée" in success and f"SAI-{today().year}-" in success
    reference = at.metric[0].value
    assert reference.startswith(f"SAI-{today().year}-")
    deadlines = at.table[0].value
    assert list(deadlines["Politique de délais"]) == ["Engagement CPMS", "Référentiel ACPR"]
    assert deadlines["Accusé de réception au plus tard le"][0] == (
        today() + timedelta(days=10)
    ).strftime("%d/%m/%Y")
    assert "10 rue Cambacérès, 75008 Paris" in texts(at)  # an institution de prévoyance's CTIP

    # The command line counts it while this app is still open, and the app's figures follow.
    assert cli_kpis(known_db)["complaints"] == before + 1
    assert int(shown_metrics(overview.run())["Réclamations reçues"]) == int(shown_before) + 1
    # The form is ready for the next case, blank.
    at = button(at, "Saisir un nouveau dossier").click().run()
    assert widget(at, "Nom").value == ""
    assert widget(at, "Date de réception").value == today()


def test_the_form_records_a_root_cause_already_known(known_db: Path) -> None:
    at = submit(fill(run_page(SAISIE), {**WRITTEN, "Cause": "delai_traitement"}))
    assert not at.exception and not at.error
    reference = at.metric[0].value
    store = open_store(known_db, keep_open=False)
    with store.cursor() as cur:
        rows = cur.execute("SELECT cause FROM complaints WHERE reference = $r", {"r": reference})
        assert rows.fetchall() == [("delai_traitement",)]


MISSING = ("Nom", "Numéro de sécurité sociale", "Entreprise / Souscripteur", "Formulation")
REFUSALS = [
    pytest.param(
        {"Numéro de sécurité sociale": "2 85 05 2A 123 456 81"},
        {"Numéro de sécurité sociale": "clé de contrôle incorrecte"},
        id="wrong NIR key",
    ),
    pytest.param(
        dict.fromkeys(MISSING, ""),
        dict.fromkeys(MISSING, "champ obligatoire pour une réclamation écrite"),
        id="procedure items missing, all listed at once",
    ),
    pytest.param(
        {"Adresse postale": ""},
        {"Adresse postale": "champ obligatoire pour répondre à une réclamation reçue par courrier"},
        id="no address for a letter",
    ),
    pytest.param(
        {"Adresse électronique": "zoe.lefevre@", "Téléphone": "01 47"},
        {
            "Adresse électronique": "adresse électronique invalide (domaine incomplet)",
            "Téléphone": "numéro de téléphone invalide (10 chiffres attendus, ou +33 suivi de "
            "9 chiffres)",
        },
        id="invalid e-mail and phone",
    ),
    pytest.param(
        {"Canal": "telephone", "Téléphone": "", "Objet": None},
        {
            "Téléphone": "champ obligatoire pour une réclamation téléphonique",
            "Objet": "Objet manquant",
        },
        id="phone complaint without a number to call back",
    ),
    pytest.param(
        {"Canal": None},
        {"Canal": "Canal manquant"},
        id="no channel",
    ),
    pytest.param(
        {
            "Date de réception": today() - timedelta(days=5),
            "Date d'envoi": today() - timedelta(days=2),
        },
        {"Date d'envoi": "Date d'envoi postérieure à la date de réception"},
        id="sent after it was received",
    ),
    pytest.param(
        {"Référence": "R01"},
        {"Référence": "référence déjà utilisée"},
        id="reference already used",
    ),
]


@pytest.mark.parametrize(("changes", "problems"), REFUSALS)
def test_a_refused_form_lists_every_problem_keeps_the_values_and_saves_nothing(
    known_db: Path, changes: dict[str, Any], problems: dict[str, str]
) -> None:
    before = stored(known_db)
    values = {**WRITTEN, **changes}
    at = submit(fill(run_page(SAISIE), values))
    assert not at.exception
    assert not at.success
    [error] = at.error
    assert "n'a pas été enregistré" in error.value
    listed = {
        line[4:].split("** : ")[0]: line.split("** : ")[1]
        for line in shown(error.value).splitlines()
        if line.startswith("- **")
    }
    assert listed == problems
    for field, reason in problems.items():  # each problem also under its field
        assert any(reason in shown(m.value) and "red[" in m.value for m in at.markdown), field
    for label, value in values.items():
        assert widget(at, label).value == value, label
    assert stored(known_db) == before


def test_a_phone_complaint_may_lack_nir_and_address_which_become_findings(
    known_db: Path,
) -> None:
    phone = {**WRITTEN, "Canal": "telephone", "Numéro de sécurité sociale": "",
             "Adresse postale": "", "Adresse électronique": ""}  # fmt: skip
    at = submit(fill(run_page(SAISIE), phone))
    assert not at.error
    reference = at.metric[0].value

    quality = run_page(QUALITE)
    assert not quality.exception
    widget(quality, "Type de constat").set_value("nir_manquant")
    table = quality.run().dataframe[0].value
    assert f"suivi_des_dossiers?ref={reference}" in list(table["Référence"])


def test_a_request_is_recorded_outside_the_figures(known_db: Path) -> None:
    before = kpis(open_store(known_db, keep_open=False), as_of=today())
    request = {**WRITTEN, "Nature": "demande_information", "Entreprise / Souscripteur": ""}
    at = submit(fill(run_page(SAISIE), request))
    assert "Demande d'information enregistrée" in shown(at.success[0].value)
    assert not at.table  # no deadline applies
    after = kpis(open_store(known_db, keep_open=False), as_of=today())
    assert after["complaints"] == before["complaints"]
    assert after["non_complaints"] == before["non_complaints"] + 1


def test_the_guidance_gives_the_three_examples(known_db: Path) -> None:
    page = texts(run_page(SAISIE))
    assert "la manifestation d'un mécontentement" in page
    for example in (
        "À quel montant de remboursement ai-je droit ?",
        "Je ne comprends pas sur quelle base je dois calculer mon remboursement.",
        "Ai-je bien droit à telle ou telle prestation dans mon contrat ?",
    ):
        assert example in page


def test_several_users_saving_at_once_get_distinct_references(
    known_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # AppTests share one runtime slot, emptied by the first to finish: the others could not read
    # the request headers any more. This test is about references, not about proxies.
    monkeypatch.setattr(auth, "_proxied", lambda: False)
    monkeypatch.setattr(auth, "request_host", lambda: None)
    apps = [fill(run_page(SAISIE), WRITTEN) for _ in range(4)]
    start = threading.Barrier(len(apps))
    failures: list[BaseException] = []

    def press(at: AppTest) -> None:
        try:
            start.wait()
            submit(at)
        except BaseException as exc:  # pragma: no cover - reported below
            failures.append(exc)

    threads = [threading.Thread(target=press, args=(at,)) for at in apps]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures
    outcomes = [(list(at.exception), [e.value for e in at.error], len(at.success)) for at in apps]
    assert all(not at.exception and at.success for at in apps), outcomes
    references = {at.metric[0].value for at in apps}
    assert len(references) == len(apps)
    assert stored(known_db)["cases"] == 12 + len(apps)
    log = audit_log(open_store(known_db, keep_open=False))
    assert sorted(log["reference"]) == sorted(references)  # each creation logged, by whom
    assert set(zip(log["who"], log["action"], strict=True)) == {("mode local", "case_change")}


# --- Suivi des dossiers -----------------------------------------------------------------------


def test_follow_up_checks_chronology_then_records_with_history(known_db: Path) -> None:
    at = run_page(SUIVI, {"ref": "R04"})  # received 14/04/2025 by e-mail, never answered
    assert not at.exception
    assert shown(at.subheader[0].value) == "R04 · Paul Leroy"

    fill(at, {"Date de réponse": date(2025, 4, 1)})
    at = submit(at)
    [error] = at.error
    assert "Date de réponse antérieure à la date de réception" in shown(error.value)
    assert widget(at, "Date de réponse").value == date(2025, 4, 1)  # kept
    store = open_store(known_db, keep_open=False)
    assert get_case(store, "R04")["responded_on"] is None

    fill(at, {
        "Date d'accusé de réception": date(2025, 4, 16),
        "Date de réponse": date(2025, 5, 20),
        "Canal de réponse": "courrier",
        "Médiateur": "mediation_assurance",
    })  # fmt: skip
    at = submit(at)
    assert not at.error
    assert at.success[0].value == (
        "Suivi enregistré : Date d'accusé de réception, Date de réponse, Canal de réponse, "
        "Médiateur."
    )
    case = get_case(store, "R04")
    assert casefile.as_day(case["acknowledged_on"]) == date(2025, 4, 16)
    assert (case["response_channel"], case["mediator"]) == ("courrier", "mediation_assurance")
    history = at.dataframe[-1].value
    changes = history[history["Action"] == "Modification"].set_index("Champ")
    assert changes.loc["Date de réponse", "Après"] == "20/05/2025"
    assert changes.loc["Canal de réponse", "Après"] == "Courrier"
    assert changes.loc["Médiateur", "Après"] == "La Médiation de l'Assurance"
    assert set(changes["Origine"]) == {"Saisie"}
    # The answer went by letter to an e-mail: a finding, shown on the case.
    assert "Réponse par un autre canal" in texts(at)
    # Nothing typed again: nothing to record.
    assert submit(at).success[0].value == "Aucune modification à enregistrer."


def test_the_history_shows_the_service_hour(
    known_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Recorded at 23:30 UTC on 28 March 2026: 00:30 on the 29th at the service, in Paris.
    monkeypatch.setattr(clock, "utc_now", lambda: datetime(2026, 3, 28, 23, 30, tzinfo=UTC))
    at = run_page(SUIVI, {"ref": "R04"})
    fill(at, {"Date d'accusé de réception": date(2025, 4, 16)})
    at = submit(at)
    assert not at.error
    history = at.dataframe[-1].value
    assert history[history["Action"] == "Modification"]["Le"].tolist() == ["29/03/2026 00:30"]
    [logged] = audit_log(open_store(known_db, keep_open=False))["logged_at"].tolist()
    assert logged == datetime(2026, 3, 28, 23, 30, tzinfo=UTC)


def test_find_a_case_by_name_and_never_show_a_full_nir(known_db: Path) -> None:
    at = run_page(SUIVI)
    at.text_input(key="suivi_search").set_value("laurent").run()  # R07, accents and case aside
    assert shown(at.subheader[0].value) == "R07 · Eva Laurent"
    page = texts(at)
    assert "2 69 05 49 ••• ••• 80" in page
    assert "269054958815780" not in page.replace(" ", "")
    at.text_input(key="suivi_search").set_value("personne").run()
    assert "Aucun dossier ne correspond à « personne »." in texts(at)


def test_attachments_are_kept_with_the_case(known_db: Path) -> None:
    # The form's values and files as the page hands them to `save_case` (AppTest cannot fill an
    # uploader: the file is a stand-in with the same two attributes).
    upload = SimpleNamespace(name="releve.pdf", getvalue=lambda: b"%PDF-1.4 test")
    values, files = casefile.entry_values(
        {"f_received_on": today(), "f_channel": "telephone", "f_nature": "reclamation",
         "f_object": "autre", "f_last_name": " Roux ", "f_first_name": "Léa",
         "f_phone": "0147703097", "f_description": "Courrier perdu.", "f_attachments": [upload]},
        "f_",
    )  # fmt: skip
    assert values["last_name"] == "Roux" and files == [("releve.pdf", b"%PDF-1.4 test")]
    store = open_store(known_db, keep_open=False)
    saved = save_case(
        store, values, today=today(), at=datetime.now(), objects=load_settings().objects,
        attachments=files,
    )  # fmt: skip
    at = run_page(SUIVI, {"ref": saved.reference})
    labels = [b.proto.label for b in at.get("download_button")]
    assert any(label.startswith(r"releve\.pdf") for label in labels)  # Markdown, escaped
    assert attachment_content(store, saved.reference, "releve.pdf") == b"%PDF-1.4 test"


def test_the_command_line_imports_while_the_app_is_open(known_db: Path, tmp_path: Path) -> None:
    at = run_page(SUIVI)
    export = write_export(tmp_path, TEXT.replace("R01;", "Z01;"), "nuit.csv")
    done = subprocess.run(
        [sys.executable, "-m", "cpms_metrics", "import", str(export), "--db", str(known_db)],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    at.text_input(key="suivi_search").set_value("Z01").run()
    assert shown(at.subheader[0].value) == "Z01 · Anne Martin"
    line = audit_log(open_store(known_db, keep_open=False)).iloc[0]
    assert (line["who"], line["action"]) == ("ligne de commande", "import")
    assert "« nuit.csv » en ligne de commande : 12 lignes lues, 1 ajoutées" in line["detail"]


# --- Import -----------------------------------------------------------------------------------

# The known export again, as French Excel saves it (Windows-1252): one new case, a company renamed
# with characters only that encoding's Excel users type, a date in the future, an unreadable date.
CP1252 = (
    TEXT.replace("R01;", "N01;")
    .replace("Boulangerie Duval", "Œuvres sociales €")
    .replace("R02;03/02/2025", "R02;03/02/2099")
    .replace("R05;05/05/2025", "R05;35/05/2025")
).encode("cp1252")


def checked(db: Path, content: bytes = CP1252, name: str = "export_hebdo.csv") -> Any:
    store = open_store(db, keep_open=False)
    return upload.check_upload(store, name, content, today=today(), objects=load_settings().objects)


def test_an_upload_is_checked_then_loaded_on_confirmation(known_db: Path) -> None:
    before = stored(known_db)
    check = checked(known_db)
    report = check.report
    # N01 is new; R03, R06 and R10 change company (R01 keeps it but is now N01); R02 and R05 go.
    assert (report.rows_read, report.added, report.updated, report.rejected) == (12, 1, 3, 2)
    assert stored(known_db) == before  # a preview writes nothing

    at = AppTest.from_file(str(ROOT / IMPORT), default_timeout=30)
    at.session_state["import_check"] = check  # what the page keeps once the file is uploaded
    at.run()
    assert not at.exception
    assert shown_metrics(at) == {
        "Lignes lues": "12", "À ajouter": "1", "À mettre à jour": "3",
        "Inchangées": format_count(report.unchanged), "Périmées": "0", "Rejetées": "2",
        "Constats qualité": format_count(report.findings),
    }  # fmt: skip
    rejected = at.dataframe[0].value
    assert list(rejected["Ligne"]) == [3, 3, 3, 6]
    assert "Date de réception illisible (formats acceptés : JJ/MM/AAAA ou AAAA-MM-JJ)" in list(
        rejected["Motif"]
    )
    csv = rejections_csv(report.rejections, PersonalData.CLEAR).decode("utf-8-sig")
    assert csv.splitlines()[0] == "Ligne;Référence;Colonne;Valeur;Motif"
    assert stored(known_db) == before

    at = button(at, "Confirmer l'import").click().run()
    assert not at.exception
    assert "Import n° 2 terminé" in shown(at.success[0].value)
    store = open_store(known_db, keep_open=False)
    assert get_case(store, "R03")["company"] == "Œuvres sociales €"
    assert import_log(store)["file_name"].iloc[0] == "export_hebdo.csv"
    assert stored(known_db)["cases"] == before["cases"] + 1
    log = at.dataframe[-1].value
    assert log["Fichier"].iloc[0] == "export_hebdo.csv"
    line = audit_log(store).iloc[0]
    assert (line["who"], line["action"]) == ("mode local", "import")
    assert line["detail"].startswith("Import n° 2 de « export_hebdo.csv » depuis le tableau")

    # The same file again changes nothing.
    again = checked(known_db).report
    assert (again.added, again.updated, again.unchanged) == (0, 0, 10)


def test_another_file_can_be_chosen_before_loading(known_db: Path) -> None:
    at = AppTest.from_file(str(ROOT / IMPORT), default_timeout=30)
    at.session_state["import_check"] = checked(known_db)
    at.run()
    at = button(at, "Choisir un autre fichier").click().run()
    assert "import_check" not in at.session_state
    assert at.get("file_uploader")  # back to the uploader
    assert stored(known_db)["imports"] == 1


def test_an_unusable_file_is_refused_and_the_database_unchanged(known_db: Path) -> None:
    before = stored(known_db)
    with pytest.raises(ImportFileError, match="Séparateur introuvable"):
        checked(known_db, b"just some text\nwithout separators\n", "notes.csv")
    with pytest.raises(ImportFileError, match="Colonne obligatoire absente"):
        checked(known_db, "Référence;Nom\nR1;Roux\n".encode(), "partiel.csv")
    assert stored(known_db) == before


# --- Qualité des données ------------------------------------------------------------------------


def test_findings_by_kind_and_the_cases_behind_them(known_db: Path) -> None:
    at = run_page(QUALITE, QUERY)
    assert not at.exception
    store = open_store(known_db, keep_open=False)
    by_kind = findings_by_kind(store, Scope(date(2025, 12, 31), "cpms", "2025-01", "2025-12"))
    expected = families.family_counts(by_kind)
    assert shown_metrics(at) == {k: format_count(v) for k, v in expected.items()}
    assert shown_metrics(at)[MISROUTED_LABEL] == "1"  # R03, as on Médiation
    widget(at, "Type de constat").set_value("mauvaise_orientation")
    table = at.run().dataframe[0].value
    assert list(table["Référence"]) == ["suivi_des_dossiers?ref=R03"]
    assert table["Constat"][0] == (
        "le porteur de risque relève de : Médiateur de la Mutualité française"
    )
    widget(at, "Type de constat").set_value("nir_manquant")
    missing = at.run().dataframe[0].value
    assert "R07" not in " ".join(missing["Référence"])  # R07 has a (valid) NIR


def test_follow_up_records_outcome_redress_cause_and_dysfunction(known_db: Path) -> None:
    """ACPR 2024-R-02: the answer's outcome, redress, cause and dysfunction recorded on the
    follow-up page, kept in the case history and counted in the outcome block."""
    at = run_page(SUIVI, {"ref": "R01"})  # answered on 20/02/2025
    assert not at.exception
    fill(at, {
        "Suite donnée": "partiellement_fondee",
        "Geste / indemnisation": 150.5,
        "Cause": "delai_traitement",
        "Dysfonctionnement": "DYS-2025-001",
    })  # fmt: skip
    at = submit(at)
    assert not at.error, [e.value for e in at.error]
    assert at.success[0].value == (
        "Suivi enregistré : Suite donnée, Geste / indemnisation, Cause, Dysfonctionnement."
    )
    store = open_store(known_db, keep_open=False)
    case = get_case(store, "R01")
    assert (case["outcome"], case["redress_amount"], case["cause"], case["dysfunction"]) == (
        "partiellement_fondee", 150.5, "delai_traitement", "DYS-2025-001",
    )  # fmt: skip
    history = at.dataframe[-1].value
    changes = history[history["Action"] == "Modification"].set_index("Champ")
    assert changes.loc["Suite donnée", "Après"] == "Partiellement fondée"
    assert changes.loc["Cause", "Après"] == "Délai de traitement"
    block = kpis(store, as_of=date(2025, 12, 31), month_from="2025-01", month_to="2025-12")
    assert block["outcome"]["partiellement_fondee"] == 1
    assert block["outcome"]["redress_total"] == 150.5
    assert block["outcome"]["founded_rate"] == 1.0
