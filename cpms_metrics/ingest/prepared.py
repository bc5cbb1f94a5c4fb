"""Steps 3 and 4 together: an export normalised and checked into a `Prepared`, the rows to load,
the rejections and the findings, with nothing written to the store yet.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from ..profiles import NO_PROFILE, Profile
from ..settings import DEFAULT_CAUSE_LIST
from .checks import check, keep_accepted
from .normalise import normalise
from .read import RawExport, _materialise, _scratch_connection, read_export
from .staging import Staging


@dataclass
class Prepared:
    """An export sorted into rows to load, rejections and findings; nothing written yet."""

    file_name: str
    sha256: str
    rows_read: int
    # Canonical columns the file carries, normalised; None while they are still the relation
    # `staging.accepted` of the connection that prepared them (a whole import in one connection).
    accepted: pa.Table | None
    columns: list[str]
    rejections: pd.DataFrame  # REJECT_COLUMNS, one row per problem
    rejected_rows: int
    duplicates: int  # identical repeated rows, counted once
    value_findings: pd.DataFrame  # unknown optional values (stored empty, kept here)
    ignored_headers: list[str]

    def with_reference(self, reference: str) -> Prepared:
        """The same one-row case under another reference (the form names cases on saving)."""
        assert self.accepted is not None
        index = self.accepted.column_names.index("reference")
        table = self.accepted.set_column(
            index, "reference", pa.array([reference] * len(self.accepted))
        )
        return replace(self, accepted=table)


def prepare(
    raw: RawExport,
    *,
    import_day: date,
    objects: tuple[str, ...],
    file_name: str = "",
    sha256: str = "",
    causes: tuple[str, ...] = DEFAULT_CAUSE_LIST,
) -> Prepared:
    """Normalise every value and sort the rows, in an in-memory DuckDB; `import_day` bounds
    every date. Per distinct value, Python parses dates and matches enumerated values.
    `sha256` defaults to the file's, computed while DuckDB reads it."""
    try:
        with _scratch_connection() as con:
            staging = Staging()
            _materialise(con, staging, raw)
            prepared = _prepare(
                con, staging, raw, import_day, objects, file_name, sha256 or raw.sha256, causes
            )
            prepared.accepted = con.sql(f"SELECT * FROM {staging.accepted}").to_arrow_table()
            return prepared
    finally:
        raw.close()


def _prepare(
    con: duckdb.DuckDBPyConnection,
    staging: Staging,
    raw: RawExport,
    import_day: date,
    objects: tuple[str, ...],
    file_name: str,
    sha256: str,
    causes: tuple[str, ...] = DEFAULT_CAUSE_LIST,
) -> Prepared:
    """From `staging.raw` to `staging.accepted`, on `con` (the caller's transaction, if any)."""
    columns = normalise(con, staging, raw, objects, causes)
    checked = check(con, staging, raw, columns, import_day)
    keep_accepted(con, staging, columns, checked.dropped)
    return Prepared(
        file_name=file_name,
        sha256=sha256,
        rows_read=checked.rows_read,
        accepted=None,
        columns=columns.present,
        rejections=checked.rejections,
        rejected_rows=checked.rejected_rows,
        duplicates=checked.dropped - checked.rejected_rows,
        value_findings=checked.value_findings,
        ignored_headers=raw.ignored_headers,
    )


def read_and_prepare(
    path: Path,
    *,
    import_day: date,
    objects: tuple[str, ...],
    causes: tuple[str, ...] = DEFAULT_CAUSE_LIST,
    profile: Profile = NO_PROFILE,
) -> Prepared:
    raw = read_export(path, profile)
    return prepare(raw, import_day=import_day, objects=objects, file_name=path.name, causes=causes)
