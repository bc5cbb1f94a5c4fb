"""An export uploaded in the app: read and checked, its loading previewed, then loaded.

The import page keeps an `UploadCheck` between runs; nothing is written until `confirm_upload`.
"""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from .ingest import ImportReport, Prepared, load, preview, read_and_prepare
from .profiles import NO_PROFILE, Profile
from .settings import DEFAULT_CAUSE_LIST
from .store import Store, scratch_prefix

UPLOAD_TYPES = ["csv", "xlsx", "parquet"]


@dataclass
class UploadCheck:
    """An uploaded export read and checked, with what loading it would do; nothing written."""

    key: str  # the upload's name, size and digest: a new file is checked anew
    prepared: Prepared
    report: ImportReport
    version: str  # the database's data version the preview was computed on


def upload_key(name: str, content: bytes) -> str:
    return f"{name}:{len(content)}:{hashlib.sha256(content).hexdigest()[:16]}"


def check_upload(
    store: Store,
    name: str,
    content: bytes,
    *,
    today: date,
    objects: tuple[str, ...],
    causes: tuple[str, ...] = DEFAULT_CAUSE_LIST,
    profile: Profile = NO_PROFILE,
) -> UploadCheck:
    """Read and check an uploaded export (its suffix says its format), through `profile` for
    the export of another tool, and preview its loading; `objects` and `causes` are the
    settings' lists. Raises ImportFileError when the file cannot be used."""
    file_name = Path(name).name
    if file_name in ("", ".", ".."):
        file_name = "export.csv"
    with tempfile.TemporaryDirectory(prefix=scratch_prefix()) as folder:
        # The file keeps its own name: the import log shows it.
        path = Path(folder) / file_name
        path.write_bytes(content)
        prepared = read_and_prepare(
            path, import_day=today, objects=objects, causes=causes, profile=profile
        )
    version = store.data_version()
    return UploadCheck(upload_key(name, content), prepared, preview(store, prepared), version)


def fresh_preview(store: Store, check: UploadCheck) -> UploadCheck:
    """The same check, its preview recomputed if the database changed since (another import)."""
    version = store.data_version()
    if version == check.version:
        return check
    return UploadCheck(check.key, check.prepared, preview(store, check.prepared), version)


def confirm_upload(store: Store, check: UploadCheck, *, now: datetime) -> ImportReport:
    """Load the checked export in one transaction."""
    return load(store, check.prepared, imported_at=now)
