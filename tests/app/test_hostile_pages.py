"""Pages under hostile input (issue 12): a foreign Host header in local mode, out-of-range months
in the URL, NIRs and Markdown typed into fields that are shown back."""

from __future__ import annotations

import io
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.app.conftest import PAGES, linked, run_page


@pytest.mark.parametrize("host", ["evil.example:8501", "attacker.test"])
def test_local_mode_under_a_foreign_host_shows_no_data(
    known_db: Path, monkeypatch: pytest.MonkeyPatch, host: str
) -> None:
    # AppTest cannot send headers: the one function that reads the Host header answers instead.
    monkeypatch.setattr("ui.auth.request_host", lambda: host)
    at = run_page("pages/5_dossiers_a_echeance.py")
    assert not at.exception
    assert "Connexion non configurée" in at.error[0].value
    assert "localhost" in at.error[0].value
    assert not at.title and not at.dataframe and not at.metric


def test_local_mode_under_localhost_shows_the_page(
    known_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("ui.auth.request_host", lambda: "localhost:8501")
    at = run_page("pages/5_dossiers_a_echeance.py")
    assert not at.exception and not at.error
    assert at.title[0].value == "Dossiers à échéance" and at.dataframe


# --- NIRs typed in other fields, Markdown in stored text ------------------------------------------

NIR_A, NIR_B = "185057800608491", "269054958815780"  # valid keys
SPACED_A = "1 85 05 78 006 084 91"
MASKED_A = "1 85 05 78 ••• ••• 91"
FULL = (NIR_A, SPACED_A, "006 084", "0060849", NIR_B, "2 69 05 49 588 157 80", "588 157", "588157")
IMAGE = "![t](http://host.example/x.png)"
# The acknowledgement and answer columns are there (empty): both steps are tracked, the cases
# are open and listed.
HOSTILE = (
    "reference;received_on;channel;nature;object;last_name;first_name;nir;email;phone;"
    "postal_address;company;handler;description;acknowledged_on;responded_on\n"
    f"{NIR_A};2025-12-01;email;reclamation;remboursement;Nom {NIR_A};Eva;{IMAGE};"
    f"{NIR_A}@exemple.fr;{NIR_A};{SPACED_A} rue des Lilas 75011 Paris;Société {SPACED_A};"
    f"Agent {NIR_A};Voir http://evil.example/page et {IMAGE};;\n"
    f"H2;2025-12-02;courrier;reclamation;autre;**gras**;Luc;{NIR_B};;;3 rue X 75011 Paris;"
    "http://evil.example/co;[clic](http://evil.example/h);:red[rouge];;\n"
    "2 69 05 49 588 157 80;bientôt;email;reclamation;autre;;;;;;;;;;;\n"
)
QUERY = {"from": "2025-01", "to": "2025-12", "as_of": "2025-12-31"}


@pytest.fixture
def hostile_db(db_path: Path) -> Path:
    from tests.app.known_export import build_db

    return build_db(db_path, HOSTILE)


def everything(at: Any) -> str:
    """All the page holds, as the browser receives it: every element's message, tables
    included (their Arrow bytes keep text as it is), and the tables once more as CSV."""
    parts: list[str] = []

    def walk(node: Any) -> None:
        if (proto := getattr(node, "proto", None)) is not None:
            parts.append(str(proto))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    parts += [frame.value.to_csv() for frame in at.dataframe]
    return "\n".join(parts)


def markdown_bodies(at: Any) -> list[str]:
    """The Markdown the browser renders: bodies of text elements and widget labels."""
    kinds = ("markdown", "caption", "success", "error", "warning", "info", "subheader", "title")
    bodies = [str(e.value) for kind in kinds for e in getattr(at, kind)]
    bodies += [str(getattr(w.proto, "label", "")) for w in at.get("download_button")]
    bodies += [str(b.proto.label) for b in at.get("badge")]
    return bodies


def assert_no_full_nir(text: str) -> None:
    for full in FULL:
        assert full not in text, full


def assert_no_rendered_markup(at: Any) -> None:
    for body in markdown_bodies(at):
        assert "](http" not in body and "http://" not in body, body
        assert "**gras**" not in body and ":red[" not in body, body


def test_the_worklist_and_the_sidebar_mask_a_nir_typed_anywhere(hostile_db: Path) -> None:
    at = run_page("pages/5_dossiers_a_echeance.py", QUERY)
    assert not at.exception
    shown = everything(at)
    assert "Agent 1 85 05 78" in at.dataframe[0].value.to_csv()  # the handler, masked
    companies = next(m for m in at.sidebar.multiselect if m.label.startswith("Entreprise"))
    assert f"Société {MASKED_A}" in companies.options
    handlers = next(s for s in at.selectbox if s.label == "Gestionnaire")
    assert any(MASKED_A in option for option in handlers.options)
    assert_no_full_nir(shown)
    assert_no_rendered_markup(at)


def test_a_chosen_company_still_filters_by_its_stored_name(hostile_db: Path) -> None:
    at = run_page("pages/5_dossiers_a_echeance.py", {**QUERY, "company": f"Société {SPACED_A}"})
    assert not at.exception
    assert linked(at.dataframe[0].value["Référence"]) == [MASKED_A]  # linked, masked
    # The sidebar and the header line show the company masked (the URL keeps what filters).
    assert_no_full_nir("\n".join(markdown_bodies(at)))


def test_the_worklist_downloads_mask_a_nir_typed_anywhere(hostile_db: Path) -> None:
    from openpyxl import load_workbook

    from cpms_metrics.access import PersonalData
    from ui import data
    from ui.filters import Filters

    filters = Filters(as_of=date(2025, 12, 31), policy="cpms", month_from="2025-01",
                      month_to="2025-12")  # fmt: skip
    csv, xlsx = data.open_cases_files(filters, (), None, PersonalData.CLEAR)
    text = csv().decode("utf-8-sig")
    assert MASKED_A in text
    assert_no_full_nir(text)
    sheet = load_workbook(io.BytesIO(xlsx())).active
    cells = "\n".join(str(c.value) for row in sheet.iter_rows() for c in row)
    assert MASKED_A in cells
    assert_no_full_nir(cells)


def follow_up(first_name: str) -> Any:
    """The follow-up page, the case found by its first name (the search box holds what the
    user typed: not stored data)."""
    at = run_page("pages/7_suivi_des_dossiers.py", QUERY)
    next(t for t in at.text_input if t.label == "Rechercher un dossier").input(first_name)
    return at.run()


def test_the_follow_up_masks_a_nir_typed_anywhere_and_renders_no_markup(hostile_db: Path) -> None:
    at = follow_up("Eva")
    assert not at.exception
    assert at.subheader[0].value.startswith(MASKED_A)
    handler = next(t for t in at.text_input if t.label == "Gestionnaire")
    assert handler.value == f"Agent {MASKED_A}"
    assert_no_full_nir(everything(at))
    assert_no_rendered_markup(at)

    # Saving the follow-up without touching the handler keeps the stored one.
    next(b for b in at.button if b.label.startswith("Enregistrer le suivi")).click().run()
    from cpms_metrics import open_store
    from cpms_metrics.cases import get_case

    case = get_case(open_store(hostile_db, keep_open=False), NIR_A)
    assert case is not None and case["handler"] == f"Agent {NIR_A}"


def test_a_revealed_nir_is_shown_as_text(hostile_db: Path) -> None:
    at = follow_up("Eva")
    next(t for t in at.text_input if t.label == "Motif de la consultation").input(
        "Vérification demandée par l'adhérent"
    )
    at = next(b for b in at.button if b.label == "Afficher le NIR").click().run()
    assert not at.exception
    assert [c.value for c in at.code] == [IMAGE]  # as stored, never rendered as an image
    assert_no_rendered_markup(at)


def test_the_import_page_masks_rejected_references(hostile_db: Path) -> None:
    from streamlit.testing.v1 import AppTest

    from cpms_metrics import open_store
    from cpms_metrics.settings import load_settings
    from cpms_metrics.upload import check_upload
    from tests.app.conftest import ROOT

    store = open_store(hostile_db, keep_open=False)
    check = check_upload(
        store, f"export_{NIR_A}.csv", HOSTILE.encode(), today=date(2026, 1, 10),
        objects=load_settings().objects,
    )  # fmt: skip
    at = AppTest.from_file(str(ROOT / "pages/9_import.py"), default_timeout=30)
    at.session_state["import_check"] = check
    at.run()
    assert not at.exception
    rejected = at.dataframe[0].value
    assert "2 69 05 49 ••• ••• 80" in list(rejected["Référence"])
    assert_no_full_nir(everything(at))
    assert_no_rendered_markup(at)


# --- Months out of range in the URL -------------------------------------------------------------


def assert_link_note(at: Any) -> None:
    assert not at.exception, at.exception
    note = at.warning[-1].value
    assert note.startswith("Lien partiellement lu") and "ignoré" in note
    assert "](http" not in note and "year" not in note


@pytest.mark.parametrize("page", PAGES)
def test_every_page_ignores_a_month_out_of_range_with_a_note(known_db: Path, page: str) -> None:
    assert_link_note(run_page(page, {"to": "9999-12", "as_of": "9999-12-31"}))


@pytest.mark.parametrize(
    "params",
    [
        {"from": "9999-12"},
        {"from": "0001-01"},
        {"as_of": "0001-01-01", "to": "1899-12"},
        {"from": "![x](http://evil.example/x.png)"},  # a link's text is not Markdown either
    ],
)
def test_a_broken_link_is_ignored_with_a_note(known_db: Path, params: dict[str, str]) -> None:
    assert_link_note(run_page("dashboard.py", params))


# --- Oversized form fields ----------------------------------------------------------------------


def test_the_form_states_its_limits_and_keeps_what_was_typed_when_refused(known_db: Path) -> None:
    from tests.app.test_case_pages import WRITTEN, fill, stored, submit, widget

    at = run_page("pages/6_saisie.py")
    assert widget(at, "Nom").proto.max_chars == 100
    assert "100 caractères au plus" in widget(at, "Nom").help
    assert widget(at, "Formulation").proto.max_chars == 10_000
    assert "10\u202f000 caractères au plus" in widget(at, "Formulation").help
    assert widget(at, "Entreprise / Souscripteur").proto.max_chars == 200
    assert widget(at, "Adresse postale").proto.max_chars == 300

    # Refused for another reason, the form keeps every value, the longest ones included.
    typed = {**WRITTEN, "Nom": "N" * 100, "Formulation": "x" * 10_000,
             "Adresse électronique": "pas une adresse"}  # fmt: skip
    before = stored(known_db)
    at = submit(fill(at, typed))
    assert not at.exception
    assert "n'a pas été enregistré" in at.error[0].value
    assert stored(known_db) == before
    for label, value in typed.items():
        assert widget(at, label).value == value, label


def test_saving_a_case_refuses_oversized_fields(known_db: Path) -> None:
    from cpms_metrics import open_store
    from cpms_metrics.cases import save_case, update_case
    from cpms_metrics.errors import ValidationError
    from cpms_metrics.settings import load_settings
    from tests.app.test_case_pages import stored

    store = open_store(known_db, keep_open=False)
    values = {
        "received_on": date(2025, 12, 1), "channel": "telephone", "nature": "reclamation",
        "last_name": "N" * 5_000, "first_name": "Zoé", "phone": "01 47 70 30 97",
        "object": "autre", "description": "x" * 1_000_000,
    }  # fmt: skip
    before = stored(known_db)
    with pytest.raises(ValidationError) as refused:
        save_case(store, values, today=date(2026, 1, 10), at=datetime(2026, 1, 10, 9),
                  objects=load_settings().objects)  # fmt: skip
    assert refused.value.problems["Nom"] == "5\u202f000 caractères, 100 au plus"
    assert refused.value.problems["Formulation"] == (
        "1\u202f000\u202f000 caractères, 10\u202f000 au plus"
    )
    assert stored(known_db) == before
    with pytest.raises(ValidationError) as refused:
        update_case(store, "R01", {"handler": "h" * 201}, today=date(2026, 1, 10),
                    at=datetime(2026, 1, 10, 9), objects=load_settings().objects)  # fmt: skip
    assert refused.value.problems == {"Gestionnaire": "201 caractères, 200 au plus"}
