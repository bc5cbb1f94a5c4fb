"""The audit log: one line per sensitive action, the latest first, never a NIR; a NIR is
revealed only with its line written in the same transaction."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from cpms_metrics.access import (
    ACTIONS,
    CaseNotFoundError,
    audit,
    audit_log,
    count_audit,
    record_login,
    reveal_nir,
)
from cpms_metrics.errors import ValidationError
from cpms_metrics.schema import migrate
from cpms_metrics.settings import Settings
from cpms_metrics.store import Store, open_store
from tests.conftest import Loader

NIR = "185057800608491"
CORSICAN_NIR = "269022A00608435"
AT = datetime(2026, 1, 12, 9, 30, tzinfo=UTC)
EXPORT = (
    "reference;received_on;channel;nature;object;last_name;nir\n"
    f"R1;06/01/2025;email;reclamation;autre;Martin;{NIR}\n"
    f"R2;07/01/2025;email;reclamation;autre;Petit;{CORSICAN_NIR}\n"
    "R3;08/01/2025;email;reclamation;autre;Durand;\n"
)
# A NIR as it could leak: 13 or 15 characters (Corsica's 2A/2B), with or without separators.
NIR_PATTERN = re.compile(r"[0-9](?:[ .\-]?[0-9AB]){12}(?:[ .\-]?[0-9]{2})?")


def leaked(store: Store) -> list[str]:
    """Every value of the audit log that holds something shaped like a full NIR."""
    with store.cursor() as cur:
        rows = cur.execute("SELECT * FROM audit_log").fetchall()
    return [str(v) for row in rows for v in row if v is not None and NIR_PATTERN.search(str(v))]


def test_an_older_database_gets_the_audit_log(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    migrate(con, target=3)  # before the audit log
    con.close()
    with open_store(path, Settings(db_path=path)) as store:
        assert count_audit(store) == 0
        audit(store, who="admin@cpms.fr", action="import", detail="export.csv : 3 lignes", at=AT)
        assert count_audit(store) == 1


def test_the_log_reads_latest_first_one_page_at_a_time(store: Store) -> None:
    for minutes, action in enumerate(ACTIONS):
        audit(
            store,
            who="admin@cpms.fr",
            action=action,
            detail=f"action {minutes}",
            at=AT + timedelta(minutes=minutes),
            reference="R1" if action == "case_change" else None,
        )
    assert count_audit(store) == len(ACTIONS)
    first = audit_log(store, limit=2)
    assert first["action"].tolist() == list(ACTIONS)[::-1][:2]
    assert first["action_label"].tolist() == list(ACTIONS.values())[::-1][:2]
    assert list(first.columns) == [
        "logged_at", "who", "action", "action_label", "reference", "detail",
    ]  # fmt: skip
    rest = audit_log(store, limit=10, offset=2)
    assert len(rest) == len(ACTIONS) - 2
    whole = audit_log(store)
    change = whole[whole["action"] == "case_change"].iloc[0]
    assert (change["reference"], change["logged_at"]) == ("R1", AT + timedelta(minutes=4))


def test_an_unknown_action_is_a_bug(store: Store) -> None:
    with pytest.raises(ValueError, match="unknown audit action"):
        audit(store, who="a@cpms.fr", action="coffee", detail="", at=AT)
    assert count_audit(store) == 0


def test_a_login_is_logged_once_per_identity_token(store: Store) -> None:
    assert record_login(store, who="qualite@cpms.fr", token_issued_at=1767000000, at=AT)
    # A new tab or a reload reuses the token: not a new login.
    assert not record_login(store, who="qualite@cpms.fr", token_issued_at=1767000000, at=AT)
    assert record_login(store, who="qualite@cpms.fr", token_issued_at=1767999999, at=AT)
    assert record_login(store, who="admin@cpms.fr", token_issued_at=1767000000, at=AT)
    log = audit_log(store)
    assert log["action"].tolist() == ["login"] * 3
    assert set(log["detail"]) == {
        "Connexion OpenID Connect (jeton émis le 29/12/2025 à 09:20:00 UTC)",  # `iat`, in UTC
        "Connexion OpenID Connect (jeton émis le 09/01/2026 à 23:06:39 UTC)",
    }


def test_reveal_returns_the_nir_and_logs_the_reason(store: Store, load_text: Loader) -> None:
    load_text(EXPORT)
    nir = reveal_nir(store, "R1", who="qualite@cpms.fr", reason="Appel de l'assurée", at=AT)
    assert nir == NIR
    line = audit_log(store).iloc[0]
    assert (line["who"], line["action"], line["reference"]) == (
        "qualite@cpms.fr",
        "nir_reveal",
        "R1",
    )
    assert line["detail"] == "Motif : Appel de l'assurée — NIR 1 85 05 78 ••• ••• 91"
    # A case without a NIR: nothing to show, the request is still logged.
    assert reveal_nir(store, "R3", who="qualite@cpms.fr", reason="Contrôle qualité", at=AT) == ""
    assert audit_log(store).iloc[0]["detail"].endswith("aucun NIR enregistré")


@pytest.mark.parametrize("reason", ["", "   ", "vu"])
def test_no_reveal_without_a_reason(store: Store, load_text: Loader, reason: str) -> None:
    load_text(EXPORT)
    with pytest.raises(ValidationError, match="motif"):
        reveal_nir(store, "R1", who="qualite@cpms.fr", reason=reason, at=AT)
    assert count_audit(store) == 0


def test_no_reveal_of_a_case_that_does_not_exist(store: Store, load_text: Loader) -> None:
    load_text(EXPORT)
    with pytest.raises(CaseNotFoundError, match="R99"):
        reveal_nir(store, "R99", who="qualite@cpms.fr", reason="Vérification", at=AT)
    assert count_audit(store) == 0


def test_the_log_never_holds_a_nir(store: Store, load_text: Loader) -> None:
    load_text(EXPORT)
    reveal_nir(store, "R1", who="qualite@cpms.fr", reason=f"L'assurée a donné {NIR}", at=AT)
    reveal_nir(
        store, "R2", who="gestion@cpms.fr", reason="Courrier du 2 69 02 2A 006 084 35", at=AT
    )
    # Callers are asked for masked values; a careless one is masked anyway.
    audit(store, who="gestion@cpms.fr", action="case_change", detail=f"nir : '' -> {NIR}", at=AT,
          reference="R3")  # fmt: skip
    audit(store, who="admin@cpms.fr", action="export", detail=f"1.85.05.78.006.084-91 {NIR[:13]}",
          at=AT)  # fmt: skip
    audit(store, who=f"{NIR}@cpms.fr", action="login", detail="", at=AT, reference=CORSICAN_NIR)
    assert count_audit(store) == 5
    assert leaked(store) == []
    details = " ".join(audit_log(store)["detail"])
    assert "1 85 05 78 ••• ••• 91" in details and "2 69 02 2A ••• ••• 35" in details


def test_the_pattern_of_the_scan_finds_nirs() -> None:
    # The scan above would see a leak: check it on the shapes it must catch.
    for text in (NIR, NIR[:13], CORSICAN_NIR, "1 85 05 78 006 084 91", "1.85.05.78.006.084-91"):
        assert NIR_PATTERN.search(f"motif {text} fin"), text
    assert not NIR_PATTERN.search("1 85 05 78 ••• ••• 91 et 01 23 45 67 89 le 12/01/2026")
