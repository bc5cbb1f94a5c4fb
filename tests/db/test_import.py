"""The importer: formats, encodings, lenient matching, rejects, findings, idempotency, history."""

from __future__ import annotations

from datetime import date, datetime

import duckdb
import pandas as pd
import pytest

from cpms_metrics.errors import ImportFileError
from cpms_metrics.ingest import Staging, import_file, read_and_prepare, read_export

HEADER = "reference;received_on;channel;nature;object"
OK_ROW = "R1;2025-02-03;email;reclamation;adhesion"


def rows(store, sql="SELECT * FROM complaints ORDER BY reference"):
    with store.cursor() as cur:
        return cur.execute(sql).df()


def test_french_headers_and_synonyms_in_windows_1252(store, load_text):
    text = (
        "Référence;Date de réception;Canal;Nature;Objet;Nom;Formulation\n"
        "R1;03/02/2025 09:15;Voie électronique;RÉCLAMATION;Adhésion;Lœuvre;Coût 12 € — cœur\n"
        "R2;2025-02-04;Voie postale;Demande de confirmation;ADHESION;Éva;\n"
    )
    report = load_text(text, encoding="cp1252")
    assert (report.added, report.rejected) == (2, 0)
    got = rows(store)
    assert got["channel"].tolist() == ["email", "courrier"]
    assert got["nature"].tolist() == ["reclamation", "demande_confirmation"]
    assert got["received_on"].dt.date.tolist() == [date(2025, 2, 3), date(2025, 2, 4)]
    assert got["last_name"][0] == "Lœuvre"
    assert got["description"][0] == "Coût 12 € — cœur"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig"])
def test_utf8_with_or_without_bom_and_comma(store, load_text, encoding):
    text = "Référence,Date de réception,Canal,Nature,Objet,Adresse postale\n"
    text += 'R1,03/02/2025,Mail,Réclamation,Cotisation,"1 rue de l\'Église\n75009 Paris"\n'
    text += "R2,04/02/2025,Mail,Réclamation,Cotisation,\n"
    report = load_text(text, encoding=encoding)
    assert (report.added, report.rejected) == (2, 0)
    assert rows(store)["postal_address"][0] == "1 rue de l'Église\n75009 Paris"


def test_quoted_line_break_keeps_line_numbers(store, load_text):
    text = (
        "Référence;Date de réception;Canal;Nature;Objet;Formulation\n"
        'R1;03/02/2025;Mail;Réclamation;Autre;"deux\nlignes"\n'
        "R2;31/02/2025;Mail;Réclamation;Autre;\n"
    )
    report = load_text(text)
    # R2 starts on the 4th line of the file: the header is line 1, R1 spans 2 and 3
    assert report.rejections[["line", "reference"]].values.tolist() == [[4, "R2"]]


@pytest.mark.parametrize(
    "row, field, reason",
    [
        (";2025-02-03;email;reclamation;adhesion", "reference", "Référence manquante"),
        ("R1;;email;reclamation;adhesion", "received_on", "Date de réception manquante"),
        ("R1;2025-13-03;email;reclamation;adhesion", "received_on", "illisible"),
        ("R1;hier;email;reclamation;adhesion", "received_on", "illisible"),
        ("R1;2025-02-03;fax;reclamation;adhesion", "channel", "Canal inconnu"),
        ("R1;2025-02-03;email;avis;adhesion", "nature", "Nature inconnue"),
        ("R1;2025-02-03;email;reclamation;tarif", "object", "Objet inconnu"),
        ("R1;2025-02-03;email;reclamation;", "object", "Objet manquant"),
        # the day of import is 2025-04-10 in these tests
        ("R1;2025-04-11;email;reclamation;adhesion", "received_on", "postérieure au jour"),
    ],
)
def test_each_hard_reject(store, load_text, row, field, reason):
    report = load_text(f"{HEADER}\n{OK_ROW.replace('R1', 'R0')}\n{row}\n")
    assert report.added == 1 and report.rejected == 1
    rejected = report.rejections.to_dict("records")
    assert rejected[0]["line"] == 3
    assert rejected[0]["field"] == field
    assert reason in rejected[0]["reason"]
    assert len(rows(store)) == 1


@pytest.mark.parametrize(
    "extra_header, extra_value, reason",
    [
        ("sent_on", "2025-02-04", "Date d'envoi postérieure à la date de réception"),
        ("acknowledged_on", "2025-02-02", "accusé de réception antérieure"),
        ("responded_on", "2025-01-31", "Date de réponse antérieure"),
        ("mediator_referred_on", "2025-02-01", "saisine du médiateur antérieure"),
    ],
)
def test_chronology_rejects(store, load_text, extra_header, extra_value, reason):
    report = load_text(f"{HEADER};{extra_header}\n{OK_ROW};{extra_value}\n")
    assert report.rejected == 1 and report.added == 0
    assert reason in report.rejections["reason"][0]


def test_referral_before_answer_and_late_ack_are_accepted(store, load_text):
    text = (
        f"{HEADER};acknowledged_on;responded_on;mediator_referred_on\n"
        f"{OK_ROW};2025-03-01;2025-02-20;2025-02-10\n"
    )
    report = load_text(text)
    assert report.rejected == 0 and report.added == 1
    kinds = rows(store, "SELECT kind FROM findings")["kind"].tolist()
    assert "ar_apres_reponse" in kinds


def test_duplicates_identical_count_once_and_conflicting_are_all_rejected(store, load_text):
    text = (
        f"{HEADER}\n"
        f"{OK_ROW}\n"
        "R1;03/02/2025;Mail;Réclamation;Adhésion\n"  # the same content, spelt differently
        "R2;2025-02-03;email;reclamation;adhesion\n"
        "R2;2025-02-04;email;reclamation;adhesion\n"
    )
    report = load_text(text)
    assert report.added == 1 and report.duplicates == 1
    assert report.rejected == 2
    assert report.rejections["line"].tolist() == [4, 5]
    assert "lignes 4, 5" in report.rejections["reason"][0]


def test_soft_findings_keep_the_row(store, load_text):
    text = (
        "reference;received_on;channel;nature;object;last_name;first_name;nir;email;phone;"
        "company;risk_carrier;responded_on;response_channel;mediator\n"
        "R1;2025-02-03;courrier;reclamation;adhesion;Roux;Léa;185057800608437;lea@;0123;"
        ";assureur;2025-02-10;email;mediateur_ctip\n"
    )
    report = load_text(text)
    assert report.added == 1 and report.rejected == 0
    found = rows(store, "SELECT kind, field, value FROM findings ORDER BY kind")
    assert set(found["kind"]) == {
        "nir_invalide",
        "email_invalide",
        "telephone_invalide",
        "entreprise_manquante",
        "coordonnees_manquantes",  # a letter without a postal address
        "canal_reponse_different",
        "mauvaise_orientation",
    }
    nir_value = found.loc[found["kind"] == "nir_invalide", "value"].item()
    assert "185057800608437" not in nir_value and "•••" in nir_value


def test_unknown_optional_value_is_a_finding_not_a_reject(store, load_text):
    report = load_text(f"{HEADER};risk_carrier\n{OK_ROW};banque\n")
    assert report.added == 1 and report.rejected == 0
    assert rows(store)["risk_carrier"].isna().all()
    found = rows(store, "SELECT kind, value FROM findings WHERE kind = 'valeur_inconnue'")
    assert found["value"].tolist() == ["banque"]


def test_same_file_twice_changes_nothing(store, load_text):
    text = f"{HEADER};responded_on\n{OK_ROW};2025-02-20\nR2;2025-02-05;email;reclamation;autre;\n"
    first = load_text(text)
    before = rows(store).drop(columns=["source", "updated_at"])
    history_before = len(rows(store, "SELECT * FROM case_history"))
    second = load_text(text)
    assert (first.added, second.added, second.updated, second.unchanged) == (2, 0, 0, 2)
    pd.testing.assert_frame_equal(rows(store).drop(columns=["source", "updated_at"]), before)
    assert len(rows(store, "SELECT * FROM case_history")) == history_before


def test_later_export_updates_and_keeps_history(store, load_text):
    load_text(f"{HEADER};responded_on\n{OK_ROW};\n")
    report = load_text(f"{HEADER};responded_on\n{OK_ROW};2025-02-20\n")
    assert report.updated == 1
    history = rows(store, "SELECT * FROM case_history WHERE action = 'modification'")
    assert history[["field", "old_value", "new_value"]].values.tolist() == [
        ["responded_on", None, "2025-02-20"]
    ]
    assert history["source"][0] == "import #2"


def test_missing_required_column_fails_and_changes_nothing(store, load_text):
    load_text(f"{HEADER}\n{OK_ROW}\n")
    with pytest.raises(ImportFileError, match="Date de réception"):
        load_text("reference;channel;nature;object\nR9;email;reclamation;adhesion\n")
    assert rows(store)["reference"].tolist() == ["R1"]
    assert len(rows(store, "SELECT * FROM imports")) == 1


def test_random_bytes_named_xlsx(store, tmp_path):
    path = tmp_path / "export.xlsx"
    path.write_bytes(bytes(range(256)) * 40)
    with pytest.raises(ImportFileError, match="classeur Excel"):
        read_and_prepare(path, import_day=date(2025, 4, 10), objects=("adhesion",))


def test_xlsx_with_date_cells(store, tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["Référence", "Date de réception", "Canal", "Nature", "Objet", "Téléphone"])
    sheet.append(["R1", datetime(2025, 2, 3), "Téléphone", "Réclamation", "Autre", "0590123456"])
    sheet.append(["R2", "04/02/2025", "Mail", "Réclamation", "Autre", None])
    path = tmp_path / "export.xlsx"
    book.save(path)
    report = import_file(
        store,
        path,
        import_day=date(2025, 4, 10),
        imported_at=datetime(2025, 4, 10),
        objects=("autre",),
    )
    assert (report.added, report.rejected) == (2, 0)
    assert rows(store)["received_on"].dt.date.tolist() == [date(2025, 2, 3), date(2025, 2, 4)]


def test_parquet(store, tmp_path):
    frame = pd.DataFrame(
        {
            "reference": ["R1", "R2"],
            "received_on": [date(2025, 2, 3), date(2025, 2, 4)],
            "channel": ["email", "courrier"],
            "nature": ["reclamation", "reclamation"],
            "object": ["autre", "cotisation"],
        }
    )
    path = tmp_path / "export.parquet"
    frame.to_parquet(path)
    report = import_file(
        store,
        path,
        import_day=date(2025, 4, 10),
        imported_at=datetime(2025, 4, 10),
        objects=("autre", "cotisation"),
    )
    assert (report.added, report.rejected) == (2, 0)


def test_failure_halfway_leaves_the_database_as_it_was(store, load_text, monkeypatch):
    load_text(f"{HEADER}\n{OK_ROW}\n")
    from cpms_metrics.ingest import write

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(write, "_refresh_findings", broken)
    with pytest.raises(RuntimeError):
        load_text(f"{HEADER}\nR2;2025-02-04;email;reclamation;adhesion\n")
    assert rows(store)["reference"].tolist() == ["R1"]
    assert len(rows(store, "SELECT * FROM imports")) == 1
    assert len(rows(store, "SELECT * FROM case_history")) == 1


def test_import_log_and_rejects_are_stored(store, load_text):
    report = load_text(f"{HEADER}\n{OK_ROW}\nR2;;email;reclamation;adhesion\n", name="hebdo.csv")
    log = rows(store, "SELECT * FROM imports")
    assert log["file_name"].tolist() == ["hebdo.csv"]
    assert len(log["sha256"][0]) == 64
    assert (log["added"][0], log["rejected"][0]) == (1, 1)
    stored = rows(store, "SELECT import_id, line, reason FROM rejects")
    assert stored.values.tolist() == [[report.import_id, 3, "Date de réception manquante"]]


def test_too_many_fields_rejects_the_row(store, load_text):
    report = load_text(f"{HEADER}\n{OK_ROW}\nR2;2025-02-04;email;reclamation;adhesion;en trop\n")
    assert report.added == 1 and report.rejected == 1
    assert "6 champs au lieu de 5" in report.rejections["reason"][0]


def test_empty_file(store, load_text):
    with pytest.raises(ImportFileError, match="vide"):
        load_text("")


def test_preview_counts_without_writing(store, load_text, tmp_path):
    from cpms_metrics.ingest import preview

    load_text(f"{HEADER};responded_on\n{OK_ROW};\n")
    path = tmp_path / "next.csv"
    path.write_text(
        f"{HEADER};responded_on\n{OK_ROW};2025-02-20\nR2;2025-02-05;email;reclamation;autre;\n"
        "R3;;email;reclamation;autre;\n"
    )
    prepared = read_and_prepare(path, import_day=date(2025, 4, 10), objects=("adhesion", "autre"))
    report = preview(store, prepared)
    assert (report.added, report.updated, report.unchanged, report.rejected) == (1, 1, 0, 1)
    assert report.import_id is None
    assert rows(store)["reference"].tolist() == ["R1"]
    assert rows(store)["responded_on"].isna().all()


def test_blank_lines_and_breaks_keep_line_numbers(store, load_text):
    text = (
        "Référence;Date de réception;Canal;Nature;Objet;Formulation\n"
        'R1;03/02/2025;Mail;Réclamation;Autre;"a\nb\nc"\n'  # lines 2-4
        "\n"  # line 5, blank
        "R2;2025-02-31;Mail;Réclamation;Autre;\n"  # line 6
        'R3;03/02/2025;Mail;Réclamation;Autre;"d\ne"\n'  # lines 7-8
        "R4;;Mail;Réclamation;Autre;\n"  # line 9
    )
    report = load_text(text)
    assert report.added == 2
    assert report.rejections[["line", "reference"]].values.tolist() == [[6, "R2"], [9, "R4"]]


def test_breaks_inside_records_read_by_duckdb(store, load_text):
    rows = "".join(
        f'R{i};03/02/2025;Mail;Réclamation;Autre;"ligne\nsuivante"\n' for i in range(1, 40)
    )
    text = "Référence;Date de réception;Canal;Nature;Objet;Formulation\n" + rows
    text += "R99;03/02/2025;Fax;Réclamation;Autre;\n"
    report = load_text(text)
    assert report.added == 39
    # 39 records of two lines each after the header: R99 starts on line 2 + 78
    assert report.rejections["line"].tolist() == [80]


def test_large_utf8_file_is_not_mistaken_for_windows_1252(store, load_text):
    # 2-byte characters across the first megabyte, where the header is sniffed
    text = "reference;received_on;channel;nature;object;description\n" + "".join(
        f"R{i};2025-02-03;email;reclamation;autre;{'é' * 200}\n" for i in range(3000)
    )
    report = load_text(text)
    assert report.added == 3000
    assert set(rows(store)["description"]) == {"é" * 200}


def test_windows_1252_after_the_first_megabyte(store, load_text):
    # The first megabyte is plain ASCII (read as UTF-8); an accent comes later, in Windows-1252.
    text = "reference;received_on;channel;nature;object;last_name\n" + "".join(
        f"R{i};2025-02-03;email;reclamation;autre;{'x' * 100}\n" for i in range(12000)
    )
    text += "R-last;31/02/2025;email;reclamation;autre;Hélène\n"
    text += "R-end;2025-02-03;Mail;réclamation;autre;Chloé\n"
    report = load_text(text, encoding="cp1252")
    assert (report.added, report.rejected) == (12001, 1)
    assert report.rejections[["line", "reference"]].values.tolist() == [[12002, "R-last"]]
    assert rows(store, "SELECT last_name FROM complaints WHERE reference = 'R-end'")[
        "last_name"
    ].tolist() == ["Chloé"]


def test_binary_after_the_first_megabyte(store, load_text):
    text = "reference;received_on;channel;nature;object;last_name\n" + "".join(
        f"R{i};2025-02-03;email;reclamation;autre;{'x' * 100}\n" for i in range(12000)
    )
    with pytest.raises(ImportFileError, match="binaires"):
        load_text(text + "R-end;2025-02-03;email;reclamation;autre;\x00\x01\n")
    assert rows(store).empty


@pytest.mark.parametrize("blank_line", ["", "\n"])  # DuckDB's reader, then Python's
def test_white_space_around_cells_is_trimmed(store, load_text, blank_line):
    text = (
        "reference;received_on;channel;nature;object;last_name;description\n"
        "R1;2025-02-03;email;reclamation;adhesion;Martin;Texte\n"
        + blank_line
        + '  R2\u00a0;\t2025-02-04 ; Mail;reclamation ;adhesion;\u00a0 ;"  deux\nlignes "\n'
        "R3;2025-02-05;email;reclamation;adhesion; Durand ;\n"
    )
    report = load_text(text)
    assert (report.added, report.rejected) == (3, 0)
    got = rows(store)
    assert got["reference"].tolist() == ["R1", "R2", "R3"]
    assert got["received_on"].dt.date.tolist()[1] == date(2025, 2, 4)
    assert got["channel"].tolist()[1] == "email"
    assert got["last_name"].isna().tolist() == [False, True, False]  # white space only: absent
    assert got["last_name"][2] == "Durand"
    assert got["description"].tolist()[:2] == ["Texte", "deux\nlignes"]


def test_white_space_only_required_cell_is_missing(store, load_text):
    report = load_text(f"{HEADER}\nR1; \t;email;reclamation;adhesion\n{OK_ROW.replace('R1', 'R2')}")
    assert report.rejections[["line", "reference", "reason"]].values.tolist() == [
        [2, "R1", "Date de réception manquante"]
    ]


def test_staging_names_plain_relations_apart_from_the_stored_ones(store):
    # The steps' relations are temporary: one named like a stored table would hide it from them.
    staging = Staging()
    with store.cursor() as cur:
        stored = {
            r[0]
            for r in cur.execute(
                """SELECT table_name FROM duckdb_tables()
                   UNION SELECT view_name FROM duckdb_views() WHERE NOT internal
                   UNION SELECT function_name FROM duckdb_functions()
                         WHERE function_type = 'table_macro' AND NOT internal"""
            ).fetchall()
        }
    assert {"complaints", "findings", "case_status"} <= stored
    assert not stored & set(staging.relations())
    assert staging.value_map("channel") == "map_channel"
    with pytest.raises(ValueError, match="identifier"):
        Staging(staged="staged; DROP TABLE complaints")
    with pytest.raises(ValueError, match="identifier"):
        staging.amount_map("amount DESC")


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_empty_lines_are_counted_without_leaving_duckdb(store, load_text, tmp_path, newline):
    text = (
        "Référence;Date de réception;Canal;Nature;Objet;Formulation\n"
        "\n"  # line 2
        "R1;2025-02-31;Mail;Réclamation;Autre;\n"  # line 3
        'R2;03/02/2025;Mail;Réclamation;Autre;"x\n\n;y"\n'  # lines 4-6: not an empty line
        "\n"  # line 7
        "\n"  # line 8
        "R3;;Mail;Réclamation;Autre;\n"  # line 9
        "R4;03/02/2025;Fax;Réclamation;Autre;\n"  # line 10
        "\n\n"  # lines 11 and 12
    ).replace("\n", newline)
    path = tmp_path / "blank.csv"
    path.write_bytes(text.encode())
    raw = read_export(path)
    staging = Staging()
    with duckdb.connect() as con:
        raw.materialise(con, staging)
        tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    assert {staging.raw_csv, staging.blank_offsets} <= tables and staging.raw_rows not in tables

    report = load_text(text)
    assert report.added == 1
    assert report.rejections[["line", "reference"]].values.tolist() == [
        [3, "R1"], [9, "R3"], [10, "R4"]
    ]  # fmt: skip
    assert rows(store)["description"].tolist() == ["x\n\n;y".replace("\n", newline)]


def test_a_quote_inside_an_unquoted_value_is_read_by_python(store, load_text):
    text = (
        "Référence;Date de réception;Canal;Nature;Objet;Formulation\n"
        'R1;03/02/2025;Mail;Réclamation;Autre;un "mot" cité\n'
        "\n"
        "R2;2025-02-31;Mail;Réclamation;Autre;\n"  # line 4
    )
    report = load_text(text)
    assert report.rejections[["line", "reference"]].values.tolist() == [[4, "R2"]]
    assert rows(store)["description"].tolist() == ['un "mot" cité']
