"""The command line as a scheduled job sees it: exit codes, French messages, JSON."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cpms_metrics import cli, open_store

ROOT = Path(__file__).resolve().parents[2]
GOOD = "reference;received_on;channel;nature;object\nR1;2025-02-03;email;reclamation;adhesion\n"


def run(*args: str, db: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cpms_metrics", *args, "--db", str(db)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )


def test_import_all_good_exits_0_and_prints_a_french_summary(tmp_path):
    export = tmp_path / "e.csv"
    export.write_text(GOOD)
    done = run("import", str(export), db=tmp_path / "db.duckdb")
    assert done.returncode == 0, done.stderr
    assert "Lignes lues : 1" in done.stdout and "Ajoutées : 1" in done.stdout


def test_import_with_bad_rows_exits_3_and_writes_rejects(tmp_path):
    export = tmp_path / "e.csv"
    export.write_text(GOOD + "R2;bientôt;email;reclamation;adhesion\n;2025-02-03;x;y;z\n")
    rejects = tmp_path / "rejets.csv"
    done = run("import", str(export), "--rejects", str(rejects), db=tmp_path / "db.duckdb")
    assert done.returncode == 3, done.stderr
    assert "Rejetées : 2" in done.stdout
    with rejects.open(encoding="utf-8-sig") as handle:  # the page's download: BOM and `;`
        written = list(csv.DictReader(handle, delimiter=";"))
    assert list(written[0]) == ["Ligne", "Référence", "Colonne", "Valeur", "Motif"]
    assert {r["Ligne"] for r in written} == {"3", "4"}
    assert written[0]["Référence"] == "R2" and written[0]["Valeur"] == "bientôt"


def test_unusable_files_exit_2_with_a_message_and_change_nothing(tmp_path):
    db = tmp_path / "db.duckdb"
    good = tmp_path / "e.csv"
    good.write_text(GOOD)
    assert run("import", str(good), db=db).returncode == 0
    no_receipt = tmp_path / "sans_date.csv"
    no_receipt.write_text("reference;channel;nature;object\nR2;email;reclamation;adhesion\n")
    garbage = tmp_path / "export.xlsx"
    garbage.write_bytes(bytes(range(256)) * 10)
    for path, message in ((no_receipt, "Date de réception"), (garbage, "Excel")):
        done = run("import", str(path), db=db)
        assert done.returncode == 2
        assert message in done.stderr and "Traceback" not in done.stderr
        assert done.stdout == ""
    result = json.loads(run("kpis", "--as-of", "2025-03-01", "--json", db=db).stdout)
    assert result["complaints"] == 1
    import duckdb

    with duckdb.connect(str(db)) as con:
        assert con.execute("SELECT count(*) FROM imports").fetchall() == [(1,)]


def test_kpis_json_and_table(tmp_path):
    db = tmp_path / "db.duckdb"
    export = tmp_path / "e.csv"
    export.write_text(GOOD)
    run("import", str(export), db=db)
    done = run(
        "kpis", "--as-of", "2025-03-01", "--policy", "acpr", "--from", "2025-01", "--json", db=db
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["policy"] == "acpr"
    assert result["period"] == {"from": "2025-01", "to": None}
    assert result["ack"]["overdue"] == 1
    table = run("kpis", "--as-of", "2025-03-01", db=db)
    assert "Accusés de réception" in table.stdout and "0,0\u202f%" in table.stdout


def test_kpis_bad_month_is_explained(tmp_path):
    export = tmp_path / "e.csv"
    export.write_text(GOOD)
    run("import", str(export), db=tmp_path / "db.duckdb")
    done = run("kpis", "--as-of", "2025-03-01", "--from", "2025-13", db=tmp_path / "db.duckdb")
    assert done.returncode == 2
    assert "Mois invalide" in done.stderr and "Traceback" not in done.stderr


def test_sample_command(tmp_path):
    out = tmp_path / "s.csv"
    done = subprocess.run(
        [sys.executable, "-m", "cpms_metrics", "sample", "--rows", "50", "--seed", "3",
         "--end", "2025-06-30", "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    db = tmp_path / "db.duckdb"
    assert run("import", str(out), db=db).returncode == 0


def test_report_command_writes_xlsx_and_explains_a_bad_suffix(tmp_path):
    from openpyxl import load_workbook

    db = tmp_path / "db.duckdb"
    export = tmp_path / "e.csv"
    export.write_text(GOOD)
    run("import", str(export), db=db)
    out = tmp_path / "r.xlsx"
    done = run("report", "--month", "2025-02", "--as-of", "2025-02-28", "--out", str(out), db=db)
    assert done.returncode == 0, done.stderr
    assert load_workbook(out).sheetnames
    bad = run("report", "--month", "2025-02", "--out", str(tmp_path / "r.doc"), db=db)
    assert bad.returncode == 2 and "Format de sortie inconnu" in bad.stderr


@pytest.mark.parametrize(
    "argv, expected",
    [
        ([], "argument obligatoire manquant : COMMANDE"),
        (
            ["kpis", "--policy", "xyz"],
            "valeur 'xyz' non reconnue (valeurs possibles : 'cpms', 'acpr')",
        ),
        (["kpis", "--as-of", "hier"], "date invalide : hier (format AAAA-MM-JJ)"),
        (["kpis", "--as-of"], "une valeur est attendue"),
        (["kpis", "--verbose"], "arguments non reconnus : --verbose"),
        (["report", "--out", "r.pdf"], "argument obligatoire manquant : --month"),
        (["exporter"], "valeur 'exporter' non reconnue"),
    ],
)
def test_usage_errors_are_in_french(argv, expected, capsys):
    from cpms_metrics.cli import main

    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage : python -m cpms_metrics")
    assert "Erreur : " in err and expected in err, err
    for english in ("usage:", "error:", "invalid ", "required:", "expected ", "unrecognized"):
        assert english not in err, err


def test_the_day_is_the_service_day_whatever_zone_the_server_runs_in(tmp_path, monkeypatch, capsys):
    # 23:30 UTC on 28 March 2026 is 00:30 on the 29th in Paris: a case received on the 29th is
    # not in the future, and the default as-of date is the 29th.
    instant = datetime(2026, 3, 28, 23, 30, tzinfo=UTC)
    monkeypatch.setattr(cli, "_now", lambda: instant)
    monkeypatch.delenv("CPMS_TIMEZONE", raising=False)
    export = tmp_path / "e.csv"
    export.write_text(GOOD + "R2;2026-03-29;email;reclamation;adhesion\n")
    db = tmp_path / "db.duckdb"
    assert cli.main(["import", str(export), "--db", str(db)]) == 0
    capsys.readouterr()
    assert cli.main(["kpis", "--json", "--db", str(db)]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["as_of"] == "2026-03-29" and result["complaints"] == 2
    with open_store(db, keep_open=False) as store, store.cursor() as cur:
        imported = cur.execute("SELECT imported_at FROM imports").fetchall()[0][0]
        logged = cur.execute("SELECT logged_at FROM audit_log").fetchall()[0][0]
    assert imported == logged == instant

    monkeypatch.setenv("CPMS_TIMEZONE", "UTC")  # the server's own day: the 29th is tomorrow
    assert cli.main(["import", str(export), "--db", str(tmp_path / "utc.duckdb")]) == 3
    assert "postérieure au jour de l'import (28/03/2026)" in capsys.readouterr().out
