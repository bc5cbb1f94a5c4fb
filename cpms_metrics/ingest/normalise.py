"""Step 3, normalise: every cell of `staging.raw` trimmed, and the value of each date, amount and
enumerated cell read from its text, into `staging.normalised` (and the view `staging.typed`).

Python judges each distinct spelling once (`parse_date`, `parse_amount`, the vocabularies and the
profile's value maps); SQL joins the verdicts back onto the rows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import duckdb
import pandas as pd

from ..fields import AMOUNT_COLUMNS, CANONICAL, DATE_COLUMNS, Vocabulary, fold
from ..profiles import vocabularies as enum_vocabularies
from .read import RawExport
from .staging import LINE, WIDTH, Staging
from .text import _EDGE_SPACE

_WHITESPACE = "' ' || chr(9) || chr(10) || chr(13) || chr(160)"

_DATE = re.compile(
    r"(?:(?P<y1>\d{4})-(?P<m1>\d{1,2})-(?P<d1>\d{1,2})|(?P<d2>\d{1,2})/(?P<m2>\d{1,2})/(?P<y2>\d{4}))"
    r"(?:[ T]\d{1,2}[:h]\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
)

# Excel's date serial numbers: days since 30/12/1899, read as dates between 1990 and 2099 only,
# so that an ordinary number is never taken for a date.
_SERIAL = re.compile(r"(\d{5})(?:\.\d+)?")
SERIAL_RANGE = (32874, 73050)  # 01/01/1990 .. 31/12/2099
_EXCEL_EPOCH = date(1899, 12, 30)


def parse_date(text: str, date_format: str | None = None) -> date | None:
    """`YYYY-MM-DD` or `DD/MM/YYYY`, optionally with a time (dropped), or an Excel serial
    number; `date_format` (a profile's, strptime) is tried first. None when empty.

    Raises ValueError for anything else, including impossible dates such as 31/02/2025.
    """
    text = text.strip()
    if not text:
        return None
    if date_format:
        try:
            return datetime.strptime(text, date_format).date()
        except ValueError:
            pass
    match = _DATE.fullmatch(text)
    if not match:
        serial = _SERIAL.fullmatch(text)
        if serial and SERIAL_RANGE[0] <= int(serial[1]) <= SERIAL_RANGE[1]:
            return _EXCEL_EPOCH + timedelta(days=int(serial[1]))
        raise ValueError(text)
    g = match.groupdict()
    year, month, day = (g["y1"], g["m1"], g["d1"]) if g["y1"] else (g["y2"], g["m2"], g["d2"])
    return date(int(year), int(month), int(day))


def _readable(text: str, date_format: str | None = None) -> date | None:
    try:
        return parse_date(text, date_format)
    except ValueError:
        return None


_AMOUNT = re.compile(r"[+-]?(\d{1,3}([ .\u00a0\u202f]\d{3})+|\d+)([.,]\d{1,2})?")


def parse_amount(text: str) -> float | None:
    """An amount in euros as a French or an English export writes it: `1 234,56`, `1234.56`,
    `1.234,56`, `120 €`; None when empty. Raises ValueError for anything else."""
    text = text.strip().removesuffix("€").removesuffix("EUR").strip()
    if not text:
        return None
    if not _AMOUNT.fullmatch(text):
        raise ValueError(text)
    parts = re.split(r"[.,](?=\d{1,2}$)", text)
    whole = re.sub(r"[ .\u00a0\u202f]", "", parts[0])
    decimals = parts[1] if len(parts) > 1 else ""
    return round(float(f"{whole}.{decimals or '0'}"), 2)


def _amount(text: str) -> float | None:
    try:
        return parse_amount(text)
    except ValueError:
        return None


def format_date(value: date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


@dataclass(frozen=True)
class Columns:
    """The canonical columns a file carries, by how their values are read."""

    present: list[str]  # in CANONICAL order
    dates: list[str]
    amounts: list[str]
    enums: list[str]  # read through `vocabularies` (and the profile's value maps)
    vocabularies: dict[str, Vocabulary]

    @property
    def parsed(self) -> list[str]:
        """The columns whose value is read from their text (the others' value is their text)."""
        return [c for c in self.present if c in self.dates or c in self.enums or c in self.amounts]


def normalise(
    con: duckdb.DuckDBPyConnection,
    staging: Staging,
    raw: RawExport,
    objects: tuple[str, ...],
    causes: tuple[str, ...],
) -> Columns:
    """Turn `staging.raw` into `staging.normalised`: LINE, WIDTH, every cell trimmed (NULL when
    empty) and `v_<column>`, the value read, for each date, amount and enumerated column; and
    the view `staging.typed`, with `v_<column>` for every column. `staging.raw` is dropped; the
    maps stay for the checks."""
    present = [c for c in CANONICAL if c in raw.headers]
    vocabularies = enum_vocabularies(objects, causes)
    profile = raw.profile
    columns = Columns(
        present=present,
        dates=[c for c in present if c in DATE_COLUMNS],
        amounts=[c for c in present if c in AMOUNT_COLUMNS],
        enums=[c for c in present if c in vocabularies],
        vocabularies=vocabularies,
    )
    dates, amounts, enums = columns.dates, columns.amounts, columns.enums

    # Python judges each distinct spelling once (as written, white space included); SQL joins
    # the verdicts back.
    if dates:
        union = " UNION ".join(f"SELECT {c} AS text FROM {staging.raw}" for c in dates)
        texts = [r[0] for r in con.execute(f"SELECT DISTINCT text FROM ({union})").fetchall()]
        parsed = [(t, _readable(t, profile.date_format)) for t in texts if t is not None]
        day_map = pd.DataFrame(
            [(t, d) for t, d in parsed if d is not None], columns=["text", "day"]
        )
        day_map["day"] = pd.to_datetime(day_map["day"]).astype("datetime64[s]")
        con.register("parsed_days", day_map)
        con.execute(
            f"CREATE TEMP TABLE {staging.day_map} AS SELECT text, day::DATE AS day FROM parsed_days"
        )
        con.unregister("parsed_days")
    for column in amounts:  # each distinct spelling read once, as dates are
        texts = [
            r[0] for r in con.execute(f"SELECT DISTINCT {column} FROM {staging.raw}").fetchall()
        ]
        amount_map = pd.DataFrame(
            [(t, _amount(t)) for t in texts if t is not None and _amount(t) is not None],
            columns=["text", "amount"],
        ).astype({"text": object, "amount": "float64"})
        con.register("parsed_amounts", amount_map)
        con.execute(
            f"CREATE TEMP TABLE {staging.amount_map(column)} AS "
            "SELECT text, amount::DOUBLE AS amount FROM parsed_amounts"
        )
        con.unregister("parsed_amounts")
    for column in enums:
        keys = profile.value_keys(column, vocabularies[column])
        texts = [
            r[0] for r in con.execute(f"SELECT DISTINCT {column} FROM {staging.raw}").fetchall()
        ]
        fallback = profile.fallback.get(column)
        pairs = [(t, keys.get(fold(t), fallback)) for t in texts if t is not None]
        mapping = pd.DataFrame(
            [(t, v) for t, v in pairs if v is not None], columns=["text", "value"], dtype=object
        )
        con.register("matched_values", mapping)
        con.execute(
            f"CREATE TEMP TABLE {staging.value_map(column)} AS SELECT * FROM matched_values"
        )
        con.unregister("matched_values")
        if fallback is not None:  # the values replaced, as they will read once trimmed
            replaced = pd.DataFrame(
                {"text": sorted({t.strip() for t in texts if t and fold(t) not in keys})},
                dtype=object,
            )
            con.register("replaced_texts", replaced)
            con.execute(
                f"CREATE TEMP TABLE {staging.fallback(column)} AS SELECT text FROM replaced_texts"
            )
            con.unregister("replaced_texts")

    # One copy of the rows: every cell trimmed, plus the value read from dates and lists.
    # Trimming cell by cell is costly: first one look at each whole row for white space at the
    # edge of a cell, and trim only when some row has any (hand-made files, mostly small).
    untrimmed = raw.untrimmed
    if untrimmed is None:
        row_text = f"concat_ws(chr(1), {', '.join(present)})"
        untrimmed = con.execute(
            f"SELECT count(*) FILTER (WHERE regexp_matches({row_text}, '{_EDGE_SPACE}')) "
            f"FROM {staging.raw}"
        ).fetchall()[0][0]
    cells, joins = [], []
    for c in present:
        cells.append(
            rf"""nullif(CASE WHEN regexp_matches(r.{c}, '[\t\r\n\x{{00A0}}]')
                             THEN trim(r.{c}, {_WHITESPACE}) ELSE trim(r.{c}) END, '') AS {c}"""
            if untrimmed
            else f"nullif(r.{c}, '') AS {c}"
        )
        if c in DATE_COLUMNS:
            cells.append(f"d_{c}.day AS v_{c}")
            joins.append(f"LEFT JOIN {staging.day_map} d_{c} ON d_{c}.text = r.{c}")
        elif c in vocabularies:
            cells.append(f"m_{c}.value AS v_{c}")
            joins.append(f"LEFT JOIN {staging.value_map(c)} m_{c} ON m_{c}.text = r.{c}")
        elif c in amounts:  # a negative amount is no amount: stored empty, with a finding
            cells.append(f"CASE WHEN a_{c}.amount >= 0 THEN a_{c}.amount END AS v_{c}")
            joins.append(f"LEFT JOIN {staging.amount_map(c)} a_{c} ON a_{c}.text = r.{c}")
    con.execute(
        f"CREATE TEMP TABLE {staging.normalised} AS SELECT r.{LINE}, r.{WIDTH}, "
        f"{', '.join(cells)} FROM {staging.raw} r {' '.join(joins)}"
    )
    con.execute(f"DROP VIEW {staging.raw}")
    con.execute(f"DROP TABLE IF EXISTS {staging.raw_rows}")
    con.execute(f"DROP TABLE IF EXISTS {staging.raw_csv}")
    texts_as_values = "".join(
        f", {c} AS v_{c}"
        for c in present
        if c not in DATE_COLUMNS and c not in vocabularies and c not in amounts
    )
    con.execute(
        f"CREATE TEMP VIEW {staging.typed} AS SELECT *{texts_as_values} FROM {staging.normalised}"
    )
    return columns
