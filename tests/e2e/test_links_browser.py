"""From a figure to the case, in a real browser over the known export: on the worklist, the
acknowledgement and answer pages, Médiation and Qualité des données, a click on a reference in a
list opens that case (`suivi_des_dossiers?ref=…`, in a new tab) with its deadlines' states; a
click on a bar lists the cases behind it; and no page asks anything of another host than the
server (every request of every page is recorded).

Skipped only when Chromium is missing and CPMS_REQUIRE_BROWSER is not set (the rule of
tests/e2e/test_browser.py, reused).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlparse

import pytest

from tests.app.known_export import build_db
from tests.e2e.test_browser import CHROMIUM_ARGS, IDLE, chromium, settle, streamlit_server

pytestmark = pytest.mark.e2e

QUERY = "from=2025-01&to=2025-12&as_of=2025-12-31"
ADDRESS = "suivi_des_dossiers?ref="
HEADER_HEIGHT = ROW_HEIGHT = 35  # st.dataframe's default header and row heights, in pixels
# (page path, title, a reference of its lists, what the case page then says is late). The case's
# address carries no date: its page judges it as of today, hence the open counts of days.
OVERDUE = r"Accusé de réception : hors délai depuis \d+ jours"
PAGES = (
    ("dossiers_a_echeance", "Dossiers à échéance", "R04", OVERDUE),
    ("accuses_de_reception", "Accusés de réception", "R07", OVERDUE),
    ("delais_de_reponse", "Délais de réponse", "R06", r"Réponse : hors délai depuis \d+ jours"),
    ("mediation", "Médiation", "R03", "Réponse : en retard de 20 jours"),
    ("qualite_des_donnees", "Qualité des données", None, None),
)


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, list[str], Any]]:
    """The app on the known export, a browser page, and every URL the browser asked for."""
    chromium()  # skip or fail before starting anything
    from playwright.sync_api import sync_playwright

    db = build_db(tmp_path_factory.mktemp("links") / "cpms.duckdb")
    requested: list[str] = []
    with (
        streamlit_server({**os.environ, "CPMS_DB": str(db)}, "--theme.base=light") as url,
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="fr-FR")
        context.set_default_timeout(30_000)
        context.on("request", lambda request: requested.append(request.url))
        yield url, requested, context.new_page()
        browser.close()


def foreign(requested: list[str], server: str) -> list[str]:
    """Requests to any other host than the server's (data: and blob: URLs stay in the page)."""
    host = urlparse(server).netloc
    return [
        u
        for u in requested
        if urlparse(u).scheme not in ("data", "blob") and urlparse(u).netloc != host
    ]


def follow_reference(page: Any, reference: str | None) -> tuple[Any, str]:
    """Click, in the first table of the page that links cases, the reference `reference` (the
    first linked one when None); the case's page, opened in a new tab, and its reference."""
    cell = page.locator("td[role=gridcell]", has_text=re.compile(re.escape(ADDRESS)))
    if reference is not None:
        cell = cell.filter(has_text=re.compile(rf"{re.escape(ADDRESS + reference)}$"))
    cell = cell.first
    address = cell.inner_text()
    row = int(cell.locator("xpath=..").get_attribute("aria-rowindex") or "2") - 2
    grid = page.get_by_test_id("stDataFrame").filter(has=cell)
    grid.scroll_into_view_if_needed()
    canvas = grid.locator("canvas").first.bounding_box()
    y = canvas["y"] + HEADER_HEIGHT + row * ROW_HEIGHT + ROW_HEIGHT / 2
    # The column's place is drawn, not in the page: the link answers where its text is.
    for x in range(int(canvas["x"]) + 10, int(canvas["x"] + canvas["width"]), 15):
        try:
            with page.context.expect_page(timeout=1_000) as opened:
                page.mouse.click(x, y)
        except Exception:
            continue
        case = opened.value
        assert case.url.endswith(address), (case.url, address)
        return case, address.removeprefix(ADDRESS)
    raise AssertionError(f"aucun lien cliquable pour {address}")


@pytest.mark.parametrize(("path", "title", "reference", "late"), PAGES)
def test_a_reference_in_a_list_opens_its_case_with_what_is_late(
    app: tuple[str, list[str], Any], path: str, title: str, reference: str | None, late: str | None
) -> None:
    from playwright.sync_api import expect

    url, requested, page = app
    page.goto(f"{url}/{path}?{QUERY}")
    settle(page, title)
    case, shown = follow_reference(page, reference)
    try:
        settle(case, "Suivi des dossiers")
        expect(case.get_by_role("heading", level=3)).to_contain_text(shown)
        expect(case.get_by_text("Situation", exact=True)).to_be_visible()
        if late:
            expect(case.get_by_text(re.compile(late)).first).to_be_visible()
    finally:
        case.close()
    assert foreign(requested, url) == []


def test_a_click_on_a_bar_lists_the_cases_behind_it(app: tuple[str, list[str], Any]) -> None:
    from playwright.sync_api import expect

    url, requested, page = app
    page.goto(f"{url}/?{QUERY}")
    settle(page, "Vue d'ensemble")
    chart = page.get_by_test_id("stPlotlyChart").first
    chart.scroll_into_view_if_needed()
    # December 2025: R07, R08 and R10 received (the last bar of the volume chart).
    bar = chart.locator(".bars .point").last.bounding_box()  # Plotly's drag layer lies on top
    page.mouse.click(bar["x"] + bar["width"] / 2, bar["y"] + bar["height"] / 2)
    page.wait_for_selector(IDLE)
    expect(page.get_by_text("Réclamations reçues en décembre 2025")).to_be_visible()
    cells = page.locator("td[role=gridcell]", has_text=re.compile(re.escape(ADDRESS)))
    expect(cells).to_have_count(3)
    assert sorted(c.inner_text().removeprefix(ADDRESS) for c in cells.all()) == [
        "R07", "R08", "R10",
    ]  # fmt: skip
    expect(page.get_by_role("button", name="CSV pour Excel")).to_be_visible()
    case, _ = follow_reference(page, "R07")
    try:
        settle(case, "Suivi des dossiers")
        expect(case.get_by_role("heading", level=3)).to_contain_text("R07")
    finally:
        case.close()
    assert foreign(requested, url) == []


def test_no_page_asks_anything_of_another_host(app: tuple[str, list[str], Any]) -> None:
    url, requested, page = app
    sidebar_paths = ("", "objets", "saisie", "suivi_des_dossiers", "rapport_mensuel", "import",
                     "journal_d_audit", "definitions", "dysfonctionnements")  # fmt: skip
    for path in sidebar_paths:
        page.goto(f"{url}/{path}?{QUERY}")
        page.wait_for_selector(IDLE)
        page.wait_for_load_state("networkidle")
    assert len(requested) > len(sidebar_paths)  # the recording works
    assert foreign(requested, url) == []
