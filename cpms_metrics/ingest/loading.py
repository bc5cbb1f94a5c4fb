"""An import from file to log: `import_file` runs every step in one transaction of the store's
connection; `preview` says what `load` would do; the import log and its rejected lines.

Loading is all-or-nothing and idempotent, and keeps a history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import duckdb
import pandas as pd

from ..deadlines import Calendar
from ..errors import ImportFileError
from ..profiles import NO_PROFILE, Profile
from ..schema import Cursor, fetch_one
from ..settings import DEFAULT_CAUSE_LIST
from ..store import Store
from .prepared import Prepared, _prepare
from .read import ReadAgain, read_export
from .staging import Staging
from .write import _would_write, _write, _Written

_STEP_NAMES = {"acknowledged_on": "date d'accusé de réception", "responded_on": "date de réponse"}


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


def preview(store: Store, prepared: Prepared) -> ImportReport:
    """What `load` would do, without writing anything (the staging table is temporary)."""
    with store.cursor() as cur:
        written = _would_write(cur, Staging(), prepared)
    return _report(prepared, written, None)


def load(store: Store, prepared: Prepared, *, imported_at: datetime) -> ImportReport:
    """Write the accepted rows, the rejections and the import log in one transaction."""
    try:
        with store.transaction() as cur:
            return _load(cur, Staging(), prepared, imported_at=imported_at, calendar=store.calendar)
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
    cur: Cursor,
    staging: Staging,
    prepared: Prepared,
    *,
    imported_at: datetime,
    calendar: Calendar,
) -> ImportReport:
    row = fetch_one(cur, "SELECT coalesce(max(id), 0) + 1 FROM imports")
    import_id = int(row[0]) if row else 1
    written = _write(
        cur,
        staging,
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
            staging = Staging()
            raw.materialise(cur, staging)
            prepared = _prepare(
                cur, staging, raw, import_day, objects, path.name, raw.sha256, causes
            )
            return _load(cur, staging, prepared, imported_at=imported_at, calendar=store.calendar)

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
