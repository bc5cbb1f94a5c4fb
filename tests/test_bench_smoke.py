"""Small runs of the benchmark, so the script keeps working (no timing is asserted): one without a
browser, one through Chromium (page loads and a load test of two sessions)."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"


def bench(tmp_path: Path, *options: str) -> str:
    out = tmp_path / "results.md"
    done = subprocess.run(
        [sys.executable, "benchmarks/bench.py", "--repeat", "1",
         "--workdir", str(tmp_path), "--out", str(out), *options],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    return out.read_text(encoding="utf-8")


def test_benchmark_smoke_run(tmp_path):
    table = bench(tmp_path, "--sizes", "10000", "--no-browser")
    assert "| 10,000 | import (vs 3 × read_csv)" in table
    assert "| 10,000 | import (vs DuckDB read_csv into a table)" in table
    assert "figures identiques" in table  # ours and the pandas peer agree
    # ours and the bare DuckDB query agree, and no difference is listed under the table
    assert "kpis warm, cpms (vs bare DuckDB query; counts identiques)" in table
    assert "diffèrent" not in table
    assert "AppTest run: dashboard.py" in table
    assert "page load (Chromium)" not in table


@pytest.mark.e2e
def test_benchmark_smoke_run_in_chromium(tmp_path):
    if not (Path(CHROMIUM).exists() or shutil.which("chromium")):
        if os.environ.get("CPMS_REQUIRE_BROWSER"):
            pytest.fail("Chromium est introuvable alors que CPMS_REQUIRE_BROWSER est défini.")
        pytest.skip("Chromium est introuvable (définir CPMS_REQUIRE_BROWSER=1 pour échouer).")
    table = bench(
        tmp_path, "--sizes", "2000", "--browser-only",
        "--browser-pages", "pages/5_dossiers_a_echeance.py", "--load-users", "2",
    )  # fmt: skip
    assert "| 2,000 | page load (Chromium): one-line page (first " in table
    assert "| 2,000 | page load (Chromium): pages/5_dossiers_a_echeance.py (first " in table
    assert "| 2,000 | load: 2 sessions × 3 pages, median (p95 " in table
    assert "Montée en charge à 2,000 réclamations : le 95e centile" in table
