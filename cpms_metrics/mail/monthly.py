"""The monthly report by e-mail: the PDF and the workbook attached, and in the body the report's
own table of headline figures (`report.headline_table`), so that the mail and the report agree.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..definitions import POLICY_LABELS
from ..formats import format_date, month_label
from ..report import MonthlyReport, headline_table, pdf_bytes, xlsx_bytes
from .compose import (
    FOOTER,
    Attachment,
    Mail,
    heading,
    html_document,
    html_table,
    paragraph,
    text_table,
)

PDF, XLSX = "application/pdf", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def report_mail(
    report: MonthlyReport, to: Sequence[str], *, pdf: bytes | None = None,
    xlsx: bytes | None = None,
) -> Mail:  # fmt: skip
    """The mail of `report` to `to`; `pdf` and `xlsx` are rendered here when not given."""
    month = month_label(report.month, long=True)
    subject = f"Rapport mensuel des réclamations — {month}"
    intro = (
        f"Veuillez trouver ci-joint le rapport mensuel des réclamations de {month} "
        f"({POLICY_LABELS[report.policy]}, arrêté au {format_date(report.as_of)}), en PDF et en "
        "classeur Excel."
    )
    table = headline_table(report)
    rows = [list(row) for row in table.rows]
    text = "\n\n".join(
        ["Bonjour,", intro, f"{table.title} :", text_table(table.header, rows), table.note, FOOTER]
    )
    body = html_document(
        subject,
        [paragraph("Bonjour,"), paragraph(intro), heading(table.title),
         html_table(table.header, rows), paragraph(table.note)],
    )  # fmt: skip
    attachments = (
        Attachment(report.file_name(".pdf"), pdf_bytes(report) if pdf is None else pdf, PDF),
        Attachment(report.file_name(".xlsx"), xlsx_bytes(report) if xlsx is None else xlsx, XLSX),
    )
    return Mail(tuple(to), subject, text + "\n", body, None, attachments)
