"""The command line under hostile use (issue 12): a `--db` that is not this project's database,
a `--rejects` file full of formulas and NIRs or in a missing folder, months out of range, and a
reader that closes the pipe."""

from __future__ import annotations

import hashlib
import io
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]
GOOD = "reference;received_on;channel;nature;object\nR1;2025-02-03;email;reclamation;adhesion\n"
NIR = "185057800608491"
MASKED = "1 85 05 78 ••• ••• 91"


def run(*args: str, db: Path | None = None) -> subprocess.CompletedProcess[str]:
    extra = [] if db is None else ["--db", str(db)]
    return subprocess.run(
        [sys.executable, "-m", "cpms_metrics", *args, *extra],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def export(tmp_path: Path, text: str = GOOD) -> Path:
    path = tmp_path / "e.csv"
    path.write_text(text, encoding="utf-8")
    return path


# --- --db -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [
        ("reference;received_on\n" + "R1;2025-01-01\n" * 300).encode(),  # DuckDB reads it as a db
        b"",  # an empty file
        b"SQLite format 3\x00" + bytes(200),
    ],
)
def test_a_db_that_is_not_a_duckdb_database_is_refused_and_left_untouched(
    tmp_path: Path, content: bytes
) -> None:
    db = tmp_path / "not_a_db.csv"
    db.write_bytes(content)
    before = digest(db)
    for args in (("import", str(export(tmp_path))), ("kpis",)):
        done = run(*args, db=db)
        assert done.returncode == 2, done.stdout
        assert "n'est pas une base de ce tableau de bord" in done.stderr
        assert "Traceback" not in done.stderr and "Ajoutées" not in done.stdout
    assert digest(db) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["e.csv", "not_a_db.csv"]


def test_a_duckdb_database_of_another_program_is_refused_and_left_untouched(
    tmp_path: Path,
) -> None:
    db = tmp_path / "other.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE TABLE invoices (id INTEGER, amount DECIMAL(10, 2))")
        con.execute("INSERT INTO invoices VALUES (1, 12.5)")
    before = digest(db)
    done = run("import", str(export(tmp_path)), db=db)
    assert done.returncode == 2 and "un autre programme" in done.stderr, done.stderr
    assert digest(db) == before
    with duckdb.connect(str(db)) as con:
        tables = con.execute("SELECT table_name FROM duckdb_tables()").fetchall()
    assert tables == [("invoices",)]


def test_a_new_or_own_database_still_opens(tmp_path: Path) -> None:
    db = tmp_path / "sub" / "cpms.duckdb"
    assert run("import", str(export(tmp_path)), db=db).returncode == 0
    done = run("import", str(export(tmp_path)), db=db)
    assert done.returncode == 0 and "Inchangées : 1" in done.stdout, done.stderr


# --- --rejects ----------------------------------------------------------------------------------

HOSTILE = (
    "reference;received_on;channel;nature;object;Entreprise\n"
    "R1;2025-02-03;email;reclamation;adhesion;Mutuelle\n"
    '=HYPERLINK("http://x.example");bientôt;email;reclamation;adhesion;x\n'
    "+cmd|' /C calc'!A0;2025-13-45;email;reclamation;adhesion;x\n"
    f"@SUM(A1:A2);{NIR};email;reclamation;adhesion;x\n"
    f"{NIR};;email;reclamation;adhesion;x\n"
)


def test_the_rejects_file_is_the_page_download(tmp_path: Path) -> None:
    rejects = tmp_path / "rejets.csv"
    done = run(
        "import", str(export(tmp_path, HOSTILE)), "--rejects", str(rejects),
        db=tmp_path / "db.duckdb",
    )  # fmt: skip
    assert done.returncode == 3, done.stderr
    raw = rejects.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: French Excel reads UTF-8
    text = raw.decode("utf-8-sig")
    assert NIR not in text and NIR not in done.stdout
    rows = pd.read_csv(io.StringIO(text), sep=";", dtype=str, keep_default_na=False)
    assert list(rows.columns) == ["Ligne", "Référence", "Colonne", "Valeur", "Motif"]
    assert rows["Référence"].tolist() == [
        '\'=HYPERLINK("http://x.example")',
        "'+cmd|' /C calc'!A0",
        "'@SUM(A1:A2)",
        MASKED,
    ]
    assert MASKED in rows["Valeur"].tolist()  # the NIR typed as a receipt date
    # Byte for byte what the import page offers for download.
    from cpms_metrics.access import PersonalData
    from cpms_metrics.ingest import rejects_of
    from cpms_metrics.rejects import rejections_csv
    from cpms_metrics.store import Store

    assert rejections_csv(rejects_of(Store(tmp_path / "db.duckdb"), 1), PersonalData.CLEAR) == raw


@pytest.mark.parametrize("where", ["missing/rejets.csv", "."])
def test_an_unwritable_rejects_path_is_refused_before_importing(tmp_path: Path, where: str) -> None:
    db = tmp_path / "db.duckdb"
    assert run("import", str(export(tmp_path)), db=db).returncode == 0
    before = digest(db)
    bad = export(tmp_path, GOOD + "R2;bientôt;email;reclamation;adhesion\n")
    done = run("import", str(bad), "--rejects", str(tmp_path / where), db=db)
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert "Rien n'a été importé" in done.stderr or "dossier" in done.stderr
    assert done.stdout == ""
    assert digest(db) == before


# --- Months and pipes ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ("kpis", "--to", "9999-12"),
        ("kpis", "--from", "0001-01"),
        ("report", "--month", "9999-12", "--out", "r.pdf"),
        ("report", "--month", "0001-01", "--out", "r.xlsx"),
    ],
)
def test_months_out_of_range_get_a_french_message(tmp_path: Path, args: tuple[str, ...]) -> None:
    db = tmp_path / "db.duckdb"
    assert run("import", str(export(tmp_path)), db=db).returncode == 0
    done = run(*args, db=db)
    assert done.returncode == 2
    assert "Mois hors de la plage acceptée" in done.stderr and "Traceback" not in done.stderr


def test_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    db = tmp_path / "db.duckdb"
    assert run("import", str(export(tmp_path)), db=db).returncode == 0
    command = [sys.executable, "-m", "cpms_metrics", "kpis", "--json", "--db", str(db)]
    with subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    ) as process:
        assert process.stdout is not None and process.stderr is not None
        process.stdout.close()  # `| head -0`: nobody reads
        errors = process.stderr.read().decode()
        code = process.wait(timeout=60)
    assert "Traceback" not in errors and "BrokenPipe" not in errors, errors
    assert code == 141
