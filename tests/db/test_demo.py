"""The demo database: the sample shifted by whole weeks to end near today, and flagged as such."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest

from cpms_metrics import Store, demo, open_store
from cpms_metrics.ingest import import_file
from cpms_metrics.settings import load_settings

SAMPLE = (
    "Référence;Date de réception;Date d'envoi;Canal;Nature;Objet;Date d'accusé de réception;"
    "Date de réponse\n"
    "S1;06/01/2025;03/01/2025;Courrier;Réclamation;Autre;08/01/2025;20/02/2025\n"
    "S2;2025-03-14;;E-mail;Réclamation;Cotisation;;\n"
    "S3;31/02/2025;;E-mail;Réclamation;Autre;;\n"  # impossible date: rejected as it would be
)
SETTINGS = load_settings({})


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = open_store(tmp_path / "demo.duckdb", SETTINGS)
    yield opened
    opened.close()


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    path = tmp_path / "complaints.csv"
    path.write_text(SAMPLE, encoding="utf-8-sig")
    return path


@pytest.mark.parametrize(
    ("last_day", "today", "weeks"),
    [
        (date(2025, 3, 14), date(2025, 3, 14), 0),
        (date(2025, 3, 14), date(2025, 3, 20), 0),  # six days later: still in the same week
        (date(2025, 3, 14), date(2025, 3, 21), 1),
        (date(2025, 3, 14), date(2026, 11, 26), 88),
        (date(2026, 11, 20), date(2025, 1, 1), -99),  # a sample from the future moves back
    ],
)
def test_shift_weeks(last_day: date, today: date, weeks: int) -> None:
    assert demo.shift_weeks(last_day, today) == weeks
    shifted = date.fromordinal(last_day.toordinal() + 7 * weeks)
    assert 0 <= (today - shifted).days < 7


def load(store: Store, sample: Path, today: date) -> None:
    demo.load_sample(
        store,
        sample,
        today=today,
        imported_at=datetime.combine(today, datetime.min.time()),
        objects=SETTINGS.objects,
    )


def test_sample_is_moved_to_end_in_the_last_week(store: Store, sample: Path) -> None:
    today = date(2026, 11, 26)  # a Thursday; the sample's last day is Friday 2025-03-14
    load(store, sample, today)
    with store.cursor() as cur:
        rows = cur.execute(
            "SELECT reference, received_on, sent_on, acknowledged_on, responded_on "
            "FROM complaints ORDER BY reference"
        ).fetchall()
    weeks = 88  # (2026-11-26 - 2025-03-14) // 7
    s1, s2 = rows
    assert s1[1:] == tuple(
        date.fromordinal(d.toordinal() + 7 * weeks)
        for d in (date(2025, 1, 6), date(2025, 1, 3), date(2025, 1, 8), date(2025, 2, 20))
    )
    assert s2[1] == date(2026, 11, 20)  # a Friday still, within the week before today
    assert s2[1].weekday() == date(2025, 3, 14).weekday()
    assert demo.is_sample(store)


def test_a_real_import_ends_the_sample(store: Store, sample: Path, tmp_path: Path) -> None:
    load(store, sample, date(2026, 11, 26))
    real = tmp_path / "export_novembre.csv"
    real.write_text(SAMPLE.replace("S1;", "R1;"), encoding="utf-8")
    import_file(
        store,
        real,
        import_day=date(2026, 11, 26),
        imported_at=datetime(2026, 11, 26, 22, 0),
        objects=SETTINGS.objects,
    )
    assert not demo.is_sample(store)


def test_an_ordinary_database_is_not_the_sample(store: Store, sample: Path) -> None:
    assert not demo.is_sample(store)  # empty
    import_file(
        store, sample, import_day=date(2025, 3, 31), imported_at=datetime(2025, 3, 31),
        objects=SETTINGS.objects,
    )  # fmt: skip
    assert not demo.is_sample(store)  # the same file, imported as real data: no flag


def test_the_committed_sample_loads_and_looks_alive(store: Store) -> None:
    committed = Path(__file__).resolve().parents[2] / "sample_data" / "complaints.csv"
    if not committed.exists():
        pytest.skip("sample_data/complaints.csv is not there yet")
    today = date(2026, 11, 26)
    load(store, committed, today)
    with store.cursor() as cur:
        due_this_week = cur.execute(
            """SELECT count(*) FROM case_status($as_of, 'cpms')
               WHERE is_complaint AND answer_done_on IS NULL
                 AND least(CASE WHEN ack_done_on IS NULL THEN ack_due END, answer_due)
                     BETWEEN $as_of AND $as_of + 7""",
            {"as_of": today},
        ).fetchone()[0]
    assert due_this_week > 0
    assert demo.is_sample(store)
