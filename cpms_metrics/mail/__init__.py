"""E-mail: the daily digest of cases due (`digest`), the monthly report to a list of addresses
(`report --mail-to`), and the SMTP sending both share.

compose.py  a `Mail` and its MIME message, the text and HTML pieces (French, readable in Outlook)
digest.py   what each handler and the quality managers receive every working day
monthly.py  the monthly report's mail (imported on demand: it needs the report's renderers)
send.py     one SMTP connection per run, each failure in French, each delivery in the audit log
"""

from .compose import AddressError, Attachment, Mail, check_address, parse_addresses
from .digest import Digest, DueCase, build_digest, case_link, due_cases
from .send import MailSettingsError, Outcome, SmtpConfig, send_mails

__all__ = [
    "AddressError",
    "Attachment",
    "Digest",
    "DueCase",
    "Mail",
    "MailSettingsError",
    "Outcome",
    "SmtpConfig",
    "build_digest",
    "case_link",
    "check_address",
    "due_cases",
    "parse_addresses",
    "send_mails",
]
