"""Finding an export's header among its first lines and mapping it onto the canonical columns,
through a profile when the export comes from another tool (profiles.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import HeaderNotFound, ImportFileError
from ..fields import COLUMN_BY_NAME, REQUIRED, fold
from ..profiles import NO_PROFILE, Profile

HEADER_SEARCH = 30  # lines (or spreadsheet rows) searched for the header


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
