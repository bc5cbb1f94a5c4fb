"""Step 1, read: open an export (CSV, XLSX, Parquet), find and map its header, and make its cells
the relation `staging.raw` of a DuckDB connection, as text, each row with its line in the file.

A CSV is read by DuckDB itself, its line numbers checked against a scan of the file; Python's csv
module reads it instead when they cannot be trusted (blank lines, malformed rows).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

import duckdb
import pandas as pd

from ..errors import ImportFileError
from ..profiles import NO_PROFILE, Profile
from ..store import scratch_folder
from .headers import _map_headers, find_header
from .staging import LINE, WIDTH, Staging, quote
from .text import (
    _BINARY,
    _CHUNK,
    _EDGE_SPACE,
    _UTF16_BOMS,
    _assemble,
    _blank_lines,
    _decode,
    _first_lines,
    _head,
    _read_csv,
    _Scan,
    _scan,
    _scan_beside,
    _to_utf8,
    _utf8,
)
from .workbook import _read_parquet, _read_xlsx


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
                    staging = Staging()
                    _materialise(con, staging, self)
                    self.frame_ = con.execute(f"SELECT * FROM {staging.raw} ORDER BY {LINE}").df()
            except BaseException:
                self.close()
                raise
        return self.frame_

    def materialise(self, con: duckdb.DuckDBPyConnection, staging: Staging) -> None:
        """Create the view `staging.raw` (LINE, the canonical columns present, WIDTH) in `con`.

        Raises `ReadAgain` when DuckDB failed to read the CSV: that failure aborts the
        transaction `con` may be in; the caller rolls back and calls again, and Python reads it.
        """
        if self.frame_ is None and self.csv is not None and not self.by_python:
            if self._csv_by_duckdb(con, staging):
                return
            con.execute(f"DROP TABLE IF EXISTS {staging.raw_csv}")
            con.execute(f"DROP TABLE IF EXISTS {staging.line_offsets}")  # Python's lines are exact
            con.execute(f"DROP TABLE IF EXISTS {staging.blank_offsets}")
        if self.frame_ is None:
            assert self.csv is not None
            self._scanned()
            header, rows, lines, faults = _read_csv(self.csv[0].read_bytes(), self.header_line - 1)
            self.frame_, self.bad_width = _assemble(rows, lines, self.positions, len(header))
            self.bad_width.update(faults)
        frame = self.frame_.copy()
        for column in self.headers:
            frame[column] = frame[column].astype(object)
        frame[WIDTH] = frame[LINE].map(self.bad_width).astype(object)
        for column, value in self.profile.constants.items():
            frame[column] = value
        con.register("raw_frame", frame)
        con.execute(f"CREATE OR REPLACE TEMP TABLE {staging.raw_rows} AS SELECT * FROM raw_frame")
        con.execute(
            f"CREATE OR REPLACE TEMP VIEW {staging.raw} AS SELECT * FROM {staging.raw_rows}"
        )
        con.unregister("raw_frame")

    def _csv_by_duckdb(self, con: duckdb.DuckDBPyConnection, staging: Staging) -> bool:
        read = self._read_by_duckdb(con, staging)
        self._scanned()
        assert self.csv is not None
        if self.utf8 is None and not read:  # DuckDB checks UTF-8 as it reads; why did it fail?
            self.utf8 = _scan(self.csv[0]).utf8
        if self.utf8 is not False:
            return read
        # Windows-1252 after a first megabyte in plain ASCII: read a UTF-8 copy.
        self.temporary, self.utf8 = _to_utf8(self.csv[0]), True
        self.csv = (self.temporary, *self.csv[1:])
        return self._read_by_duckdb(con, staging)

    def _read_by_duckdb(self, con: duckdb.DuckDBPyConnection, staging: Staging) -> bool:
        """Read the CSV with DuckDB into `staging.raw_csv`; False when Python must read it instead.

        LINE is the record's line if no record spanned several lines; `staging.line_offsets`
        holds, for each record that did, the line breaks it adds to every later record's line;
        and `staging.blank_offsets`, for each empty line (which DuckDB skips), from which line on
        it counts.
        """
        assert self.csv is not None
        path, delimiter, width = self.csv
        names = [f"c{i}" for i in range(width)]
        types = "{" + ", ".join(f"'{n}': 'VARCHAR'" for n in names) + "}"
        con.execute(
            f"DROP TABLE IF EXISTS {staging.csv_rejects}; "
            f"DROP TABLE IF EXISTS {staging.csv_reject_scans}"
        )
        # As each record is read, its line breaks and white space at a cell's edge are counted:
        # the cells are not read twice.
        record = f"concat_ws(chr(1), {', '.join(names)})"
        try:
            con.execute(
                f"""CREATE OR REPLACE TEMP TABLE {staging.raw_csv} AS
                    SELECT {", ".join(names)},
                           strlen(r) - strlen(replace(r, chr(10), '')) AS _breaks,
                           regexp_matches(r, '{_EDGE_SPACE}') AS _untrimmed
                    FROM (SELECT *, {record} AS r FROM read_csv(
                        $path, delim = $delim, quote = '"', escape = '"', header = false,
                        skip = {self.header_line}, auto_detect = false, strict_mode = true,
                        store_rejects = true, rejects_table = '{staging.csv_rejects}',
                        rejects_scan = '{staging.csv_reject_scans}', columns = {types}))""",
                {"path": str(path), "delim": delimiter},
            )
            rejected = con.execute(f"SELECT count(*) FROM {staging.csv_rejects}").fetchall()[0][0]
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
        base = con.execute(
            f"SELECT coalesce(min(rowid), 0) - {first} FROM {staging.raw_csv}"
        ).fetchall()[0][0]
        records, self.untrimmed = con.execute(
            f"SELECT count(*), count(*) FILTER (WHERE _untrimmed) FROM {staging.raw_csv}"
        ).fetchall()[0]
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE {staging.line_offsets} AS
            SELECT rowid - {base} AS key, sum(_breaks) OVER (ORDER BY rowid) AS shift
            FROM {staging.raw_csv} WHERE _breaks > 0""")
        added = con.execute(
            f"SELECT coalesce(max(shift), 0) FROM {staging.line_offsets}"
        ).fetchall()[0][0]
        if added and self._swallowed(con, staging, names, delimiter):
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
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE {staging.blank_offsets} AS SELECT * FROM blank_frame"
            )
            con.unregister("blank_frame")
        selected = ", ".join(
            [f"c{p} AS {name}" for p, name in self.positions.items()]
            + [f"{quote(v)} AS {c}" for c, v in self.profile.constants.items()]
        )
        blank = " AND ".join(f"{n} IS NULL" for n in names)  # DuckDB reads an empty cell as NULL
        con.execute(f"""
            CREATE OR REPLACE TEMP VIEW {staging.raw} AS
            SELECT rowid - {base} AS {LINE}, {selected}, NULL::VARCHAR AS {WIDTH}
            FROM {staging.raw_csv} WHERE NOT ({blank})""")
        return True

    @staticmethod
    def _swallowed(
        con: duckdb.DuckDBPyConnection, staging: Staging, names: list[str], delimiter: str
    ) -> bool:
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
            f"SELECT count(*) FROM {staging.raw_csv} WHERE _breaks > 0 AND ({swallowing})",
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


def _materialise(con: duckdb.DuckDBPyConnection, staging: Staging, raw: RawExport) -> None:
    """`raw.materialise(con, staging)` on a connection outside any transaction: no rollback
    needed."""
    try:
        raw.materialise(con, staging)
    except ReadAgain:
        raw.materialise(con, staging)


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
