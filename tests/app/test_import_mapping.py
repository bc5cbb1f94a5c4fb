"""The import page's mapping step: an export of another tool, its headers not recognised, mapped
on screen (columns, unknown values), previewed, saved as a profile, then checked and loaded."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from cpms_metrics import open_store
from cpms_metrics import upload as uploads
from cpms_metrics.errors import HeaderNotFound
from cpms_metrics.profiles import load_profile
from cpms_metrics.settings import Settings
from tests.app.conftest import ROOT, shown_metrics
from ui import clock
from ui.mapping import ABSENT, FIXED, MappingSource

IMPORT = "pages/9_import.py"
FOREIGN = (
    b"Complaints export\n"
    b"Complaint ID,Date sent to company,Submitted via,Product,Issue\n"
    b"X-1,2025-03-03,Web,Mortgage,Late fee\n"
    b"X-2,2025-03-04,Postal mail,Credit card,Billing\n"
    b"X-3,2025-03-05,Web,Mortgage,Late fee\n"
)


@pytest.fixture
def profiles(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "profils"
    monkeypatch.setenv("CPMS_PROFILES_DIR", str(folder))
    return folder


def test_unrecognised_headers_lead_to_the_mapping_step(known_db: Path) -> None:
    store = open_store(known_db, keep_open=False)
    with pytest.raises(HeaderNotFound):
        uploads.check_upload(
            store, "x.csv", FOREIGN, today=clock.today(), objects=Settings().objects
        )


def test_mapping_step_maps_previews_saves_and_checks(known_db: Path, profiles: Path) -> None:
    at = AppTest.from_file(str(ROOT / IMPORT), default_timeout=30)
    at.session_state["import_mapping"] = MappingSource("complaints.csv", FOREIGN, "En-tête ?")
    at.run()
    assert not at.exception
    boxes = {box.key: box for box in at.selectbox}
    # Best guesses pre-selected from the file's headers (line 2, below a title line)
    assert boxes["map_column_reference"].value == "Complaint ID"
    assert boxes["map_column_channel"].value == "Submitted via"
    assert boxes["map_column_object"].value == "Product"
    assert boxes["map_column_nature"].value == ABSENT
    assert boxes["map_column_acknowledged_on"].value == ABSENT
    assert any("« Nature »" in w.value for w in at.warning)  # still to say
    boxes["map_column_received_on"].set_value("Date sent to company")
    boxes["map_column_nature"].set_value(FIXED + "Réclamation")
    at.run()
    assert not at.exception
    assert not any("À indiquer encore" in w.value for w in at.warning)
    # Unknown values, each with a select box of the allowed ones
    values = {box.label: box for box in at.selectbox if box.key.startswith("map_value_")}
    assert {"« Web »", "« Postal mail »", "« Mortgage »", "« Credit card »"} <= set(values)
    assert values["« Postal mail »"].options[0] == "— rejeter la ligne —"
    values["« Web »"].set_value("email")
    values["« Postal mail »"].set_value("courrier")
    values["« Mortgage »"].set_value("remboursement")
    values["« Credit card »"].set_value("cotisation")
    at.run()
    assert not at.exception
    preview = at.dataframe[0].value
    assert preview["Référence"].tolist() == ["X-1", "X-2", "X-3"]
    assert preview["Canal"].tolist() == ["email", "courrier", "email"]
    assert preview["Nature"].tolist() == ["reclamation"] * 3
    # Saved as a profile of CPMS_PROFILES_DIR, which the command line can use as it is
    at.text_input(key="map_profile_name").set_value("Outil X")
    at.button(key="map_save").click().run()
    assert not at.exception
    saved = profiles / "outil_x.toml"
    profile = load_profile("outil_x", folder=profiles, objects=Settings().objects)
    assert saved.is_file() and profile.columns["received_on"] == "Date sent to company"
    assert profile.values["channel"] == {"Web": "email", "Postal mail": "courrier"}
    assert profile.constants == {"nature": "reclamation"}
    # Then the usual check of the import, through this mapping
    at.button(key="map_check").click().run()
    assert not at.exception
    assert "import_mapping" not in at.session_state
    shown = shown_metrics(at)
    assert (shown["Lignes lues"], shown["À ajouter"], shown["Rejetées"]) == ("3", "3", "0")
    # The file gives no acknowledgement and no answer date: the check says so before loading
    assert any("étapes non suivies" in c.value for c in at.caption)
