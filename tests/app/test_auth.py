"""ui/auth.py in AppTest on the real overview (dashboard.py), with `at.user` set as Streamlit sets
it after an OpenID login: who gets in with which role, who is refused and why, the local mode and
its banner, the login screen, the audited actions, and the audit page. What each role sees on each
page is tests/app/test_roles.py."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.util import patch_config_options

from cpms_metrics.access import audit, audit_log
from cpms_metrics.store import Store
from tests.app.conftest import ROOT

APP = ROOT / "dashboard.py"
AUDIT_PAGE = ROOT / "pages" / "11_journal_d_audit.py"
ROLES = """
[users]
"direction@cpms.fr" = "direction"
"qualite@cpms.fr" = "qualite"
"gestion@cpms.fr" = "gestionnaire"
"admin@cpms.fr" = "admin"
"""
R07_NIR = "269054958815780"  # tests/app/known_export.py


@pytest.fixture
def roles_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "roles.toml"
    path.write_text(ROLES, encoding="utf-8")
    monkeypatch.setenv("CPMS_ROLES_FILE", str(path))
    return path


def logged_in(email: str) -> dict[str, Any]:
    return {"is_logged_in": True, "email": email, "iat": 1767000000}


def run(
    script: Path | str,
    *,
    user: dict[str, Any] | None = None,
    address: str = "127.0.0.1",
    secrets: dict[str, Any] | None = None,
) -> AppTest:
    """Run a page file or a script text once as `user` (default: AppTest's, i.e. no login),
    with the server listening on `address`."""
    at = (
        AppTest.from_file(str(script), default_timeout=30)
        if isinstance(script, Path)
        else AppTest.from_string(script, default_timeout=30)
    )
    if user is not None:
        at.user = user
    for key, value in (secrets or {}).items():
        at.secrets[key] = value
    with patch_config_options({"server.address": address}):
        return at.run()


def texts(at: AppTest) -> str:
    return " ".join(
        [e.value for e in at.markdown] + [e.value for e in at.error] + [e.value for e in at.info]
    )


def sidebar(at: AppTest) -> str:
    """The sidebar's captions as read on the page (Markdown escapes of `ui.format.md` removed)."""
    return re.sub(r"\\(.)", r"\1", " ".join(e.value for e in at.sidebar.caption))


def log_of(db: Path) -> list[tuple[str, str]]:
    frame = audit_log(Store(db, keep_open=False))
    return list(zip(frame["who"], frame["action"], strict=True))


@pytest.mark.parametrize(
    "email, label",
    [
        ("direction@cpms.fr", "Direction"),
        ("qualite@cpms.fr", "Qualité"),
        ("GESTION@cpms.fr", "Gestionnaire"),  # the provider's case does not matter
        ("admin@cpms.fr", "Administrateur"),
    ],
)
def test_each_role_gets_in_and_the_login_is_logged_once(
    known_db: Path, roles_file: Path, email: str, label: str
) -> None:
    at = run(APP, user=logged_in(email))
    assert not at.exception and not at.error
    assert at.title[0].value == "Vue d'ensemble"
    assert f"{email} · {label}" in sidebar(at)
    assert [b.label for b in at.sidebar.button] == ["Se déconnecter"]
    assert not at.warning  # no local-mode banner once logged in
    at.run()  # the next interaction of the same session
    assert log_of(known_db) == [(email, "login")]


def test_an_unknown_user_sees_no_figure(known_db: Path, roles_file: Path) -> None:
    at = run(APP, user=logged_in("x@ailleurs.fr"))
    assert not at.exception
    assert "Accès non autorisé" in at.error[0].value
    assert "x@ailleurs.fr n'a pas de rôle" in at.error[0].value
    assert not at.title and not at.metric and not at.dataframe
    assert [b.label for b in at.button] == ["Se déconnecter"]
    assert log_of(known_db) == [("x@ailleurs.fr", "access_denied")]


def test_without_a_roles_file_nobody_has_a_role(
    known_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CPMS_ROLES_FILE", raising=False)
    at = run(APP, user=logged_in("admin@cpms.fr"))
    assert "Aucun fichier des rôles n'est configuré" in at.error[0].value
    assert not at.title


def test_a_bad_roles_file_is_shown_and_stops(known_db: Path, roles_file: Path) -> None:
    roles_file.write_text('[users]\n"admin@cpms.fr" = "superadmin"\n', encoding="utf-8")
    at = run(APP, user=logged_in("admin@cpms.fr"))
    assert "Fichier des rôles invalide" in at.error[0].value
    assert "rôle inconnu « superadmin »" in at.error[0].value
    assert not at.title


def test_a_visitor_is_asked_to_log_in(known_db: Path, roles_file: Path) -> None:
    at = run(APP, user={"is_logged_in": False})
    assert "connectez-vous avec votre compte professionnel" in at.info[0].value
    assert [b.label for b in at.button] == ["Se connecter"]
    assert not at.title and not at.error


def test_the_auth_section_of_the_secrets_asks_for_a_login(known_db: Path) -> None:
    # As on a real server with [auth] in secrets.toml, before Streamlit adds `is_logged_in`.
    provider = {"client_id": "x", "client_secret": "y", "server_metadata_url": "https://a/b"}
    secrets = {
        "auth": {
            "redirect_uri": "http://localhost:8501/oauth2callback",
            "cookie_secret": "z",
            "google": provider,
            "microsoft": provider,
        }
    }
    at = run(APP, user={}, secrets=secrets)
    assert [b.label for b in at.button] == [
        "Se connecter avec google",
        "Se connecter avec microsoft",
    ]
    assert not at.title


def test_local_mode_gives_full_access_with_a_banner(known_db: Path) -> None:
    at = run(APP, user={})
    assert at.title[0].value == "Vue d'ensemble"
    assert "Mode local" in at.warning[0].value and "127.0.0.1" in at.warning[0].value
    assert "Mode local, sans connexion" in sidebar(at)
    assert not at.button  # nothing to log out of
    assert log_of(known_db) == []  # no login to log


@pytest.mark.parametrize("address", ["0.0.0.0", ""])
def test_without_login_on_another_address_nothing_is_shown(known_db: Path, address: str) -> None:
    at = run(APP, user={}, address=address)
    assert "Connexion non configurée" in at.error[0].value
    assert "[auth]" in at.error[0].value
    assert not at.title and not at.warning and not at.button


REQUIRE_WORKLIST = (
    "from ui import auth\nauth.require('worklist')\nimport streamlit as st\nst.title('Ok')"
)


@pytest.mark.parametrize(
    "email, allowed",
    [("direction@cpms.fr", False), ("qualite@cpms.fr", True), ("gestion@cpms.fr", True)],
)
def test_a_page_closed_to_a_role(
    known_db: Path, roles_file: Path, email: str, allowed: bool
) -> None:
    at = run(REQUIRE_WORKLIST, user=logged_in(email))
    if allowed:
        assert at.title[0].value == "Ok"
    else:
        assert "« Dossiers à échéance » n'est pas ouverte au rôle Direction" in at.error[0].value
        assert not at.title


def test_the_page_is_found_from_its_file(known_db: Path, roles_file: Path, tmp_path: Path) -> None:
    script = "import streamlit as st\nfrom ui import auth\nst.write(auth.current_page())\n"
    page = tmp_path / "3_objets.py"
    page.write_text(script, encoding="utf-8")
    assert run(page).markdown[0].value == "objects"
    # A page missing from the table is closed to everyone, the local administrator included.
    at = run("from ui import auth\nauth.require()\nimport streamlit as st\nst.title('Ok')")
    assert "ne figure pas dans la table des accès" in at.error[0].value
    assert not at.title


REVEAL = """
import streamlit as st
from cpms_metrics.errors import CpmsError
from ui import auth
try:
    st.write(auth.reveal_nir("R07", "Appel de l'assurée"))
except CpmsError as exc:
    st.error(f"{exc.title} — {exc.message}")
"""


def test_a_nir_is_revealed_to_qualite_and_logged(known_db: Path, roles_file: Path) -> None:
    at = run(REVEAL, user=logged_in("qualite@cpms.fr"))
    assert at.markdown[0].value == R07_NIR
    assert log_of(known_db) == [
        ("qualite@cpms.fr", "nir_reveal"),
        ("qualite@cpms.fr", "login"),
    ]
    line = audit_log(Store(known_db, keep_open=False)).iloc[0]
    assert line["reference"] == "R07" and R07_NIR not in line["detail"]


def test_a_nir_is_never_revealed_to_direction(known_db: Path, roles_file: Path) -> None:
    at = run(REVEAL, user=logged_in("direction@cpms.fr"))
    assert "Accès non autorisé — Votre rôle ne permet pas de consulter un NIR" in at.error[0].value
    assert R07_NIR not in texts(at)
    assert ("direction@cpms.fr", "nir_reveal") not in log_of(known_db)


def test_an_export_is_logged_when_it_is_built(known_db: Path, roles_file: Path) -> None:
    script = (
        "import streamlit as st\nfrom ui import auth\n"
        "build = auth.audited_export(lambda: b'x;y', 'Dossiers à échéance (CSV), 2 dossiers')\n"
        "st.write(build().decode())\n"
    )
    at = run(script, user=logged_in("gestion@cpms.fr"))
    assert at.markdown[0].value == "x;y"
    assert log_of(known_db)[0] == ("gestion@cpms.fr", "export")


@pytest.mark.parametrize(
    "user, shown",
    [
        (logged_in("admin@cpms.fr"), True),
        ({}, True),  # local mode
        (logged_in("qualite@cpms.fr"), False),
        (logged_in("direction@cpms.fr"), False),
    ],
)
def test_the_audit_page_is_for_administrators(
    known_db: Path, roles_file: Path, user: dict[str, Any], shown: bool
) -> None:
    at = run(AUDIT_PAGE, user=user)
    assert not at.exception
    if shown:
        assert at.title[0].value == "Journal d'audit"
        assert not at.error
        if user:
            assert at.dataframe[0].value["Action"].tolist() == ["Connexion"]
            assert at.dataframe[0].value["Utilisateur"].tolist() == ["admin@cpms.fr"]
        else:
            assert "Aucune action enregistrée" in " ".join(c.value for c in at.caption)
    else:
        assert "« Journal d'audit » n'est pas ouverte au rôle" in at.error[0].value
        assert not at.title and not at.dataframe


def test_the_audit_page_shows_the_service_hour(known_db: Path) -> None:
    # Written at 09:30:05 UTC in winter: 10:30:05 at the service, in Paris.
    at_utc = datetime(2026, 1, 12, 9, 30, 5, tzinfo=UTC)
    audit(Store(known_db, keep_open=False), who="admin@cpms.fr", action="import", detail="x",
          at=at_utc)  # fmt: skip
    at = run(AUDIT_PAGE)
    assert not at.exception
    assert at.dataframe[0].value["Date et heure"].tolist() == ["12/01/2026 10:30:05"]
