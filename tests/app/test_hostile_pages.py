"""Pages under hostile input (issue 12): a foreign Host header in local mode, out-of-range months
in the URL, NIRs and Markdown typed into fields that are shown back."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.app.conftest import run_page


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
