"""Import an export (CSV, XLSX, Parquet): read it, map it, normalise it, check it, load it at once.

The rules are those of docs/format-export.md: a row the figures cannot be computed from is
rejected with its line, column, value and a French reason; a row whose paperwork is imperfect is
loaded with data-quality findings. Loading is all-or-nothing and idempotent, and keeps a history.

One file's path through the steps (`import_file`, in loading.py, runs them in one transaction):

1. read (read.py): `read_export(path, profile)` finds the header among the first lines
   (headers.py) and maps it onto the canonical columns, through the profile if any; the rows
   are not read yet. `RawExport.materialise(con, staging)` then makes them `staging.raw`, text
   with each row's line: DuckDB reads a CSV itself; Python reads it instead (text.py) when its
   line numbers cannot be trusted, and reads workbooks and Parquet files (workbook.py).
2. map (mapping.py): for a file whose headers or values the usual spellings do not know, the
   mapping screen shows `first_rows` and `unknown_values` and a person writes a profile
   (profiles.py): its column names, constants and value maps apply between reading and
   normalising.
3. normalise (normalise.py): every cell trimmed, each distinct date, amount and listed value
   read once in Python: `staging.normalised`.
4. check (checks.py): rejections, identical repeats counted once, the findings the file alone
   shows, and the rows to load, `staging.accepted`. `prepare` (prepared.py) runs steps 3 and 4
   and returns a `Prepared`, nothing written yet.
5. load (write.py, loading.py): `staging.staged` settled against the stored cases (stale rows
   set aside, blank cells keeping the stored value), written with history, due dates and
   findings (quality.py); then the rejected lines and the import log.

Every relation the steps share lives in one `Staging` (staging.py), made once per import and
passed to each step: no step names a shared relation itself.
"""

from .checks import REJECT_COLUMNS
from .headers import HEADER_SEARCH, find_header
from .loading import (
    ImportReport,
    database_error,
    import_file,
    import_log,
    load,
    preview,
    rejects_of,
)
from .mapping import first_rows, likely_header, unknown_values
from .normalise import SERIAL_RANGE, format_date, parse_amount, parse_date
from .prepared import Prepared, prepare, read_and_prepare
from .read import RawExport, ReadAgain, read_export
from .staging import LINE, Staging
from .workbook import XLSX_EXPANDED_LIMIT
from .write import write_cases

__all__ = [
    "HEADER_SEARCH",
    "LINE",
    "REJECT_COLUMNS",
    "SERIAL_RANGE",
    "XLSX_EXPANDED_LIMIT",
    "ImportReport",
    "Prepared",
    "RawExport",
    "ReadAgain",
    "Staging",
    "database_error",
    "find_header",
    "first_rows",
    "format_date",
    "import_file",
    "import_log",
    "likely_header",
    "load",
    "parse_amount",
    "parse_date",
    "prepare",
    "preview",
    "read_and_prepare",
    "read_export",
    "rejects_of",
    "unknown_values",
    "write_cases",
]
