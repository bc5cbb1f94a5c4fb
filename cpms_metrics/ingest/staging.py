"""The relations an import's steps share in DuckDB, named in one place.

One `Staging` is made per import (or per preview, or per case typed in the dashboard) and handed to
every step that reads or writes one of these relations: no step names a shared relation itself.
Each lives in the connection's temporary schema, dropped once its last reader is done (DuckDB's
reports of a CSV's reading stay until the connection closes).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields

# The columns the steps agree on in `raw` and the normalised rows: a row's line in the file, and
# why the row has too many fields (NULL when it has not).
LINE = "_line"
WIDTH = "_width"

_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]*")


def quote(text: str) -> str:
    """`text` as a SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


@dataclass(frozen=True)
class Staging:
    """Temporary relations of one import, in the order the steps make them."""

    # read.py: the file's cells, as text, under canonical column names
    csv_rejects: str = "reject_errors"  # DuckDB's own report of the records it could not read
    csv_reject_scans: str = "reject_scans"  # ... and of its scans, which it writes beside it
    raw_csv: str = "raw_csv"  # DuckDB's reading of a CSV: c0, c1 ..., _breaks, _untrimmed
    line_offsets: str = "line_offsets"  # (key, shift): records read over several lines
    blank_offsets: str = "blank_offsets"  # (line, shift): empty lines DuckDB skipped
    raw_rows: str = "raw_rows"  # the rows Python read, when DuckDB did not
    raw: str = "raw"  # view: LINE, the canonical columns present, WIDTH
    # normalise.py: each distinct spelling judged once
    day_map: str = "day_map"  # (text, day) of every date column
    value_map_prefix: str = "map_"  # (text, value) of one enumerated column
    amount_map_prefix: str = "amount_"  # (text, amount) of one amount column
    fallback_prefix: str = "fallback_"  # (text): values a profile's fallback replaced
    normalised: str = "normalised"  # LINE, WIDTH, trimmed cells, v_<column> read from them
    typed: str = "typed"  # view over `normalised` with v_<column> for every column
    # checks.py
    problems: str = "problems"  # (line, reference, field, value, reason): the rejections
    repeated: str = "repeated"  # rows whose reference appears more than once
    dropped: str = "dropped"  # LINE of every row not loaded (rejected or repeated)
    accepted: str = "accepted"  # the rows to load, typed: what `normalised` becomes
    # write.py and quality.py
    staged: str = "staged"  # the rows being written, settled against the stored cases
    stale: str = "stale_rows"  # references of rows older than what is stored
    finding_state: str = "finding_state"  # each staged case as stored once written
    nir_outside: str = "nir_outside"  # values holding a NIR outside the NIR column
    findings: str = "new_findings"  # the findings of the staged cases

    def __post_init__(self) -> None:
        for item in fields(self):
            name = getattr(self, item.name)
            if not _IDENTIFIER.fullmatch(name):
                raise ValueError(f"{item.name}: {name!r} is not a plain SQL identifier")

    def value_map(self, column: str) -> str:
        return self._per_column(self.value_map_prefix, column)

    def amount_map(self, column: str) -> str:
        return self._per_column(self.amount_map_prefix, column)

    def fallback(self, column: str) -> str:
        return self._per_column(self.fallback_prefix, column)

    @staticmethod
    def _per_column(prefix: str, column: str) -> str:
        name = prefix + column
        if not _IDENTIFIER.fullmatch(name):
            raise ValueError(f"{name!r} is not a plain SQL identifier")
        return name

    def relations(self) -> list[str]:
        """Every relation name, the per-column ones excepted."""
        return [getattr(self, f.name) for f in fields(self) if not f.name.endswith("_prefix")]
