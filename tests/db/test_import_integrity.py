"""Nothing lost, nothing moved backwards: every row of a file is accounted for, an older export
never undoes a newer one, a NIR typed in the wrong field is a finding, odd but usable files are
read.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import pytest

from cpms_metrics.cases import save_case, update_case
from cpms_metrics.errors import ImportFileError, ValidationError
from cpms_metrics.ingest import import_file, preview, read_and_prepare
from cpms_metrics.schema import migrate
from cpms_metrics.settings import Settings

OBJECTS = Settings().objects
IMPORT_DAY = date(2025, 4, 10)
HEADER = "reference;received_on;channel;nature;object;description"
ROOT = Path(__file__).resolve().parents[2]


def rows_of(store, sql):
    with store.cursor() as cur:
        return cur.execute(sql).fetchall()


def accounted(report):
    """Every row read is one of these (no duplicates in these files)."""
    return report.added + report.updated + report.unchanged + report.stale + report.rejected


def eleven_rows(**replaced: str) -> str:
    """A header and R1..R11 on lines 2..12; `replaced` gives some rows (by reference) instead."""
    lines = [HEADER]
    for i in range(1, 12):
        reference = f"R{i}"
        lines.append(
            replaced.get(reference, f"{reference};2025-02-{i:02d};email;reclamation;autre;texte")
        )
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------
# 1. Every row accounted for


@pytest.mark.parametrize(
    "replaced, faulty_line, reason",
    [
        # A quote opened in R9 and never closed: R10 and R11 used to vanish into its text.
        ({"R9": 'R9;2025-02-09;email;reclamation;autre;"texte jamais fermé'}, 10, "jamais refermé"),
        # Opened in R5, "closed" by a stray quote in R8 followed by more text.
        (
            {
                "R5": 'R5;2025-02-05;email;reclamation;autre;"ouvert',
                "R8": 'R8;2025-02-08;email;reclamation;autre;fin" ici',
            },
            6,
            "Guillemet mal fermé",
        ),
        # Opened in R5 and closed at the very end of R8: a well-formed CSV for any reader, whose
        # value holds three whole rows of the file.
        (
            {
                "R5": 'R5;2025-02-05;email;reclamation;autre;"ouvert',
                "R8": 'R8;2025-02-08;email;reclamation;autre;fin"',
            },
            6,
            "lignes entières",
        ),
    ],
)
def test_a_quote_left_open_never_swallows_the_rows_after_it(
    store, load_text, tmp_path, replaced, faulty_line, reason
):
    text = eleven_rows(**replaced)
    path = tmp_path / "apercu.csv"
    path.write_text(text, encoding="utf-8")
    checked = preview(store, read_and_prepare(path, import_day=IMPORT_DAY, objects=OBJECTS))

    report = load_text(text)
    assert report.rows_read == 11 and accounted(report) == 11
    assert (report.added, report.rejected) == (10, 1)
    (rejection,) = report.rejections.to_dict("records")
    assert rejection["line"] == faulty_line and reason in rejection["reason"]
    # The rows after the quote keep their own dates: nothing was merged into a neighbour.
    stored = dict(rows_of(store, "SELECT reference, received_on FROM complaints"))
    assert stored["R10"] == date(2025, 2, 10) and stored["R11"] == date(2025, 2, 11)
    # The upload page's preview counts the same.
    assert (checked.rows_read, checked.added, checked.rejected) == (11, 10, 1)


def test_a_record_over_several_lines_with_too_many_fields_is_read_line_by_line(store, load_text):
    report = load_text(eleven_rows(R5='R5;2025-02-05;email;reclamation;autre;"deux\nlignes";x'))
    # The second line of R5 is read on its own: a line of the file, accounted for and rejected.
    assert report.rows_read == 12 and accounted(report) == 12
    assert (report.added, report.rejected) == (10, 2)
    rejected = report.rejections.drop_duplicates("line").to_dict("records")
    assert [r["line"] for r in rejected] == [6, 7]
    assert "7 champs sur 2 lignes au lieu de 6" in rejected[0]["reason"]
    assert rows_of(store, "SELECT count(*) FROM complaints WHERE reference = 'R6'") == [(1,)]


def test_a_quoted_value_over_several_lines_is_still_one_record(store, load_text):
    text = eleven_rows(R5='R5;2025-02-05;email;reclamation;autre;"deux\nlignes; a; b"')
    report = load_text(text)
    assert (report.rows_read, report.added, report.rejected) == (11, 11, 0)
    assert rows_of(store, "SELECT description FROM complaints WHERE reference = 'R5'") == [
        ("deux\nlignes; a; b",)
    ]


def test_a_short_record_over_several_lines_is_still_read(store, load_text):
    # A hand-made file leaving out its last empty cell, here after a value over two lines.
    text = f"{HEADER};handler\n" + 'R1;2025-02-03;email;reclamation;autre;"deux\nlignes"\n'
    report = load_text(text + "R2;2025-02-04;email;reclamation;autre;x;Martin\n")
    assert (report.rows_read, report.added, report.rejected) == (2, 2, 0)


def test_a_bad_row_after_a_multiline_value_and_a_blank_line_keeps_its_number(store, load_text):
    # Python's reader (a blank line, a quote left open) and DuckDB's would say the same lines.
    text = eleven_rows(
        R2='R2;2025-02-02;email;reclamation;autre;"deux\nlignes"\n',
        R4='R4;2025-02-04;email;reclamation;autre;"jamais fermé',
    )
    report = load_text(text)
    assert report.rows_read == 11 and accounted(report) == 11
    # R2 spans lines 3-4, a blank line 5, R3 on 6 and R4 on 7.
    assert report.rejections["line"].tolist() == [7]


def test_a_huge_value_is_read_and_no_english_reaches_the_user(store, load_text):
    # 3 MB in one cell: past DuckDB's line limit and Python's default field limit (128 KiB).
    text = HEADER + "\nR1;2025-02-03;email;reclamation;autre;" + "x" * 3_000_000 + "\n"
    text += "R2;2025-02-04;email;reclamation;autre;court\n"
    report = load_text(text)
    assert (report.added, report.rejected) == (2, 0)
    assert rows_of(store, "SELECT strlen(description) FROM complaints ORDER BY reference") == [
        (3_000_000,),
        (5,),
    ]


# ---------------------------------------------------------------------------------------------
# 2. Nothing moved backwards

DATED = "reference;received_on;channel;nature;object;acknowledged_on;responded_on;handler"


def case(store, reference="R1"):
    ((ack, answer, handler),) = rows_of(
        store,
        "SELECT acknowledged_on, responded_on, handler FROM complaints "
        f"WHERE reference = '{reference}'",
    )
    return ack, answer, handler


def test_an_older_export_imported_after_a_newer_one_is_stale(store, tmp_path):
    older = f"{DATED}\nR1;2025-02-03;email;reclamation;autre;;;Dupont\n"
    newer = f"{DATED}\nR1;2025-02-03;email;reclamation;autre;2025-02-05;2025-02-20;Martin\n"

    def load(text, day):
        path = tmp_path / "e.csv"
        path.write_text(text, encoding="utf-8")
        return import_file(
            store,
            path,
            import_day=day,
            imported_at=datetime.combine(day, datetime.min.time()),
            objects=OBJECTS,
        )

    load(older, date(2025, 3, 1))
    load(newer, date(2025, 3, 2))
    path = tmp_path / "e.csv"
    path.write_text(older, encoding="utf-8")
    checked = preview(store, read_and_prepare(path, import_day=IMPORT_DAY, objects=OBJECTS))
    report = load(older, date(2025, 3, 3))

    assert (report.added, report.updated, report.unchanged, report.stale) == (0, 0, 0, 1)
    assert accounted(report) == report.rows_read == 1
    assert (checked.updated, checked.stale) == (0, 1)
    assert case(store) == (date(2025, 2, 5), date(2025, 2, 20), "Martin")
    assert "Périmées (non appliquées) : 1" in report.summary_lines()
    assert rows_of(store, "SELECT id, stale FROM imports ORDER BY id") == [(1, 0), (2, 0), (3, 1)]
    # Nothing was written for the stale row: the history holds the two first imports only.
    assert rows_of(store, "SELECT DISTINCT source FROM case_history ORDER BY 1") == [
        ("import #1",),
        ("import #2",),
    ]


def test_a_blank_cell_never_erases_a_stored_value(store, load_text):
    load_text(f"{DATED}\nR1;2025-02-03;email;reclamation;autre;2025-02-05;2025-02-20;Martin\n")
    # An export from a tool that does not track the answer: the stored dates stay.
    report = load_text(f"{DATED}\nR1;2025-02-03;email;reclamation;autre;;;Martin\n")
    assert (report.updated, report.unchanged, report.stale) == (0, 1, 0)
    assert case(store) == (date(2025, 2, 5), date(2025, 2, 20), "Martin")


def test_a_new_non_empty_value_replaces_and_the_history_keeps_the_old(store, load_text):
    load_text(f"{DATED}\nR1;2025-02-03;email;reclamation;autre;2025-02-05;;Martin\n")
    report = load_text(f"{DATED}\nR1;2025-02-03;email;reclamation;autre;;2025-02-21;Durand\n")
    assert (report.updated, report.stale) == (1, 0)
    assert case(store) == (date(2025, 2, 5), date(2025, 2, 21), "Durand")
    assert rows_of(
        store,
        "SELECT field, old_value, new_value FROM case_history "
        "WHERE action = 'modification' ORDER BY field",
    ) == [("handler", "Martin", "Durand"), ("responded_on", None, "2025-02-21")]


def test_reimporting_an_export_keeps_an_answer_date_typed_in_the_follow_up(store, load_text):
    export = f"{DATED}\nR1;2025-02-03;email;reclamation;autre;2025-02-05;;Martin\n"
    load_text(export)
    update_case(
        store,
        "R1",
        {"responded_on": date(2025, 3, 1)},
        today=IMPORT_DAY,
        at=datetime(2025, 4, 10, 12),
        objects=OBJECTS,
    )
    report = load_text(export)
    assert (report.updated, report.unchanged, report.stale) == (0, 1, 0)
    assert case(store) == (date(2025, 2, 5), date(2025, 3, 1), "Martin")


def test_an_export_older_than_a_follow_up_date_is_stale(store, load_text):
    export = f"{DATED}\nR1;2025-02-03;email;reclamation;autre;2025-02-05;2025-02-20;Martin\n"
    load_text(export)
    update_case(
        store,
        "R1",
        {"responded_on": date(2025, 2, 21)},  # corrected in the dashboard
        today=IMPORT_DAY,
        at=datetime(2025, 4, 10, 12),
        objects=OBJECTS,
    )
    report = load_text(export)
    assert (report.updated, report.stale) == (0, 1)
    assert case(store) == (date(2025, 2, 5), date(2025, 2, 21), "Martin")


def test_the_same_file_twice_changes_nothing_the_second_time(store, load_text):
    text = (
        f"{DATED}\nR1;2025-02-03;email;reclamation;autre;2025-02-05;;Martin\n"
        "R2;2025-02-04;email;reclamation;autre;;;\n"
    )
    first = load_text(text)
    history = rows_of(store, "SELECT count(*) FROM case_history")
    second = load_text(text)
    assert (first.added, second.added, second.updated, second.stale) == (2, 0, 0, 0)
    assert second.unchanged == 2
    assert rows_of(store, "SELECT count(*) FROM case_history") == history


def test_the_follow_up_page_can_still_clear_a_date(store, load_text):
    load_text(f"{DATED}\nR1;2025-02-03;email;reclamation;autre;2025-02-05;2025-02-20;Martin\n")
    update_case(
        store, "R1", {"responded_on": None}, today=IMPORT_DAY, at=datetime(2025, 4, 10, 12),
        objects=OBJECTS,
    )  # fmt: skip
    assert case(store) == (date(2025, 2, 5), None, "Martin")


def test_migration_5_adds_a_stale_count_to_past_imports(tmp_path):
    import duckdb

    con = duckdb.connect(str(tmp_path / "old.duckdb"))
    migrate(con, 4)
    con.execute("INSERT INTO imports (id, file_name) VALUES (1, 'ancien.csv')")
    assert migrate(con) == 4
    assert con.execute("SELECT id, stale FROM imports").fetchall() == [(1, 0)]
    con.close()


# ---------------------------------------------------------------------------------------------
# 3b. A NIR in another field

NIR = "185057800608436"


def one_row(column: str, value: str) -> str:
    """An export of one case whose `column` holds `value`."""
    cells = {
        "reference": "R1", "received_on": "2025-02-03", "channel": "email",
        "nature": "reclamation", "object": "autre", column: value,
    }  # fmt: skip
    return ";".join(cells) + "\n" + ";".join(cells.values()) + "\n"


@pytest.mark.parametrize(
    "column, value",
    [
        ("company", f"ACME {NIR}"),
        ("handler", "1 85 05 78 006 084 36"),
        ("reference", NIR),
        ("last_name", f"Martin {NIR}"),
        ("first_name", "1850578006084"),  # without its key
        ("phone", NIR),
        ("email", f"{NIR}@example.fr"),
        ("postal_address", f"{NIR} 75009 Paris"),
    ],
)
def test_a_nir_in_another_field_is_a_masked_finding(store, load_text, column, value):
    load_text(one_row(column, value))
    found = rows_of(
        store, "SELECT field, value, message FROM findings WHERE kind = 'nir_hors_champ'"
    )
    assert len(found) == 1 and found[0][0] == column
    assert found[0][1].startswith("1 85 05 78 •••") and "numéro de sécurité sociale" in found[0][2]
    # No finding stores the number in full, whatever its kind.
    stored = [v for (v,) in rows_of(store, "SELECT value FROM findings")]
    assert not any(NIR[:13] in v.replace(" ", "") for v in stored)


def test_an_unknown_value_holding_a_nir_is_kept_masked(store, load_text):
    load_text(one_row("risk_carrier", NIR))  # not a risk carrier: kept in a finding, masked
    assert rows_of(store, "SELECT kind, value FROM findings WHERE field = 'risk_carrier'") == [
        ("valeur_inconnue", "1 85 05 78 ••• ••• 36")
    ]


@pytest.mark.parametrize(
    "column, value",
    [
        ("phone", "01 23 45 67 89 06 12 34 56 78"),  # two phone numbers
        ("phone", "+33 1 23 45 67 89"),
        ("reference", "REC-2023-000001"),
        ("company", "SIRET 12345678901234"),  # 14 digits
        ("postal_address", "TSA 50110, 75441 Paris Cedex 09"),
    ],
)
def test_numbers_that_are_not_a_nir_are_no_finding(store, load_text, column, value):
    load_text(one_row(column, value))
    assert rows_of(store, "SELECT * FROM findings WHERE kind = 'nir_hors_champ'") == []


# ---------------------------------------------------------------------------------------------
# 12a. Smaller import items


def test_a_utf16_export_from_excel_is_read(store, load_text):
    text = (
        "Référence\tDate de réception\tCanal\tNature\tObjet\tNom\r\n"
        "R1\t03/02/2025\tMail\tRéclamation\tAdhésion\tLœuvre\r\n"
        "R2\t04/02/2025\tCourrier\tRéclamation\tAutre\tÉva\r\n"
    )
    report = load_text(text, name="export.txt", encoding="utf-16")  # Excel's "Texte Unicode"
    assert (report.added, report.rejected) == (2, 0)
    assert rows_of(store, "SELECT reference, last_name FROM complaints ORDER BY 1") == [
        ("R1", "Lœuvre"),
        ("R2", "Éva"),
    ]


def test_a_header_only_file_is_refused_and_not_logged(store, load_text):
    with pytest.raises(ImportFileError, match="aucune ligne de données"):
        load_text(f"{HEADER}\n\n")
    assert rows_of(store, "SELECT count(*) FROM imports") == [(0,)]


def test_a_header_only_file_exits_2_on_the_command_line(tmp_path):
    export = tmp_path / "vide.csv"
    export.write_text(f"{HEADER}\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "cpms_metrics", "import", str(export), "--db", str(tmp_path / "d")],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2 and "aucune ligne de données" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    "column, value, rejected",
    [
        ("received_on", "0001-01-01", True),
        ("received_on", "01/01/1900", True),
        ("received_on", "1989-12-31", True),
        ("received_on", "1990-01-01", False),  # the first plausible day
        ("sent_on", "1925-02-01", True),
    ],
)
def test_dates_before_1990_are_rejected_as_implausible(store, load_text, column, value, rejected):
    cells = {"received_on": "1990-01-02", column: value}
    text = "reference;received_on;sent_on;channel;nature;object\n"
    text += f"R1;{cells['received_on']};{cells.get('sent_on', '')};email;reclamation;autre\n"
    report = load_text(text)
    assert report.rejected == int(rejected)
    if rejected:
        reasons = report.rejections["reason"].tolist()
        assert any("antérieure au 01/01/1990 : date invraisemblable" in r for r in reasons)


def test_the_form_refuses_a_date_before_1990(store):
    values = {
        "received_on": date(1989, 6, 1), "channel": "telephone", "nature": "demande_information",
        "object": "autre",
    }  # fmt: skip
    with pytest.raises(ValidationError) as caught:
        save_case(store, values, today=IMPORT_DAY, at=datetime(2025, 4, 10), objects=OBJECTS)
    assert "date invraisemblable" in caught.value.problems["Date de réception"]
