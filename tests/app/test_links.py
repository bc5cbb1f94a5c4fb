"""From a figure to the case, in AppTest on the known export: every list of cases links each
reference to its address (`suivi_des_dossiers?ref=…`), the address opens that case with its
deadlines' states, an unknown one says so in French, and the form offers the known handlers."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from tests.app.conftest import run_page
from tests.app.known_export import QUERY

SUIVI = "pages/7_suivi_des_dossiers.py"


def frames(at: AppTest) -> list[pd.DataFrame]:
    return [element.value for element in at.dataframe]


def linked_references(at: AppTest) -> set[str]:
    """The references every table of the page links to its case."""
    found: set[str] = set()
    for frame in frames(at):
        data = frame.data if hasattr(frame, "data") else frame
        for column in ("Référence", "Dossier"):
            if column in data.columns:
                values = [v for v in data[column] if isinstance(v, str) and v]
                assert all(v.startswith("suivi_des_dossiers?ref=") for v in values), values
                found |= {v.removeprefix("suivi_des_dossiers?ref=") for v in values}
    return found


@pytest.mark.parametrize(
    ("page", "expected"),
    [
        ("pages/5_dossiers_a_echeance.py", {"R04", "R06", "R07", "R08", "R10", "R11"}),
        ("pages/1_accuses_de_reception.py", {"R02", "R04", "R07"}),
        ("pages/2_delais_de_reponse.py", {"R03", "R04", "R06"}),
        ("pages/4_mediation.py", {"R03"}),
        ("pages/10_qualite_des_donnees.py", None),  # whichever cases have the first finding
    ],
)
def test_every_list_of_cases_links_each_reference_to_its_case(
    known_db: Path, page: str, expected: set[str] | None
) -> None:
    at = run_page(page, QUERY)
    assert not at.exception
    found = linked_references(at)
    if expected is None:
        assert found
    else:
        assert found == expected


def test_the_worklist_shows_lateness_positive_beside_the_days_left(known_db: Path) -> None:
    at = run_page("pages/5_dossiers_a_echeance.py", QUERY)
    table = frames(at)[0]
    data = (table.data if hasattr(table, "data") else table).set_index("Référence")
    r04 = data.loc["suivi_des_dossiers?ref=R04"]
    assert r04["Jours de retard"] > 0 and pd.isna(r04["Jours restants"])
    r10 = data.loc["suivi_des_dossiers?ref=R10"]
    assert pd.isna(r10["Jours de retard"]) and r10["Jours restants"] > 0


def test_a_case_address_opens_it_with_what_is_late(known_db: Path) -> None:
    # R04, received 14/04/2025 by e-mail, never acknowledged nor answered: as of 31/12/2025 its
    # acknowledgement was due 24/04/2025 (251 days ago), its answer 14/06/2025 (200 days ago).
    at = run_page(SUIVI, {**QUERY, "ref": "R04"})
    assert not at.exception
    assert at.selectbox[0].value == "R04"
    table = at.table[0].value
    states = dict(
        zip(zip(table["Étape"], table["Politique"], strict=True), table["Situation"], strict=True)
    )
    assert states["Accusé de réception", "Engagement CPMS"] == "hors délai depuis 251 jours"
    assert states["Réponse", "Engagement CPMS"] == "hors délai depuis 200 jours"
    badges = " ".join(m.value for m in at.markdown if "-badge[" in m.value)  # st.badge
    assert "Accusé de réception : hors délai depuis 251 jours" in badges


def test_an_unknown_reference_says_so_in_french(known_db: Path) -> None:
    at = run_page(SUIVI, {**QUERY, "ref": "R99"})
    assert not at.exception
    assert any("Aucun dossier n'a la référence" in w.value for w in at.warning)


def test_the_form_offers_the_known_handlers_and_takes_a_new_one(known_db: Path) -> None:
    at = run_page("pages/6_saisie.py", QUERY)
    handler = next(s for s in at.selectbox if s.label == "Gestionnaire")
    assert list(handler.options) == ["Claire Fontaine", "Karim Benali"]
    assert handler.value is None
