"""Reading a spreadsheet export: an XLSX workbook (bounded once uncompressed, read up to its last
value) or a Parquet file, as rows of text.
"""

from __future__ import annotations

import re
import zipfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import ImportFileError
from ..profiles import NO_PROFILE, Profile
from .headers import HEADER_SEARCH, find_header
from .text import _CHUNK


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
