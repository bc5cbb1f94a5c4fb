"""The report as an A4 PDF laid out by ReportLab: the month's headlines and due dates first, the
charts, the cohort as context, the open cases past due, the data of the charts and the definitions.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from functools import cache, partial
from pathlib import Path
from typing import Any

from ..definitions import POLICY_LABELS, POLICY_RULES, REPORT_HEADLINES, VIEW_HELP, VIEWS
from ..formats import NNBSP, format_date, month_label
from .figures import FIGURE_SIZE, FIGURE_TITLES, PROVISIONAL_NOTE, render_png, report_figures
from .gather import COHORT_FIGURES, MonthlyReport
from .tables import TextTable, detail_tables, headline_table
from .xlsx import compared, created

MM = 72 / 25.4  # points per millimetre
MARGIN = 18 * MM
_FONT_DIRS = ("/usr/share/fonts/truetype/dejavu",)
# The first column's width of each table, in mm; the others share the rest.
FIRST_WIDTHS = {"headline": 56, "due": 38, "objects": 50, "channels": 50, "steps": 38,
                "mediators": 106, "overdue": 40, "trend_due": 34, "trend": 34}  # fmt: skip


def _fonts() -> tuple[str, str, bool]:
    """Register the PDF's fonts: DejaVu Sans (Debian's fonts-dejavu-core), else ReportLab's own
    Vera, which lacks the narrow no-break space. Returns (regular, bold, has narrow space)."""
    import reportlab  # type: ignore[import-untyped]
    from reportlab.pdfbase import pdfmetrics  # type: ignore[import-untyped]
    from reportlab.pdfbase.ttfonts import TTFont  # type: ignore[import-untyped]

    candidates = [(Path(d, "DejaVuSans.ttf"), Path(d, "DejaVuSans-Bold.ttf")) for d in _FONT_DIRS]
    found = next(((r, b) for r, b in candidates if r.is_file() and b.is_file()), None)
    if found is not None:
        (regular, bold), names, narrow = found, ("CpmsSans", "CpmsSans-Bold"), True
    else:
        folder = Path(reportlab.__file__).with_name("fonts")
        regular, bold = folder / "Vera.ttf", folder / "VeraBd.ttf"
        names, narrow = ("CpmsVera", "CpmsVera-Bold"), False
    if names[0] not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(names[0], str(regular)))
        pdfmetrics.registerFont(TTFont(names[1], str(bold)))
        pdfmetrics.registerFontFamily(
            names[0], normal=names[0], bold=names[1], italic=names[0], boldItalic=names[1]
        )
    return names[0], names[1], narrow


def pdf_bytes(report: MonthlyReport, images: Sequence[bytes] | None = None) -> bytes:
    """The A4 PDF. `images` are the PNGs of `report_figures` in order (rendered here when not
    given). Its creation date and identifier derive from the report: same report, same bytes."""
    if images is None:
        images = render_png(list(report_figures(report).values()))
    return _PdfWriter(report, images).build()


class _PdfWriter:
    """The report's pages, laid out by ReportLab's platypus: flowing paragraphs and tables, a
    running header, and "Page n sur N" in the footer."""

    def __init__(self, report: MonthlyReport, images: Sequence[bytes]) -> None:
        from reportlab.lib.enums import TA_RIGHT  # type: ignore[import-untyped]
        from reportlab.lib.styles import ParagraphStyle  # type: ignore[import-untyped]

        self.report = report
        self.images = list(images)
        self.regular, self.bold, narrow = _fonts()
        self.space = NNBSP if narrow else "\u00a0"
        self.width = 210 * MM - 2 * MARGIN
        base = ParagraphStyle("base", fontName=self.regular, fontSize=9.5, leading=13)
        bold = ParagraphStyle("bold", base, fontName=self.bold)
        cell = ParagraphStyle("cell", base, fontSize=9, leading=11.5)
        cell_bold = ParagraphStyle("cell_bold", cell, fontName=self.bold)
        self.styles = {
            "base": base,
            "title": ParagraphStyle("title", bold, fontSize=20, leading=25),
            "subtitle": ParagraphStyle("subtitle", base, fontSize=14, leading=18, spaceAfter=10),
            "h2": ParagraphStyle("h2", bold, fontSize=13, leading=17, spaceBefore=12, spaceAfter=6),
            "h3": ParagraphStyle(
                "h3", bold, fontSize=10.5, leading=14, spaceBefore=8, spaceAfter=4
            ),
            "cell": cell,
            "cell_bold": cell_bold,
            "cell_right": ParagraphStyle("cell_right", cell, alignment=TA_RIGHT),
            "cell_bold_right": ParagraphStyle("cell_bold_right", cell_bold, alignment=TA_RIGHT),
            "cell_bold_head": ParagraphStyle(
                "cell_bold_head", cell_bold, fontSize=8.5, leading=10.5
            ),
            "cell_bold_head_right": ParagraphStyle(
                "cell_bold_head_right", cell_bold, fontSize=8.5, leading=10.5, alignment=TA_RIGHT
            ),
            "group": ParagraphStyle("group", base, fontSize=8.5, leading=10.5, textColor="#333333"),
            "note": ParagraphStyle("note", base, fontSize=8, leading=10.5, textColor="#444444"),
            "definition": ParagraphStyle(
                "definition", base, fontSize=8.5, leading=11, spaceAfter=3
            ),
            "bullet": ParagraphStyle(
                "bullet",
                base,
                leftIndent=12,
                bulletIndent=2,
                spaceAfter=4,
                bulletFontName=self.regular,
            ),
        }

    def plain(self, value: str) -> str:
        """`value` with the narrow space this font can show."""
        return value.replace(NNBSP, self.space)

    def para(self, value: str, style: str = "base", bullet: str | None = None) -> Any:
        from xml.sax.saxutils import escape

        from reportlab.platypus import Paragraph  # type: ignore[import-untyped]

        return Paragraph(escape(self.plain(value)), self.styles[style], bulletText=bullet)

    def table(
        self,
        header: Sequence[str],
        rows: Sequence[Sequence[str]],
        first_width: float,
        *,
        total: bool = False,
        bold_column: int | None = None,
        text_columns: Sequence[int] = (0,),
        groups: Mapping[int, str] | None = None,
    ) -> Any:
        """A table for print: the first column as wide as asked, the others sharing the rest;
        a grey bold header, thin rules, figures right-aligned, a bold total row if asked, and a
        heading across the table before the rows that `groups` names (by index)."""
        from reportlab.lib import colors  # type: ignore[import-untyped]
        from reportlab.platypus import Table, TableStyle

        def cells(row: Sequence[str], kind: str) -> list[Any]:
            return [
                self.para(
                    value,
                    ("cell_bold" if kind != "cell" or c == bold_column else "cell")
                    + ("_head" if kind == "head" else "")
                    + ("" if c in text_columns else "_right"),
                )
                for c, value in enumerate(row)
            ]

        data = [cells(header, "head")]
        spans = []
        for r, row in enumerate(rows):
            if groups and r in groups:
                spans.append(len(data))
                data.append([self.para(groups[r], "group"), *([""] * (len(header) - 1))])
            data.append(cells(row, "total" if total and r == len(rows) - 1 else "cell"))
        rest = (self.width - first_width) / (len(header) - 1)
        style: list[tuple[Any, ...]] = [
            *(("SPAN", (0, i), (-1, i)) for i in spans),
            *(("BACKGROUND", (0, i), (-1, i), colors.HexColor("#F2F2F2")) for i in spans),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#D9D9D9")),
            ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
            ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.HexColor("#999999")),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("TOPPADDING", (0, 0), (-1, -1), 3),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
        ]
        if total:
            style.append(("LINEABOVE", (0, -1), (-1, -1), 0.8, colors.black))
        widths = [first_width] + [rest] * (len(header) - 1)
        table = Table(data, colWidths=widths, repeatRows=1, hAlign="LEFT")
        table.setStyle(TableStyle(style))
        return table

    def build(self) -> bytes:
        from reportlab.lib.pagesizes import A4  # type: ignore[import-untyped]
        from reportlab.platypus import SimpleDocTemplate

        report = self.report
        buffer = io.BytesIO()
        doc = SimpleDocTemplate(
            buffer,
            pagesize=A4,
            leftMargin=MARGIN,
            rightMargin=MARGIN,
            topMargin=20 * MM,
            bottomMargin=18 * MM,
            title=report.title,
            author="CPMS — suivi des réclamations",
            subject=f"{POLICY_LABELS[report.policy]} — arrêté au {format_date(report.as_of)}",
            creator="cpms_metrics",
            keywords="réclamations, conformité, rapport mensuel",
            lang="fr-FR",
            invariant=1,  # no clock, no random identifier
        )
        stamp = created(report).strftime("D:%Y%m%d%H%M%S+00'00'")
        doc.build(self.story(), canvasmaker=partial(_numbered_canvas(), writer=self, stamp=stamp))
        return buffer.getvalue()

    # -- content -------------------------------------------------------------------------------

    def story(self) -> list[Any]:
        from reportlab.platypus import CondPageBreak, KeepTogether, PageBreak, Spacer

        report = self.report
        tables = detail_tables(report)
        this = month_label(report.month, long=True)
        story: list[Any] = [
            self.para("Rapport mensuel des réclamations", "title"),
            self.para(this.capitalize(), "subtitle"),
            self.parameters(),
            Spacer(0, 3 * MM),
            *self.text_table("headline", headline_table(report), "h2"),
            *self.text_table("due", tables["due"], "h2"),
            self.para("Synthèse", "h2"),
            *(self.para(s, "bullet", bullet="•") for s in report.summary),
            CondPageBreak(120 * MM),
            self.para(
                f"Évolution sur 12 mois ({month_label(report.trend[0].month, long=True)} à "
                f"{month_label(report.trend[-1].month, long=True)}), situation au "
                f"{format_date(report.as_of)}",
                "h2",
            ),
            self.para(f"{PROVISIONAL_NOTE}, dont des délais de réponse courent encore ; un mois "
                      "sans réclamation ou sans dossier à juger n'est pas tracé.", "note"),
        ]  # fmt: skip
        for key, image in zip(FIGURE_TITLES, self.images, strict=True):
            story.append(KeepTogether([self.para(FIGURE_TITLES[key], "h3"), self.image(image)]))
        story += [
            PageBreak(),
            self.para(f"Contexte : {VIEWS['cohort'].lower()} ({this})", "h2"),
            self.para(VIEW_HELP["cohort"], "note"),
        ]
        if report.has_complaints:
            for key in ("steps", "objects", "channels", "mediators"):
                story += self.text_table(key, tables[key])
        else:
            story.append(self.para(f"{tables['objects'].empty} Rien à répartir par objet ni par "
                                   "canal, aucune saisine du médiateur."))  # fmt: skip
        story += [
            CondPageBreak(60 * MM),
            *self.text_table("overdue", tables["overdue"], "h2"),
            CondPageBreak(95 * MM),
            *self.text_table("trend_due", tables["trend_due"], "h2"),
            CondPageBreak(95 * MM),
            *self.text_table("trend", tables["trend"], "h2"),
            CondPageBreak(60 * MM),
            self.definitions(),
        ]
        return story

    def image(self, png: bytes) -> Any:
        from reportlab.platypus import Image

        height = self.width * FIGURE_SIZE[1] / FIGURE_SIZE[0]
        return Image(io.BytesIO(png), width=self.width, height=height)

    def parameters(self) -> Any:
        from reportlab.lib import colors
        from reportlab.platypus import Table, TableStyle

        report = self.report
        rows = [
            ("Politique de délais",
             f"{POLICY_LABELS[report.policy]} : {POLICY_RULES[report.policy]}."),
            ("Date d'arrêté", f"{format_date(report.as_of)} (situation au soir de cette date)"),
            ("Dernier import des données", report.last_import_text),
            ("Comparaisons", f"{compared(report.previous)} ; {compared(report.year_before)}"),
        ]  # fmt: skip
        data = [[self.para(k, "cell_bold"), self.para(v, "cell")] for k, v in rows]
        table = Table(data, colWidths=[56 * MM, self.width - 56 * MM], hAlign="LEFT")
        table.setStyle(
            TableStyle(
                [
                    ("BOX", (0, 0), (-1, -1), 0.6, colors.HexColor("#777777")),
                    ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor("#F2F2F2")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("TOPPADDING", (0, 0), (-1, -1), 3),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
                ]
            )
        )
        return table

    def text_table(self, key: str, table: TextTable, heading: str = "h3") -> list[Any]:
        """A table under its title (kept together), its note, or what to say instead."""
        from reportlab.platypus import KeepTogether

        title = self.para(table.title, heading)
        note = [self.para(table.note, "note")] if table.note and heading == "h2" else []
        if not table.rows:
            return [KeepTogether([title, *note, self.para(table.empty)])]
        body = self.table(
            table.header, table.rows, FIRST_WIDTHS[key] * MM, total=table.total,
            bold_column=1 if key == "headline" else None,
            text_columns=(0, 5) if key == "trend" else (0,), groups=table.groups,
        )  # fmt: skip
        return [KeepTogether([title, *note, body])]

    def definitions(self) -> Any:
        from xml.sax.saxutils import escape

        from reportlab.platypus import KeepTogether, Paragraph

        terms = [(f.label, f.definition) for f in (*REPORT_HEADLINES, *COHORT_FIGURES)]
        terms += [(f"Vue « {VIEWS[v]} »", VIEW_HELP[v]) for v in ("due", "cohort", "backlog")]
        terms.append(("« — »", "rien à juger (aucun délai échu, ou aucune réclamation) : jamais "
                      "0 % ni 100 %."))  # fmt: skip
        notes = [
            Paragraph(
                f"<b>{escape(term)}</b> : {escape(self.plain(text))}",
                self.styles["definition"],
            )
            for term, text in terms
        ]
        return KeepTogether([self.para("Définitions", "h2"), *notes])


@cache
def _numbered_canvas() -> type:
    """ReportLab's canvas, keeping each page until the count is known to write "Page n sur N"
    (the recipe of ReportLab's own documentation), with the running header and footer."""
    from reportlab.pdfgen.canvas import Canvas  # type: ignore[import-untyped]

    class NumberedCanvas(Canvas):  # type: ignore[misc]
        def __init__(self, *args: Any, writer: _PdfWriter, stamp: str, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._writer = writer
            self._saved_pages: list[dict[str, Any]] = []
            self.setDateFormatter(lambda *_: stamp)  # the creation date, from the report

        def showPage(self) -> None:  # ReportLab's name
            self._saved_pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            count = len(self._saved_pages)
            for state in self._saved_pages:
                self.__dict__.update(state)
                self._decorate(count)
                super().showPage()
            super().save()

        def _decorate(self, count: int) -> None:
            writer, report = self._writer, self._writer.report
            width, height = 210 * MM, 297 * MM
            left, right = MARGIN, width - MARGIN
            self.saveState()
            self.setFont(writer.regular, 8)
            self.setFillColorRGB(0.2, 0.2, 0.2)
            self.setStrokeColorRGB(0.4, 0.4, 0.4)
            self.setLineWidth(0.4)
            self.drawString(left, height - 12 * MM, f"Réclamations CPMS · {report.title}")
            rules = f"{POLICY_LABELS[report.policy]} · arrêté au {format_date(report.as_of)}"
            self.drawRightString(right, height - 12 * MM, writer.plain(rules))
            self.line(left, height - 13.5 * MM, right, height - 13.5 * MM)
            self.line(left, 12 * MM, right, 12 * MM)
            self.drawString(left, 8 * MM, "Document interne · décomptes sans donnée personnelle")
            self.drawRightString(right, 8 * MM, f"Page {self._pageNumber} sur {count}")
            self.restoreState()

    return NumberedCanvas
