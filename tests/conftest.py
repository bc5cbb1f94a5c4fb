"""Shared fixtures: a fresh database per test, filled by the real importer from small exports."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime
from pathlib import Path

import pytest

from cpms_metrics.ingest import ImportReport, import_file
from cpms_metrics.settings import Settings
from cpms_metrics.store import Store, open_store

OBJECTS = Settings().objects


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = open_store(tmp_path / "cpms.duckdb", Settings(db_path=tmp_path / "cpms.duckdb"))
    yield opened
    opened.close()


Loader = Callable[..., ImportReport]


@pytest.fixture
def load_text(store: Store, tmp_path: Path) -> Loader:
    """Write `text` to a file in `encoding` and import it, as of `import_day`."""

    def load(
        text: str,
        *,
        name: str = "export.csv",
        encoding: str = "utf-8",
        import_day: date = date(2025, 4, 10),
    ) -> ImportReport:
        path = tmp_path / name
        path.write_bytes(text.encode(encoding))
        return import_file(
            store,
            path,
            import_day=import_day,
            imported_at=datetime.combine(import_day, datetime.min.time()),
            objects=OBJECTS,
        )

    return load
