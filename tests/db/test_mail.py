"""E-mail as a scheduled job sends it: `digest` and `report --mail-to` run as commands against a
real SMTP server (aiosmtpd) on a free loopback port, started and stopped by each test.

Export below, as of Monday 2025-06-16, policy `cpms` (AR due 10 calendar days after receipt,
answer 2 months after; worked out by hand):
  Alice Martin (address in [handlers])
    A1 06-10, nothing: AR due 06-20, 4 days left                 -> not in the digest (> 3 days)
    A2 06-08, nothing: AR due 06-18, 2 days left                 -> digest (AR)
    A3 04-10, AR 04-12: answer due 06-10, 6 days late            -> digest (answer); the handler
       is spelt "alice  MARTIN" in the export: names match whatever their case and spaces
    A4 04-01, AR 04-03, answered 05-20: closed                   -> no
    A5 06-06, nothing: AR due 06-16, due today                   -> digest (AR)
    A6 05-01, a request for information: not a complaint         -> no
    A7 06-20, received after the as-of date                      -> no
  Bruno Petit (address in [handlers])
    B1 04-17, AR 04-20: answer due 06-17, 1 day left             -> digest (answer)
    B2 06-01, nothing: AR due 06-11, 5 days late                 -> digest (AR)
    B3 05-20, AR 05-22: answer due 07-20                         -> no
  Chloé Durand (no address)  C1 06-02, nothing: AR due 06-12, 4 days late -> summary only
  No handler  U1 04-14, AR 04-15: answer due 06-14, 2 days late -> summary only
              U2 06-15, nothing: AR due 06-25                     -> no
Backlog (rules §7): open A1 A2 A3 A5 B1 B2 B3 C1 U1 U2 = 10; AR overdue B2 C1 = 2; answers
overdue A3 U1 = 2; due within 3 days with nothing overdue A2 A5 B1 = 3.
"""

from __future__ import annotations

import email
import email.policy
import os
import re
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from email.message import EmailMessage
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from cpms_metrics.access import RolesFileError, audit_log, load_handlers, load_roles
from cpms_metrics.definitions import FIGURES
from cpms_metrics.errors import SettingsError
from cpms_metrics.ingest import import_file
from cpms_metrics.mail import case_link
from cpms_metrics.settings import Settings, load_settings
from cpms_metrics.store import open_store

ROOT = Path(__file__).resolve().parents[2]
AS_OF = "2025-06-16"
NIR = "168087510933936"  # the sample's first NIR: valid, so the import keeps it
EXPORT = f"""\
Référence;Date de réception;Canal;Nature;Objet;Nom;Numéro de sécurité sociale;\
Date d'accusé de réception;Date de réponse;Gestionnaire
A1;10/06/2025;E-mail;Réclamation;Adhésion;DUPONTEL;;;;Alice Martin
A2;08/06/2025;E-mail;Réclamation;Remboursement;DUPONTEL;{NIR};;;Alice Martin
A3;10/04/2025;Courrier;Réclamation;Cotisation;DUPONTEL;;12/04/2025;;alice  MARTIN
A4;01/04/2025;E-mail;Réclamation;Adhésion;DUPONTEL;;03/04/2025;20/05/2025;Alice Martin
A5;06/06/2025;E-mail;Réclamation;Autre;DUPONTEL;;;;Alice Martin
A6;01/05/2025;E-mail;Demande d'information;Autre;DUPONTEL;;;;Alice Martin
A7;20/06/2025;E-mail;Réclamation;Autre;DUPONTEL;;;;Alice Martin
B1;17/04/2025;E-mail;Réclamation;Remboursement;DUPONTEL;;20/04/2025;;Bruno Petit
B2;01/06/2025;Courrier;Réclamation;Cotisation;DUPONTEL;{NIR};;;Bruno Petit
B3;20/05/2025;E-mail;Réclamation;Adhésion;DUPONTEL;;22/05/2025;;Bruno Petit
C1;02/06/2025;E-mail;Réclamation;Autre;DUPONTEL;;;;Chloé Durand
U1;14/04/2025;E-mail;Réclamation;Remboursement;DUPONTEL;;15/04/2025;;
U2;15/06/2025;E-mail;Réclamation;Adhésion;DUPONTEL;;;;
"""
ROLES = """\
[users]
"admin@cpms.test" = "admin"

[handlers]
"Alice Martin" = "alice@cpms.test"
"Bruno Petit" = "{bruno}"
"""
PASSWORD = "Mot-de-passe-7rès-secret"
BASE_URL = "https://reclamations.cpms.test"


# --- A real SMTP server on a free loopback port -------------------------------------------------


@dataclass
class Inbox:
    """What the server accepted; a recipient starting with `refuse` gets a 550."""

    messages: list[tuple[str, list[str], EmailMessage]] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: Any) -> str:  # fmt: skip
        if address.startswith("refuse"):
            return "550 5.1.1 Mailbox unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for _, rcpt, m in self.messages if address in rcpt]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield inbox, controller.port
    finally:
        controller.stop()


@pytest.fixture
def smtp_with_login() -> Iterator[tuple[Inbox, int]]:
    """A server that wants a login (over plain text: loopback only, for the test)."""
    inbox = Inbox()

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str,
                      auth_data: Any) -> AuthResult:  # fmt: skip
        assert isinstance(auth_data, LoginPassword)
        login, password = auth_data.login.decode(), auth_data.password.decode()
        inbox.logins.append((login, password))
        # handled=False: the server answers 535 itself on a failure.
        return AuthResult(success=login == "robot" and password == PASSWORD, handled=False)

    controller = Controller(
        inbox, hostname="127.0.0.1", port=free_port(), authenticator=authenticator,
        auth_require_tls=False,
    )  # fmt: skip
    controller.start()
    try:
        yield inbox, controller.port
    finally:
        controller.stop()


# --- The database, the roles file and the command -----------------------------------------------


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "cpms.duckdb"
    export = tmp_path / "export.csv"
    export.write_text(EXPORT, encoding="utf-8")
    store = open_store(path, Settings(db_path=path))
    try:
        import_file(
            store, export, import_day=date(2025, 6, 16),
            imported_at=datetime(2025, 6, 16, 6, 0), objects=Settings().objects,
        )  # fmt: skip
    finally:
        store.close()
    return path


def roles_file(tmp_path: Path, bruno: str = "bruno@cpms.test") -> Path:
    path = tmp_path / "roles.toml"
    path.write_text(ROLES.format(bruno=bruno), encoding="utf-8")
    return path


def run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CPMS_")}
    return subprocess.run(
        [sys.executable, "-m", "cpms_metrics", *args], cwd=ROOT, capture_output=True, text=True,
        env=clean | env, timeout=300,
    )  # fmt: skip


def mail_env(port: int, roles: Path, **extra: str) -> dict[str, str]:
    return {
        "CPMS_SMTP_HOST": "127.0.0.1",
        "CPMS_SMTP_PORT": str(port),
        "CPMS_MAIL_FROM": "reclamations@cpms.test",
        "CPMS_DIGEST_TO": "qualite@cpms.test, direction@cpms.test",
        "CPMS_ROLES_FILE": str(roles),
        "CPMS_BASE_URL": BASE_URL,
    } | extra


def parts(message: EmailMessage) -> tuple[str, str]:
    plain, html = message.get_body(("plain",)), message.get_body(("html",))
    assert plain is not None and html is not None
    return plain.get_content(), html.get_content()


def linked(text: str) -> set[str]:
    """The references a body links to."""
    return set(re.findall(r"/suivi_des_dossiers\?ref=([A-Za-z0-9%]+)", text))


def mail_audit(db: Path) -> list[dict[str, Any]]:
    store = open_store(db, Settings(db_path=db))
    try:
        frame = audit_log(store, limit=1000)
    finally:
        store.close()
    return [row for row in frame.to_dict("records") if row["action"] == "mail"]


# --- The digest ---------------------------------------------------------------------------------


def test_each_handler_gets_exactly_their_cases_and_the_managers_a_summary(
    db: Path, tmp_path: Path, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    done = run(
        "digest", "--db", str(db), "--as-of", AS_OF, env=mail_env(port, roles_file(tmp_path))
    )
    assert done.returncode == 0, done.stderr
    assert len(inbox.messages) == 3  # Alice, Bruno, one summary to two addresses

    (alice,) = inbox.to("alice@cpms.test")
    (bruno,) = inbox.to("bruno@cpms.test")
    assert linked(parts(alice)[0]) == linked(parts(alice)[1]) == {"A2", "A3", "A5"}
    assert linked(parts(bruno)[0]) == linked(parts(bruno)[1]) == {"B1", "B2"}
    text, html = parts(alice)
    assert "Bonjour Alice Martin," in text
    assert f"{BASE_URL}/suivi_des_dossiers?ref=A3" in html
    assert re.search(r"A3 +Réponse +10/06/2025 +6 jours de retard", text)
    assert re.search(r"A2 +Accusé de réception +18/06/2025 +2 jours restants", text)
    assert re.search(r"A5 +Accusé de réception +16/06/2025 +échéance aujourd'hui", text)
    assert alice["Subject"] == (
        "Réclamations à traiter au 16/06/2025 : 1 dossier hors délai, 2 à échéance proche"
    )
    assert alice["From"] == "reclamations@cpms.test"
    assert alice["Date"] and alice["Message-ID"].endswith("@cpms.test>")

    (summary,) = inbox.to("qualite@cpms.test")
    assert inbox.to("direction@cpms.test") == [summary]
    text, html = parts(summary)
    for key, expected in (("backlog_open", 10), ("backlog_ack_overdue", 2),
                          ("backlog_response_overdue", 2), ("backlog_due_soon", 3)):  # fmt: skip
        assert f"- {FIGURES[key].label} : {expected}" in text
        assert FIGURES[key].label.replace("'", "&#x27;") in html
    assert linked(text) == linked(html) == {"C1", "U1"}  # nobody was told about these two
    assert re.search(r"Chloé Durand \(sans adresse\) +C1 +Accusé de réception", text)
    assert re.search(r"Sans gestionnaire +U1 +Réponse +14/06/2025 +2 jours de retard", text)

    for _, _, message in inbox.messages:
        assert message.get_content_type() == "multipart/alternative"
        assert {p.get_content_charset() for p in message.walk() if not p.is_multipart()} == {
            "utf-8"
        }
        body = message.as_string() + "".join(parts(message))
        assert NIR not in body and "1 68 08" not in body and "DUPONTEL" not in body

    logged = mail_audit(db)
    assert sorted(row["detail"].split(" envoyé à ")[1] for row in logged) == [
        "alice@cpms.test (3 dossiers)", "bruno@cpms.test (2 dossiers)",
        "direction@cpms.test (2 dossiers)", "qualite@cpms.test (2 dossiers)",
    ]  # fmt: skip
    assert all(row["who"] == "ligne de commande" and "A2" not in row["detail"] for row in logged)
    assert "Envoyé : « Synthèse des réclamations ouvertes au 16/06/2025 »" in done.stdout


def test_the_number_of_days_ahead_is_a_setting(
    db: Path, tmp_path: Path, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    env = mail_env(port, roles_file(tmp_path), CPMS_DIGEST_DAYS="4", CPMS_DIGEST_TO="")
    done = run("digest", "--db", str(db), "--as-of", AS_OF, env=env)
    assert done.returncode == 0, done.stderr
    assert "CPMS_DIGEST_TO est vide" in done.stderr
    (alice,) = inbox.to("alice@cpms.test")
    assert linked(parts(alice)[0]) == {"A1", "A2", "A3", "A5"}  # A1's AR is due in 4 days
    assert len(inbox.messages) == 2


def test_dry_run_prints_the_mails_and_sends_nothing(
    db: Path, tmp_path: Path, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    env = mail_env(port, roles_file(tmp_path), CPMS_SMTP_PASSWORD=PASSWORD)
    done = run("digest", "--db", str(db), "--as-of", AS_OF, "--dry-run", env=env)
    assert done.returncode == 0, done.stderr
    assert inbox.messages == [] and mail_audit(db) == []
    out = done.stdout
    assert "À : alice@cpms.test" in out and "À : bruno@cpms.test" in out
    assert "À : qualite@cpms.test, direction@cpms.test" in out
    assert "Objet : Synthèse des réclamations ouvertes au 16/06/2025" in out
    assert f"{BASE_URL}/suivi_des_dossiers?ref=B2" in out
    assert "Simulation : 3 courriel(s) à envoyer, aucun envoyé." in out
    assert PASSWORD not in out + done.stderr and NIR not in out


def test_a_refused_recipient_is_named_and_the_other_mails_still_go(
    db: Path, tmp_path: Path, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    env = mail_env(port, roles_file(tmp_path, bruno="refuse.bruno@cpms.test"),
                   CPMS_DIGEST_TO="refuse.direction@cpms.test,qualite@cpms.test")  # fmt: skip
    done = run("digest", "--db", str(db), "--as-of", AS_OF, env=env)
    assert done.returncode == 3, done.stderr
    assert "refuse le destinataire refuse.bruno@cpms.test" in done.stderr
    assert "refuse le destinataire refuse.direction@cpms.test" in done.stderr
    assert "550" in done.stderr
    assert len(inbox.to("alice@cpms.test")) == len(inbox.to("qualite@cpms.test")) == 1
    assert len(inbox.messages) == 2
    assert sorted(row["detail"].split(" envoyé à ")[1] for row in mail_audit(db)) == [
        "alice@cpms.test (3 dossiers)", "qualite@cpms.test (2 dossiers)",
    ]  # fmt: skip


def test_a_server_that_does_not_answer_is_named(db: Path, tmp_path: Path) -> None:
    port = free_port()  # nothing listens there
    done = run(
        "digest", "--db", str(db), "--as-of", AS_OF, env=mail_env(port, roles_file(tmp_path))
    )
    assert done.returncode == 2
    assert f"Le serveur d'envoi 127.0.0.1:{port} ne répond pas (connexion refusée)" in done.stderr
    assert "Erreur : aucun des 3 courriels n'est parti." in done.stderr
    assert "Traceback" not in done.stderr and mail_audit(db) == []


def test_starttls_asked_of_a_server_without_it_is_explained(
    db: Path, tmp_path: Path, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    env = mail_env(port, roles_file(tmp_path), CPMS_SMTP_STARTTLS="1")
    done = run("digest", "--db", str(db), "--as-of", AS_OF, env=env)
    assert done.returncode == 2 and inbox.messages == []
    assert f"Le serveur d'envoi 127.0.0.1:{port} ne propose pas STARTTLS" in done.stderr


def test_sending_needs_a_server_and_a_sender(db: Path, tmp_path: Path) -> None:
    env = mail_env(25, roles_file(tmp_path), CPMS_SMTP_HOST="")
    done = run("digest", "--db", str(db), "--as-of", AS_OF, env=env)
    assert done.returncode == 2 and "CPMS_SMTP_HOST" in done.stderr
    env = mail_env(25, roles_file(tmp_path), CPMS_MAIL_FROM="")
    done = run("digest", "--db", str(db), "--as-of", AS_OF, env=env)
    assert done.returncode == 2 and "CPMS_MAIL_FROM" in done.stderr


def test_the_password_is_used_and_never_shown(
    db: Path, tmp_path: Path, smtp_with_login: tuple[Inbox, int]
) -> None:
    inbox, port = smtp_with_login
    env = mail_env(port, roles_file(tmp_path), CPMS_SMTP_USER="robot", CPMS_SMTP_PASSWORD=PASSWORD)
    done = run("digest", "--db", str(db), "--as-of", AS_OF, env=env)
    assert done.returncode == 0, done.stderr
    assert inbox.logins == [("robot", PASSWORD)] and len(inbox.messages) == 3

    wrong = run("digest", "--db", str(db), "--as-of", AS_OF,
                env=env | {"CPMS_SMTP_PASSWORD": "faux-" + PASSWORD})  # fmt: skip
    assert wrong.returncode == 2
    assert f"127.0.0.1:{port} refuse l'identifiant « robot » ou son mot de passe" in wrong.stderr
    shown = done.stdout + done.stderr + wrong.stdout + wrong.stderr
    assert PASSWORD not in shown
    assert PASSWORD not in " ".join(str(row) for row in mail_audit(db))
    settings = load_settings({"CPMS_SMTP_PASSWORD": PASSWORD})
    assert settings.smtp_password == PASSWORD and PASSWORD not in repr(settings)


# --- The monthly report -------------------------------------------------------------------------

needs_browser = pytest.mark.skipif(
    not (os.environ.get("BROWSER_PATH") or shutil.which("chromium") or
         Path("/usr/bin/chromium").is_file()) and os.environ.get("CPMS_REQUIRE_BROWSER") != "1",
    reason="Chromium absent (apt-get install chromium) : rendu du PDF non testé",
)  # fmt: skip


@needs_browser
def test_report_mail_to_attaches_the_pdf_and_the_workbook(
    db: Path, tmp_path: Path, smtp: tuple[Inbox, int]
) -> None:
    from openpyxl import load_workbook
    from pypdf import PdfReader

    from cpms_metrics.report import HEADLINES

    inbox, port = smtp
    done = run("report", "--db", str(db), "--month", "2025-05",
               "--mail-to", "direction@cpms.test, comex@cpms.test",
               env=mail_env(port, roles_file(tmp_path)))  # fmt: skip
    assert done.returncode == 0, done.stderr
    ((_, recipients, message),) = inbox.messages
    assert recipients == ["direction@cpms.test", "comex@cpms.test"]
    assert message["Subject"] == "Rapport mensuel des réclamations — mai 2025"
    files = {a.get_filename(): a.get_content() for a in message.iter_attachments()}
    assert set(files) == {"rapport_reclamations_2025-05_cpms.pdf",
                          "rapport_reclamations_2025-05_cpms.xlsx"}  # fmt: skip
    pdf = files["rapport_reclamations_2025-05_cpms.pdf"]
    assert pdf.startswith(b"%PDF") and len(PdfReader(BytesIO(pdf)).pages) >= 1
    assert load_workbook(BytesIO(files["rapport_reclamations_2025-05_cpms.xlsx"])).sheetnames
    text, html = parts(message)
    for headline in HEADLINES:  # the report's own five, in the body
        assert headline.label in text
        assert headline.label.replace("'", "&#x27;") in html
    assert "DUPONTEL" not in text + html and NIR not in text + html
    (logged,) = [row for row in mail_audit(db) if "direction@" in row["detail"]]
    assert "pièce jointe rapport_reclamations_2025-05_cpms.pdf" in logged["detail"]


def test_report_mail_to_an_unreachable_server_fails_in_french(db: Path, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    port, out = free_port(), tmp_path / "r.xlsx"
    env = mail_env(port, roles_file(tmp_path))
    done = run("report", "--db", str(db), "--month", "2025-05", "--out", str(out),
               "--mail-to", "direction@cpms.test", env=env)  # fmt: skip
    assert done.returncode == 2
    assert load_workbook(out).sheetnames  # the file is written all the same
    assert f"Le serveur d'envoi 127.0.0.1:{port} ne répond pas" in done.stderr


def test_report_needs_a_destination_and_valid_addresses(db: Path) -> None:
    done = run("report", "--db", str(db), "--month", "2025-05", env={})
    assert done.returncode == 2 and "--out FICHIER, --mail-to ADRESSES" in done.stderr
    done = run("report", "--db", str(db), "--month", "2025-05", "--mail-to", "direction", env={})
    assert done.returncode == 2
    assert "« direction » n'est pas une adresse électronique" in done.stderr


# --- Settings and the roles file ----------------------------------------------------------------


def test_mail_settings() -> None:
    settings = load_settings({})
    assert (settings.smtp_host, settings.smtp_port, settings.smtp_starttls) == ("", 25, False)
    assert (settings.digest_to, settings.digest_days) == ((), 3)
    settings = load_settings({
        "CPMS_SMTP_PORT": "587", "CPMS_SMTP_STARTTLS": "1",
        "CPMS_DIGEST_TO": " a@x.fr,b@x.fr, A@x.fr ", "CPMS_BASE_URL": "https://r.cpms.fr/",
    })  # fmt: skip
    assert (settings.smtp_port, settings.smtp_starttls) == (587, True)
    assert settings.digest_to == ("a@x.fr", "b@x.fr")
    assert settings.base_url == "https://r.cpms.fr"
    for env in ({"CPMS_SMTP_PORT": "smtp"}, {"CPMS_DIGEST_TO": "a@x.fr;b@x.fr"},
                {"CPMS_DIGEST_DAYS": "-1"}, {"CPMS_MAIL_FROM": "moi"},
                {"CPMS_BASE_URL": "reclamations"}):  # fmt: skip
        with pytest.raises(SettingsError, match="n'est pas valide"):
            load_settings(env)


def test_case_links_encode_the_reference() -> None:
    assert case_link("https://r.cpms.fr/", "REC 2025/001&x") == (
        "https://r.cpms.fr/suivi_des_dossiers?ref=REC%202025%2F001%26x"
    )


def test_the_handlers_table_of_the_roles_file(tmp_path: Path) -> None:
    path = roles_file(tmp_path)
    assert load_roles(path) == {"admin@cpms.test": "admin"}
    assert load_handlers(path) == {
        "Alice Martin": "alice@cpms.test",
        "Bruno Petit": "bruno@cpms.test",
    }
    path.write_text('[users]\n"a@cpms.test" = "admin"\n[handlers]\n"Alice" = "alice"\n')
    with pytest.raises(RolesFileError, match="l'adresse du gestionnaire « Alice »"):
        load_handlers(path)
    path.write_text('[handlers]\n"Alice" = "a@cpms.test"\n"ALICE " = "b@cpms.test"\n')
    with pytest.raises(RolesFileError, match="« ALICE  » figure deux fois"):
        load_handlers(path)
    path.write_text('[users]\n[mails]\n"Alice" = "a@cpms.test"\n')
    with pytest.raises(
        RolesFileError, match=r"trouvé : mails\) et, pour les courriels, la section \[handlers\]"
    ):
        load_roles(path)
