"""The repository documents its own rules: no file points outside the clone, and docs/regles.md
names every key that `kpis --json` prints."""

from __future__ import annotations

import subprocess
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from cpms_metrics import kpis
from cpms_metrics.store import Store
from tests.conftest import Loader

ROOT = Path(__file__).resolve().parents[2]
OUTSIDE = ("../" + "shared", "shared/" + "spec/")  # split: this file does not name them itself
EXPORT = (
    "reference;received_on;channel;nature;object;risk_carrier;acknowledged_on;responded_on;"
    "response_channel;mediator_referred_on\n"
    "R1;2025-01-06;email;reclamation;remboursement;assureur;2025-01-08;2025-02-20;email;2025-03-01\n"
    "R2;2025-02-03;courrier;reclamation;adhesion;mutuelle;;;;\n"
    "R3;2025-02-04;telephone;demande_information;autre;;;;;\n"
)


def tracked_files() -> list[Path]:
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=False)
    if listed.returncode != 0:
        pytest.skip("not a git clone: no list of tracked files")
    names = [n for n in listed.stdout.decode().split("\0") if n]
    return [ROOT / n for n in names if (ROOT / n).is_file()]


def test_no_tracked_file_points_outside_the_repository() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}: {needle}"
        for path in tracked_files()
        for needle in OUTSIDE
        if needle.encode() in path.read_bytes()
    ]
    assert offenders == []


def test_the_readme_points_to_the_rules_and_the_export_format() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for doc in ("docs/regles.md", "docs/format-export.md"):
        assert f"]({doc})" in readme, doc
        assert (ROOT / doc).is_file(), doc


def keys_of(value: Any) -> set[str]:
    """Every key of a JSON object, at any depth (the entries of lists included)."""
    if isinstance(value, dict):
        return set(value).union(*(keys_of(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(keys_of(v) for v in value))
    return set()


def test_the_rules_name_every_key_of_the_kpis_object(store: Store, load_text: Loader) -> None:
    load_text(EXPORT)
    result = kpis(store, as_of=date(2025, 4, 10))
    keys = keys_of(result)
    assert {"ack", "on_time", "by_month", "mediation_assurance"} <= keys  # the data reaches them
    rules = (ROOT / "docs" / "regles.md").read_text(encoding="utf-8")
    assert sorted(k for k in keys if f"`{k}`" not in rules) == []
