"""The import under hostile files and scarce resources: DuckDB failing to read a CSV, memory,
temporary files holding personal data, and workbooks that expand far beyond their size."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import zipfile
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest
from openpyxl.worksheet._reader import WorkSheetParser

from cpms_metrics.errors import ImportFileError
from cpms_metrics.ingest import import_file, read_and_prepare
from cpms_metrics.ingest import prepared as prepare_step
from cpms_metrics.ingest import workbook as workbook_reader
from cpms_metrics.sample import write_sample
from cpms_metrics.settings import Settings
from cpms_metrics.store import Store, open_store

OBJECTS = Settings().objects
DAY = date(2025, 4, 10)
HEADER = ["reference", "received_on", "channel", "nature", "object"]
ROW = ["R1", "2025-02-03", "email", "reclamation", "adhesion"]


def run_import(store: Store, path: Path, day: date = DAY):
    return import_file(
        store,
        path,
        import_day=day,
        imported_at=datetime.combine(day, datetime.min.time()),
        objects=OBJECTS,
    )


def with_limit(store: Store, memory_limit: str) -> Store:
    """The same database under another CPMS_MEMORY_LIMIT."""
    store.close()
    return Store(store.path, store.calendar, memory_limit=memory_limit)


@pytest.fixture
def temp_folder(tmp_path, monkeypatch) -> Path:
    """The system's temporary folder, for this test alone."""
    folder = tmp_path / "system-tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def dead_pid() -> int:
    """The number of a process that has ended."""
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], check=True,
                           capture_output=True, text=True)  # fmt: skip
    return int(child.stdout)


# -- 9. DuckDB cannot read the CSV: Python reads it, outside the aborted transaction -------------


def test_csv_too_wide_for_duckdb_is_read_by_python(store, tmp_path):
    # DuckDB runs out of memory reading 1,000 columns under 50 MB (10,000 under the default
    # 1 GB): that failure aborted the import's transaction, and Python's reader, taking over in
    # it, failed with "Current transaction is aborted".
    extra = [f"x{i}" for i in range(1_000)]
    lines = [";".join(HEADER + extra)]
    lines += [";".join([f"R{n}", *ROW[1:], *["v"] * len(extra)]) for n in range(3)]
    path = tmp_path / "wide.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    small = with_limit(store, "50MB")
    report = run_import(small, path)
    assert (report.rows_read, report.added, report.rejected) == (3, 3, 0)
    with small.cursor() as cur:
        assert cur.execute("SELECT count(*) FROM complaints").fetchall() == [(3,)]
    small.close()


def test_memory_too_small_is_said_in_french(store, tmp_path):
    path = tmp_path / "export.csv"
    write_sample(path, 20_000, 7, date(2026, 11, 20), canonical=True)
    small = with_limit(store, "2MB")
    with pytest.raises(ImportFileError) as caught:
        run_import(small, path, date(2026, 11, 20))
    message = caught.value.message
    assert "CPMS_MEMORY_LIMIT" in message and "2MB" in message
    assert "la base est inchangée" in message
    for english in ("Error", "transaction", "Out of Memory", "Possible solutions"):
        assert english not in message
    assert isinstance(caught.value.__cause__, duckdb.OutOfMemoryException)
    with small.cursor() as cur:
        assert cur.execute("SELECT count(*) FROM imports").fetchall() == [(0,)]
    small.close()


# -- 13. An extract without the optional columns, under a memory limit ---------------------------


def test_extract_without_personal_columns_imports_under_a_small_memory_limit(store, tmp_path):
    # The 10M-row extract of 11 columns failed under 1 GB (the findings joined the stored cases
    # once per kind of finding); 100,000 rows under 50 MB failed the same way.
    full, extract = tmp_path / "full.csv", tmp_path / "extract.csv"
    write_sample(full, 100_000, 7, date(2026, 11, 20), canonical=True)
    columns = ", ".join(
        ["reference", "received_on", "sent_on", "acknowledged_on", "responded_on",
         "mediator_referred_on", "channel", "nature", "object", "risk_carrier",
         "response_channel"]
    )  # fmt: skip
    con = duckdb.connect()
    con.execute(
        f"COPY (SELECT {columns} FROM read_csv('{full}', all_varchar = true)) "
        f"TO '{extract}' (HEADER, DELIMITER ',')"
    )
    con.close()
    small = with_limit(store, "50MB")
    report = run_import(small, extract, date(2026, 11, 20))
    assert (report.rows_read, report.added, report.rejected) == (100_000, 100_000, 0)
    # every case lacks its name, first name, NIR and company
    assert report.findings >= 4 * 100_000
    with small.cursor() as cur:
        assert cur.execute("SELECT count(*) FROM findings").fetchall() == [(report.findings,)]
    small.close()


# -- 10. Temporary copies of the rows: removed on every path, and after a crash ------------------


def windows_1252(path: Path, header: list[str]) -> Path:
    text = ";".join(header) + "\n" + ";".join([*ROW[: len(header) - 1], "Lœuvre"]) + "\n"
    path.write_bytes(text.encode("cp1252"))
    return path


def test_failed_import_of_a_windows_1252_file_leaves_no_copy(store, tmp_path, temp_folder):
    # no "object" column: refused after the UTF-8 copy was made
    path = windows_1252(tmp_path / "export.csv", [*HEADER[:4], "last_name"])
    with pytest.raises(ImportFileError, match="Colonne obligatoire absente"):
        run_import(store, path)
    assert list(temp_folder.iterdir()) == []
    with pytest.raises(ImportFileError, match="Colonne obligatoire absente"):
        read_and_prepare(path, import_day=DAY, objects=OBJECTS)  # the page's preview
    assert list(temp_folder.iterdir()) == []


def test_imported_windows_1252_file_leaves_no_copy(store, tmp_path, temp_folder):
    path = windows_1252(tmp_path / "export.csv", [*HEADER, "last_name"])
    assert run_import(store, path).added == 1
    assert read_and_prepare(path, import_day=DAY, objects=OBJECTS).rows_read == 1
    assert list(temp_folder.iterdir()) == []


def test_copies_left_by_a_killed_process_are_removed_at_the_next_open(tmp_path, temp_folder):
    gone = dead_pid()
    copy = temp_folder / f"cpms-metrics-{gone}-k3j2.csv"
    copy.write_text("R1;2025-02-03;102035938027023\n")
    upload = temp_folder / f"cpms-metrics-{gone}-x8d1"
    upload.mkdir()
    (upload / "export.csv").write_text("R1;2025-02-03;102035938027023\n")
    running = temp_folder / f"cpms-metrics-{os.getpid()}-live.csv"  # this process's: in use
    running.write_text("x")
    other = temp_folder / "someone-elses.csv"
    other.write_text("x")
    db = tmp_path / "cpms.duckdb"
    # DuckDB's spill files of a killed import, beside the database
    spill = Path(f"{db}.tmp")
    spill.mkdir()
    stale = [spill / f"duckdb_temp_{gone}_0_storage_DEFAULT-0.tmp",
             spill / f"duckdb_temp_{gone}_0_owner",
             spill / "duckdb_temp_storage_S32K-0.tmp"]  # fmt: skip
    for file in stale:
        file.write_bytes(b"102035938027023" * 100)
    with open_store(db, Settings(db_path=db)):
        pass
    assert not copy.exists() and not upload.exists()
    assert running.exists() and other.exists()
    assert [file for file in stale if file.exists()] == []


def test_preview_spills_into_a_folder_of_its_own(tmp_path, temp_folder, monkeypatch):
    # An in-memory DuckDB spills into `.tmp/` of the working folder by default, and leaves it.
    monkeypatch.chdir(tmp_path)
    seen: list[str] = []
    original = prepare_step._prepare

    def spy(con, *args):
        seen.append(con.execute("SELECT current_setting('temp_directory')").fetchall()[0][0])
        return original(con, *args)

    monkeypatch.setattr(prepare_step, "_prepare", spy)
    path = tmp_path / "export.csv"
    path.write_text(";".join(HEADER) + "\n" + ";".join(ROW) + "\n", encoding="utf-8")
    read_and_prepare(path, import_day=DAY, objects=OBJECTS)
    assert len(seen) == 1 and Path(seen[0]).parent == temp_folder
    assert Path(seen[0]).name.startswith(f"cpms-metrics-{os.getpid()}-")
    assert list(temp_folder.iterdir()) == [] and not (tmp_path / ".tmp").exists()


# -- 11. Workbooks: bounded once uncompressed, read up to their last value -----------------------

_PARTS = {
    "[Content_Types].xml": """<?xml version="1.0" encoding="UTF-8"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/xl/workbook.xml"
 ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>
<Override PartName="/xl/worksheets/sheet1.xml"
 ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>
</Types>""",
    "_rels/.rels": """<?xml version="1.0" encoding="UTF-8"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Target="xl/workbook.xml"
 Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"/>
</Relationships>""",
    "xl/workbook.xml": """<?xml version="1.0" encoding="UTF-8"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"
 xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">
<sheets><sheet name="Export" sheetId="1" r:id="rId1"/></sheets></workbook>""",
    "xl/_rels/workbook.xml.rels": """<?xml version="1.0" encoding="UTF-8"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Target="worksheets/sheet1.xml"
 Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"/>
</Relationships>""",
}


def text_row(number: int, values: list[str], *, refs: bool = True) -> str:
    cells = "".join(
        f'<c{f" r={chr(34)}{chr(65 + i)}{number}{chr(34)}" if refs else ""} t="inlineStr">'
        f"<is><t>{value}</t></is></c>"
        for i, value in enumerate(values)
    )
    return f'<row r="{number}">{cells}</row>' if refs else f"<row>{cells}</row>"


def workbook(path: Path, chunks, dimension: str = "A1:E2") -> Path:
    """A workbook whose first sheet's XML is `chunks` inside <sheetData>, written as it goes."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in _PARTS.items():
            archive.writestr(name, text)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(
                b'<?xml version="1.0" encoding="UTF-8"?><worksheet '
                b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                + f'<dimension ref="{dimension}"/><sheetData>'.encode()
            )
            for chunk in chunks:
                sheet.write(chunk.encode() if isinstance(chunk, str) else chunk)
            sheet.write(b"</sheetData></worksheet>")
    return path


def blank_rows(first: int, count: int) -> list[str]:
    """Formatted rows without a value, each with a formatted cell in the last column (XFD)."""
    row = '<row r="{0}"><c r="XFD{0}" s="0"/></row>'
    end = first + count
    return [
        "".join(row.format(n) for n in range(start, min(start + 20_000, end)))
        for start in range(first, end, 20_000)
    ]


@pytest.fixture
def parsed_rows(monkeypatch) -> list[int]:
    """How many rows of XML openpyxl parses."""
    count = [0]
    original = WorkSheetParser.parse_row

    def counting(self, row):
        count[0] += 1
        return original(self, row)

    monkeypatch.setattr(WorkSheetParser, "parse_row", counting)
    return count


def test_workbook_expanding_beyond_the_limit_is_refused(store, tmp_path, monkeypatch):
    # The limit is 250 MB; 20 MB here keeps the test fast. 30 MB of white space between two
    # rows weigh 30 kB compressed: openpyxl would have parsed all of it.
    assert workbook_reader.XLSX_EXPANDED_LIMIT == 250_000_000
    monkeypatch.setattr(workbook_reader, "XLSX_EXPANDED_LIMIT", 20_000_000)
    padding = (b" " * 1_000_000 for _ in range(30))
    path = workbook(tmp_path / "bomb.xlsx", [text_row(1, HEADER), *padding, text_row(2, ROW)])
    assert path.stat().st_size < 100_000
    with pytest.raises(ImportFileError, match="30 Mo une fois décompressé") as caught:
        run_import(store, path)
    assert "limite de 20 Mo" in caught.value.message and "CSV" in caught.value.message


def test_workbook_is_read_up_to_its_last_value(store, tmp_path, parsed_rows):
    # 200,000 formatted empty rows after the data, each as wide as a sheet can be: openpyxl
    # parsed every one of them, padded to 16,384 cells.
    rows = [text_row(1, HEADER), text_row(2, ROW), *blank_rows(3, 200_000)]
    path = workbook(tmp_path / "blank.xlsx", rows, dimension="A1:XFD200002")
    report = run_import(store, path)
    assert (report.rows_read, report.added) == (1, 1)
    assert parsed_rows[0] <= 5  # the header, the row, the one after it
    assert workbook_reader._last_value_row(path, "xl/worksheets/sheet1.xml") == 2


def test_workbook_values_after_empty_rows_are_all_read(store, tmp_path):
    later = ["R2", "2025-02-04", "courrier", "reclamation", "cotisation"]
    rows = [text_row(1, HEADER), text_row(2, ROW), *blank_rows(3, 30_000), text_row(30_003, later)]
    report = run_import(store, workbook(tmp_path / "gap.xlsx", rows, dimension="A1:E30003"))
    assert (report.rows_read, report.added) == (2, 2)
    # a cell without its reference: the whole sheet is read, rows counted as they come
    rows = [text_row(1, HEADER, refs=False), text_row(2, ROW, refs=False)]
    path = workbook(tmp_path / "norefs.xlsx", rows)
    assert workbook_reader._last_value_row(path, "xl/worksheets/sheet1.xml") is None
    prepared = read_and_prepare(path, import_day=DAY, objects=OBJECTS)
    assert (prepared.rows_read, prepared.rejected_rows) == (1, 0)
