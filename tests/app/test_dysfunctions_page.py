"""The Dysfonctionnements page (ACPR 2024-R-02) run by AppTest on the known export: a dysfunction
is created, a complaint linked to it, the dysfunction closed, and its history shows each step."""

from __future__ import annotations

from datetime import date

from cpms_metrics import open_store
from cpms_metrics.access import audit_log
from cpms_metrics.dysfunctions import get_dysfunction, history, linked_complaints
from cpms_metrics.settings import load_settings
from tests.app.conftest import run_page
from tests.app.known_export import QUERY

PAGE = "pages/13_dysfonctionnements.py"


def _texts(at) -> str:
    return " ".join(
        [m.value for m in at.markdown] + [c.value for c in at.caption]
        + [s.value for s in at.success] + [e.value for e in at.error]
    )  # fmt: skip


def test_create_link_and_close_a_dysfunction_with_its_history(known_db):
    at = run_page(PAGE, QUERY)
    assert not at.exception
    assert "2024-R-02" in _texts(at)
    assert "Aucun dysfonctionnement enregistré." in _texts(at)

    at.text_input(key="new_identifier").input("DYS-2025-001")
    at.text_input(key="new_title").input("Remboursements saisis deux fois")
    at.selectbox(key="new_object").set_value("remboursement")
    at.selectbox(key="new_cause").set_value("erreur_gestion")
    at.date_input(key="new_detected_on").set_value(date(2025, 3, 1))
    at.text_input(key="new_owner").input("Service prestations")
    at.text_area(key="new_action").input("Contrôle des doublons avant paiement")
    at.button(key="new_submit").click().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]

    at.text_input(key="link_reference").input("R01")
    at.button(key="link_submit").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]

    edit = "edit_DYS-2025-001"
    at.selectbox(key=f"{edit}_status").set_value("clos")
    at.date_input(key=f"{edit}_closed_on").set_value(date(2025, 6, 30))
    at.button(key="edit_submit").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("statut" in s.value for s in at.success)
    assert "Les réclamations sont-elles revenues ?" in _texts(at)

    store = open_store(known_db, load_settings())
    try:
        saved = get_dysfunction(store, "DYS-2025-001")
        assert saved["status"] == "clos" and saved["closed_on"] == date(2025, 6, 30)
        assert saved["object"] == "remboursement" and saved["cause"] == "erreur_gestion"
        assert list(linked_complaints(store, "DYS-2025-001")["reference"]) == ["R01"]
        steps = history(store, "DYS-2025-001")
        assert list(steps["action"].unique()) == ["creation", "cloture"]
        assert {"status", "closed_on"} <= set(steps["field"].dropna())
        logged = audit_log(store)
        assert (logged["action"] == "dysfunction_change").sum() == 2
        assert (logged["action"] == "case_change").sum() == 1
    finally:
        store.close()


def test_invalid_dysfunction_is_refused_in_french(known_db):
    at = run_page(PAGE, QUERY)
    at.text_input(key="new_identifier").input("DYS 1")
    at.button(key="new_submit").click().run()
    assert not at.exception
    message = " ".join(e.value for e in at.error)
    assert "Rien n'a été enregistré" in message and "Intitulé" in message
