"""Exports of other tools: header detection, Excel serial dates, profiles, untracked steps."""

from __future__ import annotations

import random
import sys
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook

from cpms_metrics import cli
from cpms_metrics.errors import ImportFileError
from cpms_metrics.ingest import import_file, parse_date, read_and_prepare
from cpms_metrics.profiles import NO_PROFILE, load_profile
from cpms_metrics.queries import kpis
from cpms_metrics.settings import Settings

OBJECTS = Settings().objects
DAY = date(2026, 1, 15)

# A complaint export of another tool, as a public database publishes it: two preamble lines,
# English headers, US dates, its own values, no acknowledgement and no answer column.
PROFILE = """\
name = "Base publique de réclamations"
date_format = "%m/%d/%Y"

[columns]
reference = "Complaint ID"
received_on = "Date sent to company"
sent_on = "Date received"
channel = "Submitted via"
object = "Product"

[values.channel]
"Web" = "email"
"Postal mail" = "courrier"
"Phone" = "telephone"
"Fax" = "courrier"

[values.object]
"Credit card" = "cotisation"
"Mortgage" = "remboursement"

[constants]
nature = "reclamation"

[fallback]
object = "autre"
"""
CHANNELS = ("Web", "Postal mail", "Phone", "Fax")
PRODUCTS = ("Credit card", "Mortgage", "Debt collection", "Student loan")


def foreign_export(path: Path, rows: int = 600) -> tuple[Path, Counter[str]]:
    """The file, and its complaints per month of receipt (as the file itself says)."""
    pick = random.Random(13)
    months: Counter[str] = Counter()
    lines = [
        "Consumer complaints export,,,,,",
        "Generated 2026-01-10 by the reporting tool,,,,,",
        "Complaint ID,Date received,Date sent to company,Submitted via,Product,Company response",
    ]
    for n in range(rows):
        received = date(2025, 1, 1) + timedelta(days=pick.randrange(360))
        sent = received - timedelta(days=pick.randrange(3))
        channel, product = pick.choice(CHANNELS), pick.choice(PRODUCTS)
        lines.append(
            f"{900000 + n},{sent:%m/%d/%Y},{received:%m/%d/%Y},{channel},{product},"
            "Closed with explanation"
        )
        months[f"{received:%Y-%m}"] += 1
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, months


def write_profile(tmp_path: Path, text: str = PROFILE, name: str = "outil.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def run(store, path: Path, profile=NO_PROFILE):
    return import_file(
        store,
        path,
        import_day=DAY,
        imported_at=datetime(2026, 1, 15, 9),
        objects=OBJECTS,
        profile=profile,
    )


# --- Header detection and Excel serial dates, with or without a profile ------------------------


def test_header_below_preamble_lines_is_found_and_line_numbers_stay_true(store, tmp_path):
    path = tmp_path / "preamble.csv"
    path.write_text(
        "Export du 10/01/2026\n"
        "Service réclamations\n"
        "reference;received_on;channel;nature;object\n"
        "R1;2025-02-03;email;reclamation;adhesion\n"
        "R2;2025-02-31;email;reclamation;adhesion\n",
        encoding="utf-8",
    )
    report = run(store, path)
    assert (report.rows_read, report.added, report.rejected) == (2, 1, 1)
    assert report.rejections["line"].tolist() == [5]  # the file's own line numbers


def test_header_not_found_names_the_lines_read_and_the_columns_seen(store, tmp_path):
    path = tmp_path / "foreign.csv"
    path.write_text("Title\nComplaint ID,Date received,Product\n1,01/02/2025,Card\n")
    with pytest.raises(ImportFileError) as caught:
        run(store, path)
    message = str(caught.value)
    assert "lignes 1 à 3" in message
    assert "« Complaint ID », « Date received », « Product »" in message
    assert "ligne 2" in message and "Colonne obligatoire absente" in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("45992", date(2025, 12, 1)),
        ("45992.0", date(2025, 12, 1)),
        ("32874", date(1990, 1, 1)),
        ("73050", date(2099, 12, 31)),
    ],
)
def test_excel_serial_numbers_are_dates(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize("text", ["12", "2025", "32873", "73051", "123456", "-45992"])
def test_ordinary_numbers_are_not_taken_for_dates(text):
    with pytest.raises(ValueError):
        parse_date(text)


def test_xlsx_with_a_title_row_and_serial_dates_loads(store, tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(["Suivi des réclamations 2025"])
    sheet.append(["Référence", "Date de réception", "Canal", "Nature", "Objet", "Date de réponse"])
    sheet.append(["R1", 45691, "Mail", "Réclamation", "Adhésion", 45699])  # numbers, not dates
    sheet.append(["R2", 45692.0, "Courrier", "Réclamation", "Autre", None])
    path = tmp_path / "saisie.xlsx"
    book.save(path)
    report = run(store, path)
    assert (report.rows_read, report.added, report.rejected) == (2, 2, 0)
    with store.cursor() as cur:
        got = cur.execute(
            "SELECT reference, received_on, responded_on FROM complaints ORDER BY reference"
        ).fetchall()
    assert got == [("R1", date(2025, 2, 3), date(2025, 2, 11)), ("R2", date(2025, 2, 4), None)]


# --- Profiles ----------------------------------------------------------------------------------


def test_foreign_export_loads_every_row_through_a_hand_written_profile(store, tmp_path):
    path, months = foreign_export(tmp_path / "complaints.csv")
    profile = load_profile(str(write_profile(tmp_path)), folder=None, objects=OBJECTS)
    report = run(store, path, profile)
    assert (report.rows_read, report.added, report.rejected) == (600, 600, 0)
    result = kpis(store, as_of=DAY)
    assert {m["month"]: m["complaints"] for m in result["by_month"]} == dict(months)
    with store.cursor() as cur:
        objects = dict(cur.execute("SELECT object, count(*) FROM complaints GROUP BY 1").fetchall())
        replaced = cur.execute(
            "SELECT count(*), count(DISTINCT value) FROM findings WHERE field = 'object'"
        ).fetchall()[0]
    assert set(objects) == {"cotisation", "remboursement", "autre"}
    assert replaced == (objects["autre"], 2)  # the original kept in a finding


def test_profile_found_by_name_in_the_profiles_folder(tmp_path):
    folder = tmp_path / "profils"
    folder.mkdir()
    write_profile(folder, name="outil_x.toml")
    assert load_profile("outil_x", folder=folder, objects=OBJECTS).name.startswith("Base")
    with pytest.raises(ImportFileError, match=r"outil_y.*introuvable.*outil_x"):
        load_profile("outil_y", folder=folder, objects=OBJECTS)


@pytest.mark.parametrize(
    ("change", "key"),
    [
        (("[columns]", '[columns]\nrecieved_on = "X"'), "columns.recieved_on"),
        (('"Web" = "email"', '"Web" = "internet"'), "values.channel.Web"),
        (('nature = "reclamation"', 'nature = "plainte"'), "constants.nature"),
        (('object = "autre"', 'object = "divers"'), "fallback.object"),
        (("date_format", "header_row = 0\ndate_format"), "header_row"),
        (('name = "', 'nom = "x"\nname = "'), "nom"),
    ],
)
def test_a_bad_profile_names_its_key_in_french(tmp_path, change, key):
    path = write_profile(tmp_path, PROFILE.replace(*change, 1))
    with pytest.raises(ImportFileError, match=f"clé « {key} »"):
        load_profile(str(path), folder=None, objects=OBJECTS)


def test_profile_header_row_and_date_format(store, tmp_path):
    path = tmp_path / "x.csv"
    path.write_text(
        "Complaint ID,Date sent to company,Submitted via,Product\n"  # looks like a header
        "note,,,\n"
        "Complaint ID,Date sent to company,Submitted via,Product\n"
        "A1,02/03/2025,Web,Mortgage\n",
        encoding="utf-8",
    )
    text = PROFILE.replace('date_format = "%m/%d/%Y"', 'header_row = 3\ndate_format = "%m/%d/%Y"')
    text = text.replace('sent_on = "Date received"\n', "")
    profile = load_profile(str(write_profile(tmp_path, text)), folder=None, objects=OBJECTS)
    prepared = read_and_prepare(path, import_day=DAY, objects=OBJECTS, profile=profile)
    assert prepared.rows_read == 1
    assert prepared.accepted is not None
    assert prepared.accepted.column("received_on").to_pylist() == [date(2025, 2, 3)]


def test_cli_drafts_a_profile_then_imports_with_it(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CPMS_PROFILES_DIR", str(tmp_path))
    path, _ = foreign_export(tmp_path / "complaints.csv", rows=40)
    draft = tmp_path / "brouillon.toml"
    assert cli.main(["profile", str(path), "--out", str(draft)]) == 0
    text = draft.read_text(encoding="utf-8")
    assert 'reference = "Complaint ID"' in text and "header_row = 3" in text
    assert '# nature = "?"' in text  # left for a person to complete
    assert cli.main(["profile", str(path), "--out", str(draft)]) == 2  # never overwritten
    write_profile(tmp_path, name="outil.toml")
    db = tmp_path / "db.duckdb"
    assert cli.main(["import", str(path), "--db", str(db), "--profile", "outil"]) == 0
    assert "Ajoutées : 40" in capsys.readouterr().out
    bad = write_profile(tmp_path, PROFILE.replace('"Web" = "email"', '"Web" = "web"'), "bad.toml")
    assert cli.main(["import", str(path), "--db", str(db), "--profile", str(bad)]) == 2
    assert "values.channel.Web" in capsys.readouterr().err


# --- Steps a file does not track ---------------------------------------------------------------


def test_steps_the_file_does_not_give_are_untracked_never_zero_percent(store, tmp_path):
    path, _ = foreign_export(tmp_path / "complaints.csv")
    profile = load_profile(str(write_profile(tmp_path)), folder=None, objects=OBJECTS)
    report = run(store, path, profile)
    said = [line for line in report.summary_lines() if line.startswith("Étapes non suivies")]
    assert said and "accusé de réception ni la date de réponse" in said[0]
    result = kpis(store, as_of=DAY)
    for step in ("ack", "response"):
        block = result[step]
        assert block["untracked"] == result["complaints"] == 600
        assert (block["on_time"], block["late"], block["overdue"], block["pending"]) == (0,) * 4
        assert block["compliance_rate"] is None and block["median_days"] is None
        assert result["due"][step]["untracked"] == 600
        assert result["due"][step]["compliance_rate"] is None
    assert all(m["ack_compliance_rate"] is None for m in result["by_month"])
    assert all(m["response_compliance_rate"] is None for m in result["by_month"])
    assert result["backlog"] == {
        "open": 0, "ack_overdue": 0, "response_overdue": 0, "due_within_3_days": 0,
    }  # fmt: skip


def test_a_step_recorded_by_an_earlier_file_or_later_stays_tracked(store, tmp_path):
    header = "reference;received_on;channel;nature;object"
    first = tmp_path / "first.csv"
    first.write_text(
        f"{header};acknowledged_on;responded_on\n"
        "R1;2025-03-03;email;reclamation;autre;2025-03-05;\n"
        "R2;2025-03-03;email;reclamation;autre;;\n",
        encoding="utf-8",
    )
    run(store, first)
    second = tmp_path / "second.csv"  # no acknowledgement column, no answer column
    second.write_text(
        f"{header}\nR1;2025-03-03;email;reclamation;autre\n"
        "R2;2025-03-03;email;reclamation;autre\nR3;2025-03-03;email;reclamation;autre\n",
        encoding="utf-8",
    )
    run(store, second)
    result = kpis(store, as_of=date(2025, 6, 30))
    # R1 and R2: their first file tracked both steps; R3's file tracks neither
    assert (result["ack"]["on_time"], result["ack"]["overdue"], result["ack"]["untracked"]) == (
        1, 1, 1,
    )  # fmt: skip
    assert (result["response"]["overdue"], result["response"]["untracked"]) == (2, 1)
    assert result["backlog"]["open"] == 2  # R3's answer is not tracked: not open
    third = tmp_path / "third.csv"  # a later file gives R3's acknowledgement
    third.write_text(
        f"{header};acknowledged_on\nR3;2025-03-03;email;reclamation;autre;2025-03-20\n",
        encoding="utf-8",
    )
    run(store, third)
    assert kpis(store, as_of=date(2025, 6, 30))["ack"]["late"] == 1


def test_untracked_steps_match_the_independent_peer(store, tmp_path):
    """benchmarks/pandas_peer.py computes the same figures from the stored cases."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    import pandas_peer

    path, _ = foreign_export(tmp_path / "complaints.csv", rows=300)
    profile = load_profile(str(write_profile(tmp_path)), folder=None, objects=OBJECTS)
    run(store, path, profile)
    canonical = tmp_path / "canonical.csv"
    canonical.write_text(
        "reference;received_on;channel;nature;object;acknowledged_on;responded_on\n"
        + "".join(
            f"C{n};2025-{1 + n % 12:02d}-10;email;reclamation;autre;"
            f"{f'2025-{1 + n % 12:02d}-15' if n % 3 else ''};"
            f"{f'2025-{1 + n % 12:02d}-28' if n % 4 else ''}\n"
            for n in range(120)
        ),
        encoding="utf-8",
    )
    run(store, canonical)
    with store.cursor() as cur:
        frame = cur.execute("SELECT * FROM complaints").df()
    for column in ("received_on", "sent_on", "acknowledged_on", "responded_on",
                   "mediator_referred_on"):  # fmt: skip
        frame[column] = pd.to_datetime(frame[column])
    for as_of, policy, period in (
        (DAY, "cpms", (None, None)),
        (date(2025, 6, 30), "acpr", ("2025-02", "2025-05")),
    ):
        ours = kpis(store, as_of=as_of, policy=policy, month_from=period[0], month_to=period[1])
        peer = pandas_peer.kpis(
            frame, as_of=as_of, policy=policy, month_from=period[0], month_to=period[1]
        )
        assert ours == peer
        assert ours["ack"]["untracked"] > 0
