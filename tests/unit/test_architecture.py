"""The domain stays importable without Streamlit, the import's steps share their relations through
one `Staging`, and every setting is documented."""

import re
import subprocess
import sys
from pathlib import Path

from cpms_metrics.ingest import Staging
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


def test_import_steps_stay_small():
    # The import was one module of 1,900 lines; each step is a module a newcomer reads at once.
    for path in sorted((ROOT / "cpms_metrics" / "ingest").glob("*.py")):
        lines = len(path.read_text(encoding="utf-8").splitlines())
        assert lines <= 600, f"ingest/{path.name}: {lines} lines"


def test_shared_relations_are_named_by_staging_only():
    # SQL that names one of the import's shared relations itself, instead of through `Staging`.
    staging = Staging()
    names = [*staging.relations(), "map_", "amount_", "fallback_"]
    literal = re.compile(
        r"\b(?:FROM|JOIN|TABLE|VIEW|INTO|UPDATE|DESCRIBE|EXISTS|RENAME TO)\s+("
        + "|".join(re.escape(n) + ("\\w*" if n.endswith("_") else "\\b") for n in names)
        + ")",
        re.IGNORECASE,
    )
    staging_module = ROOT / "cpms_metrics" / "ingest" / "staging.py"
    for path in sorted((ROOT / "cpms_metrics").rglob("*.py")):
        if path == staging_module:
            continue
        found = literal.findall(path.read_text(encoding="utf-8"))
        assert not found, f"{path.relative_to(ROOT)} names {found} (use the Staging object)"
