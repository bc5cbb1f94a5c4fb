"""E-mails as the recipients read them: a `Mail` (recipients, French subject, plain text and HTML,
attachments) and its MIME message, with the small text and HTML pieces the digest and the report
share. HTML made for Outlook: simple tables, inline styles, UTF-8.
"""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime

from ..errors import CpmsError


class AddressError(CpmsError):
    title = "Adresse électronique invalide"


# One bare address: no display name, no separator, nothing a header could be split on.
_ADDRESS = re.compile(r"[^@\s,;<>()\"']+@[^@\s,;<>()\"'.]+(\.[^@\s,;<>()\"'.]+)*")


def check_address(text: str) -> str:
    """`text` as an e-mail address (spaces around removed); AddressError in French otherwise."""
    value = text.strip()
    if not value.isascii() or not _ADDRESS.fullmatch(value):  # smtplib sends ASCII addresses
        raise AddressError(f"« {value} » n'est pas une adresse électronique")
    return value


def parse_addresses(text: str) -> tuple[str, ...]:
    """Comma-separated addresses, each checked, duplicates dropped (first kept)."""
    found: dict[str, str] = {}
    for part in text.split(","):
        if part.strip():
            address = check_address(part)
            found.setdefault(address.lower(), address)
    return tuple(found.values())


@dataclass(frozen=True)
class Attachment:
    name: str
    content: bytes
    mime: str  # "application/pdf"


@dataclass(frozen=True)
class Mail:
    """One e-mail to send. `cases` is how many cases it lists (None: it lists none), for the
    audit log, which keeps recipients, subject and that number, never the content."""

    to: tuple[str, ...]
    subject: str
    text: str
    html: str
    cases: int | None = None
    attachments: tuple[Attachment, ...] = ()

    def message(self, sender: str, at: datetime) -> EmailMessage:
        """The MIME message, dated `at`: multipart/alternative (text, then HTML), in
        multipart/mixed with the attachments when there are any."""
        message = EmailMessage()
        message["From"] = sender
        message["To"] = ", ".join(self.to)
        message["Subject"] = self.subject
        message["Date"] = format_datetime(at.astimezone())  # a naive `at` is local time
        message["Message-ID"] = (
            f"<{at:%Y%m%d%H%M%S}.{uuid.uuid4().hex}@{sender.rpartition('@')[2] or 'localhost'}>"
        )
        message.set_content(self.text, subtype="plain", charset="utf-8")
        message.add_alternative(self.html, subtype="html", charset="utf-8")
        for attachment in self.attachments:
            main, _, sub = attachment.mime.partition("/")
            message.add_attachment(
                attachment.content, maintype=main, subtype=sub, filename=attachment.name
            )
        return message

    def preview(self, sender: str) -> str:
        """What `--dry-run` prints: recipients, subject, attachments and the text body."""
        lines = [
            f"De : {sender or '(CPMS_MAIL_FROM non réglé)'}",
            f"À : {', '.join(self.to)}",
            f"Objet : {self.subject}",
        ]
        lines += [f"Pièce jointe : {a.name} ({len(a.content)} octets)" for a in self.attachments]
        return "\n".join([*lines, "", self.text])


# --- Text and HTML pieces -----------------------------------------------------------------------

FONT = "font-family:Arial,Helvetica,sans-serif;font-size:14px;color:#1F1F1F;"
_CELL = "border:1px solid #C8C8C8;padding:4px 8px;text-align:left;vertical-align:top;"
_HEAD = f"{_CELL}background-color:#1F3A5F;color:#FFFFFF;font-weight:bold;"
FOOTER = (
    "Ce message est envoyé automatiquement par le tableau de bord des réclamations CPMS ; "
    "n'y répondez pas."
)


def escape(text: str) -> str:
    return html.escape(text, quote=True)


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """`1 dossier`, `3 dossiers` (0 is singular in French)."""
    word = singular if count <= 1 else (plural_form or f"{singular}s")
    return f"{count} {word}"


@dataclass(frozen=True)
class Cell:
    """A table cell: its text, and a link for the HTML version."""

    text: str
    href: str | None = None


def text_table(header: Sequence[str], rows: Sequence[Sequence[Cell | str]]) -> str:
    """Columns aligned with spaces; a row's link, if any, at the end of its line."""

    def text(value: Cell | str) -> str:
        return value.text if isinstance(value, Cell) else value

    body = [list(header), *([text(c) for c in row] for row in rows)]
    widths = [max(len(row[i]) for row in body) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in body]
    for index, row in enumerate(rows, start=1):
        links = [c.href for c in row if isinstance(c, Cell) and c.href]
        lines[index] += "  " + " ".join(links) if links else ""
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(line.rstrip() for line in lines)


def html_table(header: Sequence[str], rows: Sequence[Sequence[Cell | str]]) -> str:
    """A bordered table with inline styles (Outlook ignores style sheets)."""

    def cell(value: Cell | str) -> str:
        if isinstance(value, Cell) and value.href:
            return f'<a href="{escape(value.href)}" style="color:#1F3A5F;">{escape(value.text)}</a>'
        return escape(value.text if isinstance(value, Cell) else value)

    head = "".join(f'<th style="{_HEAD}">{escape(h)}</th>' for h in header)
    body = "".join(
        "<tr>" + "".join(f'<td style="{_CELL}">{cell(v)}</td>' for v in row) + "</tr>"
        for row in rows
    )
    return (
        '<table cellpadding="0" cellspacing="0" border="0" '
        f'style="border-collapse:collapse;{FONT}"><tr>{head}</tr>{body}</table>'
    )


def html_document(title: str, blocks: Sequence[str]) -> str:
    """A whole HTML message: `blocks` are HTML fragments, one after the other."""
    inner = "\n".join(blocks)
    return (
        '<!DOCTYPE html>\n<html lang="fr"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title></head>\n"
        f'<body style="margin:0;padding:16px;{FONT}">\n{inner}\n'
        f'<p style="{FONT}font-size:12px;color:#666666;">{escape(FOOTER)}</p>\n</body></html>\n'
    )


def paragraph(text: str) -> str:
    return f'<p style="{FONT}">{escape(text)}</p>'


def heading(text: str) -> str:
    return (
        f'<h2 style="{FONT}font-size:16px;color:#1F3A5F;margin:20px 0 8px 0;">{escape(text)}</h2>'
    )
