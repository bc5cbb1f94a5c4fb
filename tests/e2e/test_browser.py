"""The whole app in a real browser: `streamlit run` on a free local port, Chromium through
Playwright, every page opened from the menu, a filter changed, no error anywhere.

Skipped only when Chromium is missing and CPMS_REQUIRE_BROWSER is not set (CI sets it, so there a
missing browser fails). With CPMS_SCREENSHOTS=<folder>, a screenshot of every page is saved there,
on the sample data (the app's first run) instead of the small known export.
"""

from __future__ import annotations

import os
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.app.known_export import build_db

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
MENU = (  # label, URL path, as the pages/ folder names them
    ("Accusés de réception", "accuses_de_reception"),
    ("Délais de réponse", "delais_de_reponse"),
    ("Objets", "objets"),
    ("Médiation", "mediation"),
    ("Dossiers à échéance", "dossiers_a_echeance"),
    ("Vue d'ensemble", ""),
)
ERRORS = '[data-testid="stException"], [data-testid="stAlertContentError"]'
IDLE = '[data-testid="stApp"][data-test-connection-state="CONNECTED"][data-test-script-state="notRunning"]'  # noqa: E501
LOADING = '[data-testid="stSkeleton"], [data-testid="stSkeletonElement"]'
START_TIMEOUT = 60.0


def chromium() -> str:
    found = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
    if found:
        return found
    if os.environ.get("CPMS_REQUIRE_BROWSER"):
        pytest.fail("Chromium est introuvable alors que CPMS_REQUIRE_BROWSER est défini.")
    pytest.skip("Chromium est introuvable (définir CPMS_REQUIRE_BROWSER=1 pour échouer).")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_line(process: subprocess.Popen[str], needle: str, timeout: float) -> None:
    """Read the server's output until `needle` appears (it prints it once it listens)."""
    assert process.stdout is not None
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    seen: list[str] = []
    while (left := deadline - time.monotonic()) > 0:
        if not selector.select(left):
            break
        line = process.stdout.readline()
        if not line:
            break
        seen.append(line)
        if needle in line:
            return
    raise AssertionError("streamlit n'a pas démarré :\n" + "".join(seen))


def stop(process: subprocess.Popen[str]) -> None:
    """Stop a server by its PID: politely, then for good."""
    os.kill(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.kill(process.pid, signal.SIGKILL)
        process.wait()


@contextmanager
def streamlit_server(
    env: dict[str, str], *options: str, port: int | None = None, script: str = "dashboard.py"
) -> Iterator[str]:
    """`streamlit run` on 127.0.0.1 (a free port unless given) until the block ends; its URL."""
    port = port or free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", script,
         "--server.address", "127.0.0.1", "--server.port", str(port),
         "--server.headless", "true", "--server.fileWatcherType", "none",
         "--browser.gatherUsageStats", "false", *options],
        cwd=ROOT, env={**env, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        wait_for_line(process, f"127.0.0.1:{port}", START_TIMEOUT)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(process)


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    chromium()  # skip or fail before starting anything
    folder = tmp_path_factory.mktemp("e2e")
    db = folder / "cpms.duckdb"
    if not os.environ.get("CPMS_SCREENSHOTS"):
        build_db(db)  # else: the first run fills it with the sample
    theme = os.environ.get("CPMS_THEME", "light")
    with streamlit_server({**os.environ, "CPMS_DB": str(db)}, f"--theme.base={theme}") as url:
        yield url


@pytest.fixture(scope="module")
def page(app_url: str) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        context = browser.new_page(viewport={"width": 1440, "height": 1000}, locale="fr-FR")
        context.set_default_timeout(30_000)
        yield context
        browser.close()


def settle(page: object, title: str) -> None:
    """Wait until the page titled `title` has finished running; fail on any error element."""
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    page.wait_for_selector(IDLE)
    # Elements whose code loads on demand show a placeholder first: wait for the real thing.
    expect(page.locator(LOADING)).to_have_count(0)
    errors = page.locator(ERRORS)
    assert errors.count() == 0, errors.all_inner_texts()


def screenshot(page: object, name: str) -> None:
    folder = os.environ.get("CPMS_SCREENSHOTS")
    if not folder:
        return
    from playwright.sync_api import Page

    assert isinstance(page, Page)
    main = page.locator('[data-testid="stMainBlockContainer"]')
    height = int(main.evaluate("element => element.scrollHeight")) + 120
    page.set_viewport_size({"width": 1440, "height": max(900, height)})
    page.wait_for_selector(IDLE)
    # Plotly draws after the script has finished: wait for every chart's drawing.
    page.wait_for_function(
        """() => [...document.querySelectorAll('[data-testid="stPlotlyChart"]')]
                 .every(chart => chart.querySelector('.main-svg'))"""
    )
    theme = os.environ.get("CPMS_THEME", "light")
    Path(folder).mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(Path(folder) / f"{name}_{theme}.png"))
    page.set_viewport_size({"width": 1440, "height": 1000})


def test_every_page_renders_and_a_filter_change_is_kept(app_url: str, page: object) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    query = (
        "" if os.environ.get("CPMS_SCREENSHOTS") else "?from=2025-01&to=2025-12&as_of=2025-12-31"
    )
    page.goto(f"{app_url}/{query}")
    settle(page, "Vue d'ensemble")
    screenshot(page, "0_vue_d_ensemble")

    sidebar = page.get_by_test_id("stSidebar")
    for number, (label, path) in enumerate(MENU, start=1):
        sidebar.get_by_role("link", name=label).click()
        page.wait_for_url(f"{app_url}/{path}?*")
        settle(page, label)
        if path:
            screenshot(page, f"{number}_{path}")

    # Change the policy: the URL, the header line and, on another page, the filter follow.
    sidebar.get_by_text("Référentiel ACPR").click()
    page.wait_for_url("**policy=acpr**")
    settle(page, "Vue d'ensemble")
    expect(page.get_by_text("Référentiel ACPR —", exact=False)).to_be_visible()
    sidebar.get_by_role("link", name="Objets").click()
    page.wait_for_url(f"{app_url}/objets?*policy=acpr*")
    settle(page, "Objets")
    expect(sidebar.get_by_role("radio", name="Référentiel ACPR")).to_be_checked()
