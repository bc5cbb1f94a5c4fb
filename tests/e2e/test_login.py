"""The OpenID Connect login, end to end: a local provider (`oidc-provider-mock`) and `streamlit
run` on free ports of 127.0.0.1, both started and stopped here, and Chromium going through the
provider's login form and back.

The app is the real dashboard (dashboard.py and pages/). The server gets a temporary secrets.toml
(`--secrets.files`) pointing at the provider, and a roles file through CPMS_ROLES_FILE. Skipped
only when Chromium is missing and CPMS_REQUIRE_BROWSER is not set, like the other browser test.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest

from cpms_metrics.access import audit_log
from cpms_metrics.store import Store
from tests.app.known_export import build_db
from tests.e2e.test_browser import (
    CHROMIUM_ARGS,
    IDLE,
    chromium,
    free_port,
    stop,
    streamlit_server,
)

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "dashboard.py"
START_TIMEOUT = 60.0
ROLES = """
[users]
"direction@cpms.fr" = "direction"
"qualite@cpms.fr" = "qualite"
"""


def request(url: str, body: object = None, method: str = "GET") -> tuple[int, bytes]:
    data = None if body is None else json.dumps(body).encode()
    call = urllib.request.Request(
        url, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(call, timeout=10) as response:
        return int(response.status), bytes(response.read())


def wait_for_provider(url: str, process: subprocess.Popen[str], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError("le fournisseur OpenID s'est arrêté au démarrage")
        try:
            request(f"{url}/.well-known/openid-configuration")
            return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.1)  # nothing to wait on but the port: the provider prints nothing first
    raise AssertionError(f"le fournisseur OpenID ne répond pas sur {url}")


@pytest.fixture(scope="module")
def provider() -> Iterator[str]:
    """A local OpenID provider where only registered clients may log users in."""
    chromium()  # skip or fail before starting anything
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "oidc_provider_mock", "--host", "127.0.0.1",
         "--port", str(port), "--require-registration"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True,
        env={**os.environ, "NO_COLOR": "1"},
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_provider(url, process, START_TIMEOUT)
        for email, name in (("direction@cpms.fr", "Claire Direction"), ("x@ailleurs.fr", "X")):
            status, _ = request(
                f"{url}/users/{quote(email)}",
                {"email": email, "email_verified": True, "name": name},
                method="PUT",
            )
            assert status == 204
        yield url
    finally:
        stop(process)


@dataclass(frozen=True)
class App:
    url: str
    db: Path


@pytest.fixture(scope="module")
def app(provider: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    folder = tmp_path_factory.mktemp("login")
    port = free_port()
    app_url = f"http://127.0.0.1:{port}"
    status, body = request(
        f"{provider}/oauth2/clients",
        {"redirect_uris": [f"{app_url}/oauth2callback"]},
        method="POST",
    )
    assert status == 201
    client = json.loads(body)
    secrets_file = folder / "secrets.toml"
    secrets_file.write_text(
        f"""[auth]
redirect_uri = "{app_url}/oauth2callback"
cookie_secret = "{secrets.token_hex(32)}"
client_id = "{client["client_id"]}"
client_secret = "{client["client_secret"]}"
server_metadata_url = "{provider}/.well-known/openid-configuration"
""",
        encoding="utf-8",
    )
    roles = folder / "roles.toml"
    roles.write_text(ROLES, encoding="utf-8")
    db = build_db(folder / "cpms.duckdb")
    env = {
        **os.environ,
        "CPMS_DB": str(db),
        "CPMS_ROLES_FILE": str(roles),
        "PYTHONPATH": str(ROOT),
    }
    with streamlit_server(env, "--secrets.files", str(secrets_file), port=port, script=str(APP)):
        yield App(app_url, db)


@pytest.fixture(scope="module")
def browser(app: App) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def log_in(browser: object, app: App, email: str) -> object:
    """A fresh browser (no cookie) that clicks "Se connecter" and authorises `email` on the
    provider's form; returns the page, back on the app and idle."""
    from playwright.sync_api import Browser, Page, expect

    assert isinstance(browser, Browser)
    page: Page = browser.new_page(locale="fr-FR")
    page.set_default_timeout(20_000)
    page.goto(app.url)
    page.wait_for_selector(IDLE)
    expect(page.get_by_text("connectez-vous avec votre compte professionnel")).to_be_visible()
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_placeholder("sub").fill(email)  # the provider's own form
    page.get_by_role("button", name="Authorize").click()
    back_on_the_app(page, app)
    return page


def back_on_the_app(page: object, app: App) -> None:
    """Wait until the provider has sent the browser back through /oauth2callback to the app."""
    from playwright.sync_api import Page

    assert isinstance(page, Page)
    page.wait_for_url(lambda url: url.startswith(app.url) and "oauth2callback" not in url)
    page.wait_for_selector(IDLE)


def logged(app: App) -> set[tuple[str, str]]:
    """(who, action) of the audit log; the server opens the file only for each call, and the
    store waits for it when it is busy."""
    log = audit_log(Store(app.db, keep_open=False), limit=50)
    return set(zip(log["who"], log["action"], strict=True))


def test_a_user_with_a_role_logs_in_and_out(browser: object, app: App) -> None:
    from playwright.sync_api import Page, expect

    page = log_in(browser, app, "direction@cpms.fr")
    assert isinstance(page, Page)
    # The overview's figures, the menu of the role, who is logged in; no case list to go to.
    expect(page.get_by_role("heading", name="Vue d'ensemble")).to_be_visible()
    expect(page.get_by_test_id("stMetric")).to_have_count(5)
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_text("direction@cpms.fr · Direction")).to_be_visible()
    expect(sidebar.get_by_role("link", name="Rapport mensuel")).to_be_visible()
    expect(page.get_by_role("link", name="Dossiers à échéance")).to_have_count(0)
    expect(page.get_by_text("Mode local")).to_have_count(0)
    assert ("direction@cpms.fr", "login") in logged(app)

    # Logging out goes through the provider's end-of-session page and back to the login button.
    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_url("**/end_session**")
    page.get_by_role("button", name="End session").click()
    back_on_the_app(page, app)
    expect(page.get_by_role("button", name="Se connecter")).to_be_visible()
    page.close()


def test_a_user_without_a_role_sees_no_figure(browser: object, app: App) -> None:
    from playwright.sync_api import Page, expect

    page = log_in(browser, app, "x@ailleurs.fr")
    assert isinstance(page, Page)
    expect(page.get_by_text("Accès non autorisé")).to_be_visible()
    expect(page.get_by_text("n'a pas de rôle dans le fichier des rôles")).to_be_visible()
    expect(page.get_by_role("heading", name="Vue d'ensemble")).to_have_count(0)
    expect(page.get_by_test_id("stMetric")).to_have_count(0)
    assert ("x@ailleurs.fr", "access_denied") in logged(app)
    page.close()
