"""Step 2, map: what the mapping screen and `profile draft` show a person before an import, so
that a profile can say which column is which and what an unknown value means (profiles.py).
The profile then applies as the export is read (headers.py) and normalised (normalise.py).
"""

from __future__ import annotations

import zipfile
from dataclasses import replace
from pathlib import Path

from ..errors import ImportFileError
from ..fields import fold
from ..profiles import NO_PROFILE, Profile
from ..profiles import vocabularies as enum_vocabularies
from ..settings import DEFAULT_CAUSE_LIST
from .headers import HEADER_SEARCH
from .read import read_export
from .text import _UTF16_BOMS, _first_lines, _head, _utf8
from .workbook import _cell_text, _check_xlsx_size, _read_parquet


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
