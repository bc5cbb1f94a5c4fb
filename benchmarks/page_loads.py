"""The pages as a person sees them: each page's full load in Chromium, beside a one-line Streamlit
page served the same way, and the load test (N people opening pages at once on one server).

Both servers are `streamlit run` on 127.0.0.1 with the same flags and the repository's
.streamlit/config.toml (the one-line page is a file of the work folder, run from the repository).
Chromium is the system one, driven by Playwright; every load happens in a fresh browser context,
hence with an empty HTTP cache and a new Streamlit session.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [  # as tests/e2e/test_browser.py launches it
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1440, "height": 1000}
ONE_LINE_PAGE = 'import streamlit as st\n\nst.write("Bonjour")\n'
# The load test's session: the overview, then two pages in daily use (compliance, worklist).
SESSION_PAGES = (
    "dashboard.py",
    "pages/1_accuses_de_reception.py",
    "pages/5_dossiers_a_echeance.py",
)
SLOW_SECONDS = 3.0  # the 95th percentile above which the load test says a server is saturated
LOAD_TIMEOUT_MS = 600_000  # 20 sessions on 1M complaints on 2 cores take long: never cut short
START_TIMEOUT = 60.0
ERRORS = '[data-testid="stException"], [data-testid="stAlertContentError"]'


def chromium() -> str | None:
    """The system Chromium, None when there is none."""
    return CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")


def dashboard_pages() -> list[str]:
    """dashboard.py and every page of pages/, in Streamlit's menu order."""
    from streamlit.source_util import page_sort_key

    found = sorted((ROOT / "pages").glob("[0-9]*.py"), key=page_sort_key)
    return ["dashboard.py", *(str(path.relative_to(ROOT)) for path in found)]


def url_path(page: str) -> str:
    """The URL path Streamlit gives a page file (`pages/1_accuses_de_reception.py` ->
    `accuses_de_reception`); the main script is served at the root."""
    from streamlit.source_util import page_icon_and_name

    return "" if page == "dashboard.py" else page_icon_and_name(Path(page))[1]


# -- the servers --------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class Server:
    url: str
    pid: int

    def peak_mb(self) -> float:
        """The server process's peak resident memory so far (VmHWM), in MB."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return 0.0


@contextmanager
def streamlit_server(script: Path, env: dict[str, str], log: Path) -> Iterator[Server]:
    """`streamlit run script` from the repository on a free 127.0.0.1 port, until the block
    ends; stopped by its PID. Its output goes to `log` (a pipe nobody reads could fill up)."""
    port = _free_port()
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(script),
             "--server.address", "127.0.0.1", "--server.port", str(port),
             "--server.headless", "true", "--server.fileWatcherType", "none",
             "--browser.gatherUsageStats", "false"],
            cwd=ROOT, env={**env, "PYTHONUNBUFFERED": "1"}, stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=5) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"streamlit n'a pas démarré :\n{log.read_text()[-2000:]}")
            time.sleep(0.2)
        yield Server(url, process.pid)
    finally:
        os.kill(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()


# -- one full load ------------------------------------------------------------------------------

# Streamlit draws the app as "notRunning" before its websocket connects and before the script has
# started: "finished" only counts once the script state has been "running". Attribute changes are
# recorded as they happen, so a run shorter than a frame is still seen; so are the moments the
# browser saw the run start and end (the server's share of a load, as the browser sees it).
_WATCH_RUN = """
window.__benchRan = false;
window.__benchRun = [null, null];
new MutationObserver(records => {
    const now = performance.now();
    for (const record of records) {
        const state = record.target.getAttribute('data-test-script-state');
        if (record.oldValue === 'running' || state === 'running') {
            if (!window.__benchRan) window.__benchRun[0] = now;
            window.__benchRan = true;
        }
        if (window.__benchRan && state === 'notRunning') window.__benchRun[1] = now;
    }
}).observe(document, {subtree: true, attributes: true, attributeOldValue: true,
                      attributeFilter: ['data-test-script-state']});
"""
_DRAWN = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    if (!app) return false;
    if (app.getAttribute('data-test-script-state') === 'running' && !window.__benchRan) {
        window.__benchRan = true;
        window.__benchRun[0] = performance.now();
    }
    if (!window.__benchRan
        || app.getAttribute('data-test-connection-state') !== 'CONNECTED'
        || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
    if (document.querySelector('[data-testid="stSkeleton"], [data-testid="stSkeletonElement"]'))
        return false;
    for (const chart of document.querySelectorAll('[data-testid="stPlotlyChart"]'))
        if (!chart.querySelector('.main-svg')) return false;
    for (const grid of document.querySelectorAll('[data-testid="stDataFrame"]')) {
        const canvas = grid.querySelector('canvas');
        if (!canvas || !canvas.width || !canvas.height) return false;
    }
    return true;
}"""
# One animation frame, then a task: by then the frame holding the last change has been painted.
_PAINTED = """() => new Promise(resolve => requestAnimationFrame(
    () => setTimeout(() => resolve([performance.now(), ...window.__benchRun]), 0)))"""


class Load(NamedTuple):
    seconds: float  # the full load
    script_seconds: float  # from the run's start to its end, as the browser saw them


async def full_load(page: Any, url: str) -> Load:
    """Seconds from the start of the navigation to `url` until the page is drawn, and the part
    of it the script's run took as the browser saw it (from "running" to "notRunning").

    Drawn means: the script has run (its state went through "running") and finished
    (`[data-testid="stApp"]` "notRunning" with the connection CONNECTED), no skeleton is left
    (`stSkeleton`: an element whose code is still loading), every Plotly chart has drawn its SVG
    (`.main-svg`), every `stDataFrame` has its grid's canvas, and one animation frame has been
    painted after that. The time is the page's own clock (`performance.now()`, from the
    navigation start), so a busy benchmark process does not add to it. `page` must come from a
    context prepared by `new_context`. An error element on the page fails the load."""
    await page.goto(url, wait_until="commit", timeout=LOAD_TIMEOUT_MS)
    await page.wait_for_function(_DRAWN, polling="raf", timeout=LOAD_TIMEOUT_MS)
    painted, run_start, run_end = await page.evaluate(_PAINTED)
    errors = page.locator(ERRORS)
    if await errors.count():
        texts = await errors.all_inner_texts()
        raise RuntimeError(f"{url} affiche une erreur : {texts}")
    return Load(painted / 1000, ((run_end or painted) - run_start) / 1000)


async def new_context(browser: Any) -> Any:
    """A fresh browser context (empty HTTP cache, no cookie) that watches the script state."""
    context = await browser.new_context(viewport=VIEWPORT, locale="fr-FR")
    await context.add_init_script(_WATCH_RUN)
    return context


async def fresh_load(browser: Any, url: str) -> Load:
    """One full load in a context of its own."""
    context = await new_context(browser)
    try:
        return await full_load(await context.new_page(), url)
    finally:
        await context.close()


# -- the measures -------------------------------------------------------------------------------


def percentile_95(values: list[float]) -> float:
    """The 95th percentile, linear interpolation between the closest ranks (numpy's default)."""
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=20, method="inclusive")[-1]


async def _visit(page: Any, urls: list[str]) -> list[Load]:
    return [await full_load(page, url) for url in urls]


async def load_test(browser: Any, urls: list[str], users: int) -> list[Load]:
    """`users` sessions at once, each its own context opening `urls` one after the other (the
    later pages with that session's HTTP cache); every page's full-load time."""
    contexts = [await new_context(browser) for _ in range(users)]
    try:
        pages = [await context.new_page() for context in contexts]
        results = await asyncio.gather(*(_visit(page, urls) for page in pages))
    finally:
        for context in contexts:
            await context.close()
    return [load for loads in results for load in loads]


async def _measure(
    db: str,
    workdir: str,
    repeat: int,
    as_of: str,
    pages: tuple[str, ...],
    load_users: tuple[int, ...],
) -> dict[str, Any]:
    from playwright.async_api import async_playwright

    folder = Path(workdir)
    one_line = folder / "one_line_page.py"
    one_line.write_text(ONE_LINE_PAGE, encoding="utf-8")
    env = {**os.environ, "CPMS_DB": db}
    query = f"?as_of={as_of}"
    out: dict[str, Any] = {"pages": {}, "load": []}
    with (
        streamlit_server(one_line, env, folder / "streamlit_one_line.log") as bare,
        streamlit_server(ROOT / "dashboard.py", env, folder / "streamlit_dashboard.log") as app,
    ):
        targets = {"one-line page": f"{bare.url}/{query}"}
        targets.update({page: f"{app.url}/{url_path(page)}{query}" for page in pages})
        times: dict[str, list[float]] = {name: [] for name in targets}
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=chromium(), args=CHROMIUM_ARGS
            )
            # Round 0 is each page's first load (it fills the server's caches); the rounds
            # interleave the pages so that a slow spell of a shared machine hits all alike.
            for _ in range(1 + repeat):
                for name, url in targets.items():
                    times[name].append((await fresh_load(browser, url)).seconds)
            for name, found in times.items():
                out["pages"][name] = {"first": found[0], "times": found[1:]}
            out["one_line_peak_mb"] = bare.peak_mb()
            out["app_peak_mb"] = app.peak_mb()
            session = [f"{app.url}/{url_path(page)}{query}" for page in SESSION_PAGES]
            for users in load_users:
                loads = await load_test(browser, session, users)
                out["load"].append(
                    {
                        "users": users,
                        "times": [load.seconds for load in loads],
                        "script_times": [load.script_seconds for load in loads],
                        "peak_mb": app.peak_mb(),
                    }
                )
            await browser.close()
    return out


def measure_browser(
    db: str,
    workdir: str,
    repeat: int,
    as_of: str,
    pages: tuple[str, ...] = (),
    load_users: tuple[int, ...] = (),
) -> dict[str, Any]:
    """The full loads (the first, then `repeat` more) of `pages` (default: every page) on a
    server of `db` and of the one-line page on its own server, then the load test for each
    number of `load_users` (none: no load test). Times in seconds, servers' peak memory in MB."""
    chosen = pages or tuple(dashboard_pages())
    return asyncio.run(_measure(db, workdir, repeat, as_of, chosen, load_users))
