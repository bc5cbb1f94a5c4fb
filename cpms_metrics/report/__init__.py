"""The monthly report: one closed month led by its complaints, the deadlines that fell in it, its
referrals and the backlog past due; steps in gather, wording, tables, figures, xlsx and pdf.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from ..errors import CpmsError
from ..months import last_full_month
from ..store import Store
from .figures import FIGURE_TITLES, browser_path, render_png, report_figures
from .gather import (
    AGE_BANDS,
    COHORT_FIGURES,
    TREND_MONTHS,
    MonthFigures,
    MonthlyReport,
    Rate,
    TrendMonth,
    build_report,
    judged,
    month_choices,
    untracked,
)
from .pdf import pdf_bytes
from .tables import TextTable, detail_tables, headline_table
from .wording import denominator, rate_text, signed, untracked_text
from .xlsx import RATE_FORMAT, xlsx_bytes

__all__ = [
    "AGE_BANDS",
    "COHORT_FIGURES",
    "FIGURE_TITLES",
    "FORMATS",
    "RATE_FORMAT",
    "TREND_MONTHS",
    "MonthFigures",
    "MonthlyReport",
    "Rate",
    "TextTable",
    "TrendMonth",
    "browser_path",
    "build_report",
    "denominator",
    "detail_tables",
    "headline_table",
    "judged",
    "last_full_month",
    "month_choices",
    "pdf_bytes",
    "rate_text",
    "render_png",
    "report_figures",
    "signed",
    "untracked",
    "untracked_text",
    "write_report",
    "xlsx_bytes",
]

FORMATS = (".pdf", ".xlsx")


def write_report(store: Store, *, month: str, policy: str, as_of: date | None, out: Path) -> None:
    """Write the report on `month` to `out`, a PDF or an XLSX workbook by its suffix."""
    suffix = out.suffix.lower()
    if suffix not in FORMATS:
        raise CpmsError(
            f"Format de sortie inconnu : « {out.name} » (attendu : un fichier .pdf ou .xlsx).",
            title="Rapport impossible",
        )
    report = build_report(store, month=month, policy=policy, as_of=as_of)
    content = pdf_bytes(report) if suffix == ".pdf" else xlsx_bytes(report)
    try:
        out.write_bytes(content)
    except OSError as exc:
        raise CpmsError(
            f"Impossible d'écrire {out} : {exc.strerror or exc}.", title="Rapport impossible"
        ) from exc
