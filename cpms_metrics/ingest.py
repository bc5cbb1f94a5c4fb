"""Read an export (CSV, XLSX, Parquet), normalise it, sort good rows from bad, load it at once.

The rules are those of shared/spec/export-format.md: a row the figures cannot be computed from is
rejected with its line, column, value and a French reason; a row whose paperwork is imperfect is
loaded with data-quality findings. Loading is all-or-nothing and idempotent, and keeps a history.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from .deadlines import Calendar
from .errors import ImportFileError
from .fields import (
    CANONICAL,
    CHANNELS,
    COLUMN_BY_NAME,
    DATE_COLUMNS,
    HEADER_KEYS,
    MEDIATORS,
    NATURES,
    REQUIRED,
    RISK_CARRIERS,
    Vocabulary,
    fold,
    object_vocabulary,
    value_keys,
)
from .quality import FINDING_COLUMNS, findings_frame
from .schema import DUE_COLUMNS, Cursor, fetch_one
from .store import Store, refresh_due_dates

LINE = "_line"
_BLANK_FINDINGS = pd.DataFrame(columns=FINDING_COLUMNS)
REJECT_COLUMNS = ["line", "reference", "field", "value", "reason"]

# ---------------------------------------------------------------------------------------------
# Reading


@dataclass
class RawExport:
    """The file's rows as text, columns renamed to canonical names, with their source lines."""

    frame: pd.DataFrame  # canonical columns present in the file + LINE, all str
    headers: dict[str, str]  # canonical name -> header as written in the file
    ignored_headers: list[str]
    bad_width: dict[int, str] = field(default_factory=dict)  # line -> French reason


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")  # French Excel's "CSV (séparateur : point-virgule)"
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


def _read_csv(data: bytes) -> tuple[list[str], list[list[str]], list[int]]:
    text = _decode(data)
    if "\x00" in text:
        raise ImportFileError("Le fichier contient des caractères binaires : ce n'est pas un CSV.")
    first_line = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(first_line))
    try:
        header = next(reader)
    except StopIteration as exc:
        raise ImportFileError("Le fichier est vide.") from exc
    rows: list[list[str]] = []
    lines: list[int] = []
    previous_end = reader.line_num
    try:
        for row in reader:
            if any(cell.strip() for cell in row):
                rows.append(row)
                lines.append(previous_end + 1)
            previous_end = reader.line_num
    except csv.Error as exc:
        raise ImportFileError(f"CSV illisible après la ligne {previous_end} : {exc}.") from exc
    return header, rows, lines


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


def _read_xlsx(path: Path) -> tuple[list[str], list[list[str]], list[int]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ImportFileError(
            f"« {path.name} » n'est pas un classeur Excel (.xlsx) lisible."
        ) from exc
    try:
        sheet = workbook.worksheets[0]
        rows_iter = sheet.iter_rows(values_only=True)
        header_cells = next(rows_iter, None)
        if header_cells is None:
            raise ImportFileError("La première feuille du classeur est vide.")
        header = [_cell_text(v) for v in header_cells]
        rows: list[list[str]] = []
        lines: list[int] = []
        for number, cells in enumerate(rows_iter, start=2):
            row = [_cell_text(v) for v in cells]
            if any(cell.strip() for cell in row):
                rows.append(row)
                lines.append(number)
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
        }
    )
    return list(table.column_names), frame


def _map_headers(header: list[str]) -> tuple[dict[int, str], dict[str, str], list[str]]:
    positions: dict[int, str] = {}
    written: dict[str, str] = {}
    ignored: list[str] = []
    for position, text in enumerate(header):
        name = HEADER_KEYS.get(fold(text))
        if name is None:
            if text.strip():
                ignored.append(text.strip())
            continue
        if name in written:
            raise ImportFileError(
                f"La colonne « {COLUMN_BY_NAME[name].header} » apparaît deux fois "
                f"(« {written[name]} » et « {text.strip()} »)."
            )
        positions[position] = name
        written[name] = text.strip()
    missing = [COLUMN_BY_NAME[n].header for n in REQUIRED if n not in written]
    if missing:
        raise ImportFileError(
            "Colonne obligatoire absente : " + ", ".join(f"« {m} »" for m in missing) + "."
        )
    return positions, written, ignored


def read_export(path: Path) -> RawExport:
    """Read a CSV, XLSX or Parquet export; raises ImportFileError when it cannot be used at all."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ImportFileError(f"Fichier introuvable ou illisible : {path}.") from exc
    if not data:
        raise ImportFileError("Le fichier est vide.")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm") or (suffix not in (".csv", ".txt") and data[:2] == b"PK"):
        header, rows, lines = _read_xlsx(path)
        return _assemble(header, rows, lines)
    if suffix == ".parquet" or data[:4] == b"PAR1":
        header, frame = _read_parquet(path)
        positions, written, ignored = _map_headers(header)
        out = frame.rename(columns={header[p]: n for p, n in positions.items()})
        out = out[list(positions.values())].copy()
        out[LINE] = range(2, len(out) + 2)
        return RawExport(out.reset_index(drop=True), written, ignored)
    header, rows, lines = _read_csv(data)
    return _assemble(header, rows, lines)


def _assemble(header: list[str], rows: list[list[str]], lines: list[int]) -> RawExport:
    positions, written, ignored = _map_headers(header)
    width = len(header)
    bad_width: dict[int, str] = {}
    for row, line in zip(rows, lines, strict=True):
        if len(row) > width and any(cell.strip() for cell in row[width:]):
            bad_width[line] = f"{len(row)} champs au lieu de {width} (séparateur dans une valeur ?)"
    columns: dict[str, list[str]] = {}
    for position, name in positions.items():
        columns[name] = [row[position] if position < len(row) else "" for row in rows]
    frame = pd.DataFrame(columns, dtype=object)
    frame[LINE] = lines
    return RawExport(frame, written, ignored, bad_width)


# ---------------------------------------------------------------------------------------------
# Normalising and sorting


_DATE = re.compile(
    r"(?:(?P<y1>\d{4})-(?P<m1>\d{1,2})-(?P<d1>\d{1,2})|(?P<d2>\d{1,2})/(?P<m2>\d{1,2})/(?P<y2>\d{4}))"
    r"(?:[ T]\d{1,2}[:h]\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
)
_UNREADABLE = "\x00unreadable"
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
}


def parse_date(text: str) -> date | None:
    """`YYYY-MM-DD` or `DD/MM/YYYY`, optionally with a time (dropped); None when empty.

    Raises ValueError for anything else, including impossible dates such as 31/02/2025.
    """
    text = text.strip()
    if not text:
        return None
    match = _DATE.fullmatch(text)
    if not match:
        raise ValueError(text)
    g = match.groupdict()
    year, month, day = (g["y1"], g["m1"], g["d1"]) if g["y1"] else (g["y2"], g["m2"], g["d2"])
    return date(int(year), int(month), int(day))


def _iso_or_unreadable(text: str) -> str | None:
    try:
        parsed = parse_date(text)
    except ValueError:
        return _UNREADABLE
    return parsed.isoformat() if parsed else None


def format_date(value: date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


@dataclass
class Prepared:
    """An export sorted into rows to load, rejections and findings; nothing written yet."""

    file_name: str
    sha256: str
    rows_read: int
    accepted: pd.DataFrame  # canonical columns present in the file, normalised text or None
    columns: list[str]  # canonical columns the file carries
    rejections: pd.DataFrame  # REJECT_COLUMNS, one row per problem
    rejected_rows: int
    duplicates: int  # identical repeated rows, counted once
    value_findings: pd.DataFrame  # unknown optional values (stored empty, kept here)
    ignored_headers: list[str]


def _vocabularies(objects: tuple[str, ...]) -> dict[str, Vocabulary]:
    return {
        "channel": CHANNELS,
        "response_channel": CHANNELS,
        "nature": NATURES,
        "object": object_vocabulary(objects),
        "risk_carrier": RISK_CARRIERS,
        "mediator": MEDIATORS,
    }


def _labels(vocabulary: Vocabulary) -> str:
    return ", ".join(label for label, _ in vocabulary.values())


def prepare(
    raw: RawExport,
    *,
    import_day: date,
    objects: tuple[str, ...],
    file_name: str = "",
    sha256: str = "",
) -> Prepared:
    """Normalise every value and sort the rows; `import_day` bounds every date."""
    frame = raw.frame
    lines = frame[LINE]
    present = [c for c in CANONICAL if c in frame.columns]
    text = {c: frame[c].fillna("").astype(str).str.strip() for c in present}
    norm: dict[str, pd.Series] = {}
    problems: list[pd.DataFrame] = []
    value_findings: list[pd.DataFrame] = []

    def header(column: str) -> str:
        return raw.headers.get(column, COLUMN_BY_NAME[column].header)

    def flag(mask: pd.Series, column: str, reason: str | pd.Series, values: pd.Series) -> None:
        if mask.any():
            problems.append(
                pd.DataFrame(
                    {
                        "line": lines[mask],
                        "reference": text["reference"][mask],
                        "field": header(column) if column else "",
                        "value": values[mask],
                        "reason": reason[mask] if isinstance(reason, pd.Series) else reason,
                    }
                )
            )

    vocabularies = _vocabularies(objects)
    for column in present:
        values = text[column]
        empty = values == ""
        if column in DATE_COLUMNS:
            mapping = {v: _iso_or_unreadable(v) for v in values.unique()}
            parsed = values.map(mapping)
            unreadable = parsed == _UNREADABLE
            flag(
                unreadable,
                column,
                f"{COLUMN_BY_NAME[column].header} illisible "
                "(formats acceptés : JJ/MM/AAAA ou AAAA-MM-JJ)",
                values,
            )
            parsed = parsed.where(~unreadable, None)
            future = parsed.notna() & (parsed > import_day.isoformat())
            flag(
                future,
                column,
                f"{COLUMN_BY_NAME[column].header} postérieure au jour de l'import "
                f"({format_date(import_day)})",
                values,
            )
            norm[column] = parsed
        elif column in vocabularies:
            vocabulary = vocabularies[column]
            keys = value_keys(vocabulary)
            mapping = {v: keys.get(fold(v)) for v in values.unique()}
            mapped = values.map(mapping)
            unknown = ~empty & mapped.isna()
            if COLUMN_BY_NAME[column].required:
                flag(
                    unknown,
                    column,
                    f"{_UNKNOWN[column]} (valeurs possibles : {_labels(vocabulary)})",
                    values,
                )
            elif unknown.any():
                value_findings.append(
                    pd.DataFrame(
                        {
                            "reference": text["reference"][unknown],
                            "kind": "valeur_inconnue",
                            "field": column,
                            "value": values[unknown],
                            "message": f"{_UNKNOWN[column]}, laissé vide "
                            f"(valeurs possibles : {_labels(vocabulary)})",
                        }
                    )
                )
            norm[column] = mapped
        else:
            norm[column] = values.where(~empty, None)
        if COLUMN_BY_NAME[column].required:
            flag(empty, column, _MISSING[column], values)

    received = norm["received_on"]
    chronology = (
        ("sent_on", "after", "Date d'envoi postérieure à la date de réception"),
        (
            "acknowledged_on",
            "before",
            "Date d'accusé de réception antérieure à la date de réception",
        ),
        ("responded_on", "before", "Date de réponse antérieure à la date de réception"),
        (
            "mediator_referred_on",
            "before",
            "Date de saisine du médiateur antérieure à la date de réception",
        ),
    )
    for column, direction, reason in chronology:
        if column not in norm:
            continue
        other = norm[column]
        both = other.notna() & received.notna()
        wrong = both & ((other > received) if direction == "after" else (other < received))
        flag(wrong, column, reason, text[column])

    if raw.bad_width:
        too_wide = lines.isin(list(raw.bad_width))
        flag(
            too_wide, "", lines.map(raw.bad_width).astype(object), pd.Series("", index=lines.index)
        )

    normalised = pd.DataFrame({c: norm[c] for c in present})
    rejected = pd.Series(False, index=frame.index)
    for problem in problems:
        rejected[problem.index] = True

    # The same reference twice: identical rows count once; different contents reject them all.
    has_reference = text["reference"] != ""
    repeated = has_reference & text["reference"].duplicated(keep=False)
    duplicates = 0
    if repeated.any():
        # A row's content: normalised values, or the raw text where a value could not be read.
        content = normalised[repeated].astype(object).where(normalised[repeated].notna(), "")
        content = content.astype(str).where(~rejected[repeated], pd.DataFrame(text)[repeated])
        digest = pd.util.hash_pandas_object(content, index=False)
        groups = pd.DataFrame({"reference": text["reference"][repeated], "digest": digest})
        variants = groups.groupby("reference")["digest"].transform("nunique")
        conflicting = variants > 1
        if conflicting.any():
            conflict_lines = (
                pd.DataFrame({"reference": groups["reference"], "line": lines[repeated]})[
                    conflicting
                ]
                .groupby("reference")["line"]
                .agg(lambda ls: ", ".join(str(v) for v in sorted(ls)))
            )
            mask = pd.Series(False, index=frame.index)
            mask[conflicting[conflicting].index] = True
            flag(
                mask,
                "reference",
                "Référence présente plusieurs fois avec des contenus différents (lignes "
                + text["reference"][mask].map(conflict_lines)
                + ")",
                text["reference"],
            )
            rejected |= mask
        identical_again = repeated & ~rejected & text["reference"].duplicated(keep="first")
        identical_again &= ~conflicting.reindex(frame.index, fill_value=False)
        duplicates = int(identical_again.sum())
        rejected_or_repeat = rejected | identical_again
    else:
        rejected_or_repeat = rejected

    rejections = (
        pd.concat(problems, ignore_index=True).sort_values("line", kind="stable")
        if problems
        else pd.DataFrame(columns=REJECT_COLUMNS)
    )
    accepted = normalised[~rejected_or_repeat].reset_index(drop=True)
    accepted_refs = set(accepted["reference"])
    found = (
        pd.concat(value_findings, ignore_index=True) if value_findings else _BLANK_FINDINGS.copy()
    )
    found = found[found["reference"].isin(accepted_refs)].drop_duplicates()
    return Prepared(
        file_name=file_name,
        sha256=sha256,
        rows_read=len(frame),
        accepted=accepted,
        columns=present,
        rejections=rejections.reset_index(drop=True),
        rejected_rows=int(rejected.sum()),
        duplicates=duplicates,
        value_findings=found.reset_index(drop=True),
        ignored_headers=raw.ignored_headers,
    )


# ---------------------------------------------------------------------------------------------
# Loading


@dataclass
class ImportReport:
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

    @property
    def loaded_anything(self) -> bool:
        return self.added + self.updated + self.unchanged > 0

    def summary_lines(self) -> list[str]:
        lines = [
            f"Lignes lues : {self.rows_read}",
            f"Ajoutées : {self.added}",
            f"Mises à jour : {self.updated}",
            f"Inchangées : {self.unchanged}",
            f"Rejetées : {self.rejected}",
            f"Constats qualité : {self.findings}",
        ]
        if self.duplicates:
            lines.append(f"Doublons identiques ignorés : {self.duplicates}")
        if self.ignored_headers:
            lines.append("Colonnes ignorées : " + ", ".join(self.ignored_headers))
        return lines


def _stage(cur: Cursor, prepared: Prepared) -> None:
    staged = prepared.accepted.copy()
    for column in prepared.columns:
        staged[column] = staged[column].astype(object)
    cur.register("staged_raw", staged)
    casts = ", ".join(
        f"CAST({c} AS DATE) AS {c}" if c in DATE_COLUMNS else f"CAST({c} AS VARCHAR) AS {c}"
        for c in prepared.columns
    )
    cur.execute(f"CREATE OR REPLACE TEMP TABLE staged AS SELECT {casts} FROM staged_raw")
    cur.unregister("staged_raw")


def _changed_condition(columns: Iterable[str]) -> str:
    return " OR ".join(f"s.{c} IS DISTINCT FROM c.{c}" for c in columns if c != "reference")


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


def preview(store: Store, prepared: Prepared) -> ImportReport:
    """What `load` would do, without writing anything (the staging table is temporary)."""
    with store.cursor() as cur:
        _stage(cur, prepared)
        added, updated, unchanged = _counts(cur, prepared)
        cur.execute("DROP TABLE staged")
    findings = len(findings_frame(prepared.accepted)) + len(prepared.value_findings)
    return _report(prepared, added, updated, unchanged, findings, None)


def _report(
    prepared: Prepared,
    added: int,
    updated: int,
    unchanged: int,
    findings: int,
    import_id: int | None,
) -> ImportReport:
    return ImportReport(
        file_name=prepared.file_name,
        sha256=prepared.sha256,
        rows_read=prepared.rows_read,
        added=added,
        updated=updated,
        unchanged=unchanged,
        duplicates=prepared.duplicates,
        rejected=prepared.rejected_rows,
        findings=findings,
        rejections=prepared.rejections,
        ignored_headers=prepared.ignored_headers,
        import_id=import_id,
    )


def write_cases(
    cur: Cursor, prepared: Prepared, *, source: str, at: datetime, calendar: Calendar
) -> tuple[int, int, int, int]:
    """Upsert the accepted rows with their history, due dates and findings, inside the caller's
    transaction; returns (added, updated, unchanged, findings)."""
    _stage(cur, prepared)
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
        names = ", ".join(prepared.columns)
        cur.execute(
            f"""INSERT INTO complaints ({names}, source, updated_at)
                SELECT s.*, $source, $at FROM staged s ANTI JOIN complaints c USING (reference)""",
            {"at": at, "source": source},
        )
    refresh_due_dates(cur, calendar)
    findings = _refresh_findings(cur, prepared)
    cur.execute("DROP TABLE IF EXISTS staged")
    return added, updated, unchanged, findings


def _refresh_findings(cur: Cursor, prepared: Prepared) -> int:
    """Recompute the findings of the cases just written, from what is now stored."""
    if set(CANONICAL) <= set(prepared.columns):
        state = prepared.accepted
    else:
        # Dates as ISO text, as in a prepared export.
        selected = ", ".join(
            f"strftime({c}, '%Y-%m-%d') AS {c}" if c in DATE_COLUMNS else c for c in CANONICAL
        )
        state = cur.execute(
            f"SELECT {selected} FROM complaints SEMI JOIN staged USING (reference)"
        ).df()
    found = pd.concat([findings_frame(state), prepared.value_findings], ignore_index=True)
    cur.execute("DELETE FROM findings WHERE reference IN (SELECT reference FROM staged)")
    if len(found):
        cur.register("new_findings", found)
        cur.execute(
            "INSERT INTO findings SELECT reference, kind, field, value, message FROM new_findings"
        )
        cur.unregister("new_findings")
    return len(found)


def load(store: Store, prepared: Prepared, *, imported_at: datetime) -> ImportReport:
    """Write the accepted rows, the rejections and the import log in one transaction."""
    try:
        with store.transaction() as cur:
            row = fetch_one(cur, "SELECT coalesce(max(id), 0) + 1 FROM imports")
            import_id = int(row[0]) if row else 1
            added, updated, unchanged, findings = write_cases(
                cur,
                prepared,
                source=f"import #{import_id}",
                at=imported_at,
                calendar=store.calendar,
            )
            if len(prepared.rejections):
                rejects = prepared.rejections.assign(import_id=import_id)
                cur.register("new_rejects", rejects)
                cur.execute(
                    "INSERT INTO rejects SELECT import_id, line, reference, field, value, "
                    "reason FROM new_rejects"
                )
                cur.unregister("new_rejects")
            cur.execute(
                "INSERT INTO imports VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    import_id,
                    prepared.file_name,
                    prepared.sha256,
                    imported_at,
                    prepared.rows_read,
                    added,
                    updated,
                    unchanged,
                    prepared.duplicates,
                    prepared.rejected_rows,
                    findings,
                ],
            )
    except duckdb.Error as exc:
        raise ImportFileError(f"L'écriture dans la base a échoué ({exc}).") from exc
    return _report(prepared, added, updated, unchanged, findings, import_id)


def read_and_prepare(path: Path, *, import_day: date, objects: tuple[str, ...]) -> Prepared:
    data_hash = hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else ""
    raw = read_export(path)
    return prepare(
        raw, import_day=import_day, objects=objects, file_name=path.name, sha256=data_hash
    )


def import_file(
    store: Store,
    path: Path,
    *,
    import_day: date,
    imported_at: datetime,
    objects: tuple[str, ...],
) -> ImportReport:
    """Read, check and load one export; raises ImportFileError (database unchanged) on failure."""
    prepared = read_and_prepare(path, import_day=import_day, objects=objects)
    return load(store, prepared, imported_at=imported_at)
