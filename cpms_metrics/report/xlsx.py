"""The report as an XLSX workbook: one sheet per table under a line naming its view, real numbers,
formats that survive a re-save in a French LibreOffice Calc, rows as tall as their wrapped text.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from ..definitions import (
    FIGURES,
    POLICY_LABELS,
    POLICY_RULES,
    REPORT_HEADLINES,
    STATUS_LABELS,
    STEP_LABELS,
    UNTRACKED_LABEL,
    VIEW_HELP,
    VIEWS,
    change,
)
from ..formats import format_date, month_label
from ..months import parse_month
from ..queries import STATUSES
from .figures import FIGURE_TITLES, INK, SECOND
from .gather import AGE_BANDS, COHORT_FIGURES, Breakdown, MonthFigures, MonthlyReport, Rate
from .tables import FINAL, PROVISIONAL, view_title

# Excel number formats, stored in Excel's notation and shown in the reader's locale. The space
# before % is escaped: a French LibreOffice Calc re-saves `0.0 %` as `0.0,%` (the space read as
# its thousands separator), and every rate then reads 0,1 %; `0.0\ %` survives.
RATE_FORMAT = "0.0\\ %"
XLSX_FORMATS: dict[str, dict[str, Any]] = {
    "text": {"valign": "top", "text_wrap": True},
    "count": {"num_format": "#,##0", "valign": "top"},
    "count_change": {"num_format": "+#,##0;-#,##0;0", "valign": "top"},
    "rate": {"num_format": RATE_FORMAT, "valign": "top"},
    "points": {"num_format": '+0.0" pt";-0.0" pt";0.0" pt"', "valign": "top"},
    "days": {"num_format": "0.0", "valign": "top"},
    "date": {"num_format": "dd/mm/yyyy", "align": "left", "valign": "top"},
    "datetime": {"num_format": "dd/mm/yyyy hh:mm", "align": "left", "valign": "top"},
    "month": {"num_format": "[$-40C]mmmm yyyy", "align": "left", "valign": "top"},
}
LINE_HEIGHT = 15.0  # points, one line of the default 11 pt font
CHARS_PER_WIDTH = 1.15  # characters of French text per unit of column width (about one "0")
Column = tuple[str, float, str]  # header, width, format
_BY_HEADLINE = {
    "headline": ("count", "rate"), "change": ("count_change", "points"), "judged": (None, "count"),
}  # fmt: skip


@dataclass(frozen=True)
class Cell:
    """A value with a format other than its column's."""

    value: Any
    kind: str


@dataclass(frozen=True)
class Sheet:
    name: str
    title: str  # the first line: which view the sheet shows
    columns: list[Column]
    rows: list[list[Any]]  # a last row "Total" is set in bold


def created(report: MonthlyReport) -> datetime:
    """The documents' creation date: the as-of date, never the clock."""
    return datetime.combine(report.as_of, time())


def _day(value: date) -> datetime:
    return datetime.combine(value, time())


def compared(figures: MonthFigures) -> str:
    return f"{month_label(figures.month, long=True)}, arrêté au {format_date(figures.as_of)}"


def lines(text: str, width: float) -> int:
    """How many lines `text` takes, wrapped in a column `width` wide (xlsxwriter does not
    autofit row heights, and a wrapped cell otherwise shows one line)."""
    per_line = max(1, int(width * CHARS_PER_WIDTH))
    return sum(max(1, math.ceil(len(part) / per_line)) for part in text.split("\n"))


def _rated(first: str, figures: Sequence[Any]) -> list[Column]:
    """A rate column per figure, each after the count of cases it judges."""
    columns: list[Column] = [(first, 24, "text"), (FIGURES["complaints"].label, 13, "count")]
    for figure in figures:
        over = "dossiers jugés" if figure.keys[-1] == "compliance_rate" else "réclamations"
        columns += [(f"{figure.label} : {over}", 12, "count"), (figure.label, 14, "rate")]
    return columns


def _rate_cell(rate: Rate, charted: bool) -> Any:
    """A rate's cell: empty with nothing to judge; "Non suivi" when every case it would judge
    comes from files that do not track the step, except in a charted column (a chart would draw
    the text as 0 %)."""
    if rate.value is None and rate.untracked and not rate.judged and not charted:
        return UNTRACKED_LABEL
    return rate.value


def _rates(*rates: Rate, charted: bool = False) -> list[Any]:
    return [
        v
        for r in rates
        for v in (r.judged if r.value is not None else None, _rate_cell(r, charted))
    ]


def _breakdown_rows(rows: Sequence[Breakdown], empty: str) -> list[list[Any]]:
    found = [[b.label, b.complaints, *_rates(b.ack, b.response, b.escalation)] for b in rows]
    return found or [[empty]]


def _steps(blocks: dict[str, Any], extra: Sequence[str]) -> list[list[Any]]:
    rows = []
    for step in ("ack", "response"):
        block = blocks[step]
        judged = sum(block[s] for s in STATUSES[:3])
        rows.append([STEP_LABELS[step], *(block[s] for s in STATUSES),
                     int(block.get("untracked", 0)), judged,
                     block["compliance_rate"], *(block[k] for k in extra)])  # fmt: skip
    return rows


def _status_columns(extra: Sequence[Column] = ()) -> list[Column]:
    return [
        ("Étape", 22, "text"), *((STATUS_LABELS[s], 12, "count") for s in STATUSES),
        (UNTRACKED_LABEL, 11, "count"), ("Dossiers jugés", 11, "count"),
        ("Taux dans les délais", 13, "rate"), *extra,
    ]  # fmt: skip


def sheets(report: MonthlyReport) -> list[Sheet]:
    """Every sheet of the workbook, in order."""
    now, before, year = report.comparisons
    imported: Any = "aucun import enregistré"
    if report.last_import is not None:
        imported = Cell(report.last_import, "datetime")
    this = month_label(report.month, long=True)
    synthesis: list[list[Any]] = [
        ["Rapport", report.title],
        ["Mois", Cell(_day(parse_month(report.month)), "month")],
        ["Politique de délais", POLICY_LABELS[report.policy]],
        ["Règles appliquées", POLICY_RULES[report.policy]],
        ["Date d'arrêté", Cell(_day(report.as_of), "date")],
        ["Dernier import des données", imported],
        ["Comparaison : mois précédent", compared(before)],
        ["Comparaison : même mois un an avant", compared(year)],
        *(["Résumé" if i == 0 else "", s] for i, s in enumerate(report.summary)),
        *([f"Vue « {VIEWS[v]} »", VIEW_HELP[v]] for v in ("due", "cohort", "backlog")),
    ]

    def judged(figures: MonthFigures) -> str:
        return f"Dossiers jugés ({month_label(figures.month)})"

    headlines = []
    for h in REPORT_HEADLINES:
        values = [f.value(h) for f in (now, before, year)]
        counts = [f.judged(h) if v is not None else None for f, v in zip(
            (now, before, year), values, strict=True)]  # fmt: skip
        shown_values = [
            UNTRACKED_LABEL if v is None and f.untracked(h) and not f.judged(h) else v
            for f, v in zip((now, before, year), values, strict=True)
        ]
        headlines.append(
            [h.label, VIEWS[h.view], shown_values[0], counts[0], shown_values[1], counts[1],
             change(values[0], values[1], h.is_rate), shown_values[2], counts[2],
             change(values[0], values[2], h.is_rate), h.definition]
        )  # fmt: skip
    escalated = sum(n for _, n in report.mediators)
    overdue: list[list[Any]] = [[r.label, *r.counts, r.total] for r in report.overdue]
    overdue.append(["Total", *report.overdue_by_band, report.overdue_total])
    nothing = f"Aucune réclamation reçue en {this}"
    cohort = view_title("cohort", report, now.provisional)
    on = format_date(report.as_of)
    due = (FIGURES["due_ack_rate"], FIGURES["due_response_rate"])
    return [
        Sheet("Synthèse", report.title, [("Rubrique", 34, "text"), ("Valeur", 110, "text")],
              synthesis),
        Sheet(
            "Indicateurs",
            f"Chiffres clés — {this} (la période est le mois du rapport ; la vue de chaque "
            "indicateur est dans sa colonne « Vue »)",
            [("Indicateur", 34, "text"), ("Vue", 30, "text"),
             (month_label(now.month), 12, "headline"), (judged(now), 10, "judged"),
             (month_label(before.month), 12, "headline"), (judged(before), 10, "judged"),
             (f"Écart avec {month_label(before.month)}", 14, "change"),
             (month_label(year.month), 12, "headline"), (judged(year), 10, "judged"),
             (f"Écart avec {month_label(year.month)}", 14, "change"), ("Définition", 70, "text")],
            headlines,
        ),
        Sheet("Échéances du mois", view_title("due", report), _status_columns(),
              _steps(now.kpis["due"], ())),
        Sheet(
            "Réclamations du mois", f"{cohort} : délais",
            _status_columns([("Délai médian (jours)", 13, "days"),
                             ("90e centile (jours)", 13, "days")]),
            _steps(now.kpis, ("median_days", "p90_days")) if report.has_complaints
            else [[nothing]],
        ),
        Sheet(
            "Échéances 12 mois", f"{VIEWS['due']}, mois par mois, situation au {on}",
            [("Mois", 18, "month"), *((c, w, k) for f in due for c, w, k in (
                (f"{f.label} : dossiers jugés", 12, "count"), (f.label, 14, "rate"))),
             (FIGURES["due_referrals"].label, 14, "count")],
            [[_day(parse_month(t.month)), *_rates(t.due_ack, t.due_response, charted=True),
              t.referrals]
             for t in report.trend],
        ),
        Sheet(
            "Cohortes 12 mois", f"{VIEWS['cohort']}, mois par mois, situation au {on}",
            [("Mois de réception", 18, "month"), *_rated("", COHORT_FIGURES)[1:],
             (FIGURES["escalated"].label, 11, "count"), ("Statut", 12, "text")],
            [[_day(parse_month(t.month)), t.complaints,
              *_rates(t.ack, t.response, t.escalation, charted=True),
              t.escalated, PROVISIONAL if t.provisional else FINAL] for t in report.trend],
        ),
        Sheet("Par objet", f"{cohort} : par objet", _rated("Objet", COHORT_FIGURES),
              _breakdown_rows(report.by_object, nothing)),
        Sheet("Par canal", f"{cohort} : par canal", _rated("Canal", COHORT_FIGURES),
              _breakdown_rows(report.by_channel, nothing)),
        Sheet(
            "Médiateurs", f"{cohort} : saisines du médiateur",
            [("Médiateur", 48, "text"), (FIGURES["escalated"].label, 12, "count"),
             ("Part des saisines", 14, "rate")],
            [[name, n, n / escalated] for name, n in report.mediators]
            or [[f"Aucune saisine pour les réclamations reçues en {this}"]],
        ),
        Sheet(
            "Retards ouverts", f"{view_title('backlog', report)} : hors délai de réponse",
            [("Objet", 22, "text"),
             *((f"Retard de {band.lower()}", 14, "count") for band, _, _ in AGE_BANDS),
             ("Total", 10, "count")],
            overdue,
        ),
    ]  # fmt: skip


def xlsx_bytes(report: MonthlyReport) -> bytes:
    """The workbook: one sheet per table under a line naming its view, frozen headers, the
    12-month data with native charts; its properties derive from the report, so the same report
    gives the same bytes."""
    import xlsxwriter  # type: ignore[import-untyped]

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    book.set_properties(
        {
            "title": report.title,
            "subject": f"{POLICY_LABELS[report.policy]} — arrêté au {format_date(report.as_of)}",
            "author": "CPMS — suivi des réclamations",
            "company": "CPMS",
            "keywords": "réclamations, conformité, rapport mensuel",
            "created": created(report),
        }
    )
    formats = {
        (kind, bold): book.add_format({**spec, "bold": bold, **({"top": 1} if bold else {})})
        for kind, spec in XLSX_FORMATS.items()
        for bold in (False, True)
    }
    title = book.add_format({"bold": True, "font_size": 12, "text_wrap": True, "valign": "top"})
    head = book.add_format(
        {"bold": True, "bg_color": "#D9D9D9", "bottom": 1, "text_wrap": True, "valign": "top"}
    )
    is_rate = {h.label: h.is_rate for h in REPORT_HEADLINES}
    for sheet in sheets(report):
        ws = book.add_worksheet(sheet.name)
        columns, widths = sheet.columns, [width for _, width, _ in sheet.columns]
        ws.freeze_panes(2, 1)
        ws.set_paper(9)  # A4, landscape, as wide as the page, header on every page
        ws.set_landscape()
        ws.fit_to_pages(1, 0)
        ws.repeat_rows(0, 1)
        ws.merge_range(0, 0, 0, len(columns) - 1, sheet.title, title)
        ws.set_row(0, 18 * lines(sheet.title, sum(widths) * 0.9))
        for c, (header, width, _) in enumerate(columns):
            ws.write_string(1, c, header, head)
            ws.set_column(c, c, width)
        ws.set_row(1, LINE_HEIGHT * max(lines(h, w) for h, w, _ in columns))
        for r, row in enumerate(sheet.rows, start=2):
            total = row[0] == "Total"
            height = 1
            for c, value in enumerate(row):
                kind = columns[c][2]
                if isinstance(value, Cell):  # a format of its own
                    value, kind = value.value, value.kind
                elif kind in _BY_HEADLINE:  # a rate or a count, as the row's headline
                    kind = _BY_HEADLINE[kind][is_rate[row[0]]] or "count"
                cell = formats[kind, total]
                if value is None:
                    ws.write_blank(r, c, None, cell)
                elif isinstance(value, str):
                    # a message alone on its row spreads over the sheet's width
                    width = sum(widths) if len(row) == 1 else widths[c]
                    height = max(height, lines(value, width))
                    ws.write_string(r, c, value, formats["text", total])
                elif isinstance(value, datetime):
                    ws.write_datetime(r, c, value, cell)
                else:
                    ws.write_number(r, c, value, cell)
            if height > 1:
                ws.set_row(r, LINE_HEIGHT * height)
        if sheet.name in _CHARTS:
            _CHARTS[sheet.name](book, ws, sheet.name, len(sheet.rows))
    book.close()
    return buffer.getvalue()


def _range(sheet: str, column: str, rows: int) -> str:
    """A column of a sheet's data: from its third line (under the view and the header)."""
    return f"='{sheet}'!${column}$3:${column}${rows + 2}"


_AXIS = {"num_format": "[$-40C]mmm yy", "date_axis": False}


def _rates_chart(book: Any, sheet: str, rows: int, series: Sequence[tuple[str, str, str]],
                 name: str) -> Any:  # fmt: skip
    chart = book.add_chart({"type": "line"})
    for column, colour, dash in series:
        chart.add_series(
            {
                "name": f"='{sheet}'!${column}$2",
                "categories": _range(sheet, "A", rows),
                "values": _range(sheet, column, rows),
                "line": {"color": colour, "width": 2.25, "dash_type": dash},
                "marker": {"type": "circle", "size": 5, "border": {"color": colour},
                           "fill": {"color": colour}},
            }
        )  # fmt: skip
    chart.set_title({"name": name, "name_font": {"size": 11}})
    chart.set_legend({"position": "bottom"})
    chart.set_x_axis(_AXIS)
    chart.set_y_axis({"num_format": "0\\ %", "min": 0, "max": 1})
    chart.show_blanks_as("gap")  # a month with nothing to judge is not drawn
    return chart


def _due_charts(book: Any, ws: Any, sheet: str, rows: int) -> None:
    chart = _rates_chart(book, sheet, rows, (("C", INK, "solid"), ("E", SECOND, "dash")),
                         FIGURE_TITLES["due"])  # fmt: skip
    ws.insert_chart("H3", chart, {"x_scale": 1.3, "y_scale": 1.1})


def _cohort_charts(book: Any, ws: Any, sheet: str, rows: int) -> None:
    volume = book.add_chart({"type": "column"})
    volume.add_series(
        {
            "name": f"='{sheet}'!$B$2",
            "categories": _range(sheet, "A", rows),
            "values": _range(sheet, "B", rows),
            "fill": {"color": INK},
        }
    )
    volume.set_title({"name": FIGURE_TITLES["volume"], "name_font": {"size": 11}})
    volume.set_legend({"none": True})
    volume.set_x_axis(_AXIS)
    volume.set_y_axis({"num_format": "#,##0", "min": 0})
    ws.insert_chart("N3", volume, {"x_scale": 1.3})
    series = (("D", INK, "solid"), ("F", SECOND, "dash"), ("H", "#777777", "round_dot"))
    title = "Taux par mois de réception (mois provisoires : colonne « Statut »)"
    rates = _rates_chart(book, sheet, rows, series, title)
    ws.insert_chart("N19", rates, {"x_scale": 1.3, "y_scale": 1.1})


_CHARTS = {"Échéances 12 mois": _due_charts, "Cohortes 12 mois": _cohort_charts}
