"""Schema migrations, the due-date table, and the file lock released between calls."""

import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb

from cpms_metrics import kpis, open_store
from cpms_metrics.schema import MIGRATIONS, SCHEMA_VERSION, migrate, schema_version
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
