"""What hostile testing found leaking (issue 12): local mode under a foreign host name, an
unverified e-mail let in, NIRs typed in other fields, Markdown in stored text, oversized fields."""

from __future__ import annotations

import io
import re
from datetime import date

import pandas as pd
import pytest
from openpyxl import load_workbook

from cpms_metrics.access import (
    Mode,
    PersonalData,
    access_for,
    host_name,
    is_loopback_host,
    mask_nirs,
    redact,
    redact_case,
)
from cpms_metrics.fields import COLUMNS
from cpms_metrics.validation import MAX_LENGTH, length_help, length_problems
from cpms_metrics.worklist import to_csv_bytes, to_xlsx_bytes
from ui.format import md


def local(host: str | None) -> Mode:
    return access_for(
        auth_configured=False,
        logged_in=False,
        email=None,
        roles=None,
        address="127.0.0.1",
        host=host,
    ).mode


# --- DNS rebinding ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "host, name",
    [
        ("localhost:8501", "localhost"),
        ("LocalHost.:8501", "localhost"),  # case and the final dot of a fully qualified name
        ("[::1]:8501", "::1"),
        ("127.0.0.1", "127.0.0.1"),
        ("evil.example:8501", "evil.example"),
    ],
)
def test_host_name(host: str, name: str) -> None:
    assert host_name(host) == name


@pytest.mark.parametrize(
    "host", ["localhost", "localhost:8501", "127.0.0.1:8501", "127.3.4.5", "[::1]:8501", "[::1]"]
)
def test_local_mode_under_a_loopback_host(host: str) -> None:
    assert is_loopback_host(host)
    assert local(host) is Mode.LOCAL


@pytest.mark.parametrize(
    "host",
    [
        "evil.example:8501",  # resolves to 127.0.0.1 for the time of the attack
        "evil.example",
        "localhost.evil.example:8501",
        "127.0.0.1.nip.io:8501",
        "192.168.1.10:8501",
        "[::2]:8501",
    ],
)
def test_no_local_mode_under_another_host_name(host: str) -> None:
    who = access_for(
        auth_configured=False,
        logged_in=False,
        email=None,
        roles=None,
        address="127.0.0.1",
        host=host,
    )
    assert who.mode is Mode.CLOSED and not who.granted
    assert who.refusal is not None and "localhost" in who.refusal and "[auth]" in who.refusal


def test_without_a_request_local_mode_stays() -> None:
    assert local(None) is Mode.LOCAL  # a script run without a browser: nothing to rebind


def test_a_hostile_host_header_is_not_echoed_as_it_is() -> None:
    who = access_for(
        auth_configured=False,
        logged_in=False,
        email=None,
        roles=None,
        address="127.0.0.1",
        host="![x](http://evil/x.png)",
    )
    assert who.refusal is not None and "(" not in who.refusal.split("»")[0]


# --- email_verified -----------------------------------------------------------------------------


def login(email_verified: object) -> Mode | None:
    who = access_for(
        auth_configured=True,
        logged_in=True,
        email="admin@cpms.fr",
        roles={"admin@cpms.fr": "admin"},
        address="0.0.0.0",
        email_verified=email_verified,
    )
    return who.mode if who.granted else None


@pytest.mark.parametrize("claim", [0, "0", "false", "False", False, "no", "", 0.0, [], "yes"])
def test_an_unverified_address_is_refused(claim: object) -> None:
    assert login(claim) is None


@pytest.mark.parametrize("claim", [True, "true", "TRUE", 1, "1", None])  # None: no claim sent
def test_a_verified_address_gets_in(claim: object) -> None:
    assert login(claim) is Mode.LOGIN


# --- A NIR typed in another field ---------------------------------------------------------------

NIR = "185057800608491"
MASKED = "1 85 05 78 ••• ••• 91"


@pytest.mark.parametrize(
    "value, expected",
    [
        (NIR, MASKED),
        (f"Société {NIR} SARL", f"Société {MASKED} SARL"),
        ("1 85 05 78 006 084 91", MASKED),
        ("1.85.05.78.006.084-91", MASKED),
        ("1850578006084", "1 85 05 78 ••• •••"),  # without its key
        ("2 69 02 2A 006 084 12", "2 69 02 2A ••• ••• 12"),  # Corsica
        (f"{NIR}@exemple.fr", f"{MASKED}@exemple.fr"),
        # Next to another number, with one space between: still found.
        (f"06 12 34 56 78 {NIR}", f"06 12 34 56 78 {MASKED}"),
        (f"{NIR} 12 rue des Lilas", f"{MASKED} 12 rue des Lilas"),
        ("1 85 05 78 006 084 91 2", f"{MASKED} 2"),
        ("01 85 05 78 00 60 84 91", "01 85 05 78 00 60 84 91"),  # a phone-like run: no NIR
        ("0 " * 50_000, "0 " * 50_000),  # long runs of groups stay cheap
        ("5 0 " * 25_000, "5 0 " * 25_000),
        # Not shaped like a NIR: references, phones, SIRET and amounts stay readable.
        ("REC-2023-000001", "REC-2023-000001"),
        ("0033 6 12 34 56 78", "0033 6 12 34 56 78"),  # 13 digits, but a phone
        ("+33 6 12 34 56 78", "+33 6 12 34 56 78"),
        ("SIRET 552 100 554 00013", "SIRET 552 100 554 00013"),  # 14 digits
        ("98505780060849100", "98505780060849100"),  # too long to be one
        (MASKED, MASKED),  # masking twice changes nothing
        ("", ""),
    ],
)
def test_mask_nirs(value: str, expected: str) -> None:
    assert mask_nirs(value) == expected


@pytest.mark.parametrize("value", [None, 185057800608491, 2.5, date(2025, 1, 2)])
def test_mask_nirs_leaves_other_values(value: object) -> None:
    assert mask_nirs(value) == value


def test_redact_masks_a_nir_in_every_column_for_every_level() -> None:
    frame = pd.DataFrame(
        [
            {
                "reference": NIR,
                "company": f"Société {NIR}",
                "handler": f"Agent {NIR}",
                "last_name": f"Nom {NIR}",
                "phone": NIR,
                "received_on": date(2025, 1, 2),
                "days_left": 3,
            }
        ]
    )
    for level in PersonalData:
        shown = redact(frame, level)
        assert NIR not in shown.to_string(), level
        assert shown["reference"].iloc[0] == MASKED and shown["days_left"].iloc[0] == 3
        case = redact_case(frame.iloc[0].to_dict(), level)
        assert NIR not in str(case), level
    assert frame["reference"].iloc[0] == NIR  # the stored value stays whole, for lookups


def test_downloads_mask_a_nir_in_any_column() -> None:
    frame = pd.DataFrame({"Référence": [NIR], f"Note {NIR}": [f"=HYPERLINK({NIR})"]})
    text = to_csv_bytes(frame).decode("utf-8-sig")
    assert NIR not in text and MASKED in text and f"'=HYPERLINK({MASKED})" in text
    sheet = load_workbook(io.BytesIO(to_xlsx_bytes(frame))).active
    cells = [str(c.value) for row in sheet.iter_rows() for c in row]
    assert not any(NIR in c for c in cells) and MASKED in cells


# --- Markdown -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "![t](http://host.example/x.png)",
        "http://evil.example/page",
        "[clic](javascript:alert(1))",
        "**gras** _italique_ ~barré~",
        ":red[rouge] :material/warning:",
        "$x^2$",
        "# Titre\n---\n- puce\n1. liste\n> citation\n===",
        "<img src=x onerror=alert(1)>",
        "`code` | tableau |",
    ],
)
def test_md_escapes_every_markdown_character(text: str) -> None:
    escaped = md(text)
    assert re.sub(r"\\(.)", r"\1", escaped) == text  # read as typed once rendered
    for mark in "![]()*_~:$#-`|<>=.":
        assert not re.search(rf"(?<!\\){re.escape(mark)}", escaped), (mark, escaped)


def test_md_masks_a_nir() -> None:
    assert md(f"Société {NIR}") == "Société 1 85 05 78 ••• ••• 91"


# --- Lengths ------------------------------------------------------------------------------------


def test_length_problems() -> None:
    record = {"last_name": "N" * 101, "first_name": "Zoé", "description": "x" * 10_000,
              "company": "  " + "c" * 200 + "  ", "handler": "h" * 201}  # fmt: skip
    assert length_problems(record) == {
        "Nom": "101 caractères, 100 au plus",
        "Gestionnaire": "201 caractères, 200 au plus",
    }
    assert set(MAX_LENGTH) <= {c.name for c in COLUMNS}
    assert length_help("description") == "10\u202f000 caractères au plus."
