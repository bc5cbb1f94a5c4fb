"""Who may see what: the roles table, the roles file, login / local / closed, masking, and the
neutralisation of spreadsheet formulas in exports."""

from __future__ import annotations

import io
import subprocess
import sys
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from cpms_metrics.access import (
    AGGREGATE_PAGES,
    PAGES,
    ROLES,
    Access,
    Mode,
    PersonalData,
    RolesFileError,
    access_for,
    is_local_address,
    load_roles,
    neutralise,
    redact,
    redact_case,
    role_for,
    scrub_nir,
)
from cpms_metrics.errors import CpmsError
from cpms_metrics.worklist import to_csv_bytes, to_xlsx_bytes

ROOT = Path(__file__).resolve().parents[2]
NIR = "185057800608491"  # valid key
ROLES_FILE = """
[users]
"direction@cpms.fr" = "direction"
"qualite@cpms.fr" = "qualite"
"gestion@cpms.fr" = "gestionnaire"
"Admin@CPMS.fr" = "admin"
"""


def test_access_module_does_not_import_streamlit() -> None:
    code = "import sys, cpms_metrics.access; assert 'streamlit' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


# --- The roles table ----------------------------------------------------------------------------


def granted(role: str) -> Access:
    return Access(Mode.LOGIN, ROLES[role], f"{role}@cpms.fr", logged_in=True)


@pytest.mark.parametrize(
    "role, pages",
    [
        ("direction", AGGREGATE_PAGES),
        ("qualite", set(PAGES) - {"audit_log"}),  # every page, masked; the log is admin's
        ("gestionnaire", {"overview", "worklist", "case_entry", "follow_up", "definitions"}),
        ("admin", set(PAGES)),
    ],
)
def test_pages_of_each_role(role: str, pages: set[str]) -> None:
    assert {page for page in PAGES if granted(role).can(page)} == set(pages)


@pytest.mark.parametrize(
    "role, lists, personal, reveal, edit, imports, audit",
    [
        ("direction", False, PersonalData.NONE, False, False, False, False),
        ("qualite", True, PersonalData.MASKED, True, True, True, False),
        ("gestionnaire", True, PersonalData.CLEAR, True, True, False, False),
        ("admin", True, PersonalData.CLEAR, True, True, True, True),
    ],
)
def test_capabilities_of_each_role(
    role: str,
    lists: bool,
    personal: PersonalData,
    reveal: bool,
    edit: bool,
    imports: bool,
    audit: bool,
) -> None:
    who = granted(role)
    assert who.may_see_case_lists is lists
    assert who.personal_data is personal
    assert who.may_see_personal_data is (personal is not PersonalData.NONE)
    assert who.may_reveal_nir is reveal
    assert who.may_edit_cases is edit
    assert who.may_import is imports
    assert who.may_see_audit is audit


def test_a_refused_access_can_do_nothing() -> None:
    nobody = Access(Mode.LOGIN, email="x@ailleurs.fr", logged_in=True, refusal="non")
    assert not nobody.granted
    assert not any(nobody.can(page) for page in PAGES)
    assert nobody.personal_data is PersonalData.NONE
    assert not (nobody.may_reveal_nir or nobody.may_import or nobody.may_see_audit)


def test_an_unknown_page_key_is_a_bug() -> None:
    with pytest.raises(ValueError, match="unknown page"):
        granted("admin").can("dashboard.py")


# --- The roles file -----------------------------------------------------------------------------


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "roles.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_roles_file(tmp_path: Path) -> None:
    roles = load_roles(write(tmp_path, ROLES_FILE))
    assert roles == {
        "direction@cpms.fr": "direction",
        "qualite@cpms.fr": "qualite",
        "gestion@cpms.fr": "gestionnaire",
        "admin@cpms.fr": "admin",
    }
    assert role_for("ADMIN@cpms.fr ", roles) is ROLES["admin"]  # addresses compared without case
    assert role_for("autre@cpms.fr", roles) is None
    assert role_for(None, roles) is None


@pytest.mark.parametrize(
    "text, message",
    [
        (
            '[users]\n"a@cpms.fr" = "chef"\n',
            "rôle inconnu « chef » pour a@cpms.fr (rôles possibles : direction, qualite",
        ),
        ('[users]\n"a@cpms.fr" = 3\n', "rôle inconnu « 3 »"),
        ('[users]\n"a@cpms.fr" = "admin"\n"A@cpms.fr" = "qualite"\n', "figure deux fois"),
        ('[users]\n"direction" = "direction"\n', "n'est pas une adresse électronique"),
        ('[users\n"a@cpms.fr" = "admin"\n', "n'est pas un fichier TOML valide"),
        (
            '"a@cpms.fr" = "admin"\n',
            "ne doit contenir que la section [users] (trouvé : a@cpms.fr)",
        ),  # no table
        ('[user]\n"a@cpms.fr" = "admin"\n', "ne doit contenir que la section [users]"),  # typo
        ("", "n'a pas de section [users]"),
        ('users = "admin"\n', "n'a pas de section [users]"),
    ],
)
def test_a_bad_roles_file_is_explained_in_french(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(RolesFileError) as raised:
        load_roles(write(tmp_path, text))
    assert message in raised.value.message


def test_a_missing_roles_file(tmp_path: Path) -> None:
    with pytest.raises(CpmsError, match=r"CPMS_ROLES_FILE\).* introuvable") as raised:
        load_roles(tmp_path / "absent.toml")
    assert raised.value.title == "Fichier des rôles invalide"


# --- Login, local mode or closed ----------------------------------------------------------------


@pytest.mark.parametrize(
    "address, local",
    [
        ("127.0.0.1", True),
        ("127.0.1.1", True),  # Debian's own host name address
        ("localhost", True),
        ("::1", True),
        ("[::1]", True),
        ("", False),  # Streamlit then listens on every interface
        (None, False),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.20", False),
        ("dashboard.cpms.fr", False),  # a name may resolve to anything
    ],
)
def test_local_addresses(address: str | None, local: bool) -> None:
    assert is_local_address(address) is local


USERS = {"direction@cpms.fr": "direction", "qualite@cpms.fr": "qualite"}


def decide(**changes: object) -> Access:
    arguments: dict[str, object] = {
        "auth_configured": True,
        "logged_in": True,
        "email": "direction@cpms.fr",
        "roles": USERS,
        "address": "0.0.0.0",
    }
    return access_for(**(arguments | changes))  # type: ignore[arg-type]


def test_a_user_in_the_roles_file_gets_their_role() -> None:
    who = decide()
    assert (who.mode, who.role, who.email, who.refusal) == (
        Mode.LOGIN,
        ROLES["direction"],
        "direction@cpms.fr",
        None,
    )
    assert decide(email="Qualite@CPMS.fr", email_verified=True).role is ROLES["qualite"]


def test_login_is_asked_for_when_auth_is_configured() -> None:
    who = decide(logged_in=False, email=None)
    assert who.needs_login
    assert not who.granted


@pytest.mark.parametrize(
    "changes, reason",
    [
        ({"email": "x@ailleurs.fr"}, "x@ailleurs.fr n'a pas de rôle"),
        ({"email": None}, "ne transmet pas d'adresse électronique"),
        ({"email_verified": False}, "n'est pas vérifiée"),
        ({"email_verified": "false"}, "n'est pas vérifiée"),  # some providers send strings
        ({"roles": None}, "Aucun fichier des rôles n'est configuré"),
        ({"roles": {}}, "direction@cpms.fr n'a pas de rôle"),
        # Listening on localhost changes nothing once login is configured.
        ({"email": "x@ailleurs.fr", "address": "127.0.0.1"}, "n'a pas de rôle"),
    ],
)
def test_logged_in_but_refused(changes: dict[str, object], reason: str) -> None:
    who = decide(**changes)
    assert who.mode is Mode.LOGIN and who.logged_in and not who.needs_login
    assert not who.granted
    assert who.refusal is not None and reason in who.refusal


def test_local_mode_is_full_access_on_localhost_only() -> None:
    local = decide(auth_configured=False, logged_in=False, email=None, address="127.0.0.1")
    assert (local.mode, local.role, local.who) == (Mode.LOCAL, ROLES["admin"], "mode local")


@pytest.mark.parametrize(
    "address, proxied, reason",
    [
        ("0.0.0.0", False, "écoute sur l'adresse 0.0.0.0"),
        ("", False, "écoute sur toutes les adresses de la machine"),
        ("10.0.0.5", False, "joignable depuis d'autres postes"),
        # Bound to localhost behind a reverse proxy: reachable from anywhere after all.
        ("127.0.0.1", True, "serveur mandataire"),
    ],
)
def test_without_auth_elsewhere_than_localhost_nothing_is_shown(
    address: str, proxied: bool, reason: str
) -> None:
    who = decide(
        auth_configured=False, logged_in=False, email=None, address=address, proxied=proxied
    )
    assert who.mode is Mode.CLOSED
    assert not who.granted
    assert who.refusal is not None and reason in who.refusal
    assert "[auth]" in who.refusal


# --- Masking ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        (NIR, "1 85 05 78 ••• ••• 91"),
        ("NIR 1 85 05 78 006 084 91 demandé", "NIR 1 85 05 78 ••• ••• 91 demandé"),
        ("1.85.05.78.006.084-91", "1 85 05 78 ••• ••• 91"),
        ("1850578006084", "1 85 05 78 ••• •••"),  # without its key
        ("2 69 02 2A 006 084", "2 69 02 2A ••• •••"),  # Corsica
        ("185057800608491B", "1 85 05 78 ••• ••• 91B"),  # trailing letter kept, number masked
        # Shorter numbers stay: dates, phones, references, amounts.
        ("le 12/03/2025 au 01 23 45 67 89", "le 12/03/2025 au 01 23 45 67 89"),
        ("R2025-00012, 1 250,50 €", "R2025-00012, 1 250,50 €"),
        ("", ""),
    ],
)
def test_scrub_nir(text: str, expected: str) -> None:
    assert scrub_nir(text) == expected


CASE = {
    "reference": "R07",
    "received_on": date(2025, 12, 15),
    "last_name": "laurent",
    "first_name": "Eva",
    "nir": NIR,
    "email": "eva@exemple.fr",
    "phone": "06 12 34 56 78",
    "postal_address": "3 rue des Lilas 75011 Paris",
    "description": f"Mon NIR est {NIR}, remboursement refusé",
    "attachments": "",
    "handler": "Claire Fontaine",
}
MASKED_NIR = "1 85 05 78 ••• ••• 91"


def test_redact_a_case_for_each_level() -> None:
    clear = redact_case(CASE, PersonalData.CLEAR)
    assert clear["nir"] == MASKED_NIR  # the full NIR only through reveal_nir
    assert clear["last_name"] == "laurent" and clear["phone"] == "06 12 34 56 78"
    assert clear["description"] == f"Mon NIR est {MASKED_NIR}, remboursement refusé"

    masked = redact_case(CASE, PersonalData.MASKED)
    assert (masked["last_name"], masked["first_name"], masked["nir"]) == ("L.", "E.", MASKED_NIR)
    assert masked["email"] == masked["phone"] == masked["postal_address"] == "•••"
    assert masked["attachments"] == ""  # blank stays blank
    assert masked["handler"] == "Claire Fontaine"  # staff, not the complainant

    hidden = redact_case(CASE, PersonalData.NONE)
    assert set(hidden) == {"reference", "received_on", "handler"}


def test_redact_a_frame() -> None:
    frame = pd.DataFrame([CASE, {**CASE, "nir": None, "last_name": None}])
    masked = redact(frame, PersonalData.MASKED)
    assert masked["nir"].iloc[0] == MASKED_NIR and pd.isna(masked["nir"].iloc[1])
    assert masked["last_name"].iloc[0] == "L." and pd.isna(masked["last_name"].iloc[1])
    assert frame["nir"].iloc[0] == NIR  # the input is left as it was
    hidden = redact(frame, PersonalData.NONE)
    assert list(hidden.columns) == ["reference", "received_on", "handler"]
    text = masked.to_string() + hidden.to_string()
    assert NIR not in text and "1 85 05 78 006" not in text


# --- Formula injection in exports ---------------------------------------------------------------

DANGEROUS = ["=1+1", "+33 6 12 34 56 78", "-2+3", "@SUM(A1:A2)", "\t=1+1", "\r=1+1"]
HARMLESS = ["Martin", "", " =1", "1-2", "a=b", "ém@il"]


@pytest.mark.parametrize("value", DANGEROUS)
def test_a_cell_read_as_a_formula_is_neutralised(value: str) -> None:
    assert neutralise(value) == "'" + value


@pytest.mark.parametrize("value", [*HARMLESS, None, 5, -3, 2.5, date(2025, 1, 2)])
def test_other_cells_are_left_as_they_are(value: object) -> None:
    assert neutralise(value) == value


def formula_frame() -> pd.DataFrame:
    values = DANGEROUS + HARMLESS
    return pd.DataFrame(
        {
            "Nom": values,
            "Jours restants": [-(i + 1) for i in range(len(values))],  # numbers stay numbers
            "Échéance": [date(2025, 1, 2)] * len(values),
            '=HYPERLINK("http://x")': ["x"] * len(values),  # even a header
        }
    )


def test_csv_export_neutralises_formulas() -> None:
    text = to_csv_bytes(formula_frame()).decode("utf-8-sig")
    rows = pd.read_csv(io.StringIO(text), sep=";", dtype=str, keep_default_na=False)
    assert rows.columns[-1] == '\'=HYPERLINK("http://x")'
    assert rows["Nom"].tolist() == ["'" + v for v in DANGEROUS] + HARMLESS
    assert rows["Jours restants"].tolist()[:2] == ["-1", "-2"]
    assert rows["Échéance"].iloc[0] == "02/01/2025"


def test_xlsx_export_stores_formulas_as_text() -> None:
    sheet = load_workbook(io.BytesIO(to_xlsx_bytes(formula_frame()))).active
    header = [cell.value for cell in sheet[1]]
    assert header[-1] == '=HYPERLINK("http://x")'
    assert sheet.cell(1, 4).quotePrefix
    for row, value in enumerate(DANGEROUS + HARMLESS, start=2):
        # Kept as typed, stored as text, marked as text when it would be read as a formula.
        cell = sheet.cell(row, 1)
        assert (cell.value or "") == value.replace("\r", "\n"), value  # XML reads CR as LF
        assert cell.quotePrefix is (value in DANGEROUS), value
    assert sheet.cell(2, 2).value == -1 and sheet.cell(2, 2).data_type == "n"
    assert not any(cell.data_type == "f" for row in sheet.iter_rows() for cell in row)


def test_the_dysfunctions_register_is_the_quality_teams():
    """ACPR 2024-R-02: qualité and admin open and edit the register; the others do not open it."""
    from cpms_metrics.access import ROLES, Access, Mode

    for name, opens in (("qualite", True), ("admin", True), ("direction", False),
                        ("gestionnaire", False)):  # fmt: skip
        who = Access(Mode.LOGIN, ROLES[name], "x@cpms.fr", logged_in=True)
        assert who.can("dysfunctions") is opens
        assert who.may_edit_dysfunctions is opens
