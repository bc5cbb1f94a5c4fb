"""The case pages in a real browser: `streamlit run` on a free local port over the known export,
Chromium through Playwright. The entry form is filled by its labels (the dates are React Aria
fields split into day, month and year spin buttons), refused for a wrong NIR key, then saved; the
command line, run while the server still runs, counts one more complaint. The import page's
uploader, which AppTest cannot drive, is driven here.

Skipped only when Chromium is missing and CPMS_REQUIRE_BROWSER is not set (the rule of
tests/e2e/test_browser.py, reused). With CPMS_SCREENSHOTS=<folder>, screenshots are saved there.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from cpms_metrics.servicetime import service_day
from cpms_metrics.settings import load_settings
from tests.app.known_export import TEXT, build_db
from tests.e2e.test_browser import (
    CHROMIUM_ARGS,
    IDLE,
    chromium,
    screenshot,
    settle,
    streamlit_server,
)

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]


def today() -> date:
    """The pages read the clock when they run: so do these tests (a run may cross midnight)."""
    return service_day(datetime.now(UTC), load_settings().timezone)  # the server's "today"


GOOD_NIR, WRONG_NIR = "2 85 05 2A 123 456 80", "2 85 05 2A 123 456 81"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """The app on the known export: (its URL, its database)."""
    chromium()  # skip or fail before starting anything
    db = build_db(tmp_path_factory.mktemp("forms") / "cpms.duckdb")
    with streamlit_server({**os.environ, "CPMS_DB": str(db)}, "--theme.base=light") as url:
        yield url, db


@pytest.fixture(scope="module")
def page(server: tuple[str, Path]) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        opened = browser.new_page(viewport={"width": 1440, "height": 1000}, locale="fr-FR")
        opened.set_default_timeout(30_000)
        yield opened
        browser.close()


def complaints(db: Path) -> int:
    """`python -m cpms_metrics kpis --json` as of today, in its own process."""
    done = subprocess.run(
        [sys.executable, "-m", "cpms_metrics", "kpis", "--db", str(db), "--as-of",
         today().isoformat(), "--json"],
        cwd=ROOT, capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    return int(json.loads(done.stdout)["complaints"])


def type_date(main: Any, label: str, day: date) -> None:
    """Streamlit 1.67's date input: one spin button per part, named `day, <label>`…"""
    for part, digits in (("day", f"{day:%d}"), ("month", f"{day:%m}"), ("year", f"{day:%Y}")):
        main.get_by_role("spinbutton", name=f"{part}, {label}", exact=True).click()
        main.page.keyboard.type(digits)
    group = main.get_by_role("group", name=label, exact=True)
    assert re.sub(r"\s", "", group.inner_text()) == f"{day:%d/%m/%Y}"


def choose(main: Any, label: str, option: str) -> None:
    """Pick `option` in the selectbox `label`; a click may land before the list can open."""
    from playwright.sync_api import TimeoutError as Timeout
    from playwright.sync_api import expect

    box = main.get_by_role("combobox", name=label, exact=True)
    for _ in range(3):
        box.click()
        try:
            main.page.get_by_role("option", name=option, exact=True).click(timeout=3_000)
            break
        except Timeout:
            main.page.keyboard.press("Escape")
    expect(box).to_have_value(option)


def test_the_form_refuses_a_wrong_nir_key_then_saves_a_counted_complaint(
    server: tuple[str, Path], page: Any
) -> None:
    from playwright.sync_api import expect

    url, db = server
    before = complaints(db)
    page.goto(f"{url}/saisie")
    settle(page, "Saisie d'une réclamation")
    screenshot(page, "6_saisie")
    main = page.get_by_test_id("stMain")

    received = today() - timedelta(days=3)
    type_date(main, "Date de réception", received)
    main.get_by_text("Courrier", exact=True).click()  # the Canal radio
    for label, value in (
        ("Nom", "Lefèvre"),
        ("Prénom", "Zoé"),
        ("Numéro de sécurité sociale", WRONG_NIR),
        ("Entreprise / Souscripteur", "Clinique du Parc"),
        ("Adresse postale", "5 rue Geoffroy Marie 75009 Paris"),
        ("Adresse électronique", "zoe.lefevre@example.fr"),
        ("Téléphone", "01 47 70 30 97"),
        ("Formulation", "Remboursement de mars non reçu."),
    ):
        main.get_by_role("textbox", name=label, exact=True).fill(value)
    choose(main, "Porteur de risque", "Institution de prévoyance")
    choose(main, "Objet", "Remboursement")
    main.get_by_test_id("stFileUploader").locator('input[type="file"]').set_input_files(
        files=[{"name": "releve.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 t"}]
    )
    expect(main.get_by_text("releve.pdf")).to_be_visible()

    submit = main.get_by_role("button", name=re.compile("^Enregistrer"))
    submit.click()
    error = main.get_by_test_id("stAlertContentError")
    expect(error).to_contain_text("Numéro de sécurité sociale : clé de contrôle incorrecte")
    page.wait_for_selector(IDLE)
    nir = main.get_by_role("textbox", name="Numéro de sécurité sociale", exact=True)
    expect(nir).to_have_value(WRONG_NIR)  # kept, as everything typed
    expect(main.get_by_role("textbox", name="Nom", exact=True)).to_have_value("Lefèvre")
    assert complaints(db) == before  # nothing saved
    screenshot(page, "6_saisie_refusee")

    nir.fill(GOOD_NIR)
    submit.click()
    success = main.get_by_test_id("stAlertContentSuccess")
    expect(success).to_contain_text("Réclamation enregistrée sous la référence SAI-")
    settle(page, "Saisie d'une réclamation")
    expect(main.get_by_text(f"{received:%d/%m/%Y}", exact=True)).to_be_visible()
    expect(main.get_by_text("10 rue Cambacérès, 75008 Paris")).to_be_visible()
    assert complaints(db) == before + 1  # the command line, the server still running
    screenshot(page, "6_saisie_enregistree")

    # The case's follow-up, with its attachment kept.
    main.get_by_role("link", name="Ouvrir le suivi du dossier").click()
    settle(page, "Suivi des dossiers")
    expect(main.get_by_role("button", name=re.compile(r"^releve\.pdf"))).to_be_visible()
    expect(main.get_by_text("2 85 05 2A ••• ••• 80")).to_be_visible()
    screenshot(page, "7_suivi_des_dossiers")


def test_an_uploaded_windows_1252_export_is_previewed_then_loaded(
    server: tuple[str, Path], page: Any, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    url, db = server
    before = complaints(db)
    export = tmp_path / "export_hebdo.csv"
    export.write_bytes(
        TEXT.replace("R01;", "N01;").replace("Garage Central", "Œuvres sociales €").encode("cp1252")
    )
    page.goto(f"{url}/import")
    settle(page, "Import")
    main = page.get_by_test_id("stMain")
    main.get_by_test_id("stFileUploader").locator('input[type="file"]').set_input_files(export)
    expect(main.get_by_text("Vérification de « export_hebdo.csv »")).to_be_visible()
    settle(page, "Import")
    cards = main.get_by_test_id("stMetric")
    expect(cards.filter(has_text="À ajouter")).to_contain_text("1")
    assert complaints(db) == before  # a preview writes nothing
    screenshot(page, "9_import_verification")

    main.get_by_role("button", name="Confirmer l'import").click()
    expect(main.get_by_test_id("stAlertContentSuccess")).to_contain_text("export_hebdo.csv")
    settle(page, "Import")
    assert complaints(db) == before + 1  # N01
    screenshot(page, "9_import_termine")

    page.goto(f"{url}/qualite_des_donnees?from=2025-01&to=2025-12&as_of=2025-12-31")
    settle(page, "Qualité des données")
    screenshot(page, "10_qualite_des_donnees")
