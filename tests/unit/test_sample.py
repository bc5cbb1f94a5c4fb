"""The sample generator: seeded, realistic, and always acceptable to the importer's hard rules."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest
from stdnum.fr import nir as stdnum_nir

from cpms_metrics import fields
from cpms_metrics.sample import SAMPLE_END, SAMPLE_ROWS, SAMPLE_SEED, generate, write_sample

END = date(2026, 11, 20)
ROWS = 5000
COMMITTED = Path(__file__).resolve().parents[2] / "sample_data" / "complaints.csv"
ENUMS = {
    "channel": fields.CHANNELS,
    "nature": fields.NATURES,
    "object": fields.DEFAULT_OBJECTS,
    "risk_carrier": fields.RISK_CARRIERS,
    "response_channel": fields.CHANNELS,
    "mediator": fields.MEDIATORS,
}


@pytest.fixture(scope="module")
def canonical() -> pd.DataFrame:
    return generate(ROWS, 1, END, canonical=True)


@pytest.fixture(scope="module")
def french() -> pd.DataFrame:
    return generate(ROWS, 1, END)


@pytest.fixture(scope="module")
def dates(canonical: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            c: pd.to_datetime(canonical[c].replace("", None), format="%Y-%m-%d")
            for c in fields.DATE_COLUMNS
        }
    )


def nir_key_is_right(nir: str) -> bool:
    """The NIR key: 97 - (the 13 first digits mod 97), Corsica's 2A and 2B counting as 19 and 18."""
    department = {"2A": "19", "2B": "18"}.get(nir[5:7], nir[5:7])
    return 97 - int(nir[:5] + department + nir[7:13]) % 97 == int(nir[13:])


def csv_bytes(frame: pd.DataFrame, separator: str, bom: bool) -> bytes:
    out = io.StringIO()
    frame.to_csv(out, sep=separator, index=False, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    return ("\ufeff" if bom else "").encode() + out.getvalue().encode()


# --- Reproducibility ------------------------------------------------------------------------------


def test_same_seed_gives_the_same_frame_and_bytes(tmp_path: Path) -> None:
    pd.testing.assert_frame_equal(generate(800, 42, END), generate(800, 42, END))
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    write_sample(first, 800, 42, END)
    write_sample(second, 800, 42, END)
    assert first.read_bytes() == second.read_bytes()


def test_different_seeds_give_different_frames() -> None:
    assert not generate(800, 1, END).equals(generate(800, 2, END))


@pytest.mark.parametrize(
    "canonical, separator, bom",
    [(False, ";", True), (True, ",", False)],  # French export: `;` and a BOM for Excel
)
def test_written_file_is_the_frame_as_csv_quote_minimal(
    tmp_path: Path, canonical: bool, separator: str, bom: bool
) -> None:
    path = tmp_path / "export.csv"
    write_sample(path, 2000, 5, END, canonical=canonical)
    assert path.read_bytes() == csv_bytes(
        generate(2000, 5, END, canonical=canonical), separator, bom
    )
    reread = pd.read_csv(
        path, sep=separator, dtype=str, keep_default_na=False, encoding="utf-8-sig"
    )
    pd.testing.assert_frame_equal(
        reread, generate(2000, 5, END, canonical=canonical), check_dtype=False
    )


def test_parquet_holds_the_same_frame(tmp_path: Path) -> None:
    path = tmp_path / "export.parquet"
    write_sample(path, 700, 5, END)
    pd.testing.assert_frame_equal(pd.read_parquet(path), generate(700, 5, END), check_dtype=False)


def test_committed_sample_is_reproducible() -> None:
    expected = csv_bytes(generate(SAMPLE_ROWS, SAMPLE_SEED, SAMPLE_END), ";", bom=True)
    assert COMMITTED.read_bytes() == expected, (
        "sample_data/complaints.csv is stale: rewrite it with write_sample(Path("
        "'sample_data/complaints.csv'), SAMPLE_ROWS, SAMPLE_SEED, SAMPLE_END)"
    )


# --- Shape ----------------------------------------------------------------------------------------


def test_headers_in_both_modes(french: pd.DataFrame, canonical: pd.DataFrame) -> None:
    assert list(french.columns) == [c.header for c in fields.COLUMNS]
    assert list(canonical.columns) == list(fields.CANONICAL)
    assert list(generate(0, 1, END).columns) == [c.header for c in fields.COLUMNS]


def test_every_cell_is_a_string(french: pd.DataFrame, canonical: pd.DataFrame) -> None:
    for frame in (french, canonical):
        assert not frame.isna().any().any()
        assert all(isinstance(v, str) for column in frame for v in frame[column].head(300))


def test_french_export_describes_the_same_cases(
    french: pd.DataFrame, canonical: pd.DataFrame
) -> None:
    by_header = {c.name: french[c.header] for c in fields.COLUMNS}
    for column in fields.DATE_COLUMNS:
        french_dates = by_header[column]
        assert french_dates.str.fullmatch(r"(\d\d/\d\d/\d{4})?").all()
        iso = french_dates.str.replace(r"(\d\d)/(\d\d)/(\d{4})", r"\3-\2-\1", regex=True)
        assert iso.equals(canonical[column])
    spelt_otherwise = filled = 0
    for column, vocabulary in ENUMS.items():
        keys = fields.value_keys(vocabulary)
        assert set(canonical[column]) <= {*vocabulary, ""}
        # Every French spelling, synonyms and capitals included, folds back to the canonical value.
        values = by_header[column].map(fields.fold).map({**keys, "": ""})
        assert values.equals(canonical[column])
        labels = canonical[column].map(
            {"": "", **{v: label for v, (label, _) in vocabulary.items()}}
        )
        spelt_otherwise += int((by_header[column] != labels).sum())
        filled += int((labels != "").sum())
    assert 0.03 < spelt_otherwise / filled < 0.07  # ~5% of the cells spelt another way
    for text in (c for c in fields.COLUMNS if c.kind == "text"):
        assert french[text.header].equals(canonical[text.name]), text.name


# --- Chronology and deadlines ---------------------------------------------------------------------


def test_no_date_after_end_and_chronology_holds(dates: pd.DataFrame) -> None:
    end = pd.Timestamp(END)
    assert (dates.max() <= end).all()
    received = dates["received_on"]
    assert received.notna().all()
    assert not (dates["sent_on"] > received).any()
    for column in ("acknowledged_on", "responded_on", "mediator_referred_on"):
        assert not (dates[column] < received).any(), column


def test_receipts_spread_over_three_years_without_sunday_calls_or_letters(
    canonical: pd.DataFrame, dates: pd.DataFrame
) -> None:
    received = dates["received_on"]
    assert received.min() >= pd.Timestamp(END - timedelta(days=3 * 366))
    assert received.max() >= pd.Timestamp(END - timedelta(days=3))
    sunday = received.dt.day_of_week == 6
    assert sunday.any() and (canonical.loc[sunday, "channel"] == "email").all()
    last_year = received > pd.Timestamp(END - timedelta(days=365))
    first_year = received <= pd.Timestamp(END - timedelta(days=2 * 365))
    assert last_year.sum() > 1.1 * first_year.sum()  # a slowly growing volume


def test_sent_on_for_written_channels_only(canonical: pd.DataFrame, dates: pd.DataFrame) -> None:
    delay = (dates["received_on"] - dates["sent_on"]).dt.days
    channel = canonical["channel"]
    assert (canonical.loc[channel == "telephone", "sent_on"] == "").all()
    assert delay[channel == "email"].between(0, 1).all()
    assert delay[channel == "courrier"].between(1, 6).all()


def test_shares_and_every_value_present(canonical: pd.DataFrame) -> None:
    share = (canonical["nature"] != fields.COMPLAINT).mean()
    assert 0.05 <= share <= 0.11
    assert set(canonical["nature"]) == set(fields.NATURES)
    assert set(canonical["object"]) == set(fields.DEFAULT_OBJECTS)
    assert set(canonical["channel"]) == set(fields.CHANNELS)
    assert set(canonical["risk_carrier"]) == {*fields.RISK_CARRIERS, ""}
    assert canonical["object"].value_counts().index[0] == "remboursement"


def test_deadline_situations_all_occur(canonical: pd.DataFrame, dates: pd.DataFrame) -> None:
    end = pd.Timestamp(END)
    complaint = canonical["nature"] == fields.COMPLAINT
    received, answered = dates["received_on"], dates["responded_on"]
    acknowledged = dates[["acknowledged_on", "responded_on"]].min(axis=1)  # an answer acknowledges
    ack_due = received + pd.Timedelta(days=10)
    answer_due = received + pd.DateOffset(months=2)
    n = complaint.sum()

    late_acks = complaint & (acknowledged > ack_due)
    assert 0.04 < late_acks.sum() / n < 0.14
    late_answers = complaint & (answered > answer_due)
    assert 0.04 < late_answers.sum() / n < 0.14
    open_cases = complaint & answered.isna()
    assert (open_cases & (answer_due < end)).sum() > 10  # old cases still open: overdue
    assert (open_cases & (answer_due >= end)).sum() > 10  # pending
    assert (complaint & dates["acknowledged_on"].isna() & answered.notna()).sum() > 10
    assert (dates["acknowledged_on"] > answered).sum() > 5  # acknowledged after the answer
    answer_days = (answered - received).dt.days[complaint]
    assert 15 <= answer_days.median() <= 32


def test_escalations_and_misrouting(canonical: pd.DataFrame, dates: pd.DataFrame) -> None:
    complaint = canonical["nature"] == fields.COMPLAINT
    escalated = dates["mediator_referred_on"].notna()
    assert not (escalated & ~complaint).any()  # requests never go to a mediator
    assert 0.02 < escalated.sum() / complaint.sum() < 0.07
    mediator, carrier = canonical["mediator"], canonical["risk_carrier"]
    assert ((mediator != "") <= escalated).all()
    derived = carrier.map(fields.MEDIATOR_BY_CARRIER)
    misrouted = escalated & (mediator != "") & derived.notna() & (mediator != derived)
    routed = escalated & (mediator != "") & derived.notna()
    assert 0.05 < misrouted.sum() / routed.sum() < 0.3
    assert (escalated & (mediator == "")).any()
    without_answer = escalated & (
        dates["responded_on"].isna() | (dates["mediator_referred_on"] < dates["responded_on"])
    )
    assert without_answer.any()


def test_requests_are_answered_within_a_week(canonical: pd.DataFrame, dates: pd.DataFrame) -> None:
    request = canonical["nature"] != fields.COMPLAINT
    days = (dates["responded_on"] - dates["received_on"]).dt.days[request]
    assert days.dropna().between(0, 8).all()


def test_answers_mostly_by_the_same_channel(canonical: pd.DataFrame) -> None:
    answered = canonical["response_channel"] != ""
    assert ((canonical["responded_on"] != "") == answered).all()
    same = (canonical["response_channel"] == canonical["channel"])[answered].mean()
    assert 0.9 < same < 0.99


def test_committed_sample_has_cases_due_within_a_week() -> None:
    frame = generate(SAMPLE_ROWS, SAMPLE_SEED, SAMPLE_END, canonical=True)
    end = pd.Timestamp(SAMPLE_END)
    complaint = frame["nature"] == fields.COMPLAINT
    received = pd.to_datetime(frame["received_on"])
    week = (received + pd.Timedelta(days=10)).between(end, end + pd.Timedelta(days=7))
    unacknowledged = (frame["acknowledged_on"] == "") & (frame["responded_on"] == "")
    answer_week = (received + pd.DateOffset(months=2)).between(end, end + pd.Timedelta(days=7))
    due_soon = complaint & ((week & unacknowledged) | (answer_week & (frame["responded_on"] == "")))
    assert due_soon.sum() >= 3


# --- Personal data --------------------------------------------------------------------------------


def test_nir_keys_mostly_right_some_wrong_some_missing(canonical: pd.DataFrame) -> None:
    nir = canonical["nir"]
    present = nir[nir != ""]
    assert present.str.fullmatch(r"[12378]\d{4}(\d\d|2A|2B)\d{8}").all()
    right = present.map(nir_key_is_right)
    assert right.equals(present.map(stdnum_nir.is_valid))  # the same algorithm as python-stdnum's
    assert 0.93 < right.sum() / len(nir) < 0.99
    assert 0.01 < (~right).sum() / len(nir) < 0.06
    assert 0.002 < (nir == "").mean() < 0.03
    corsica = present[present.str[5:7].isin(["2A", "2B"])]
    assert corsica.map(nir_key_is_right).sum() > 10
    assert present.str[0].isin(["1", "2"]).mean() > 0.98


def test_contact_data_mostly_valid(canonical: pd.DataFrame) -> None:
    email = canonical["email"][canonical["email"] != ""]
    valid = email.str.fullmatch(r"[a-z0-9._-]+@[a-z]+\.[a-z]+")
    assert 0.95 < valid.mean() < 0.995
    phone = canonical["phone"][canonical["phone"] != ""]
    digits = phone.str.replace(r"^\+33 ", "0", regex=True).str.replace(r"[ .]", "", regex=True)
    assert 0.95 < digits.str.fullmatch(r"0\d{9}").mean() < 0.995
    assert digits.str[:4].isin(["0590", "0690", "0262"]).any()
    address = canonical["postal_address"]
    assert address.str.contains("\n").any()
    assert address[address != ""].str.contains(r"\b\d{5} [A-Z]").all()
    assert 0.01 < (canonical["company"] == "").mean() < 0.06
    text = canonical["description"]
    assert text.str.contains("œ").any() and text.str.contains("€").any()
    assert canonical["attachments"].str.contains(r"\.pdf").any()
    assert 5 <= canonical["handler"].replace("", None).nunique() <= 10


def test_references_are_unique_and_numbered_by_year(canonical: pd.DataFrame) -> None:
    reference = canonical["reference"]
    assert reference.is_unique
    parts = reference.str.extract(r"^REC-(\d{4})-(\d{6,})$")
    assert parts.notna().all().all()
    assert (parts[0] == canonical["received_on"].str[:4]).all()
    assert re.fullmatch(r"REC-\d{4}-000001", reference.iloc[0])


def test_a_hundred_thousand_rows() -> None:
    frame = generate(100_000, 3, END, canonical=True)
    assert len(frame) == 100_000 and frame["reference"].is_unique
    assert frame["received_on"].max() <= END.isoformat()
