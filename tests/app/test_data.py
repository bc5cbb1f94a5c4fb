"""Where the figures come from: the sample on first run, with its notice; a nightly import while
the dashboard is open, seen at the next interaction."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import pytest

import ui.data
from cpms_metrics import demo, open_store
from cpms_metrics.settings import load_settings
from tests.app.conftest import ROOT, run_page, shown_metrics
from tests.app.known_export import QUERY, TEXT, write_export

NOTICE = "Données d'exemple"


def notices(at: object) -> str:
    return " ".join(i.value for i in at.info)  # type: ignore[attr-defined]


def test_first_run_creates_the_database_from_the_sample(
    db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sample = write_export(tmp_path, name="complaints.csv")
    monkeypatch.setattr(ui.data, "SAMPLE_PATH", sample)
    assert not db_path.exists()
    at = run_page("dashboard.py")
    assert not at.exception
    assert db_path.exists()
    assert NOTICE in notices(at)
    # Shifted by whole weeks to end in the week before today: the demo has cases due now.
    store = open_store(db_path)
    with store.cursor() as cur:
        last = cur.execute("SELECT max(received_on) FROM complaints").fetchone()[0]
    store.close()
    assert 0 <= (date.today() - last).days < 7
    assert last.weekday() == date(2026, 1, 5).weekday()  # R12's Monday stays a Monday


def test_no_sample_notice_for_real_data(known_db: Path) -> None:
    assert NOTICE not in notices(run_page("dashboard.py", QUERY))


def test_the_notice_goes_once_a_real_export_is_imported(
    db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sample = write_export(tmp_path, name="complaints.csv")
    store = open_store(db_path)
    settings = load_settings()
    now = datetime(2026, 1, 10, 8, 0)
    demo.load_sample(store, sample, today=now.date(), imported_at=now, objects=settings.objects)
    store.close()
    assert NOTICE in notices(run_page("pages/3_objets.py"))
    real = write_export(tmp_path, TEXT.replace("R01;", "Z01;"), "export_janvier.csv")
    nightly_import(db_path, real)
    assert NOTICE not in notices(run_page("pages/3_objets.py"))


def nightly_import(db_path: Path, export: Path) -> None:
    """`python -m cpms_metrics import`, in another process, as the nightly job runs it."""
    env = {**os.environ, "CPMS_DB": str(db_path)}
    result = subprocess.run(
        [sys.executable, "-m", "cpms_metrics", "import", str(export)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr


def test_a_nightly_import_while_the_dashboard_is_open(known_db: Path, tmp_path: Path) -> None:
    at = run_page("dashboard.py", QUERY)
    assert shown_metrics(at)["Réclamations reçues"] == "9"
    # The dashboard does not hold the file between interactions: the import can write to it.
    header = TEXT.splitlines()[0]
    more = f"{header}\nN01;03/03/2025;;E-mail;Réclamation;Autre{';' * 11}\n"
    nightly_import(known_db, write_export(tmp_path, more, "nightly.csv"))
    at.run()  # the next interaction
    assert shown_metrics(at)["Réclamations reçues"] == "10"
