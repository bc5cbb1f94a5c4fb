"""A 10k-row run of the benchmark, so the script keeps working (no timing is asserted)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_benchmark_smoke_run(tmp_path):
    out = tmp_path / "results.md"
    done = subprocess.run(
        [sys.executable, "benchmarks/bench.py", "--sizes", "10000", "--repeat", "1",
         "--workdir", str(tmp_path), "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    table = out.read_text(encoding="utf-8")
    assert "| 10,000 | import (vs 3 × read_csv)" in table
    assert "figures identiques" in table  # ours and the pandas peer agree
    assert "AppTest run: dashboard.py" in table
