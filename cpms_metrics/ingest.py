"""Read an export (CSV, XLSX, Parquet), normalise it, sort good rows from bad, load it at once.

The rules are those of docs/format-export.md: a row the figures cannot be computed from is
rejected with its line, column, value and a French reason; a row whose paperwork is imperfect is
loaded with data-quality findings. Loading is all-or-nothing and idempotent, and keeps a history.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from .deadlines import Calendar
from .errors import HeaderNotFound, ImportFileError
from .fields import (
    AMOUNT_COLUMNS,
    CANONICAL,
    COLUMN_BY_NAME,
    DATE_COLUMNS,
    REQUIRED,
    Vocabulary,
    fold,
    label,
)
from .profiles import NO_PROFILE, Profile
from .profiles import vocabularies as enum_vocabularies
from .quality import compute_findings, store_findings
from .schema import DUE_COLUMNS, Cursor, clock_start_sql, fetch_one
from .settings import DEFAULT_CAUSE_LIST
from .store import Store, add_due_dates, refresh_due_dates, scratch_folder, scratch_prefix
from .validation import EARLIEST_DATE, early_date_problem, mask_nirs_in

LINE = "_line"
REJECT_COLUMNS = ["line", "reference", "field", "value", "reason"]
_WHITESPACE = "' ' || chr(9) || chr(10) || chr(13) || chr(160)"
# In a row's cells joined by chr(1): white space at the start or the end of a cell.
_EDGE_SPACE = r"(^|\x01)[ \t\r\n\x{00A0}]|[ \t\r\n\x{00A0}](\x01|$)"

# ---------------------------------------------------------------------------------------------
# Reading


@dataclass
class RawExport:
    """An export's cells as text under canonical column names, with their source line numbers.

    Small files and spreadsheets are read in Python (`frame`); a CSV is read by DuckDB itself
    (`materialise`), and falls back to Python's csv module when its line numbers cannot be
    trusted (blank lines, malformed rows).
    """

    headers: dict[str, str]  # canonical name -> header as written in the file
    ignored_headers: list[str]
    positions: dict[int, str] = field(default_factory=dict)  # file column -> canonical name
    csv: tuple[Path, str, int] | None = None  # (UTF-8 file, delimiter, width) for DuckDB
    lines_in_file: int = 0  # of the UTF-8 file, to check DuckDB's reading
    sha256_: str = ""
    frame_: pd.DataFrame | None = None  # canonical columns + LINE (+ width problems), all text
    bad_width: dict[int, str] = field(default_factory=dict)  # line -> French reason
    temporary: Path | None = None
    # A large CSV's scan (digest, lines, encoding), running while DuckDB reads the same file.
    scan: Future[_Scan] | None = None
    utf8: bool | None = True  # None: not checked beyond the first megabyte (DuckDB does)
    untrimmed: int | None = None  # records with white space at a cell's edge, once counted
    by_python: bool = False  # DuckDB failed to read the CSV: Python's csv module reads it
    header_line: int = 1  # the header's line in the file (lines above it are ignored)
    profile: Profile = NO_PROFILE  # constants, value maps, fallbacks and date format applied

    @property
    def sha256(self) -> str:
        self._scanned()
        return self.sha256_

    def _scanned(self) -> None:
        """Wait for the scan of the whole file, if under way; raises ImportFileError when the
        file holds binary data."""
        if self.scan is None:
            return
        scan, self.scan = self.scan.result(), None
        if scan.binary:
            raise ImportFileError(_BINARY)
        self.sha256_, self.lines_in_file, self.utf8 = scan.sha256, scan.lines, scan.utf8

    @property
    def frame(self) -> pd.DataFrame:
        """The rows as a pandas frame (read in Python when DuckDB read them)."""
        if self.frame_ is None:
            try:
                with _scratch_connection() as con:
                    _materialise(con, self)
                    self.frame_ = con.execute("SELECT * FROM raw ORDER BY _line").df()
            except BaseException:
                self.close()
                raise
        return self.frame_

    def materialise(self, con: duckdb.DuckDBPyConnection) -> None:
        """Create the view `raw` (LINE, the canonical columns present, `_width`) in `con`.

        Raises `ReadAgain` when DuckDB failed to read the CSV: that failure aborts the
        transaction `con` may be in; the caller rolls back and calls again, and Python reads it.
        """
        if self.frame_ is None and self.csv is not None and not self.by_python:
            if self._csv_by_duckdb(con):
                return
            con.execute("DROP TABLE IF EXISTS raw_csv")
            con.execute("DROP TABLE IF EXISTS line_offsets")  # Python's lines are exact
            con.execute("DROP TABLE IF EXISTS blank_offsets")
        if self.frame_ is None:
            assert self.csv is not None
            self._scanned()
            header, rows, lines, faults = _read_csv(self.csv[0].read_bytes(), self.header_line - 1)
            self.frame_, self.bad_width = _assemble(rows, lines, self.positions, len(header))
            self.bad_width.update(faults)
        frame = self.frame_.copy()
        for column in self.headers:
            frame[column] = frame[column].astype(object)
        frame["_width"] = frame[LINE].map(self.bad_width).astype(object)
        for column, value in self.profile.constants.items():
            frame[column] = value
        con.register("raw_frame", frame)
        con.execute("CREATE OR REPLACE TEMP TABLE raw_rows AS SELECT * FROM raw_frame")
        con.execute("CREATE OR REPLACE TEMP VIEW raw AS SELECT * FROM raw_rows")
        con.unregister("raw_frame")

    def _csv_by_duckdb(self, con: duckdb.DuckDBPyConnection) -> bool:
        read = self._read_by_duckdb(con)
        self._scanned()
        assert self.csv is not None
        if self.utf8 is None and not read:  # DuckDB checks UTF-8 as it reads; why did it fail?
            self.utf8 = _scan(self.csv[0]).utf8
        if self.utf8 is not False:
            return read
        # Windows-1252 after a first megabyte in plain ASCII: read a UTF-8 copy.
        self.temporary, self.utf8 = _to_utf8(self.csv[0]), True
        self.csv = (self.temporary, *self.csv[1:])
        return self._read_by_duckdb(con)

    def _read_by_duckdb(self, con: duckdb.DuckDBPyConnection) -> bool:
        """Read the CSV with DuckDB; False when Python must read it instead.

        `_line` is the record's line if no record spanned several lines; `line_offsets` holds,
        for each record that did, the line breaks it adds to every later record's line; and
        `blank_offsets`, for each empty line (which DuckDB skips), from which line on it counts.
        """
        assert self.csv is not None
        path, delimiter, width = self.csv
        names = [f"c{i}" for i in range(width)]
        types = "{" + ", ".join(f"'{n}': 'VARCHAR'" for n in names) + "}"
        con.execute("DROP TABLE IF EXISTS reject_errors; DROP TABLE IF EXISTS reject_scans")
        # As each record is read, its line breaks and white space at a cell's edge are counted:
        # the cells are not read twice.
        record = f"concat_ws(chr(1), {', '.join(names)})"
        try:
            con.execute(
                f"""CREATE OR REPLACE TEMP TABLE raw_csv AS
                    SELECT {", ".join(names)},
                           strlen(r) - strlen(replace(r, chr(10), '')) AS _breaks,
                           regexp_matches(r, '{_EDGE_SPACE}') AS _untrimmed
                    FROM (SELECT *, {record} AS r FROM read_csv(
                        $path, delim = $delim, quote = '"', escape = '"', header = false,
                        skip = {self.header_line}, auto_detect = false, strict_mode = true,
                        store_rejects = true, columns = {types}))""",
                {"path": str(path), "delim": delimiter},
            )
            rejected = con.execute("SELECT count(*) FROM reject_errors").fetchall()[0][0]
        except duckdb.Error as exc:
            # Too many columns for the memory limit, say. The statement's failure aborts the
            # transaction: nothing more can run in it, Python's reading included. Python holds
            # the whole file in memory: not for a large one that DuckDB lacked memory to read.
            if isinstance(exc, duckdb.OutOfMemoryException) and path.stat().st_size > _CHUNK * 4:
                raise
            self.by_python = True
            raise ReadAgain from exc
        self._scanned()
        if rejected or self.utf8 is False:
            return False  # malformed rows: Python's reader says which line holds what
        # rowid counts the records in file order, from a base that is not 0 inside a transaction.
        first = self.header_line + 1
        base = con.execute(f"SELECT coalesce(min(rowid), 0) - {first} FROM raw_csv").fetchall()
        base = base[0][0]
        records, self.untrimmed = con.execute(
            "SELECT count(*), count(*) FILTER (WHERE _untrimmed) FROM raw_csv"
        ).fetchall()[0]
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE line_offsets AS
            SELECT rowid - {base} AS key, sum(_breaks) OVER (ORDER BY rowid) AS shift
            FROM raw_csv WHERE _breaks > 0""")
        added = con.execute("SELECT coalesce(max(shift), 0) FROM line_offsets").fetchall()[0][0]
        if added and self._swallowed(con, names, delimiter):
            return False  # a quote that closes rows later: Python's reader sets the rows apart
        if records + self.header_line + added != self.lines_in_file:
            blanks = _blank_lines(path, self.header_line)
            if blanks is None or records + self.header_line + added + len(blanks) != (
                self.lines_in_file
            ):
                self.untrimmed = None
                return False  # DuckDB read the lines otherwise than Python would: let it count
            # The j-th empty line moves every record at or after (its line - j) one line down.
            offsets = pd.DataFrame({"line": [b - j for j, b in enumerate(blanks)]})
            offsets["shift"] = range(1, len(offsets) + 1)
            offsets = offsets.drop_duplicates("line", keep="last")  # consecutive empty lines
            con.register("blank_frame", offsets)
            con.execute("CREATE OR REPLACE TEMP TABLE blank_offsets AS SELECT * FROM blank_frame")
            con.unregister("blank_frame")
        selected = ", ".join(
            [f"c{p} AS {name}" for p, name in self.positions.items()]
            + [f"{_quote(v)} AS {c}" for c, v in self.profile.constants.items()]
        )
        blank = " AND ".join(f"{n} IS NULL" for n in names)  # DuckDB reads an empty cell as NULL
        con.execute(f"""
            CREATE OR REPLACE TEMP VIEW raw AS
            SELECT rowid - {base} AS {LINE}, {selected}, NULL::VARCHAR AS _width
            FROM raw_csv WHERE NOT ({blank})""")
        return True

    @staticmethod
    def _swallowed(con: duckdb.DuckDBPyConnection, names: list[str], delimiter: str) -> bool:
        """Whether a record read over several lines holds whole rows of the file in a value
        (`_swallows_rows`, on the few records that hold a line break)."""
        width = len(names)
        # Cheap tests first: a value with a line break and a row's worth of separators.
        swallowing = " OR ".join(
            f"""(contains({n}, chr(10))
                 AND strlen({n}) - strlen(replace({n}, $delim, '')) >= {width - 1}
                 AND list_bool_or(list_transform(string_split({n}, chr(10))[2:],
                     lambda x: strlen(x) - strlen(replace(x, $delim, '')) >= {width - 1})))"""
            for n in names
        )
        found = con.execute(
            f"SELECT count(*) FROM raw_csv WHERE _breaks > 0 AND ({swallowing})",
            {"delim": delimiter},
        ).fetchall()[0][0]
        return bool(found)

    def close(self) -> None:
        """Remove the UTF-8 copy of a Windows-1252 file, if one was made (it holds the rows)."""
        if self.temporary is not None:
            self.temporary.unlink(missing_ok=True)
            self.temporary = None


class ReadAgain(Exception):
    """DuckDB could not read the CSV and the connection's transaction is aborted: roll it back
    and materialise again (Python's reader then reads the file)."""


def _materialise(con: duckdb.DuckDBPyConnection, raw: RawExport) -> None:
    """`raw.materialise(con)` on a connection outside any transaction: no rollback needed."""
    try:
        raw.materialise(con)
    except ReadAgain:
        raw.materialise(con)


@contextmanager
def _scratch_connection() -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory DuckDB whose spill files go to a folder of ours, removed when it closes
    (by default DuckDB spills to `.tmp/` in the working folder, and leaves it there)."""
    folder = scratch_folder()
    try:
        con = duckdb.connect(config={"temp_directory": str(folder)})
        try:
            con.execute("SET enable_progress_bar = false")
            yield con
        finally:
            con.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _decode(data: bytes) -> tuple[str, bool]:
    """The text, and whether the bytes already were UTF-8."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict"), True
    try:
        return data.decode("utf-8"), True
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), False  # French Excel's "CSV (séparateur : point-virgule)"
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            "Encodage du fichier non reconnu : enregistrez-le en UTF-8 ou en Windows-1252 "
            "(CSV d'Excel)."
        ) from exc


def _delimiter(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in (";", ",", "\t")}
    best = max(counts, key=lambda d: counts[d])
    if counts[best] == 0:
        raise ImportFileError(
            "Séparateur introuvable dans la ligne d'en-tête : le fichier doit être un CSV "
            "séparé par « ; » ou « , »."
        )
    return best


def _read_csv(
    data: bytes, header_index: int = 0
) -> tuple[list[str], list[list[str]], list[int], dict[int, str]]:
    """The header, the records with their first line, and the faulty lines with their reason.

    A record that spans several lines is kept only when its quotes close and it has the header's
    width with no whole row of the file inside a value: otherwise its first line is rejected on
    its own and reading starts again at the next line, so that a quote left open never swallows
    the rows after it.
    """
    text, _ = _decode(data)
    lines = list(io.StringIO(text, newline=""))
    if len(lines) <= header_index:
        raise ImportFileError("Le fichier est vide.")
    delimiter = _delimiter(lines[header_index])
    header = _line_cells(lines[header_index], delimiter)
    rows: list[list[str]] = []
    numbers: list[int] = []
    faults: dict[int, str] = {}
    for number, cells, fault in _records(lines, delimiter, len(header), header_index + 1):
        if fault is not None:
            faults[number] = fault
        elif not any(cell.strip() for cell in cells):
            continue
        rows.append(cells)
        numbers.append(number)
    return header, rows, numbers, faults


# The largest value Python's csv module reads (its default, 128 KiB, would refuse a long text).
_MAX_FIELD = 1 << 30
_READ_APART = " : cette ligne est rejetée, les suivantes sont lues séparément"
_UNCLOSED = "Guillemet ouvert et jamais refermé" + _READ_APART
_MISPLACED = "Guillemet mal fermé (valeur sur {n} lignes)" + _READ_APART
_SPANNING_WIDTH = "{count} champs sur {n} lignes au lieu de {width} (guillemet mal fermé ?)"
_SWALLOWED = (
    "Une valeur entre guillemets contient des lignes entières du fichier (guillemet mal fermé ?)"
    + _READ_APART
)


def _line_cells(line: str, delimiter: str) -> list[str]:
    """One line's cells, read leniently (a quote left open ends with the line)."""
    return next(csv.reader([line], delimiter=delimiter), [])


def _swallows_rows(cells: Iterable[str], delimiter: str, width: int) -> bool:
    """Whether a value holds, after a line break, a line with a whole row's separators: a quote
    left open has taken in the rows that follow it."""
    return any(
        part.count(delimiter) >= width - 1
        for cell in cells
        if "\n" in cell
        for part in cell.split("\n")[1:]
    )


def _records(
    lines: list[str], delimiter: str, width: int, start: int = 1
) -> Iterable[tuple[int, list[str], str | None]]:
    """(line number, cells, fault or None) for each record after the header; `start` is the
    index in `lines` of the first record."""
    csv.field_size_limit(max(csv.field_size_limit(), _MAX_FIELD))
    while start < len(lines):
        # From `start` on without skipping the lines before: a file may restart many times.
        rest = map(lines.__getitem__, range(start, len(lines)))
        reader = csv.reader(rest, delimiter=delimiter, strict=True)
        first = start
        try:
            for cells in reader:
                last = start + reader.line_num - 1
                if last > first:
                    fault = _spanning_fault(cells, delimiter, width, last - first + 1)
                    if fault is not None:
                        yield first + 1, _line_cells(lines[first], delimiter), fault
                        break
                yield first + 1, cells, None
                first = last + 1
            else:
                return
        except csv.Error as exc:
            last = start + reader.line_num - 1
            if "field larger than field limit" in str(exc):
                raise ImportFileError(
                    f"Ligne {first + 1} : une valeur dépasse {_MAX_FIELD // (1 << 20)} Mo, "
                    "le fichier ne peut pas être lu. Vérifiez cette ligne dans le fichier."
                ) from exc
            if "unexpected end of data" in str(exc):
                yield first + 1, _line_cells(lines[first], delimiter), _UNCLOSED
            elif last > first:
                yield (
                    first + 1,
                    _line_cells(lines[first], delimiter),
                    _MISPLACED.format(n=last - first + 1),
                )
            else:  # a stray quote within one line: read it leniently, as a spreadsheet does
                yield first + 1, _line_cells(lines[first], delimiter), None
        start = first + 1


def _spanning_fault(cells: list[str], delimiter: str, width: int, spanned: int) -> str | None:
    """Why a record read over several lines cannot be trusted, or None. A short record is not
    one: a hand-made file may leave out its last empty cells, as on a single line."""
    if len(cells) > width and any(cell.strip() for cell in cells[width:]):
        return _SPANNING_WIDTH.format(count=len(cells), n=spanned, width=width) + _READ_APART
    if _swallows_rows(cells, delimiter, width):
        return _SWALLOWED
    return None


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# A workbook is a zip of XML: bounded once uncompressed (a small file can expand a thousandfold).
XLSX_EXPANDED_LIMIT = 250_000_000
# In a sheet's XML: a cell's tag (`<c r="B12" ...>`) or a value's (`<v>`, an inline string `<is>`).
_XML_CELL_OR_VALUE = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(c|v|is)\b([^>]*)>")
_CELL_ROW = re.compile(rb'\sr="[A-Za-z]{1,3}(\d{1,7})"')


def _check_xlsx_size(path: Path) -> None:
    """Refuse a workbook whose parts, as its zip declares them, expand beyond the limit (Python's
    zipfile stops at the declared size: a part that lies about it fails its checksum)."""
    try:
        with zipfile.ZipFile(path) as archive:
            expanded = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ImportFileError(
            f"« {path.name} » n'est pas un classeur Excel (.xlsx) lisible."
        ) from exc
    if expanded > XLSX_EXPANDED_LIMIT:
        raise ImportFileError(
            f"« {path.name} » occupe {expanded / 1e6:,.0f} Mo une fois décompressé, au-delà de la "
            f"limite de {XLSX_EXPANDED_LIMIT / 1e6:,.0f} Mo pour un classeur Excel : enregistrez "
            "la feuille au format CSV (UTF-8, séparateur point-virgule) et importez ce fichier."
        )


def _last_value_row(path: Path, part: str) -> int | None:
    """The number of the last row holding a value in the sheet `part` of the workbook, read as
    raw XML (much faster than openpyxl's parsing, which then stops there: a sheet of millions
    of formatted empty rows is not read row by row); None when it cannot tell (a cell without
    its reference), 0 when the sheet holds no value."""
    last_cell: int | None = None
    last_value = 0
    overlap = 1 << 16
    with zipfile.ZipFile(path) as archive, archive.open(part) as stream:
        pending = b""
        while True:
            chunk = stream.read(_CHUNK)
            data = pending + chunk
            # Tags starting in the last bytes may be cut: they wait for the next chunk.
            end = len(data) if not chunk else max(0, len(data) - overlap)
            for match in _XML_CELL_OR_VALUE.finditer(data, 0, len(data)):
                if match.start() >= end:
                    break
                if match.group(1) == b"c":
                    found = _CELL_ROW.search(match.group(2))
                    if found is None:
                        return None
                    last_cell = int(found.group(1))
                elif last_cell is None:
                    return None
                else:
                    last_value = max(last_value, last_cell)
            if not chunk:
                return last_value
            pending = data[end:]


def _read_xlsx(
    path: Path, profile: Profile = NO_PROFILE
) -> tuple[list[str], list[list[str]], list[int]]:
    from openpyxl import load_workbook

    _check_xlsx_size(path)
    unreadable = f"« {path.name} » n'est pas un classeur Excel (.xlsx) lisible."
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ImportFileError(unreadable) from exc
    try:
        sheet = workbook.worksheets[0]
        part = getattr(sheet, "_worksheet_path", None)  # openpyxl's read-only sheets have it
        last = _last_value_row(path, part) if isinstance(part, str) else None
        searched = max(HEADER_SEARCH, profile.header_row or 0)
        if last is not None:
            searched = min(searched, max(last, 1))  # never past the last value
        first_rows = [
            [_cell_text(v) for v in cells]
            for cells in sheet.iter_rows(min_row=1, max_row=searched, values_only=True)
        ]
        if not first_rows or last == 0:
            raise ImportFileError("La première feuille du classeur est vide.")
        header_index = find_header(first_rows, profile)
        header = first_rows[header_index]
        while header and not header[-1].strip():
            header.pop()  # a formatted empty column is no column
        rows: list[list[str]] = []
        lines: list[int] = []
        width = max(len(header), 1)
        # The rows already read in looking for the header, then the rest: only the header's
        # columns (a value beyond them has no name), up to the last value.
        read = len(first_rows)
        for number, row in enumerate(first_rows[header_index + 1 :], start=header_index + 2):
            row = (row + [""] * width)[:width]
            if any(cell.strip() for cell in row):
                rows.append(row)
                lines.append(number)
        if last is None or last > read:
            cells_by_row = sheet.iter_rows(
                min_row=read + 1, max_row=last, max_col=width, values_only=True
            )
            for number, cells in enumerate(cells_by_row, start=read + 1):
                if cells.count(None) == len(cells):
                    continue
                row = [_cell_text(v) for v in cells]
                if any(cell.strip() for cell in row):
                    rows.append(row)
                    lines.append(number)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ImportFileError(unreadable) from exc
    finally:
        workbook.close()
    return header, rows, lines


def _read_parquet(path: Path) -> tuple[list[str], pd.DataFrame]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as exc:
        raise ImportFileError(f"« {path.name} » n'est pas un fichier Parquet lisible.") from exc
    frame = pd.DataFrame(
        {
            name: [_cell_text(v) for v in table.column(name).to_pylist()]
            for name in table.column_names
        },
        dtype=object,
    )
    return list(table.column_names), frame


@dataclass
class _Mapping:
    """A candidate header line, mapped onto the canonical columns."""

    positions: dict[int, str]  # file column -> canonical name
    written: dict[str, str]  # canonical name -> header as written (or the profile's constant)
    ignored: list[str]
    missing: list[str]  # French headers of the required columns absent
    duplicate: str | None  # French message when one column appears twice


_CONSTANT = "constante du profil"


def _mapping(header: list[str], profile: Profile) -> _Mapping:
    keys = profile.header_keys()
    positions: dict[int, str] = {}
    written: dict[str, str] = {}
    ignored: list[str] = []
    duplicate = None
    for position, text in enumerate(header):
        name = keys.get(fold(text))
        if name is None or name in profile.constants:
            if text.strip():
                ignored.append(text.strip())
            continue
        if name in written:
            duplicate = duplicate or (
                f"La colonne « {COLUMN_BY_NAME[name].header} » apparaît deux fois "
                f"(« {written[name]} » et « {text.strip()} »)."
            )
            continue
        positions[position] = name
        written[name] = text.strip()
    for name in profile.constants:
        written[name] = _CONSTANT
    missing = [COLUMN_BY_NAME[n].header for n in REQUIRED if n not in written]
    return _Mapping(positions, written, ignored, missing, duplicate)


def _missing_message(mapping: _Mapping) -> str:
    return "Colonne obligatoire absente : " + ", ".join(f"« {m} »" for m in mapping.missing)


def _map_headers(
    header: list[str], profile: Profile = NO_PROFILE
) -> tuple[dict[int, str], dict[str, str], list[str]]:
    mapping = _mapping(header, profile)
    if mapping.duplicate:
        raise ImportFileError(mapping.duplicate)
    if mapping.missing:
        raise HeaderNotFound(_missing_message(mapping) + ".")
    return mapping.positions, mapping.written, mapping.ignored


HEADER_SEARCH = 30  # lines (or spreadsheet rows) searched for the header


def _seen(cells: list[str]) -> str:
    shown = [f"« {c.strip()} »" for c in cells if c.strip()]
    more = f" … (+{len(shown) - 12})" if len(shown) > 12 else ""
    return ", ".join(shown[:12]) + more if shown else "aucune"


def find_header(
    rows: list[list[str]], profile: Profile = NO_PROFILE, *, unit: str = "ligne"
) -> int:
    """The index in `rows` (the first lines of a file, as cells) of its header: the profile's
    `header_row`, else the first line that, once mapped, holds every required column. Raises
    ImportFileError naming the lines read and the columns seen when there is none."""
    if profile.header_row is not None:
        index = profile.header_row - 1
        if index >= len(rows):
            raise ImportFileError(
                f"Le fichier a moins de {profile.header_row} {unit}s : la {unit} d'en-tête du "
                f"profil (header_row = {profile.header_row}) n'existe pas."
            )
        mapping = _mapping(rows[index], profile)
        if mapping.duplicate:
            raise ImportFileError(mapping.duplicate)
        if mapping.missing:
            raise HeaderNotFound(
                f"{_missing_message(mapping)} dans la {unit} {profile.header_row} (header_row du "
                f"profil). Colonnes vues : {_seen(rows[index])}."
            )
        return index
    best: tuple[tuple[int, int], int] | None = None  # the closest line: fewest missing columns
    while rows and not any(c.strip() for c in rows[-1]):
        rows = rows[:-1]
    searched = rows[:HEADER_SEARCH]
    for index, cells in enumerate(searched):
        mapping = _mapping(cells, profile)
        if not mapping.missing:
            if mapping.duplicate:
                raise ImportFileError(f"{unit.capitalize()} {index + 1} : {mapping.duplicate}")
            return index
        rank = (len(mapping.missing), -sum(1 for c in cells if c.strip()))
        if cells and any(c.strip() for c in cells) and (best is None or rank < best[0]):
            best = (rank, index)
    if best is None:
        raise ImportFileError("Le fichier est vide.")
    index = best[1]
    mapping = _mapping(rows[index], profile)
    raise HeaderNotFound(
        f"{_missing_message(mapping)}. En-tête cherché dans les {unit}s 1 à {len(searched)} : "
        f"aucune ne contient toutes les colonnes obligatoires ; la plus proche, {unit} "
        f"{index + 1}, contient : {_seen(rows[index])}. Renommez ces en-têtes ou importez avec "
        "un profil qui dit quelle colonne est laquelle."
    )


_CHUNK = 1 << 24
_BINARY = "Le fichier contient des caractères binaires : ce n'est pas un CSV."


@dataclass
class _Scan:
    """What one streaming pass over a file tells: no copy of a large file is held in memory."""

    sha256: str
    lines: int
    utf8: bool | None  # None when not checked
    binary: bool
    head: bytes  # the first megabyte, to sniff the format and read the header


def _scan(path: Path, *, check_utf8: bool = True) -> _Scan:
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")()
    newlines, last, utf8, binary, head = 0, b"", check_utf8, False, b""
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(_CHUNK):
                head = head or chunk[:1_000_000]
                digest.update(chunk)
                newlines += chunk.count(b"\n")
                last = chunk[-1:]
                binary = binary or b"\x00" in chunk
                if utf8:
                    try:
                        decoder.decode(chunk)
                    except UnicodeDecodeError:
                        utf8 = False
            if utf8:
                try:
                    decoder.decode(b"", final=True)
                except UnicodeDecodeError:
                    utf8 = False
    except OSError as exc:
        raise ImportFileError(f"Fichier introuvable ou illisible : {path}.") from exc
    lines = newlines + (0 if last in (b"\n", b"") else 1)
    return _Scan(digest.hexdigest(), lines, utf8 if check_utf8 else None, binary, head)


def _blank_lines(path: Path, header_line: int = 1) -> list[int] | None:
    """The numbers of the empty lines after the header outside quoted values, which DuckDB's
    reader skips; None when the quotes do not pair up (a quote inside an unquoted value)."""
    blanks: list[int] = []
    inside = False  # within a quoted value: an odd number of quotes so far
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            if number <= header_line:
                continue
            if not inside and line in (b"\n", b"\r\n"):
                blanks.append(number)
            if line.count(b'"') % 2:
                inside = not inside
    return None if inside else blanks


def _to_utf8(path: Path, encoding: str = "cp1252") -> Path:
    """A UTF-8 copy of a Windows-1252 (or UTF-16) file (DuckDB reads UTF-8 only), removed after
    reading."""
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        with (
            path.open("rb") as source,
            tempfile.NamedTemporaryFile(
                prefix=scratch_prefix(), suffix=".csv", delete=False
            ) as target,
        ):
            while chunk := source.read(_CHUNK):
                target.write(decoder.decode(chunk).encode("utf-8"))
            target.write(decoder.decode(b"", final=True).encode("utf-8"))
    except UnicodeDecodeError as exc:
        Path(target.name).unlink(missing_ok=True)
        raise ImportFileError(
            "Encodage du fichier non reconnu : enregistrez-le en UTF-8 ou en Windows-1252 "
            "(CSV d'Excel)."
        ) from exc
    return Path(target.name)


def _head(path: Path) -> bytes:
    try:
        with path.open("rb") as handle:
            return handle.read(1_000_000)
    except OSError as exc:
        raise ImportFileError(f"Fichier introuvable ou illisible : {path}.") from exc


def _utf8(head: bytes) -> bool:
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head)  # a last character may be cut
    except UnicodeDecodeError:
        return False
    return True


def _scan_beside(path: Path) -> Future[_Scan]:
    """`_scan(path)` in a thread: hashing releases the GIL, and DuckDB's reading does too.
    DuckDB checks the UTF-8 as it reads: the scan does not."""
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cpms-scan")
    try:
        return pool.submit(_scan, path, check_utf8=False)
    finally:
        pool.shutdown(wait=False)


def read_export(path: Path, profile: Profile = NO_PROFILE) -> RawExport:
    """Open a CSV, XLSX or Parquet export, find and check its header (through `profile`, if
    any); raises ImportFileError when it cannot be used at all. The rows themselves are read by
    `prepare`."""
    head = _head(path)
    if not head:
        raise ImportFileError("Le fichier est vide.")
    suffix = path.suffix.lower()
    if head[:2] in _UTF16_BOMS and suffix not in (".xlsx", ".xlsm", ".parquet"):
        return _read_utf16_export(path, profile)
    if (
        suffix in (".csv", ".txt")
        and head[:2] != b"PK"
        and head[:4] != b"PAR1"
        and b"\x00" not in head
        and _utf8(head)
    ):
        return _read_csv_export(path, head, _scan_beside(path), profile=profile)
    scan = _scan(path)
    if suffix in (".xlsx", ".xlsm") or (suffix not in (".csv", ".txt") and scan.head[:2] == b"PK"):
        header, rows, lines = _read_xlsx(path, profile)
        positions, written, ignored = _map_headers(header, profile)
        frame, bad_width = _assemble(rows, lines, positions, len(header))
        return RawExport(
            written,
            ignored,
            positions,
            frame_=frame,
            bad_width=bad_width,
            sha256_=scan.sha256,
            profile=profile,
        )
    if suffix == ".parquet" or scan.head[:4] == b"PAR1":
        header, table = _read_parquet(path)
        positions, written, ignored = _map_headers(header, profile)
        frame = table.rename(columns={header[p]: n for p, n in positions.items()})
        frame = frame[list(positions.values())].copy()
        frame[LINE] = range(2, len(frame) + 2)
        return RawExport(
            written, ignored, positions, frame_=frame, sha256_=scan.sha256, profile=profile
        )
    if scan.binary:
        raise ImportFileError(_BINARY)
    if scan.utf8:
        return _read_csv_export(path, scan.head, None, scan, profile)
    source = _to_utf8(path)
    try:
        export = _read_csv_export(source, _decode(scan.head)[0].encode(), None, scan, profile)
    except BaseException:
        source.unlink(missing_ok=True)  # the copy holds the rows: never left behind
        raise
    export.temporary = source
    return export


def first_rows(path: Path, count: int = HEADER_SEARCH) -> list[list[str]]:
    """The first lines (or spreadsheet rows) of a file as cells, whatever its headers: to draft
    a profile or map its columns on screen."""
    head = _head(path)
    if not head:
        raise ImportFileError("Le fichier est vide.")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm") or (suffix not in (".csv", ".txt") and head[:2] == b"PK"):
        from openpyxl import load_workbook

        _check_xlsx_size(path)
        try:
            workbook = load_workbook(path, read_only=True, data_only=True)
            try:
                sheet = workbook.worksheets[0]
                return [
                    [_cell_text(v) for v in cells]
                    for cells in sheet.iter_rows(min_row=1, max_row=count, values_only=True)
                ]
            finally:
                workbook.close()
        except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
            raise ImportFileError(f"« {path.name} » n'est pas un classeur Excel lisible.") from exc
    if suffix == ".parquet" or head[:4] == b"PAR1":
        header, table = _read_parquet(path)
        return [header, *table.head(count - 1).astype(str).values.tolist()]
    if head[:2] in _UTF16_BOMS:
        text = head.decode("utf-16", errors="ignore")
    elif _utf8(head):
        text = head.decode("utf-8-sig", errors="ignore")
    else:
        text = head.decode("cp1252", errors="replace")
    rows, _ = _first_lines(text.encode("utf-8"), replace(NO_PROFILE, header_row=count))
    return rows[:count]


def unknown_values(
    path: Path,
    profile: Profile,
    objects: tuple[str, ...],
    causes: tuple[str, ...] = DEFAULT_CAUSE_LIST,
    limit: int = 200,
) -> dict[str, list[str]]:
    """Per enumerated column the file has (through `profile`), its distinct values that neither
    the usual spellings nor the profile's `[values]` know (at most `limit` each, most frequent
    first): what the mapping step asks a person to translate."""
    raw = read_export(path, profile)
    try:
        frame = raw.frame
    finally:
        raw.close()
    found: dict[str, list[str]] = {}
    for column, vocabulary in enum_vocabularies(objects, causes).items():
        if column not in frame.columns or column in profile.fallback:
            continue
        keys = profile.value_keys(column, vocabulary)
        counts = frame[column].dropna().map(str.strip)
        counts = counts[counts != ""].value_counts()
        texts = [str(t) for t in counts.index if fold(str(t)) not in keys]
        if texts:
            found[column] = texts[:limit]
    return found


def likely_header(rows: list[list[str]]) -> int:
    """The index of the line that most looks like a header when none is recognised: the first
    of the widest lines (preamble lines hold one or two cells)."""
    widths = [sum(1 for c in cells if c.strip()) for cells in rows]
    return widths.index(max(widths)) if widths else 0


# Excel's "Texte Unicode" is UTF-16 (little-endian, with its byte order mark), tab separated.
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def _read_utf16_export(path: Path, profile: Profile = NO_PROFILE) -> RawExport:
    """A UTF-16 CSV, read from a UTF-8 copy (its lines counted there, its digest the file's)."""
    digest = _scan(path, check_utf8=False).sha256
    source = _to_utf8(path, "utf-16")
    try:
        scan = replace(_scan(source), sha256=digest)
        if scan.binary:
            raise ImportFileError(_BINARY)
        export = _read_csv_export(source, scan.head, None, scan, profile)
    except BaseException:
        source.unlink(missing_ok=True)
        raise
    export.temporary = source
    return export


def _first_lines(head: bytes, profile: Profile) -> tuple[list[list[str]], list[str | None]]:
    """The first lines of a CSV as cells, each split by its own likeliest separator (None for a
    line without any), to look for the header among them."""
    text = head.decode("utf-8-sig", errors="ignore")
    lines = text.split("\n")
    if len(head) >= 1_000_000 and len(lines) > 1:
        lines.pop()  # cut by the end of the first megabyte
    lines = lines[: max(HEADER_SEARCH, profile.header_row or 0)]
    rows: list[list[str]] = []
    delimiters: list[str | None] = []
    for line in lines:
        line = line.rstrip("\r")
        counts = {d: line.count(d) for d in (";", ",", "\t")}
        best = max(counts, key=lambda d: counts[d])
        delimiter = best if counts[best] else None
        cells = (
            next(csv.reader(io.StringIO(line, newline=""), delimiter=delimiter), [])
            if delimiter
            else [line]
        )
        rows.append(cells)
        delimiters.append(delimiter)
    if not any(delimiters) and lines:
        _delimiter(lines[0])  # raises: no separator anywhere
    return rows, delimiters


def _read_csv_export(
    source: Path,
    head: bytes,
    pending: Future[_Scan] | None,
    scan: _Scan | None = None,
    profile: Profile = NO_PROFILE,
) -> RawExport:
    """A UTF-8 CSV, with its scan done (`scan`) or under way (`pending`)."""
    rows, delimiters = _first_lines(head, profile)
    index = find_header(rows, profile)
    delimiter = delimiters[index]
    if delimiter is None:
        raise ImportFileError(
            f"Séparateur introuvable dans la ligne d'en-tête (ligne {index + 1}) : le fichier "
            "doit être un CSV séparé par « ; » ou « , »."
        )
    header = rows[index]
    positions, written, ignored = _map_headers(header, profile)
    return RawExport(
        written,
        ignored,
        positions,
        csv=(source, delimiter, len(header)),
        lines_in_file=scan.lines if scan else 0,  # Windows-1252 -> UTF-8 keeps every line break
        sha256_=scan.sha256 if scan else "",
        scan=pending,
        header_line=index + 1,
        profile=profile,
    )


def _assemble(
    rows: list[list[str]], lines: list[int], positions: dict[int, str], width: int
) -> tuple[pd.DataFrame, dict[int, str]]:
    bad_width: dict[int, str] = {}
    for row, line in zip(rows, lines, strict=True):
        if len(row) > width and any(cell.strip() for cell in row[width:]):
            bad_width[line] = f"{len(row)} champs au lieu de {width} (séparateur dans une valeur ?)"
    columns: dict[str, list[str]] = {}
    for position, name in positions.items():
        columns[name] = [row[position] if position < len(row) else "" for row in rows]
    frame = pd.DataFrame(columns, dtype=object)
    frame[LINE] = lines
    return frame, bad_width


# ---------------------------------------------------------------------------------------------
# Normalising and sorting


_DATE = re.compile(
    r"(?:(?P<y1>\d{4})-(?P<m1>\d{1,2})-(?P<d1>\d{1,2})|(?P<d2>\d{1,2})/(?P<m2>\d{1,2})/(?P<y2>\d{4}))"
    r"(?:[ T]\d{1,2}[:h]\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
)
_MISSING = {
    "reference": "Référence manquante",
    "received_on": "Date de réception manquante",
    "channel": "Canal manquant",
    "nature": "Nature manquante",
    "object": "Objet manquant",
}
_UNKNOWN = {
    "channel": "Canal inconnu",
    "nature": "Nature inconnue",
    "object": "Objet inconnu",
    "response_channel": "Canal de réponse non reconnu",
    "risk_carrier": "Porteur de risque non reconnu",
    "mediator": "Médiateur non reconnu",
    "outcome": "Suite donnée non reconnue",
    "cause": "Cause non reconnue",
}
_CHRONOLOGY = (
    ("sent_on", ">", "Date d'envoi postérieure à la date de réception"),
    ("acknowledged_on", "<", "Date d'accusé de réception antérieure à la date de réception"),
    ("responded_on", "<", "Date de réponse antérieure à la date de réception"),
    ("mediator_referred_on", "<", "Date de saisine du médiateur antérieure à la date de réception"),
)


# Excel's date serial numbers: days since 30/12/1899, read as dates between 1990 and 2099 only,
# so that an ordinary number is never taken for a date.
_SERIAL = re.compile(r"(\d{5})(?:\.\d+)?")
SERIAL_RANGE = (32874, 73050)  # 01/01/1990 .. 31/12/2099
_EXCEL_EPOCH = date(1899, 12, 30)


def parse_date(text: str, date_format: str | None = None) -> date | None:
    """`YYYY-MM-DD` or `DD/MM/YYYY`, optionally with a time (dropped), or an Excel serial
    number; `date_format` (a profile's, strptime) is tried first. None when empty.

    Raises ValueError for anything else, including impossible dates such as 31/02/2025.
    """
    text = text.strip()
    if not text:
        return None
    if date_format:
        try:
            return datetime.strptime(text, date_format).date()
        except ValueError:
            pass
    match = _DATE.fullmatch(text)
    if not match:
        serial = _SERIAL.fullmatch(text)
        if serial and SERIAL_RANGE[0] <= int(serial[1]) <= SERIAL_RANGE[1]:
            return _EXCEL_EPOCH + timedelta(days=int(serial[1]))
        raise ValueError(text)
    g = match.groupdict()
    year, month, day = (g["y1"], g["m1"], g["d1"]) if g["y1"] else (g["y2"], g["m2"], g["d2"])
    return date(int(year), int(month), int(day))


def _readable(text: str, date_format: str | None = None) -> date | None:
    try:
        return parse_date(text, date_format)
    except ValueError:
        return None


_AMOUNT = re.compile(r"[+-]?(\d{1,3}([ .\u00a0\u202f]\d{3})+|\d+)([.,]\d{1,2})?")


def parse_amount(text: str) -> float | None:
    """An amount in euros as a French or an English export writes it: `1 234,56`, `1234.56`,
    `1.234,56`, `120 €`; None when empty. Raises ValueError for anything else."""
    text = text.strip().removesuffix("€").removesuffix("EUR").strip()
    if not text:
        return None
    if not _AMOUNT.fullmatch(text):
        raise ValueError(text)
    parts = re.split(r"[.,](?=\d{1,2}$)", text)
    whole = re.sub(r"[ .\u00a0\u202f]", "", parts[0])
    decimals = parts[1] if len(parts) > 1 else ""
    return round(float(f"{whole}.{decimals or '0'}"), 2)


def _amount(text: str) -> float | None:
    try:
        return parse_amount(text)
    except ValueError:
        return None


def format_date(value: date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


@dataclass
class Prepared:
    """An export sorted into rows to load, rejections and findings; nothing written yet."""

    file_name: str
    sha256: str
    rows_read: int
    # Canonical columns the file carries, normalised; None while they are still the temporary
    # table `accepted` of the connection that prepared them (a whole import in one connection).
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


def _labels(vocabulary: Vocabulary) -> str:
    return ", ".join(label for label, _ in vocabulary.values())


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


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
            _materialise(con, raw)
            prepared = _prepare(
                con, raw, import_day, objects, file_name, sha256 or raw.sha256, causes
            )
            prepared.accepted = con.sql("SELECT * FROM accepted").to_arrow_table()
            return prepared
    finally:
        raw.close()


def _prepare(
    con: duckdb.DuckDBPyConnection,
    raw: RawExport,
    import_day: date,
    objects: tuple[str, ...],
    file_name: str,
    sha256: str,
    causes: tuple[str, ...] = DEFAULT_CAUSE_LIST,
) -> Prepared:
    present = [c for c in CANONICAL if c in raw.headers]
    vocabularies = enum_vocabularies(objects, causes)
    profile = raw.profile
    amounts = [c for c in present if c in AMOUNT_COLUMNS]
    dates = [c for c in present if c in DATE_COLUMNS]
    enums = [c for c in present if c in vocabularies]

    # Python judges each distinct spelling once (as written, white space included); SQL joins
    # the verdicts back.
    if dates:
        union = " UNION ".join(f"SELECT {c} AS text FROM raw" for c in dates)
        texts = [r[0] for r in con.execute(f"SELECT DISTINCT text FROM ({union})").fetchall()]
        parsed = [(t, _readable(t, profile.date_format)) for t in texts if t is not None]
        day_map = pd.DataFrame(
            [(t, d) for t, d in parsed if d is not None], columns=["text", "day"]
        )
        day_map["day"] = pd.to_datetime(day_map["day"]).astype("datetime64[s]")
        con.register("day_map_frame", day_map)
        con.execute("CREATE TEMP TABLE day_map AS SELECT text, day::DATE AS day FROM day_map_frame")
        con.unregister("day_map_frame")
    for column in amounts:  # each distinct spelling read once, as dates are
        texts = [r[0] for r in con.execute(f"SELECT DISTINCT {column} FROM raw").fetchall()]
        amount_map = pd.DataFrame(
            [(t, _amount(t)) for t in texts if t is not None and _amount(t) is not None],
            columns=["text", "amount"],
        ).astype({"text": object, "amount": "float64"})
        con.register(f"amount_{column}_frame", amount_map)
        con.execute(
            f"CREATE TEMP TABLE amount_{column} AS SELECT text, amount::DOUBLE AS amount "
            f"FROM amount_{column}_frame"
        )
        con.unregister(f"amount_{column}_frame")
    for column in enums:
        keys = profile.value_keys(column, vocabularies[column])
        texts = [r[0] for r in con.execute(f"SELECT DISTINCT {column} FROM raw").fetchall()]
        fallback = profile.fallback.get(column)
        pairs = [(t, keys.get(fold(t), fallback)) for t in texts if t is not None]
        mapping = pd.DataFrame(
            [(t, v) for t, v in pairs if v is not None], columns=["text", "value"], dtype=object
        )
        con.register(f"map_{column}_frame", mapping)
        con.execute(f"CREATE TEMP TABLE map_{column} AS SELECT * FROM map_{column}_frame")
        con.unregister(f"map_{column}_frame")
        if fallback is not None:  # the values replaced, as they will read once trimmed
            replaced = pd.DataFrame(
                {"text": sorted({t.strip() for t in texts if t and fold(t) not in keys})},
                dtype=object,
            )
            con.register(f"fallback_{column}_frame", replaced)
            con.execute(
                f"CREATE TEMP TABLE fallback_{column} AS SELECT text FROM fallback_{column}_frame"
            )
            con.unregister(f"fallback_{column}_frame")

    # One copy of the rows: every cell trimmed, plus the value read from dates and lists.
    # Trimming cell by cell is costly: first one look at each whole row for white space at the
    # edge of a cell, and trim only when some row has any (hand-made files, mostly small).
    untrimmed = raw.untrimmed
    if untrimmed is None:
        row_text = f"concat_ws(chr(1), {', '.join(present)})"
        untrimmed = con.execute(
            f"SELECT count(*) FILTER (WHERE regexp_matches({row_text}, '{_EDGE_SPACE}')) FROM raw"
        ).fetchall()[0][0]
    cells, joins = [], []
    for c in present:
        cells.append(
            rf"""nullif(CASE WHEN regexp_matches(r.{c}, '[\t\r\n\x{{00A0}}]')
                             THEN trim(r.{c}, {_WHITESPACE}) ELSE trim(r.{c}) END, '') AS {c}"""
            if untrimmed
            else f"nullif(r.{c}, '') AS {c}"
        )
        if c in DATE_COLUMNS:
            cells.append(f"d_{c}.day AS v_{c}")
            joins.append(f"LEFT JOIN day_map d_{c} ON d_{c}.text = r.{c}")
        elif c in vocabularies:
            cells.append(f"m_{c}.value AS v_{c}")
            joins.append(f"LEFT JOIN map_{c} m_{c} ON m_{c}.text = r.{c}")
        elif c in amounts:  # a negative amount is no amount: stored empty, with a finding
            cells.append(f"CASE WHEN a_{c}.amount >= 0 THEN a_{c}.amount END AS v_{c}")
            joins.append(f"LEFT JOIN amount_{c} a_{c} ON a_{c}.text = r.{c}")
    con.execute(
        f"CREATE TEMP TABLE t AS SELECT r.{LINE}, r._width, {', '.join(cells)} "
        f"FROM raw r {' '.join(joins)}"
    )
    con.execute("DROP VIEW raw")
    con.execute("DROP TABLE IF EXISTS raw_rows")
    con.execute("DROP TABLE IF EXISTS raw_csv")
    texts_as_values = "".join(
        f", {c} AS v_{c}"
        for c in present
        if c not in DATE_COLUMNS and c not in vocabularies and c not in amounts
    )
    con.execute(f"CREATE TEMP VIEW n AS SELECT *{texts_as_values} FROM t")

    def header(column: str) -> str:
        return _quote(raw.headers.get(column, COLUMN_BY_NAME[column].header))

    checks: list[str] = []
    accepted_dates = "JJ/MM/AAAA ou AAAA-MM-JJ"
    if profile.date_format:
        accepted_dates = f"{profile.date_format} (profil d'import), {accepted_dates}"

    def check(condition: str, column: str, reason: str) -> None:
        field_sql = header(column) if column else "''"
        value_sql = column if column else "''"
        checks.append(
            f"SELECT {LINE}, reference, {field_sql}, {value_sql}, {reason} FROM n WHERE {condition}"
        )

    for column in present:
        spec = COLUMN_BY_NAME[column]
        if spec.required:
            check(f"{column} IS NULL", column, _quote(_MISSING[column]))
        if column in DATE_COLUMNS:
            check(
                f"{column} IS NOT NULL AND v_{column} IS NULL",
                column,
                _quote(f"{spec.header} illisible (formats acceptés : {accepted_dates})"),
            )
            check(
                f"v_{column} > DATE '{import_day.isoformat()}'",
                column,
                _quote(
                    f"{spec.header} postérieure au jour de l'import ({format_date(import_day)})"
                ),
            )
            check(
                f"v_{column} < DATE '{EARLIEST_DATE.isoformat()}'",
                column,
                _quote(early_date_problem(spec.header)),
            )
        elif column in vocabularies and spec.required:
            check(
                f"{column} IS NOT NULL AND v_{column} IS NULL",
                column,
                _quote(f"{_UNKNOWN[column]} (valeurs possibles : {_labels(vocabularies[column])})"),
            )
    for column, operator, reason in _CHRONOLOGY:
        if column in present:
            check(f"v_{column} {operator} v_received_on", column, _quote(reason))
    check("_width IS NOT NULL", "", "_width")
    con.execute(
        "CREATE TEMP TABLE problems AS SELECT * FROM ("
        + " UNION ALL ".join(checks)
        + ") p(line, reference, field, value, reason)"
    )

    # The same reference twice: identical rows count once; different contents reject them all.
    content = ", ".join(
        f"coalesce(CAST(v_{c} AS VARCHAR), {c})" if c != "reference" else c for c in present
    )
    con.execute(f"""
        CREATE TEMP TABLE repeated AS
        SELECT {LINE}, reference, hash({content}) AS digest,
               {LINE} IN (SELECT line FROM problems) AS rejected
        FROM n WHERE reference IN (
            SELECT reference FROM n WHERE reference IS NOT NULL
            GROUP BY reference HAVING count(*) > 1)
    """)
    con.execute(
        """
        INSERT INTO problems
        SELECT r._line, r.reference, $field, r.reference, NULL
        FROM repeated r SEMI JOIN (
            SELECT reference FROM repeated GROUP BY reference HAVING count(DISTINCT digest) > 1
        ) g USING (reference)
    """,
        {"field": raw.headers.get("reference", "Référence")},
    )
    con.execute(f"""
        CREATE TEMP TABLE dropped AS
        SELECT line AS {LINE} FROM problems
        UNION
        SELECT {LINE} FROM (
            SELECT {LINE}, row_number() OVER (PARTITION BY reference ORDER BY {LINE}) AS nth
            FROM repeated WHERE NOT rejected
              AND reference NOT IN (SELECT reference FROM problems WHERE reason IS NULL)
        ) WHERE nth > 1
    """)
    rows_read = int(con.execute("SELECT count(*) FROM n").fetchall()[0][0])
    if not rows_read:
        raise ImportFileError(
            "Le fichier ne contient aucune ligne de données, seulement l'en-tête : vérifiez que "
            "l'export comprend bien les dossiers."
        )
    rejected_rows = int(con.execute("SELECT count(DISTINCT line) FROM problems").fetchall()[0][0])
    dropped = int(con.execute("SELECT count(*) FROM dropped").fetchall()[0][0])
    # From a record's rank to its line in the file: past the line breaks of the records before
    # it, then past the empty lines before it (DuckDB's reading only).
    for offsets, condition in (
        ("line_offsets", "p.line > o.key"),
        ("blank_offsets", "p.line >= o.line"),
    ):
        if con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE table_name = $name", {"name": offsets}
        ).fetchall()[0][0]:
            con.execute(f"""
                CREATE OR REPLACE TEMP TABLE problems AS
                SELECT p.* REPLACE (CAST(p.line + coalesce(o.shift, 0) AS INTEGER) AS line)
                FROM problems p ASOF LEFT JOIN {offsets} o ON {condition}""")
    con.execute("""
        UPDATE problems SET reason = 'Référence présente plusieurs fois avec des contenus '
            || 'différents (lignes ' || g.lines || ')'
        FROM (SELECT reference, string_agg(line::VARCHAR, ', ' ORDER BY line) AS lines
              FROM problems WHERE reason IS NULL GROUP BY reference) g
        WHERE problems.reason IS NULL AND problems.reference = g.reference""")
    rejections = con.execute(
        "SELECT line, reference, field, value, reason FROM problems ORDER BY line, field"
    ).df()
    unknown = [
        f"""SELECT reference, 'valeur_inconnue' AS kind, '{c}' AS field, {c} AS value,
               {
            _quote(
                _UNKNOWN[c] + ", laissé vide (valeurs possibles : " + _labels(vocabularies[c]) + ")"
            )
        } AS message
            FROM n ANTI JOIN dropped USING ({LINE})
            WHERE {c} IS NOT NULL AND v_{c} IS NULL"""
        for c in enums
        if not COLUMN_BY_NAME[c].required
    ] + [
        f"""SELECT reference, 'valeur_inconnue' AS kind, '{c}' AS field, {c} AS value,
               {
            _quote(
                f"{_UNKNOWN[c]}, remplacé par « {label(vocabularies[c], fallback)} » "
                "(valeur de repli du profil d'import)"
            )
        } AS message
            FROM n ANTI JOIN dropped USING ({LINE})
            WHERE {c} IN (SELECT text FROM fallback_{c})"""
        for c, fallback in profile.fallback.items()
        if c in enums
    ]
    unknown += [
        f"""SELECT reference, 'valeur_inconnue' AS kind, '{c}' AS field, {c} AS value,
               {
            _quote(
                COLUMN_BY_NAME[c].header + " illisible ou négatif, laissé vide "
                "(un montant positif en euros est attendu, par ex. 1 234,56)"
            )
        } AS message
            FROM n ANTI JOIN dropped USING ({LINE})
            WHERE {c} IS NOT NULL AND v_{c} IS NULL"""
        for c in amounts
    ]
    value_findings = (
        con.execute(" UNION ALL ".join(unknown)).df()
        if unknown
        else pd.DataFrame(columns=["reference", "kind", "field", "value", "message"])
    )
    value_findings["value"] = value_findings["value"].map(mask_nirs_in)  # never a full NIR
    con.execute("DROP VIEW n")
    # The rows to load are `t` itself, without the dropped rows and the text read from: no copy.
    if dropped:
        con.execute(f"DELETE FROM t WHERE {LINE} IN (SELECT {LINE} FROM dropped)")
    typed = [c for c in present if c in DATE_COLUMNS or c in enums or c in amounts]
    for column in (LINE, "_width", *typed):
        con.execute(f"ALTER TABLE t DROP COLUMN {column}")
    for column in present:
        if column in typed:
            con.execute(f"ALTER TABLE t RENAME COLUMN v_{column} TO {column}")
    con.execute("ALTER TABLE t RENAME TO accepted")
    for table in ("day_map", "problems", "repeated", "dropped", "line_offsets", "blank_offsets",
                  *(f"map_{c}" for c in enums), *(f"fallback_{c}" for c in enums),
                  *(f"amount_{c}" for c in amounts)):  # fmt: skip
        con.execute(f"DROP TABLE IF EXISTS {table}")
    return Prepared(
        file_name=file_name,
        sha256=sha256,
        rows_read=rows_read,
        accepted=None,
        columns=present,
        rejections=rejections,
        rejected_rows=rejected_rows,
        duplicates=dropped - rejected_rows,
        value_findings=value_findings,
        ignored_headers=raw.ignored_headers,
    )


# ---------------------------------------------------------------------------------------------
# Loading


@dataclass
class ImportReport:
    """What an import did (or, for a preview, would do). Every row read is counted once:
    rows_read = added + updated + unchanged + stale + rejected + duplicates."""

    file_name: str
    sha256: str
    rows_read: int
    added: int
    updated: int
    unchanged: int
    duplicates: int
    rejected: int
    findings: int
    rejections: pd.DataFrame
    ignored_headers: list[str]
    import_id: int | None = None  # None for a preview
    stale: int = 0  # rows equal to an earlier version of their case: not applied
    untracked_steps: tuple[str, ...] = ()  # "acknowledged_on", "responded_on": not in the file

    @property
    def loaded_anything(self) -> bool:
        return self.added + self.updated + self.unchanged > 0

    def summary_lines(self) -> list[str]:
        lines = [
            f"Lignes lues : {self.rows_read}",
            f"Ajoutées : {self.added}",
            f"Mises à jour : {self.updated}",
            f"Inchangées : {self.unchanged}",
            f"Périmées (non appliquées) : {self.stale}",
            f"Rejetées : {self.rejected}",
            f"Constats qualité : {self.findings}",
        ]
        if self.duplicates:
            lines.append(f"Doublons identiques ignorés : {self.duplicates}")
        if self.ignored_headers:
            lines.append("Colonnes ignorées : " + ", ".join(self.ignored_headers))
        if self.untracked_steps:
            lines.append(f"Étapes non suivies : {self.untracked_note()}")
        return lines

    def untracked_note(self) -> str:
        """What the steps the file does not give mean for its cases (French), or ''."""
        if not self.untracked_steps:
            return ""
        steps = " ni ".join(f"la {_STEP_NAMES[s]}" for s in self.untracked_steps)
        return (
            f"le fichier ne donne pas {steps} ; ses nouveaux dossiers y comptent en "
            "« non suivi », dans aucun statut ni aucun taux"
        )


@dataclass(frozen=True)
class _Written:
    added: int
    updated: int
    unchanged: int
    stale: int
    findings: int


def _stage(cur: Cursor, prepared: Prepared) -> None:
    if prepared.accepted is None:
        cur.execute("ALTER TABLE accepted RENAME TO staged")
        return
    cur.register("staged_arrow", prepared.accepted)
    cur.execute("CREATE OR REPLACE TEMP TABLE staged AS SELECT * FROM staged_arrow")
    cur.unregister("staged_arrow")


def _changed_condition(columns: Iterable[str]) -> str:
    return " OR ".join(f"s.{c} IS DISTINCT FROM c.{c}" for c in columns if c != "reference")


def _set_aside_stale(cur: Cursor, columns: list[str]) -> int:
    """Remove from `staged` the rows of an export older than what is stored; returns how many.

    A row is **stale** when at least one of its non-empty cells differs from the stored value
    and there is an earlier version of its case, the one it held just before some change
    recorded in `case_history`, whose values equal every non-empty cell of the row. The value a
    column held just before a change is the old value of its first change since, or, when it has
    not changed since, its stored value. Changes are told apart by their time (`changed_at`).
    Blank cells say nothing: they never erase anything and never make a row stale.
    """
    if not columns:
        return 0
    differs = " OR ".join(f"(s.{c} IS NOT NULL AND s.{c} IS DISTINCT FROM c.{c})" for c in columns)
    cells = ", ".join(
        f"CAST(s.{c} AS VARCHAR) AS s_{c}, CAST(c.{c} AS VARCHAR) AS c_{c}" for c in columns
    )
    before = ", ".join(
        f"""arg_min_null(h.old_value, h.changed_at) FILTER (WHERE h.field = '{c}') AS b_{c},
            coalesce(bool_or(h.field = '{c}'), false) AS h_{c}"""
        for c in columns
    )
    equal = " AND ".join(
        f"(k.s_{c} IS NULL OR k.s_{c} = CASE WHEN v.h_{c} THEN v.b_{c} ELSE k.c_{c} END)"
        for c in columns
    )
    cur.execute(f"""
        CREATE OR REPLACE TEMP TABLE stale_rows AS
        WITH candidates AS (
            SELECT s.reference, {cells}
            FROM staged s JOIN complaints c USING (reference)
            WHERE ({differs})
              AND s.reference IN (
                  SELECT reference FROM case_history WHERE action = 'modification')
        ),
        changes AS (
            SELECT DISTINCT h.reference, h.changed_at AS at
            FROM case_history h SEMI JOIN candidates k USING (reference)
            WHERE h.action = 'modification'
        ),
        versions AS (
            SELECT e.reference, e.at, {before}
            FROM changes e JOIN case_history h
              ON h.reference = e.reference AND h.changed_at >= e.at
                 AND h.action = 'modification'
            GROUP BY e.reference, e.at
        )
        SELECT DISTINCT k.reference FROM candidates k JOIN versions v USING (reference)
        WHERE {equal}""")
    stale = fetch_one(cur, "SELECT count(*) FROM stale_rows")
    count = int(stale[0]) if stale else 0
    if count:
        cur.execute("DELETE FROM staged WHERE reference IN (SELECT reference FROM stale_rows)")
    cur.execute("DROP TABLE stale_rows")
    return count


def _keep_stored_values(cur: Cursor, columns: list[str]) -> None:
    """Fill the blank cells of `staged` with the stored values: a blank never erases."""
    if not columns:
        return
    filled = ", ".join(f"{c} = coalesce(staged.{c}, c.{c})" for c in columns)
    blank = " OR ".join(f"(staged.{c} IS NULL AND c.{c} IS NOT NULL)" for c in columns)
    cur.execute(f"""
        UPDATE staged SET {filled} FROM complaints c
        WHERE staged.reference = c.reference AND ({blank})""")


def _settle(cur: Cursor, prepared: Prepared) -> int:
    """Bring an export's staged rows to what storing them means (export-format.md, "An import
    never moves a case backwards"): stale rows set aside, blank cells keeping the stored value.
    Returns the number of stale rows."""
    columns = [c for c in prepared.columns if c != "reference"]
    stale = _set_aside_stale(cur, columns)
    _keep_stored_values(cur, columns)
    return stale


def _counts(cur: Cursor, prepared: Prepared) -> tuple[int, int, int]:
    changed = _changed_condition(prepared.columns) or "FALSE"
    row = fetch_one(
        cur,
        f"""
        SELECT
            count(*) FILTER (WHERE c.reference IS NULL),
            count(*) FILTER (WHERE c.reference IS NOT NULL AND ({changed})),
            count(*) FILTER (WHERE c.reference IS NOT NULL AND NOT ({changed}))
        FROM staged s LEFT JOIN complaints c USING (reference)
        """,
    )
    assert row is not None
    return int(row[0]), int(row[1]), int(row[2])


def _staged_extra(cur: Cursor, prepared: Prepared) -> int:
    """How many of the file's own findings concern a row still staged (not a stale one)."""
    if not len(prepared.value_findings):
        return 0
    cur.register("extra_findings", prepared.value_findings)
    row = fetch_one(cur, "SELECT count(*) FROM extra_findings SEMI JOIN staged USING (reference)")
    cur.unregister("extra_findings")
    return int(row[0]) if row else 0


def preview(store: Store, prepared: Prepared) -> ImportReport:
    """What `load` would do, without writing anything (the staging table is temporary)."""
    with store.cursor() as cur:
        _stage(cur, prepared)
        stale = _settle(cur, prepared)
        added, updated, unchanged = _counts(cur, prepared)
        findings = compute_findings(cur) + _staged_extra(cur, prepared)
        cur.execute("DROP TABLE staged")
        cur.execute("DROP TABLE new_findings")
    return _report(prepared, _Written(added, updated, unchanged, stale, findings), None)


_STEP_NAMES = {"acknowledged_on": "date d'accusé de réception", "responded_on": "date de réponse"}


def _report(prepared: Prepared, written: _Written, import_id: int | None) -> ImportReport:
    return ImportReport(
        file_name=prepared.file_name,
        sha256=prepared.sha256,
        rows_read=prepared.rows_read,
        added=written.added,
        updated=written.updated,
        unchanged=written.unchanged,
        duplicates=prepared.duplicates,
        rejected=prepared.rejected_rows,
        findings=written.findings,
        rejections=prepared.rejections,
        ignored_headers=prepared.ignored_headers,
        import_id=import_id,
        stale=written.stale,
        untracked_steps=tuple(s for s in _STEP_NAMES if s not in prepared.columns),
    )


def write_cases(
    cur: Cursor, prepared: Prepared, *, source: str, at: datetime, calendar: Calendar
) -> tuple[int, int, int, int]:
    """Write cases typed in the dashboard (form, follow-up) with their history, due dates and
    findings, inside the caller's transaction: every value given applies, a blank one erases.
    Returns (added, updated, unchanged, findings)."""
    written = _write(cur, prepared, source=source, at=at, calendar=calendar, export=False)
    return written.added, written.updated, written.unchanged, written.findings


def _write(
    cur: Cursor,
    prepared: Prepared,
    *,
    source: str,
    at: datetime,
    calendar: Calendar,
    export: bool,
) -> _Written:
    """Upsert the accepted rows with their history, due dates and findings, inside the caller's
    transaction. For an `export`, stale rows are not applied and a blank cell keeps the stored
    value (`_settle`)."""
    _stage(cur, prepared)
    stale = _settle(cur, prepared) if export else 0
    added, updated, unchanged = _counts(cur, prepared)
    columns = [c for c in prepared.columns if c != "reference"]
    changed = _changed_condition(columns) or "FALSE"
    if updated and columns:
        history = " UNION ALL ".join(
            f"""SELECT s.reference, '{c}' AS col, CAST(c.{c} AS VARCHAR), CAST(s.{c} AS VARCHAR)
                FROM staged s JOIN complaints c USING (reference)
                WHERE s.{c} IS DISTINCT FROM c.{c}"""
            for c in columns
        )
        cur.execute(
            f"""INSERT INTO case_history
                SELECT reference, $at, $source, 'modification', col, old, new
                FROM ({history}) h(reference, col, old, new)""",
            {"at": at, "source": source},
        )
        assignments = ", ".join(f"{c} = s.{c}" for c in columns)
        due_reset = ", ".join(f"{c} = NULL" for c in DUE_COLUMNS)  # recomputed below
        cur.execute(
            f"""UPDATE complaints c
                SET {assignments}, {due_reset}, source = $source, updated_at = $at
                FROM staged s WHERE c.reference = s.reference AND ({changed})""",
            {"at": at, "source": source},
        )
    if added:
        cur.execute(
            """INSERT INTO case_history
               SELECT s.reference, $at, $source, 'creation', NULL, NULL, NULL FROM staged s
               ANTI JOIN complaints c USING (reference)""",
            {"at": at, "source": source},
        )
        # New cases get their due dates as they are written (an UPDATE after costs as much).
        sent = "s.sent_on" if "sent_on" in prepared.columns else "NULL"
        add_due_dates(
            cur, calendar, f"SELECT received_on FROM staged UNION SELECT {sent} FROM staged s"
        )
        names = ", ".join(prepared.columns)
        # A step an export does not give is not tracked for its new cases (export-format.md);
        # a case typed in the dashboard tracks both.
        tracked = ", ".join(
            "TRUE" if step in prepared.columns or not export else "FALSE"
            for step in ("acknowledged_on", "responded_on")
        )
        cur.execute(
            f"""INSERT INTO complaints ({names}, source, updated_at, {", ".join(DUE_COLUMNS)},
                                        ack_tracked, answer_tracked)
                SELECT s.*, $source, $at, r.ack_due, r.answer_due, a.ack_due, a.answer_due,
                       {tracked}
                FROM staged s ANTI JOIN complaints c USING (reference)
                LEFT JOIN due_dates r ON r.policy = 'cpms'
                    AND r.start_date = {clock_start_sql("'cpms'", "s.received_on", sent)}
                LEFT JOIN due_dates a ON a.policy = 'acpr'
                    AND a.start_date = {clock_start_sql("'acpr'", "s.received_on", sent)}""",
            {"at": at, "source": source},
        )
    for step, flag in (("acknowledged_on", "ack_tracked"), ("responded_on", "answer_tracked")):
        if step in prepared.columns and (updated or unchanged):  # this file tracks the step
            cur.execute(f"""UPDATE complaints SET {flag} = TRUE
                            WHERE NOT {flag} AND reference IN (SELECT reference FROM staged)""")
    refresh_due_dates(cur, calendar)
    findings = _refresh_findings(cur, prepared)
    # Real data now: the dashboard's "Données d'exemple" notice ends (demo.load_sample sets the
    # flag again after its own import).
    cur.execute("DELETE FROM meta WHERE key = 'sample'")
    cur.execute("DROP TABLE IF EXISTS staged")
    return _Written(added, updated, unchanged, stale, findings)


def _refresh_findings(cur: Cursor, prepared: Prepared) -> int:
    """Recompute the findings of the cases just written, from what is now stored."""
    return store_findings(cur, prepared.value_findings)


def load(store: Store, prepared: Prepared, *, imported_at: datetime) -> ImportReport:
    """Write the accepted rows, the rejections and the import log in one transaction."""
    try:
        with store.transaction() as cur:
            return _load(cur, prepared, imported_at=imported_at, calendar=store.calendar)
    except duckdb.Error as exc:
        raise database_error(exc, store) from exc


def database_error(exc: duckdb.Error, store: Store) -> ImportFileError:
    """DuckDB's failure during an import, in French (the original stays as `__cause__`)."""
    if isinstance(exc, duckdb.OutOfMemoryException):
        return ImportFileError(
            f"La mémoire accordée à la base de données ne suffit pas pour cet import "
            f"(réglage CPMS_MEMORY_LIMIT : {store.memory_limit}) ; la base est inchangée. "
            "Relancez l'import avec une limite plus haute (par exemple CPMS_MEMORY_LIMIT=4GB) "
            "ou découpez le fichier.",
            title="Mémoire insuffisante",
        )
    if "No space left on device" in str(exc) or "disk is full" in str(exc).lower():
        return ImportFileError(
            f"Le disque est plein (base {store.path} et son dossier temporaire "
            f"{store.path}.tmp) ; la base est inchangée. Libérez de la place puis relancez "
            "l'import.",
            title="Disque plein",
        )
    return ImportFileError(
        "L'écriture dans la base a échoué (erreur interne de DuckDB) ; la base est inchangée. "
        "Relancez l'import ; si l'erreur se répète, transmettez le fichier à l'équipe qui "
        "maintient le tableau de bord."
    )


def _load(
    cur: Cursor, prepared: Prepared, *, imported_at: datetime, calendar: Calendar
) -> ImportReport:
    row = fetch_one(cur, "SELECT coalesce(max(id), 0) + 1 FROM imports")
    import_id = int(row[0]) if row else 1
    written = _write(
        cur,
        prepared,
        source=f"import #{import_id}",
        at=imported_at,
        calendar=calendar,
        export=True,
    )
    if len(prepared.rejections):
        rejects = prepared.rejections.assign(import_id=import_id)
        cur.register("new_rejects", rejects)
        cur.execute(
            "INSERT INTO rejects SELECT import_id, line, reference, field, value, reason "
            "FROM new_rejects"
        )
        cur.unregister("new_rejects")
    cur.execute(
        """INSERT INTO imports (id, file_name, sha256, imported_at, rows_read, added, updated,
                                  unchanged, stale, duplicates, rejected, findings)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        [
            import_id,
            prepared.file_name,
            prepared.sha256,
            imported_at,
            prepared.rows_read,
            written.added,
            written.updated,
            written.unchanged,
            written.stale,
            prepared.duplicates,
            prepared.rejected_rows,
            written.findings,
        ],
    )
    return _report(prepared, written, import_id)


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


def import_file(
    store: Store,
    path: Path,
    *,
    import_day: date,
    imported_at: datetime,
    objects: tuple[str, ...],
    causes: tuple[str, ...] = DEFAULT_CAUSE_LIST,
    profile: Profile = NO_PROFILE,
) -> ImportReport:
    """Read, check and load one export in one transaction of the store's own connection (the
    rows are read once and never leave DuckDB); raises ImportFileError, the database unchanged,
    when the file cannot be used. `profile` maps the export of another tool (profiles.py)."""
    raw = read_export(path, profile)

    def attempt() -> ImportReport:
        with store.transaction() as cur:
            raw.materialise(cur)
            prepared = _prepare(cur, raw, import_day, objects, path.name, raw.sha256, causes)
            return _load(cur, prepared, imported_at=imported_at, calendar=store.calendar)

    try:
        try:
            return attempt()
        except ReadAgain:
            return attempt()  # rolled back; this time Python reads the file
    except duckdb.Error as exc:
        raise database_error(exc, store) from exc
    finally:
        raw.close()


def import_log(store: Store, limit: int = 100) -> pd.DataFrame:
    """The latest imports, newest first."""
    with store.cursor() as cur:
        return cur.execute(
            "SELECT * FROM imports ORDER BY id DESC LIMIT $limit", {"limit": limit}
        ).df()


def rejects_of(store: Store, import_id: int) -> pd.DataFrame:
    """The rejected lines of one import, as `--rejects` writes them."""
    with store.cursor() as cur:
        return cur.execute(
            """SELECT line, reference, field AS "column", value, reason FROM rejects
               WHERE import_id = $id ORDER BY line""",
            {"id": import_id},
        ).df()
