"""The domain stays importable without Streamlit, and every setting is documented."""

import subprocess
import sys
from pathlib import Path

from cpms_metrics.settings import SETTINGS

ROOT = Path(__file__).resolve().parents[2]


def test_domain_does_not_import_streamlit():
    code = (
        "import sys, cpms_metrics, cpms_metrics.cli, cpms_metrics.ingest, cpms_metrics.queries, "
        "cpms_metrics.sample, cpms_metrics.validation, cpms_metrics.quality; "
        "assert 'streamlit' not in sys.modules, 'streamlit imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_only_the_command_line_reads_the_clock():
    for path in sorted((ROOT / "cpms_metrics").rglob("*.py")):
        if path.name == "cli.py":
            continue
        text = path.read_text(encoding="utf-8")
        for call in ("datetime.now(", "date.today(", "datetime.today(", "utcnow(", "time.time("):
            assert call not in text, f"{path.name} reads the clock ({call})"


def test_readme_lists_every_setting():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for setting in SETTINGS:
        assert f"`{setting.env}`" in readme, setting.env
        assert setting.default in readme, setting.default
