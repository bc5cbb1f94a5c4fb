"""What each role sees on the real pages, run by AppTest with `at.user` set as Streamlit sets it
after an OpenID login and the roles file given by CPMS_ROLES_FILE (issue 6's "done when"):
direction sees the overview's figures but no personal data anywhere and no case form; qualite
opens every page but the audit log and never sees a full NIR; gestionnaire gets entry, follow-up
and the worklist but not the import; admin gets everything; an unknown user sees no figure.

The database is the known export imported twice: the second time R07's NIR changes (so its
history holds two NIRs in clear) and its description quotes a third one.
"""

from __future__ import annotations

import io
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from cpms_metrics import open_store
from cpms_metrics.access import PersonalData, audit_log
from cpms_metrics.ingest import import_file
from cpms_metrics.settings import load_settings
from tests.app.conftest import PAGES, ROOT, linked, shown_metrics
from tests.app.known_export import EXPECTED_CARDS, IMPORT_DAY, QUERY, ROWS, TEXT, write_export
from ui import data
from ui.filters import Filters

ROLES = """
[users]
"direction@cpms.fr" = "direction"
"qualite@cpms.fr" = "qualite"
"gestion@cpms.fr" = "gestionnaire"
"admin@cpms.fr" = "admin"
"""
OLD_NIR = "269054958815780"  # R07's in the known export
NEW_NIR = "185057800608491"
QUOTED_NIR = "1 85 05 78 006 084 91"
# A NIR as it could leak: 13 or 15 characters (Corsica's 2A/2B), with or without separators.
NIR_PATTERN = re.compile(r"[0-9](?:[ .\-]?[0-9AB]){12}(?:[ .\-]?[0-9]{2})?")
# The complainants of the known export (staff names, the handlers, are not personal data here).
COMPLAINANTS = re.compile(
    r"\b(Martin|Petit|Durand|Leroy|Moreau|Simon|Laurent|Michel|Garcia|David|Roux|Blanc|"
    r"Anne|Luc|Marie|Paul|Léa|Jean|Eva|Hugo|Inès|Zoé|Noé|Lou)\b"
)
REFERENCES = re.compile(r"\bR(0[1-9]|1[0-2])\b")

AGGREGATE = {
    "dashboard.py",
    "pages/1_accuses_de_reception.py",
    "pages/2_delais_de_reponse.py",
    "pages/3_objets.py",
    "pages/4_mediation.py",
    "pages/8_rapport_mensuel.py",
    "pages/12_definitions.py",
}
GESTIONNAIRE = {
    "dashboard.py",
    "pages/5_dossiers_a_echeance.py",
    "pages/6_saisie.py",
    "pages/7_suivi_des_dossiers.py",
    "pages/12_definitions.py",
}
AUDIT = "pages/11_journal_d_audit.py"
SUIVI = "pages/7_suivi_des_dossiers.py"
OPENS = {
    "direction@cpms.fr": AGGREGATE,
    "qualite@cpms.fr": set(PAGES) - {AUDIT},
    "gestion@cpms.fr": GESTIONNAIRE,
    "admin@cpms.fr": set(PAGES),
    "x@ailleurs.fr": set(),
}


@pytest.fixture
def db(known_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The known export, then again with R07's NIR changed and a NIR quoted in its description;
    CPMS_ROLES_FILE set."""
    header, *rows = TEXT.splitlines()
    changed = [f"{header};Formulation"] + [
        f"{row};Mon numéro : {QUOTED_NIR}, merci" if row.startswith("R07;") else f"{row};"
        for row in rows
    ]
    assert len(rows) == len(ROWS)
    export = write_export(tmp_path, "\n".join(changed).replace(OLD_NIR, NEW_NIR) + "\n", "b.csv")
    store = open_store(known_db, keep_open=False)
    at = datetime.combine(IMPORT_DAY, datetime.min.time())
    import_file(
        store, export, import_day=IMPORT_DAY, imported_at=at, objects=load_settings().objects
    )
    roles = tmp_path / "roles.toml"
    roles.write_text(ROLES, encoding="utf-8")
    monkeypatch.setenv("CPMS_ROLES_FILE", str(roles))
    return known_db


def as_user(page: str, email: str, params: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / page), default_timeout=30)
    at.user = {"is_logged_in": True, "email": email, "iat": 1767000000}
    for name, value in {**QUERY, **(params or {})}.items():
        at.query_params[name] = value
    return at.run()


def texts(at: AppTest) -> list[str]:
    """The text of every element of the page, one string per element (a table: one per cell),
    widgets' labels, options and values included."""
    found: list[str] = []

    def walk(node: Any) -> None:
        children = getattr(node, "children", None)
        if isinstance(children, dict):
            for child in children.values():
                walk(child)
            return
        value = getattr(node, "value", None) if node.type in ("dataframe", "table") else None
        if isinstance(value, pd.DataFrame):
            found.extend(str(c) for c in value.columns)
            found.extend(str(cell) for cell in value.to_numpy().ravel())
        elif node.type not in ("dataframe", "table"):
            found.append(str(node.proto))

    walk(at._tree)
    return found


# Not NIRs, but runs of digits the pattern would take for one: charts' floats
# (0.1111111111111111: no NIR has five digits after a dot), widgets' ids and media files' URLs
# (lowercase hexadecimal hashes of 16 characters or more, which may hold 13 digits in a row; a NIR
# has at most 15 characters).
NOT_A_NIR = re.compile(r"[0-9]*\.[0-9]{5,}(?:e-?[0-9]+)?|\$\$ID-[0-9a-f]+|[0-9a-f]{16,}")


def full_nirs(at: AppTest) -> list[str]:
    return [m for text in texts(at) for m in NIR_PATTERN.findall(NOT_A_NIR.sub(" ", text))]


def url_name(page: str) -> str:
    """`pages/3_objets.py` -> `objets` (Streamlit's page name in URLs); the main page: ""."""
    return "" if page == "dashboard.py" else Path(page).stem.split("_", 1)[1]


def menu(at: AppTest) -> list[str]:
    """The pages the sidebar links to, as page files."""
    files = {url_name(page): page for page in PAGES}
    return [files[link.proto.page] for link in at.sidebar.get("page_link")]


def refused(at: AppTest) -> bool:
    return bool(at.error) and "n'est pas ouverte au rôle" in at.error[0].value


# --- Who opens what ----------------------------------------------------------------------------


@pytest.mark.parametrize("email", list(OPENS))
def test_each_role_opens_its_pages_and_no_other(db: Path, email: str) -> None:
    for page in PAGES:
        at = as_user(page, email)
        assert not at.exception, page
        if page in OPENS[email]:
            assert at.title and not at.error, page
            if page == "dashboard.py":  # AppTest runs another page alone: no menu there
                assert sorted(menu(at)) == sorted(OPENS[email])  # only the pages it opens
        else:
            # Stopped at the access check: no title, no figure, no table, no menu.
            assert at.error, page
            assert not (at.title or at.metric or at.dataframe or at.table), page
            assert not at.sidebar.get("page_link"), page
            if email == "x@ailleurs.fr":
                assert "Accès non autorisé" in at.error[0].value
                assert "n'a pas de rôle" in at.error[0].value
            else:
                assert refused(at), page


# --- direction ----------------------------------------------------------------------------------


def test_direction_sees_the_overview_figures_but_not_the_worklist_link(db: Path) -> None:
    at = as_user("dashboard.py", "direction@cpms.fr", {"policy": "cpms"})
    # The second import changes no figure: only R07's NIR and description.
    assert shown_metrics(at) == EXPECTED_CARDS
    assert not [link for link in at.main.get("page_link") if "dossiers" in link.proto.page]
    assert r"direction@cpms\.fr · Direction" in " ".join(c.value for c in at.sidebar.caption)


@pytest.mark.parametrize("page", sorted(AGGREGATE))
def test_direction_sees_no_personal_data_no_case_list_and_no_form(db: Path, page: str) -> None:
    at = as_user(page, "direction@cpms.fr")
    assert not at.exception and not at.error
    page_text = texts(at)
    assert not [t for t in page_text if COMPLAINANTS.search(t)]
    assert not [t for t in page_text if REFERENCES.search(t)]  # no list of cases
    assert full_nirs(at) == []
    assert not [b for b in at.button if "Enregistrer" in b.label]
    assert not at.main.text_input and not at.main.text_area  # no case form, no search
    if page in ("pages/1_accuses_de_reception.py", "pages/4_mediation.py"):
        assert "La liste des dossiers n'est pas ouverte à votre rôle" in " ".join(
            c.value for c in at.caption
        )


def test_the_late_list_is_there_for_the_other_roles(db: Path) -> None:
    at = as_user("pages/1_accuses_de_reception.py", "qualite@cpms.fr")
    assert linked(at.dataframe[0].value["Référence"]) == ["R04", "R07", "R02"]


# --- qualite ------------------------------------------------------------------------------------


@pytest.mark.parametrize("page", sorted(set(PAGES) - {AUDIT}))
def test_qualite_never_sees_a_full_nir(db: Path, page: str) -> None:
    at = as_user(page, "qualite@cpms.fr", {"ref": "R07"})
    assert not at.exception and not at.error
    assert full_nirs(at) == []
    assert not [t for t in texts(at) if re.search(r"\bLaurent\b|\bEva\b", t)]


def test_qualite_sees_r07_masked_with_its_history_and_description(db: Path) -> None:
    at = as_user(SUIVI, "qualite@cpms.fr", {"ref": "R07"})
    page = " ".join(texts(at))
    assert "R07 · E. L." in at.subheader[0].value.replace("\\", "")
    assert "1 85 05 78 ••• ••• 91" in page  # the new NIR, in the card and the history
    assert "2 69 05 49 ••• ••• 80" in page  # the old one, in the history
    history = at.dataframe[-1].value
    nir_change = history[history["Champ"] == "Numéro de sécurité sociale"]
    assert list(nir_change["Avant"]) == ["2 69 05 49 ••• ••• 80"]
    assert list(nir_change["Après"]) == ["1 85 05 78 ••• ••• 91"]
    assert "Mon numéro : 1 85 05 78 ••• ••• 91, merci" in page.replace("\\", "")


def test_qualite_sees_initials_on_the_worklist(db: Path) -> None:
    at = as_user("pages/5_dossiers_a_echeance.py", "qualite@cpms.fr")
    table = at.dataframe[0].value
    table = table.set_index(pd.Index(linked(table["Référence"])))
    assert table.loc["R07", "Adhérent"] == "E. L."
    assert table.loc["R07", "NIR"] == "1 85 05 78 ••• ••• 91"


def reveal(at: AppTest, reason: str) -> AppTest:
    at.text_input(key="reveal_reason").set_value(reason)
    return next(b for b in at.button if b.label == "Afficher le NIR").click().run()


def test_qualite_reveals_one_nir_with_a_reason_which_is_logged(db: Path) -> None:
    at = as_user(SUIVI, "qualite@cpms.fr", {"ref": "R07"})
    at = reveal(at, "")
    assert "Indiquez le motif" in at.error[0].value
    assert NEW_NIR not in " ".join(texts(at))
    at = reveal(at, "Appel de l'assurée")
    assert at.success[0].value == "NIR du dossier R07 :"
    assert [code.value for code in at.code] == [NEW_NIR]  # as text, never as Markdown
    assert full_nirs(at) == [NEW_NIR]  # the scan of the other tests does find a NIR shown
    line = audit_log(open_store(db, keep_open=False)).iloc[0]
    assert (line["who"], line["action"], line["reference"]) == (
        "qualite@cpms.fr",
        "nir_reveal",
        "R07",
    )
    assert "Appel de l'assurée" in line["detail"] and NEW_NIR not in line["detail"]
    assert full_nirs(at.run()) == []  # gone at the next interaction


def test_direction_cannot_reach_the_reveal_form(db: Path) -> None:
    at = as_user(SUIVI, "direction@cpms.fr", {"ref": "R07"})
    assert refused(at)
    assert not at.text_input and not at.button


# --- gestionnaire and admin ---------------------------------------------------------------------


def test_gestionnaire_sees_names_but_a_masked_nir(db: Path) -> None:
    at = as_user(SUIVI, "gestion@cpms.fr", {"ref": "R07"})
    assert at.subheader[0].value.replace("\\", "") == "R07 · Eva Laurent"
    assert full_nirs(at) == []
    assert any(b.label == "Enregistrer le suivi" for b in at.button)


def test_gestionnaire_cannot_import(db: Path) -> None:
    at = as_user("pages/9_import.py", "gestion@cpms.fr")
    assert "« Import » n'est pas ouverte au rôle Gestionnaire" in at.error[0].value
    assert not at.get("file_uploader")


def test_admin_reads_the_audit_log(db: Path) -> None:
    at = as_user(AUDIT, "admin@cpms.fr")
    assert not at.error
    assert at.dataframe[0].value["Utilisateur"].tolist() == ["admin@cpms.fr"]
    assert AUDIT in menu(as_user("dashboard.py", "admin@cpms.fr"))


def test_a_follow_up_is_logged_without_values(db: Path) -> None:
    at = as_user(SUIVI, "gestion@cpms.fr", {"ref": "R07"})
    next(t for t in at.text_input if t.label == "Gestionnaire").set_value("Nadia Haddad")
    at = next(b for b in at.button if b.label == "Enregistrer le suivi").click().run()
    assert at.success[0].value == "Suivi enregistré : Gestionnaire."
    line = audit_log(open_store(db, keep_open=False)).iloc[0]
    assert (line["who"], line["action"], line["reference"], line["detail"]) == (
        "gestion@cpms.fr",
        "case_change",
        "R07",
        "Suivi : Gestionnaire",
    )


# --- Exports ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "level, names, nir",
    [
        (PersonalData.CLEAR, ("Laurent", "Eva"), "1 85 05 78 ••• ••• 91"),
        (PersonalData.MASKED, ("L.", "E."), "1 85 05 78 ••• ••• 91"),
        (PersonalData.NONE, None, None),
    ],
)
def test_the_worklist_export_holds_what_the_role_may_see(
    db: Path, level: PersonalData, names: tuple[str, str] | None, nir: str | None
) -> None:
    filters = Filters(as_of=IMPORT_DAY, policy="cpms", month_from="2025-01", month_to="2025-12")
    csv, xlsx = data.open_cases_files(filters, (), None, level)
    text = csv().decode("utf-8-sig")
    rows = pd.read_csv(io.StringIO(text), sep=";", dtype=str, keep_default_na=False)
    workbook = pd.read_excel(io.BytesIO(xlsx()), dtype=str)
    assert list(workbook.columns) == list(rows.columns)
    assert OLD_NIR not in text and NEW_NIR not in text and QUOTED_NIR not in text
    r07 = rows.set_index("Référence").loc["R07"]
    if names is None:
        assert not {"Nom", "Prénom", "NIR (masqué)"} & set(rows.columns)
        assert not COMPLAINANTS.search(text)
    else:
        assert (r07["Nom"], r07["Prénom"], r07["NIR (masqué)"]) == (*names, nir)
