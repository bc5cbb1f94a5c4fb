"""AppTest fixtures: a fresh database per test, built by the real importer, no cache shared
between tests, and the local mode (no login, the server on 127.0.0.1) unless a test logs in."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.util import patch_config_options

from tests.app.known_export import build_db

ROOT = Path(__file__).resolve().parents[2]
PAGES = ("dashboard.py", *sorted(f"pages/{p.name}" for p in (ROOT / "pages").glob("[0-9]*.py")))


@pytest.fixture(autouse=True)
def _fresh_caches() -> Iterator[None]:
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture(autouse=True)
def _local_mode(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Listening on localhost without [auth]: full access, whatever .streamlit/config.toml the
    current directory has. A test that logs in sets `at.user` and CPMS_ROLES_FILE itself."""
    monkeypatch.delenv("CPMS_ROLES_FILE", raising=False)
    with patch_config_options({"server.address": "127.0.0.1"}):
        yield


@pytest.fixture
def db_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """CPMS_DB points at a temporary file that does not exist yet."""
    path = tmp_path / "cpms.duckdb"
    monkeypatch.setenv("CPMS_DB", str(path))
    monkeypatch.delenv("CPMS_POLICY", raising=False)
    return path


@pytest.fixture
def known_db(db_path: Path) -> Path:
    """The known export of tests/app/known_export.py, imported."""
    return build_db(db_path)


def run_page(page: str, params: dict[str, str] | None = None) -> AppTest:
    """Run `page` (relative to the project root) once, with these URL parameters."""
    at = AppTest.from_file(str(ROOT / page), default_timeout=30)
    for name, value in (params or {}).items():
        at.query_params[name] = value
    return at.run()


def shown_metrics(at: AppTest) -> dict[str, str]:
    return {metric.label: metric.value for metric in at.metric}


def linked(column: object) -> list[str]:
    """The references of a table's `Référence` column, each checked to be its case's address
    (`suivi_des_dossiers?ref=…`), decoded as the table shows them."""
    values = [str(v) for v in column]  # type: ignore[attr-defined]
    address = "suivi_des_dossiers?ref="
    assert all(v.startswith(address) for v in values), values
    return [unquote(v.removeprefix(address)) for v in values]
