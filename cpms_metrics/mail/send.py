"""Sending: one SMTP connection for a run, every mail tried even when another fails, each
delivery written to the audit log (recipient, subject, number of cases; never the content).

A refused recipient or a server that does not answer becomes a French sentence naming it; the
password is only ever handed to `SMTP.login`.
"""

from __future__ import annotations

import base64
import smtplib
import socket
import ssl
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from ..access import audit
from ..errors import CpmsError
from ..settings import Settings
from ..store import Store
from .compose import Mail, plural

TIMEOUT = 30.0  # seconds for the connection and for each reply of the server


class MailSettingsError(CpmsError):
    title = "Envoi des courriels impossible"


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    sender: str
    starttls: bool = False
    user: str = ""
    password: str = field(default="", repr=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpConfig:
        """The sending settings, checked: a server and a sender are needed."""
        if not settings.smtp_host:
            raise MailSettingsError(
                "Aucun serveur d'envoi n'est réglé : indiquez-le dans CPMS_SMTP_HOST (et son port "
                "dans CPMS_SMTP_PORT), ou utilisez --dry-run pour voir les courriels sans les "
                "envoyer."
            )
        if not settings.mail_from:
            raise MailSettingsError(
                "Aucune adresse d'expédition n'est réglée : indiquez-la dans CPMS_MAIL_FROM."
            )
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            sender=settings.mail_from,
            starttls=settings.smtp_starttls,
            user=settings.smtp_user,
            password=settings.smtp_password,
        )

    @property
    def server(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass(frozen=True)
class Outcome:
    """What became of one mail: the recipients that accepted it, and what went wrong (French)."""

    mail: Mail
    delivered: tuple[str, ...]
    problems: tuple[str, ...]

    @property
    def complete(self) -> bool:
        return not self.problems and len(self.delivered) == len(self.mail.to)


class _Unreachable(Exception):
    """The server could not be used at all: every remaining mail fails with `message`."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _reason(exc: BaseException) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "connexion refusée"
    if isinstance(exc, TimeoutError | socket.timeout):
        return "pas de réponse dans le délai"
    if isinstance(exc, socket.gaierror):
        return "nom de serveur inconnu"
    if isinstance(exc, smtplib.SMTPResponseException):
        return _reply(exc.smtp_code, exc.smtp_error)
    return str(exc) or type(exc).__name__


def _reply(code: int, text: bytes | str) -> str:
    shown = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    return f"réponse {code} {' '.join(shown.split())}".strip()


def _connect(config: SmtpConfig, timeout: float) -> smtplib.SMTP:
    try:
        smtp = smtplib.SMTP(config.host, config.port, timeout=timeout, local_hostname="localhost")
    except (OSError, smtplib.SMTPException) as exc:
        raise _Unreachable(
            f"Le serveur d'envoi {config.server} ne répond pas ({_reason(exc)}) : vérifiez "
            "CPMS_SMTP_HOST et CPMS_SMTP_PORT."
        ) from exc
    try:
        if config.starttls:
            _starttls(smtp, config)
        if config.user:
            _authenticate(smtp, config)
    except _Unreachable:
        _close(smtp)
        raise
    return smtp


def _starttls(smtp: smtplib.SMTP, config: SmtpConfig) -> None:
    try:
        smtp.starttls(context=ssl.create_default_context())
    except smtplib.SMTPNotSupportedError as exc:
        raise _Unreachable(
            f"Le serveur d'envoi {config.server} ne propose pas STARTTLS : vérifiez "
            "CPMS_SMTP_PORT, ou réglez CPMS_SMTP_STARTTLS=0 si ce serveur n'en a pas besoin."
        ) from exc
    except (OSError, smtplib.SMTPException) as exc:  # ssl.SSLError is an OSError
        raise _Unreachable(
            f"Le chiffrement de la connexion au serveur d'envoi {config.server} a échoué "
            f"({_reason(exc)}) : vérifiez son certificat et CPMS_SMTP_STARTTLS."
        ) from exc


def _authenticate(smtp: smtplib.SMTP, config: SmtpConfig) -> None:
    """Log in; the password is never part of a message."""
    try:
        _login(smtp, config)
    except smtplib.SMTPAuthenticationError as exc:
        raise _Unreachable(
            f"Le serveur d'envoi {config.server} refuse l'identifiant « {config.user} » ou son "
            f"mot de passe (réponse {exc.smtp_code}) : vérifiez CPMS_SMTP_USER et "
            "CPMS_SMTP_PASSWORD."
        ) from exc
    except smtplib.SMTPNotSupportedError as exc:
        raise _Unreachable(
            f"Le serveur d'envoi {config.server} ne propose pas d'authentification (ou pas sans "
            "STARTTLS) : laissez CPMS_SMTP_USER vide, ou réglez CPMS_SMTP_STARTTLS=1."
        ) from exc
    except (OSError, smtplib.SMTPException) as exc:
        raise _Unreachable(
            f"La connexion au serveur d'envoi {config.server} a échoué pendant "
            f"l'authentification ({type(exc).__name__}) : vérifiez CPMS_SMTP_USER, "
            "CPMS_SMTP_STARTTLS et CPMS_SMTP_PORT."
        ) from exc


def _login(smtp: smtplib.SMTP, config: SmtpConfig) -> None:
    """`SMTP.login`, or, for an identifier or password with non-ASCII characters (which smtplib
    only sends in ASCII), AUTH PLAIN in UTF-8 (RFC 4616)."""
    if (config.user + config.password).isascii():
        smtp.login(config.user, config.password)
        return
    smtp.ehlo_or_helo_if_needed()
    if "plain" not in smtp.esmtp_features.get("auth", "").lower().split():
        raise smtplib.SMTPNotSupportedError("AUTH PLAIN")
    token = base64.b64encode(f"\0{config.user}\0{config.password}".encode()).decode("ascii")
    code, reply = smtp.docmd("AUTH", f"PLAIN {token}")
    if code != 235:
        raise smtplib.SMTPAuthenticationError(code, reply)


def _close(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except (OSError, smtplib.SMTPException):
        smtp.close()


def _deliver(
    smtp: smtplib.SMTP, mail: Mail, config: SmtpConfig, at: datetime
) -> tuple[list[str], list[str]]:
    """Send `mail` on an open connection: (recipients that accepted it, problems)."""
    try:
        refused = smtp.send_message(mail.message(config.sender, at), config.sender, list(mail.to))
    except smtplib.SMTPRecipientsRefused as exc:
        refused = exc.recipients
    except smtplib.SMTPSenderRefused as exc:
        return [], [
            f"Le serveur d'envoi {config.server} refuse l'expéditeur {config.sender} "
            f"({_reply(exc.smtp_code, exc.smtp_error)}) : vérifiez CPMS_MAIL_FROM. Le courriel "
            f"« {mail.subject} » n'est pas parti."
        ]
    except smtplib.SMTPDataError as exc:
        return [], [
            f"Le serveur d'envoi {config.server} refuse le courriel « {mail.subject} » "
            f"({_reply(exc.smtp_code, exc.smtp_error)}) : il n'est pas parti."
        ]
    problems = [
        f"Le serveur d'envoi {config.server} refuse le destinataire {address} "
        f"({_reply(code, text)}) : le courriel « {mail.subject} » ne lui a pas été remis. "
        "Vérifiez son adresse."
        for address, (code, text) in refused.items()
    ]
    return [a for a in mail.to if a not in refused], problems


def send_mails(
    mails: Sequence[Mail],
    config: SmtpConfig,
    *,
    store: Store,
    who: str,
    at: datetime,
    timeout: float = TIMEOUT,
) -> list[Outcome]:
    """Send every mail, in order, on one connection (opened again if the server drops it);
    a failure is kept in its mail's outcome and the next mail is still tried, except when the
    server cannot be reached at all: the remaining mails then share that one problem. Each recipient
    that accepted a mail gets a line in the audit log, dated `at`."""
    outcomes: list[Outcome] = []
    smtp: smtplib.SMTP | None = None
    unreachable: str | None = None
    try:
        for mail in mails:
            if unreachable is not None:
                outcomes.append(Outcome(mail, (), (unreachable,)))
                continue
            try:
                if smtp is None:
                    smtp = _connect(config, timeout)
                delivered, problems = _deliver(smtp, mail, config, at)
            except _Unreachable as exc:
                unreachable = exc.message
                outcomes.append(Outcome(mail, (), (unreachable,)))
                continue
            except (OSError, smtplib.SMTPException) as exc:  # dropped in the middle of a mail
                if smtp is not None:
                    smtp.close()
                smtp = None
                outcomes.append(Outcome(mail, (), (
                    f"Le serveur d'envoi {config.server} a interrompu l'envoi du courriel "
                    f"« {mail.subject} » ({_reason(exc)}) : il n'est pas parti.",
                )))  # fmt: skip
                continue
            for address in delivered:
                listed = "" if mail.cases is None else f" ({plural(mail.cases, 'dossier')})"
                attached = "".join(f", pièce jointe {a.name}" for a in mail.attachments)
                audit(
                    store,
                    who=who,
                    action="mail",
                    detail=f"Courriel « {mail.subject} » envoyé à {address}{listed}{attached}",
                    at=at,
                )
            outcomes.append(Outcome(mail, tuple(delivered), tuple(problems)))
    finally:
        if smtp is not None:
            _close(smtp)
    return outcomes
