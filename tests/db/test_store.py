"""Schema migrations, the due-date table, and the file lock released between calls."""

import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pandas as pd

from cpms_metrics import kpis, open_store
from cpms_metrics.schema import (
    MIGRATIONS,
    SCHEMA_VERSION,
    TIMESTAMP_COLUMNS,
    migrate,
    schema_version,
)
from cpms_metrics.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def test_database_of_an_earlier_version_upgrades_itself(tmp_path):
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    migrate(con, target=1)  # as the first release left it
    con.execute(
        "INSERT INTO complaints (reference, received_on, channel, nature, object, source, "
        "updated_at) VALUES ('R1', DATE '2025-02-03', 'email', 'reclamation', 'autre', 'x', "
        "TIMESTAMP '2025-02-03 10:00')"
    )
    con.close()
    with open_store(path, Settings(db_path=path)) as store:
        with store.cursor() as cur:
            assert schema_version(cur) == SCHEMA_VERSION == len(MIGRATIONS)
            assert cur.execute("SELECT count(*) FROM attachments").fetchall() == [(0,)]
        # the old case gets its due dates and counts
        assert kpis(store, as_of=date(2025, 2, 4))["ack"]["pending"] == 1


def test_calendar_change_recomputes_due_dates(tmp_path):
    path = tmp_path / "db.duckdb"
    with open_store(path, Settings()) as store, store.transaction() as cur:
        cur.execute(
            "INSERT INTO complaints (reference, received_on, sent_on, channel, nature, object, "
            "source, updated_at) VALUES ('R1', DATE '2025-12-22', DATE '2025-12-19', 'email', "
            "'reclamation', 'autre', 'x', now())"
        )
    with open_store(path, Settings()) as store, store.cursor() as cur:
        due = "SELECT ack_due FROM due_dates WHERE policy = 'acpr' AND start_date = '2025-12-19'"
        assert cur.execute(due).fetchall() == [(date(2026, 1, 2),)]
    moselle = Settings(holiday_region="alsace-moselle")
    with open_store(path, moselle) as store, store.cursor() as cur:
        assert cur.execute(due).fetchall() == [(date(2026, 1, 3),)]


def test_transient_store_releases_the_file_for_another_process(tmp_path):
    path = tmp_path / "db.duckdb"
    store = open_store(path, Settings(), keep_open=False)
    kpis(store, as_of=date(2025, 1, 1))
    version = store.data_version()
    csv = tmp_path / "e.csv"
    csv.write_text(
        "reference,received_on,channel,nature,object\nR1,2025-01-02,email,reclamation,autre\n"
    )
    done = subprocess.run(
        [sys.executable, "-m", "cpms_metrics", "import", str(csv), "--db", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert store.data_version() != version
    assert kpis(store, as_of=date(2025, 1, 3))["complaints"] == 1


def test_threads_opening_a_transient_store_at_once(tmp_path):
    import threading

    store = open_store(tmp_path / "db.duckdb", Settings(), keep_open=False)
    start = threading.Barrier(8)
    errors: list[BaseException] = []

    def read() -> None:
        try:
            start.wait()
            for _ in range(40):
                with store.cursor() as cur:
                    cur.execute("SELECT 1").fetchall()
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=read) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def _machine_zone() -> str:
    """The zone of this machine's clock, as DuckDB (and a naive `datetime.now()`) sees it."""
    with duckdb.connect() as con:
        return str(con.execute("SELECT current_setting('TimeZone')").fetchall()[0][0])


def test_stored_moments_become_instants_read_in_the_machine_zone_they_were_written_in(tmp_path):
    path = tmp_path / "v4.duckdb"
    written = datetime(2026, 3, 28, 23, 30)  # naive: the server's clock, before version 5
    con = duckdb.connect(str(path))
    migrate(con, target=4)
    con.execute(
        "INSERT INTO complaints (reference, received_on, channel, nature, object, source, "
        "updated_at) VALUES ('R1', DATE '2026-03-02', 'email', 'reclamation', 'autre', 'x', $t)",
        {"t": written},
    )
    con.execute("INSERT INTO imports (id, file_name, imported_at) VALUES (1, 'e.csv', $t)",
                {"t": written})  # fmt: skip
    con.execute("INSERT INTO case_history (reference, changed_at) VALUES ('R1', $t)",
                {"t": written})  # fmt: skip
    con.execute("INSERT INTO attachments (reference, added_at) VALUES ('R1', $t)", {"t": written})
    con.execute(
        "INSERT INTO audit_log (logged_at, who, action, detail) VALUES ($t, 'a', 'import', '')",
        {"t": written},
    )
    con.close()
    instant = written.replace(tzinfo=ZoneInfo(_machine_zone()))
    tokyo = Settings(db_path=path, timezone="Asia/Tokyo")
    with open_store(path, tokyo) as store, store.cursor() as cur:
        for table, column in TIMESTAMP_COLUMNS:
            sql = f"SELECT typeof({column}), {column} FROM {table}"
            [(kind, value)] = cur.execute(sql).fetchall()
            assert kind == "TIMESTAMP WITH TIME ZONE", (table, column)
            assert value == instant, (table, column)
            assert value.utcoffset() == timedelta(hours=9)  # read in the service's zone
        assert cur.execute("SELECT current_setting('TimeZone')").fetchall() == [("Asia/Tokyo",)]


def test_an_instant_written_aware_reads_back_the_same_in_any_service_zone(tmp_path):
    path = tmp_path / "db.duckdb"
    at = datetime(2026, 3, 28, 23, 30, tzinfo=UTC)
    with open_store(path, Settings(db_path=path)) as store, store.transaction() as cur:
        cur.execute("INSERT INTO case_history (reference, changed_at) VALUES ('R1', $t)", {"t": at})
    for zone, wall in (("Europe/Paris", "2026-03-29 00:30:00"), ("UTC", "2026-03-28 23:30:00")):
        with open_store(path, Settings(db_path=path, timezone=zone)) as store:
            with store.cursor() as cur:
                frame = cur.execute("SELECT changed_at FROM case_history").df()
                naive = cur.execute("SELECT changed_at::TIMESTAMP::VARCHAR FROM case_history")
                assert naive.fetchall() == [(wall,)]
            assert frame["changed_at"][0] == pd.Timestamp(at)
            assert str(frame["changed_at"].dt.tz) == zone
