"""Local mode under another host name (issue 12, DNS rebinding): Chromium resolves
`evil.example` to 127.0.0.1, as a rebinding attacker's name would for a moment; the page opened
under that name shows no data, the same server opened as localhost does."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.app.known_export import build_db
from tests.e2e.test_browser import CHROMIUM_ARGS, IDLE, chromium, free_port, streamlit_server

pytestmark = pytest.mark.e2e


def test_a_foreign_host_name_gets_no_local_mode(tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    executable = chromium()
    db = build_db(tmp_path / "cpms.duckdb")
    port = free_port()
    with (
        streamlit_server({**os.environ, "CPMS_DB": str(db)}, port=port),
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(
            executable_path=executable,
            args=[*CHROMIUM_ARGS, "--host-resolver-rules=MAP evil.example 127.0.0.1"],
        )
        try:
            page = browser.new_page(locale="fr-FR")
            page.set_default_timeout(30_000)
            page.goto(f"http://evil.example:{port}/?from=2025-01&to=2025-12&as_of=2025-12-31")
            page.wait_for_selector(IDLE)
            expect(page.get_by_text("Connexion non configurée")).to_be_visible()
            expect(page.get_by_text("evil.example", exact=False).first).to_be_visible()
            expect(page.get_by_role("heading", level=1)).to_have_count(0)
            expect(page.get_by_test_id("stMetric")).to_have_count(0)

            page.goto(f"http://localhost:{port}/?from=2025-01&to=2025-12&as_of=2025-12-31")
            page.wait_for_selector(IDLE)
            expect(page.get_by_role("heading", level=1)).to_have_text("Vue d'ensemble")
        finally:
            browser.close()
