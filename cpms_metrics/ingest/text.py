"""A CSV export's bytes and text, read in Python: one streaming scan (digest, lines, encoding),
a UTF-8 copy for DuckDB when the file is not UTF-8, and Python's csv reader, which reads what
DuckDB cannot and says which line holds what.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import tempfile
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..errors import ImportFileError
from ..profiles import Profile
from ..store import scratch_prefix
from .headers import HEADER_SEARCH
from .staging import LINE

# In a row's cells joined by chr(1): white space at the start or the end of a cell.
_EDGE_SPACE = r"(^|\x01)[ \t\r\n\x{00A0}]|[ \t\r\n\x{00A0}](\x01|$)"
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


# Excel's "Texte Unicode" is UTF-16 (little-endian, with its byte order mark), tab separated.
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


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
