"""The demo database: the committed sample export, moved in time so that it looks alive on any day.

`load_sample` shifts every date of the sample by a whole number of weeks (weekdays stay what they
were) so that its last day falls in the week before `today`, imports it through the real importer
and records in `meta` that the database holds sample data; `is_sample` reads that back.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta
from pathlib import Path

from .fields import DATE_COLUMNS
from .ingest import ImportReport, load, parse_date, prepare, read_export
from .schema import fetch_one
from .store import Store

SAMPLE_FLAG = "sample"  # meta key: '1' while the database holds the sample only
SAMPLE_FILE = "sample_file"  # meta key: the file name the sample was imported under


def shift_weeks(last_day: date, today: date) -> int:
    """Whole weeks to add so that `last_day` lands on or before `today`, less than a week before."""
    return (today - last_day).days // 7


def _shift(text: str, weeks: int) -> str:
    """A date cell moved by `weeks`, as ISO text; unreadable or empty cells stay as they are (the
    importer then rejects or ignores them exactly as it would have)."""
    try:
        day = parse_date(text)
    except ValueError:
        return text
    return (day + timedelta(weeks=weeks)).isoformat() if day else text


def _last_day(columns: list[list[str]]) -> date | None:
    days: list[date] = []
    for cells in columns:
        for text in set(cells):
            try:
                day = parse_date(text)
            except ValueError:
                continue
            if day is not None:
                days.append(day)
    return max(days, default=None)


def load_sample(
    store: Store,
    path: Path,
    *,
    today: date,
    imported_at: datetime,
    objects: tuple[str, ...],
) -> ImportReport:
    """Import the sample export at `path`, its dates shifted to end in the week before `today`."""
    raw = read_export(path)
    frame = raw.frame
    present = [c for c in DATE_COLUMNS if c in frame.columns]
    last = _last_day([frame[c].fillna("").astype(str).tolist() for c in present])
    weeks = shift_weeks(last, today) if last is not None else 0
    for column in present:
        frame[column] = frame[column].fillna("").astype(str).map(lambda t: _shift(t, weeks))
    prepared = prepare(
        raw,
        import_day=today,
        objects=objects,
        file_name=path.name,
        sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
    )
    report = load(store, prepared, imported_at=imported_at)
    with store.transaction() as cur:
        cur.execute(
            "INSERT OR REPLACE INTO meta VALUES (?, '1'), (?, ?)",
            [SAMPLE_FLAG, SAMPLE_FILE, path.name],
        )
    return report


def is_sample(store: Store) -> bool:
    """True while the database holds the sample only: any other write (an import, a case typed in
    the form) clears the flag (`ingest.write_cases`, in ingest/write.py)."""
    with store.cursor() as cur:
        flag = fetch_one(cur, "SELECT value FROM meta WHERE key = ?", [SAMPLE_FLAG])
    return flag is not None and flag[0] == "1"
