"""When the browser test may skip: only without Chromium and without CPMS_REQUIRE_BROWSER."""

from __future__ import annotations

import pytest

from tests.e2e import test_browser


@pytest.fixture
def no_chromium(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(test_browser, "CHROMIUM", "/nonexistent/chromium")
    monkeypatch.setattr(test_browser.shutil, "which", lambda name: None)


def test_skips_without_chromium(no_chromium: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CPMS_REQUIRE_BROWSER", raising=False)
    with pytest.raises(pytest.skip.Exception):
        test_browser.chromium()


def test_fails_without_chromium_when_required(
    no_chromium: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CPMS_REQUIRE_BROWSER", "1")
    with pytest.raises(pytest.fail.Exception):
        test_browser.chromium()
