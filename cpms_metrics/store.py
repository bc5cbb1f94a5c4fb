"""The DuckDB store: one file, schema migrations on open, a cursor per call, one writer at a time.

A `Store` can keep its connection open (command line, benchmarks) or open one per call and close it
right after (the dashboard), so that another process, such as a nightly import, can take the file.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd

from .deadlines import Calendar, due_dates
from .errors import StoreError
from .schema import (
    DUE_COLUMNS,
    Cursor,
    clock_start_sql,
    create_views,
    fetch_one,
    migrate,
    schema_version,
)
from .servicetime import DEFAULT_ZONE, zone_info
from .settings import POLICIES, Settings, load_settings

_COLUMNS = ("complaints.received_on", "complaints.sent_on")  # a stored case's dates
_LOCK_MESSAGES = ("Could not set lock", "Conflicting lock", "database is locked")
_WRITE_LOCK = threading.RLock()  # one writer per process; DuckDB's file lock covers other processes
# Threads of one process share one DuckDB instance per file; two creating it at the same moment
# collide ("already attached"), so connections are opened one at a time.
_CONNECT_LOCK = threading.Lock()


def _is_lock_error(exc: BaseException) -> bool:
    return any(text in str(exc) for text in _LOCK_MESSAGES)


# -- temporary files -----------------------------------------------------------------------------
# An export's rows hold personal data (NIR, names). Every temporary file or folder that holds them
# is named after this program and the process that made it, in the system's temporary folder, and
# removed when its work ends; what a killed process left is removed by the next `open_store`.
_SCRATCH = re.compile(r"cpms-metrics-(\d+)-")


def scratch_prefix() -> str:
    """The start of the name of a temporary file or folder holding an export's rows."""
    return f"cpms-metrics-{os.getpid()}-"


def scratch_folder() -> Path:
    """A new, private temporary folder for this process (removed by its user when done)."""
    return Path(tempfile.mkdtemp(prefix=scratch_prefix()))


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    if os.name != "posix":  # no harmless way to ask: keep the file
        return True
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, under another user
        return True
    return True


def remove_leftovers(folder: Path | None = None) -> list[Path]:
    """Remove the temporary files and folders of processes that no longer run (killed during an
    import); returns what was removed."""
    folder = Path(tempfile.gettempdir()) if folder is None else folder
    removed: list[Path] = []
    try:
        entries = list(folder.iterdir())
    except OSError:
        return removed
    for entry in entries:
        match = _SCRATCH.match(entry.name)
        if match is None or _alive(int(match.group(1))):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
        removed.append(entry)
    return removed


def remove_spill_files(path: Path) -> list[Path]:
    """Remove from `<db>.tmp/`, DuckDB's spill folder, the files of other processes: called with
    the database open for writing, which no other process can have open at the same time, so they
    are what a killed process left. DuckDB names its files after the process that wrote them."""
    folder = Path(str(path) + ".tmp")
    mine = f"duckdb_temp_{os.getpid()}_"
    removed: list[Path] = []
    try:
        entries = list(folder.iterdir())
    except OSError:
        return removed
    for entry in entries:
        if entry.name.startswith("duckdb_temp") and not entry.name.startswith(mine):
            entry.unlink(missing_ok=True)
            removed.append(entry)
    return removed


class Store:
    def __init__(
        self,
        path: Path | str,
        calendar: Calendar | None = None,
        *,
        keep_open: bool = True,
        lock_timeout: float = 30.0,
        memory_limit: str = "1GB",
        timezone: str = DEFAULT_ZONE,
    ) -> None:
        self.path = Path(path)
        self.memory_limit = memory_limit
        self.timezone = zone_info(timezone).key
        # No progress bar on a terminal; a bounded memory (DuckDB spills to disk beyond it). The
        # stored timestamps (TIMESTAMPTZ) read back, and cast to TIMESTAMP, in the service's zone.
        zone = self.timezone.replace("'", "''")
        self._session = (
            f"SET enable_progress_bar = false; SET memory_limit = '{memory_limit}'; "
            f"SET TimeZone = '{zone}'"
        )
        self.calendar = calendar or Calendar()
        self.keep_open = keep_open
        self.lock_timeout = lock_timeout
        self._con: duckdb.DuckDBPyConnection | None = None

    # -- connections ---------------------------------------------------------------------------

    def _connect(self) -> duckdb.DuckDBPyConnection:
        deadline = time.monotonic() + self.lock_timeout
        pause = 0.02
        while True:
            try:
                with _CONNECT_LOCK:
                    con = duckdb.connect(str(self.path))
                    remove_spill_files(self.path)
                    return con
            except duckdb.Error as exc:
                if not _is_lock_error(exc):
                    raise StoreError(f"Impossible d'ouvrir la base {self.path} : {exc}") from exc
                if time.monotonic() >= deadline:
                    raise StoreError(
                        f"La base {self.path} est utilisée par un autre programme "
                        "(un import est peut-être en cours). Réessayez dans un instant.",
                        title="Base occupée",
                    ) from exc
                time.sleep(pause)
                pause = min(pause * 2, 0.5)

    @contextmanager
    def cursor(self) -> Iterator[Cursor]:
        """A cursor for one call; without `keep_open`, the file is released when it closes."""
        if self.keep_open:
            if self._con is None:
                self._con = self._connect()
            with self._con.cursor() as cur:
                cur.execute(self._session)
                yield cur
            return
        con = self._connect()
        try:
            with con.cursor() as cur:
                cur.execute(self._session)
                yield cur
        finally:
            with _CONNECT_LOCK:  # the last close frees the instance: not while another opens it
                con.close()

    @contextmanager
    def transaction(self) -> Iterator[Cursor]:
        """All or nothing: commits when the block ends, rolls back if it raises."""
        with _WRITE_LOCK, self.cursor() as cur:
            cur.execute("BEGIN TRANSACTION")
            try:
                yield cur
            except BaseException:
                cur.execute("ROLLBACK")
                raise
            cur.execute("COMMIT")

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- data version, for caches --------------------------------------------------------------

    def data_version(self) -> str:
        """Changes whenever the file does; read without opening the database."""
        parts = []
        for suffix in ("", ".wal"):
            file = Path(str(self.path) + suffix)
            if file.exists():
                stat = file.stat()
                parts.append(f"{stat.st_mtime_ns}:{stat.st_size}")
        return "|".join(parts)

    # -- maintenance ---------------------------------------------------------------------------

    def prepare(self) -> None:
        """Create or upgrade the schema, rebuild the views, fill the due dates. A DuckDB
        database of another program (tables, but not this project's `meta`) is refused as it is."""
        with self.transaction() as cur:
            if schema_version(cur) == 0:
                other = fetch_one(
                    cur,
                    """SELECT count(*) FROM duckdb_tables()
                       WHERE database_name = current_database() AND NOT temporary""",
                )
                if other and other[0]:
                    raise StoreError(
                        _NOT_OURS.format(
                            path=self.path, why=" (il contient les tables d'un autre programme)"
                        ),
                        _NOT_OURS_TITLE,
                    )
            migrate(cur)
            create_views(cur)
            refresh_due_dates(cur, self.calendar)


def refresh_due_dates(cur: Cursor, calendar: Calendar) -> int:
    """Give every case without them its due dates under both policies; returns how many new
    clock-start dates were computed.

    Rules stay in Python (deadlines.py) and run once per distinct start date, kept in `due_dates`;
    each case then carries its own due dates, so that no query needs a join.
    """
    added = add_due_dates(
        cur,
        calendar,
        """SELECT received_on FROM complaints WHERE ack_due_cpms IS NULL
           UNION SELECT sent_on FROM complaints WHERE ack_due_cpms IS NULL""",
    )
    cur.execute(f"""
        UPDATE complaints SET
            ack_due_cpms = r.ack_due, answer_due_cpms = r.answer_due,
            ack_due_acpr = a.ack_due, answer_due_acpr = a.answer_due
        FROM due_dates r, due_dates a
        WHERE complaints.ack_due_cpms IS NULL
          AND r.policy = 'cpms' AND r.start_date = {clock_start_sql("'cpms'", *_COLUMNS)}
          AND a.policy = 'acpr' AND a.start_date = {clock_start_sql("'acpr'", *_COLUMNS)}
    """)
    return added


def add_due_dates(cur: Cursor, calendar: Calendar, start_dates: str) -> int:
    """Compute into `due_dates` the due dates of every clock-start date the query `start_dates`
    returns that is not there yet (all of them again when the calendar changed)."""
    row = fetch_one(cur, "SELECT value FROM meta WHERE key = 'calendar'")
    if row is None or row[0] != calendar.key:
        cur.execute("DELETE FROM due_dates")
        cur.execute(f"UPDATE complaints SET {', '.join(f'{c} = NULL' for c in DUE_COLUMNS)}")
        cur.execute("INSERT OR REPLACE INTO meta VALUES ('calendar', ?)", [calendar.key])
    missing = cur.execute(f"""
        SELECT DISTINCT start_date FROM ({start_dates}) s(start_date)
        WHERE start_date IS NOT NULL AND start_date NOT IN (SELECT start_date FROM due_dates)
    """).fetchall()
    starts: list[date] = [r[0] for r in missing]
    if starts:
        records = []
        for policy in POLICIES:
            for start in starts:
                due = due_dates(policy, start, calendar)
                records.append((start, policy, due.acknowledgement, due.answer))
        new_dates = pd.DataFrame(records, columns=["start_date", "policy", "ack_due", "answer_due"])
        cur.register("new_due_dates", new_dates)
        try:
            cur.execute("""
                INSERT INTO due_dates
                SELECT start_date::DATE, policy, ack_due::DATE, answer_due::DATE
                FROM new_due_dates
            """)
        finally:
            cur.unregister("new_due_dates")
    return len(starts)


# A DuckDB file starts with an 8-byte checksum, then this magic.
_MAGIC, _MAGIC_AT = b"DUCK", 8
_NOT_OURS_TITLE = "Base de données invalide"
_NOT_OURS = (
    "Le fichier {path} n'est pas une base de ce tableau de bord{why} : il n'a pas été modifié. "
    "Indiquez une base créée par le tableau de bord ou un fichier qui n'existe pas encore "
    "(option --db ou réglage CPMS_DB)."
)


def check_database_file(path: Path) -> None:
    """Refuse, before DuckDB opens it, an existing file that is not a DuckDB database: DuckDB
    would read a CSV as an in-memory database and an import would then store nothing."""
    if not path.exists():
        return
    if path.is_dir():
        raise StoreError(_NOT_OURS.format(path=path, why=" (c'est un dossier)"), _NOT_OURS_TITLE)
    try:
        with path.open("rb") as file:
            head = file.read(_MAGIC_AT + len(_MAGIC))
    except OSError as exc:
        raise StoreError(f"Impossible de lire la base {path} : {exc.strerror}.") from exc
    if head[_MAGIC_AT:] != _MAGIC:
        why = " (fichier vide)" if not head else " (ce n'est pas une base DuckDB)"
        raise StoreError(_NOT_OURS.format(path=path, why=why), _NOT_OURS_TITLE)


def open_store(
    path: Path | str | None = None,
    settings: Settings | None = None,
    *,
    keep_open: bool = True,
    lock_timeout: float = 30.0,
) -> Store:
    """Open (creating or upgrading it if needed) the database at `path` (default: `CPMS_DB`)."""
    settings = settings or load_settings()
    remove_leftovers()
    target = Path(path) if path is not None else settings.db_path
    check_database_file(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    calendar = Calendar(settings.holiday_region, settings.extend_to_working_day)
    store = Store(
        target,
        calendar,
        keep_open=keep_open,
        lock_timeout=lock_timeout,
        memory_limit=settings.memory_limit,
        timezone=settings.timezone,
    )
    try:
        store.prepare()
    except duckdb.Error as exc:
        store.close()
        raise StoreError(f"La base {target} est illisible ou endommagée : {exc}") from exc
    except BaseException:
        store.close()
        raise
    return store
