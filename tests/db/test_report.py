"""The monthly report says the dashboard's numbers: read back from its workbook (openpyxl) and from
its PDF's text (pypdf), the figures are `kpis`' for the same month, as-of date and policy.

Export below, report on November 2025 as of 2025-11-30, policy `cpms` (worked out by hand):
  N1 received 11-03 by e-mail, remboursement; AR 11-05, answered 11-20: both on time
  N2 11-10 by post, cotisation, institution de prévoyance; AR 11-25 (due 11-20): late;
     referred to a mediator 11-28 (none recorded: the CTIP's, from the carrier)
  N3 11-24 by phone, adhésion; nothing yet                                  AR pending (due 12-04)
  N4 11-05 by e-mail, remboursement; nothing                                AR overdue (due 11-15)
  N5 11-12 a request for information: not a complaint
  -> cohort: 4 complaints; AR 1/3 = 33,3 %; answers 1/1 = 100,0 %; escalation 1/4 = 25,0 %.
  -> due in November (rules §8): AR of N1 (on time), N2 (late), N4 (overdue): 1/3 = 33,3 %;
     answers due: B2's (received 09-15, due 11-15, not answered: overdue): 0/1 = 0,0 %;
     referrals made in November: N2 -> 1.
October 2025, as of 2025-10-31 (the same 0 days after the month's end):
  O1 10-01 AR 10-03, answered 10-20; O2 10-06 AR 10-08, answered 10-30; O3 10-15 AR 10-28 (late),
  answered 12-01 (after both as-of dates)  -> 3 complaints; AR 2/3; answers 2/2; escalation 0/3.
  -> due in October: AR O1, O2 on time, O3 late: 2/3; answers: B1's (due 10-04): overdue, 0/1.
November 2024, as of 2024-11-30:
  Y1 11-04 AR 11-06, answered 2025-02-10 (late), referred 2025-03-01; Y2 11-20 AR 11-22, never
  answered  -> 2 complaints; AR 2/2; answers none judged yet (—); escalation 0/2.
  -> due in November 2024: AR Y1, Y2 on time: 2/2; no answer due (—); no referral.
Open past the answer deadline (the backlog, every cohort), on 2025-11-30:
  Y2 due 2025-01-20 (314 days late), B1 received 08-04 due 10-04 (57), B2 09-15 due 11-15 (15),
  B3 06-02 due 08-02 (120)  -> 4; on 2025-10-31: Y2, B1, B3 -> 3; on 2024-11-30: none.
L1, received 12-10, after the as-of date, does not exist yet.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import date, datetime
from io import BytesIO
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from cpms_metrics import CpmsError, Scope, kpis
from cpms_metrics.definitions import FIGURES, REPORT_HEADLINES, VIEW_HELP, VIEWS, change
from cpms_metrics.ingest import import_file
from cpms_metrics.queries import monthly, summarise
from cpms_metrics.report import (
    COHORT_FIGURES,
    FIGURE_TITLES,
    RATE_FORMAT,
    MonthFigures,
    MonthlyReport,
    browser_path,
    build_report,
    detail_tables,
    last_full_month,
    month_choices,
    pdf_bytes,
    rate_text,
    render_png,
    report_figures,
    write_report,
    xlsx_bytes,
)
from cpms_metrics.report.figures import PROVISIONAL_NOTE
from cpms_metrics.report.wording import comparison, shown
from cpms_metrics.settings import Settings
from cpms_metrics.store import Store, open_store

EXPORT = """\
Référence;Date de réception;Canal;Nature;Objet;Porteur de risque;Date d'accusé de réception;\
Date de réponse;Canal de réponse;Date de saisine du médiateur;Médiateur
N1;03/11/2025;E-mail;Réclamation;Remboursement;Assureur;05/11/2025;20/11/2025;E-mail;;
N2;10/11/2025;Courrier;Réclamation;Cotisation;Institution de prévoyance;25/11/2025;;;28/11/2025;
N3;24/11/2025;Téléphone;Réclamation;Adhésion;Mutuelle;;;;;
N4;05/11/2025;E-mail;Réclamation;Remboursement;Assureur;;;;;
N5;12/11/2025;E-mail;Demande d'information;Autre;;;13/11/2025;E-mail;;
O1;01/10/2025;E-mail;Réclamation;Remboursement;Assureur;03/10/2025;20/10/2025;E-mail;;
O2;06/10/2025;E-mail;Réclamation;Adhésion;Assureur;08/10/2025;30/10/2025;E-mail;;
O3;15/10/2025;Courrier;Réclamation;Résiliation;Institution de prévoyance;28/10/2025;01/12/2025;\
Courrier;;
Y1;04/11/2024;E-mail;Réclamation;Remboursement;Assureur;06/11/2024;10/02/2025;E-mail;01/03/2025;\
La Médiation de l'Assurance
Y2;20/11/2024;Courrier;Réclamation;Cotisation;Institution de prévoyance;22/11/2024;;;;
B1;04/08/2025;E-mail;Réclamation;Remboursement;Assureur;05/08/2025;;;;
B2;15/09/2025;Téléphone;Réclamation;Adhésion;Assureur;;;;;
B3;02/06/2025;Courrier;Réclamation;Remboursement;Mutuelle;04/06/2025;;;;
L1;10/12/2025;E-mail;Réclamation;Autre;Assureur;;;;;
"""
MONTH, AS_OF = "2025-11", date(2025, 11, 30)
IMPORTED_AT = datetime(2025, 12, 15, 7, 30)
# The comparisons: the same number of days (here 0) after their month's end.
COMPARED = {"previous": ("2025-10", date(2025, 10, 31)), "year": ("2024-11", date(2024, 11, 30))}


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """One database for the module (the PDF is rendered once), filled by the real importer."""
    folder = tmp_path_factory.mktemp("report")
    store = open_store(folder / "cpms.duckdb", Settings(db_path=folder / "cpms.duckdb"))
    export = folder / "export.csv"
    export.write_text(EXPORT, encoding="utf-8")
    result = import_file(
        store,
        export,
        import_day=IMPORTED_AT.date(),
        imported_at=IMPORTED_AT,
        objects=Settings().objects,
    )
    assert result.rejected == 0 and result.added == 14
    yield store
    store.close()


def reference(store: Store, month: str, as_of: date, policy: str = "cpms") -> dict[str, Any]:
    """What `python -m cpms_metrics kpis --from M --to M --as-of D --json` gives."""
    return kpis(store, as_of=as_of, policy=policy, month_from=month, month_to=month)


def sheet(content: bytes, name: str) -> list[list[Any]]:
    """The rows of a sheet under its view line and its header, as the cells' values."""
    rows = load_workbook(BytesIO(content))[name].iter_rows(min_row=3, values_only=True)
    return [list(row) for row in rows]


def view_line(content: bytes, name: str) -> str:
    return str(load_workbook(BytesIO(content))[name]["A1"].value)


# --- The headlines: received, due in the month, referrals, backlog ------------------------------


@pytest.mark.parametrize("policy", ["cpms", "acpr"])
def test_the_workbook_headlines_are_kpis(loaded: Store, policy: str) -> None:
    content = xlsx_bytes(build_report(loaded, month=MONTH, policy=policy, as_of=AS_OF))
    rows = sheet(content, "Indicateurs")
    now = reference(loaded, MONTH, AS_OF, policy)
    before = reference(loaded, *COMPARED["previous"], policy)
    year = reference(loaded, *COMPARED["year"], policy)
    assert [r[0] for r in rows] == [h.label for h in REPORT_HEADLINES]
    assert [r[1] for r in rows] == [VIEWS[h.view] for h in REPORT_HEADLINES]
    for h, row in zip(REPORT_HEADLINES, rows, strict=True):
        expected = [h.value(f) for f in (now, before, year)]
        assert [row[2], row[4], row[7]] == pytest.approx(expected), row[0]
        for value in (row[2], row[4], row[7]):
            assert value is None or isinstance(value, int | float)  # numbers, never text
        assert row[-1] == h.definition  # the one definition, not a copy


@pytest.mark.parametrize("policy", ["cpms", "acpr"])
def test_a_closed_month_leads_with_its_due_dates(loaded: Store, policy: str) -> None:
    """rules §8: the report on a closed month carries the acknowledgements and answers due in
    that month, and the referrals made in it, as `kpis --from M --to M` gives them."""
    report = build_report(loaded, month=MONTH, policy=policy, as_of=AS_OF)
    due = reference(loaded, MONTH, AS_OF, policy)["due"]
    figures = report.current
    assert figures.value(FIGURES["due_ack_rate"]) == due["ack"]["compliance_rate"]
    assert figures.value(FIGURES["due_response_rate"]) == due["response"]["compliance_rate"]
    assert figures.value(FIGURES["due_referrals"]) == due["referrals"]
    assert figures.judged(FIGURES["due_ack_rate"]) == sum(
        due["ack"][s] for s in ("on_time", "late", "overdue")
    )
    # The backlog as of the report's date, every cohort: kpis without month bounds.
    backlog = kpis(loaded, as_of=AS_OF, policy=policy)["backlog"]["response_overdue"]
    assert report.backlog_overdue == backlog == report.overdue_total


def test_the_workbook_holds_the_hand_worked_figures(loaded: Store) -> None:
    content = xlsx_bytes(build_report(loaded, month=MONTH, policy="cpms", as_of=AS_OF))
    rows = {r[0]: r[2:10] for r in sheet(content, "Indicateurs")}
    # now, judged, October, judged, change, November 2024, judged, change
    assert rows["Réclamations reçues"] == [4, None, 3, None, 1, 2, None, 2]
    assert rows[FIGURES["due_ack_rate"].label] == pytest.approx(
        [1 / 3, 3, 2 / 3, 3, -33.4, 1.0, 2, -66.7]  # points between the rates as shown
    )
    assert rows[FIGURES["due_response_rate"].label] == [0, 1, 0, 1, 0, None, None, None]
    assert rows[FIGURES["due_referrals"].label] == [1, None, 0, None, 1, 0, None, 1]
    assert rows[FIGURES["backlog_response_overdue"].label] == [4, None, 3, None, 1, 0, None, 4]
    due = sheet(content, "Échéances du mois")
    assert due == [
        ["Accusé de réception", 1, 1, 1, 0, 0, 3, pytest.approx(1 / 3)],  # 0 untracked
        ["Réponse", 0, 0, 1, 0, 0, 1, 0],
    ]
    assert view_line(content, "Échéances du mois") == f"{VIEWS['due']} — novembre 2025"
    synthesis = {r[0]: r[1] for r in sheet(content, "Synthèse") if r[0]}
    assert synthesis["Mois"] == datetime(2025, 11, 1)
    assert synthesis["Date d'arrêté"] == datetime(2025, 11, 30)
    assert synthesis["Dernier import des données"] == IMPORTED_AT
    assert synthesis["Politique de délais"] == "Engagement CPMS"
    for view in ("due", "cohort", "backlog"):  # what each view is, from definitions
        assert synthesis[f"Vue « {VIEWS[view]} »"] == VIEW_HELP[view]


def test_the_cohort_is_context_marked_provisional(loaded: Store) -> None:
    report = build_report(loaded, month=MONTH, policy="cpms", as_of=AS_OF)
    content = xlsx_bytes(report)
    # November's cohort still has every answer deadline to come: provisional, and said so.
    # (a year before, seen at the same maturity, it was provisional too)
    assert report.current.provisional and report.year_before.provisional
    june = build_report(loaded, month="2025-06", policy="cpms", as_of=AS_OF)
    assert not june.current.provisional  # B3's answer was due 08-02
    assert detail_tables(june)["steps"].title == f"{VIEWS['cohort']} — juin 2025 : délais"
    title = f"{VIEWS['cohort']} — novembre 2025 (provisoire)"
    assert view_line(content, "Réclamations du mois") == f"{title} : délais"
    assert view_line(content, "Par objet") == f"{title} : par objet"
    assert detail_tables(report)["steps"].title == f"{title} : délais"
    steps = sheet(content, "Réclamations du mois")
    assert [r[:8] for r in steps] == [  # statuses, untracked, judged, rate
        ["Accusé de réception", 1, 1, 1, 1, 0, 3, pytest.approx(1 / 3)],
        ["Réponse", 1, 0, 0, 3, 0, 1, 1],
    ]
    by_object = sheet(content, "Par objet")
    now = reference(loaded, MONTH, AS_OF)
    assert [r[0] for r in by_object] == ["Remboursement", "Adhésion", "Cotisation"]
    assert [r[1] for r in by_object] == [r["complaints"] for r in now["by_object"]]
    assert [r[3] for r in by_object] == pytest.approx(
        [r["ack_compliance_rate"] for r in now["by_object"]], nan_ok=True
    )
    assert [r[2] for r in by_object] == [2, None, 1]  # judged, next to each rate; none: blank
    channels = summarise(loaded, Scope(AS_OF, "cpms", MONTH, MONTH), "channel")
    counts = dict(zip(channels["key"], channels["complaints"], strict=True))
    assert {r[0]: r[1] for r in sheet(content, "Par canal")} == {
        "E-mail": counts["email"],
        "Courrier": counts["courrier"],
        "Téléphone": counts["telephone"],
    }
    assert sheet(content, "Médiateurs") == [["Médiateur de la protection sociale – CTIP", 1, 1]]


def test_the_trend_sheets_are_monthly_over_twelve_months(loaded: Store) -> None:
    content = xlsx_bytes(build_report(loaded, month=MONTH, policy="cpms", as_of=AS_OF))
    months = [datetime(2024, 12, 1), *(datetime(2025, m, 1) for m in range(1, 12))]
    cohorts = sheet(content, "Cohortes 12 mois")
    assert [r[0] for r in cohorts] == months
    frame = monthly(loaded, Scope(AS_OF, "cpms", "2024-12", MONTH)).set_index("key")
    for row in cohorts:
        key = row[0].strftime("%Y-%m")
        if key not in frame.index:  # a month without any record: no rate, never 0 %
            assert row[1:] == [0, None, None, None, None, None, None, 0, "définitif"]
            continue
        expected = frame.loc[key]
        assert row[1] == expected["complaints"] and row[8] == expected["escalated"]
        for column, name in ((3, "ack_compliance_rate"), (5, "response_compliance_rate"),
                             (7, "escalation_rate")):  # fmt: skip
            rate = None if pd.isna(expected[name]) else expected[name]  # no rate: an empty cell
            assert row[column] == pytest.approx(rate)
        assert row[9] == ("provisoire" if expected["provisional"] else "définitif")
    # October: O3's answer is due 12-15; November: every answer still due.
    assert [r[0].month for r in cohorts if r[9] == "provisoire"] == [10, 11]
    due = sheet(content, "Échéances 12 mois")
    for row in due:
        block = reference(loaded, row[0].strftime("%Y-%m"), AS_OF)["due"]
        assert [row[2], row[4], row[5]] == pytest.approx(
            [block["ack"]["compliance_rate"], block["response"]["compliance_rate"],
             block["referrals"]]
        )  # fmt: skip
    assert [r[5] for r in due] == [0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1]  # Y1 in March, N2


def test_open_cases_past_due_are_the_backlog(loaded: Store) -> None:
    content = xlsx_bytes(build_report(loaded, month=MONTH, policy="cpms", as_of=AS_OF))
    overdue = sheet(content, "Retards ouverts")
    assert overdue == [
        ["Remboursement", 0, 1, 1, 0, 2],  # B1 57 days, B3 120 days
        ["Adhésion", 1, 0, 0, 0, 1],  # B2 15 days
        ["Cotisation", 0, 0, 0, 1, 1],  # Y2 314 days
        ["Total", 1, 1, 1, 1, 4],
    ]
    assert overdue[-1][-1] == kpis(loaded, as_of=AS_OF)["backlog"]["response_overdue"]
    assert view_line(content, "Retards ouverts").startswith(VIEWS["backlog"])


def test_the_summary_is_written_from_the_figures(loaded: Store) -> None:
    report = build_report(loaded, month=MONTH, policy="cpms", as_of=AS_OF)
    nnbsp = "\u202f"
    assert report.summary == (
        "En novembre 2025, 4 réclamations ont été reçues, contre 3 en octobre 2025 et 2 en "
        "novembre 2024.",
        f"Accusés de réception dus en novembre 2025 : 33,3{nnbsp}% dans les délais (3 jugés : 1 "
        "dans les délais, 1 en retard, 1 hors délai en cours) ; −33,4 points par rapport à "
        f"octobre 2025 (66,7{nnbsp}%) ; −66,7 points par rapport à novembre 2024 "
        f"(100,0{nnbsp}%).".replace(" points", f"{nnbsp}points"),
        f"Réponses dues en novembre 2025 : 0,0{nnbsp}% dans les délais (1 jugé : 0 dans les "
        "délais, 0 en retard, 1 hors délai en cours) ; stable par rapport à octobre 2025 "
        f"(0,0{nnbsp}%) ; rien à juger en novembre 2024.",
        "Saisines du médiateur faites en novembre 2025 : 1 ; +1 par rapport à octobre 2025 (0) ; "
        "+1 par rapport à novembre 2024 (0).",
        # The same number as the indicators' and the table's: backlog.response_overdue.
        "Au 30/11/2025, 4 dossiers ouverts ont dépassé leur délai de réponse, tous mois de "
        "réception confondus, dont 2 depuis plus de 90 jours ; +1 par rapport au 31/10/2025 (3) "
        "; +4 par rapport au 30/11/2024 (0).",
        "Réclamations reçues en novembre 2025 (cohorte provisoire, des délais de réponse courent "
        f"encore) : accusés de réception dans les délais 33,3{nnbsp}% (3 jugés), réponses dans "
        f"les délais 100,0{nnbsp}% (1 jugé), taux de saisine du médiateur 25,0{nnbsp}% (4 "
        "réclamations).",
        "Cohortes provisoires au 30/11/2025 (délais de réponse pas tous échus) : octobre 2025 et "
        "novembre 2025 ; leurs chiffres peuvent encore évoluer.",
    )


def _month(month: str, rate: float | None, judged_cases: int) -> MonthFigures:
    block = {"on_time": 0, "late": judged_cases, "overdue": 0, "pending": 0,
             "compliance_rate": rate}  # fmt: skip
    return MonthFigures(month, AS_OF, {"due": {"response": block}}, provisional=False)


@pytest.mark.parametrize(
    ("now", "before", "expected"),
    [
        # Both shown 93,1 %: the change is 0, and only then "stable".
        (0.93144, 0.93055, "stable par rapport à octobre 2025 (93,1\u202f%)"),
        # Shown 93,1 % and 93,0 %: +0,1 point, as the overview says.
        (0.93144, 0.93044, "+0,1\u202fpoint par rapport à octobre 2025 (93,0\u202f%)"),
        (0.5, None, "rien à juger en octobre 2025"),
        (None, 0.5, "50,0\u202f% en octobre 2025"),
    ],
)
def test_stable_only_when_the_change_is_zero(
    now: float | None, before: float | None, expected: str
) -> None:
    figure = FIGURES["due_response_rate"]
    current, previous = _month(MONTH, now, 54), _month("2025-10", before, 54)
    assert comparison(figure, current, previous) == expected
    assert change(now, before, True) in (None, 0.0, 0.1)


@pytest.mark.parametrize(
    ("value", "judged_cases", "expected"),
    [(0.931, 54, "93,1\u202f% (54 jugés)"), (1.0, 2, "100,0\u202f% (2 jugés)"),
     (1.0, 1, "100,0\u202f% (1 jugé)"), (None, 0, "—")],
)  # fmt: skip
def test_a_rate_says_how_many_cases_it_judges(
    value: float | None, judged_cases: int, expected: str
) -> None:
    assert rate_text(value, judged_cases) == expected


# --- The workbook's formats ---------------------------------------------------------------------


def test_the_workbook_formats_survive_a_french_calc(loaded: Store) -> None:
    """`0.0 %` becomes `0.0,%` when a French LibreOffice Calc re-saves it (every rate then reads
    0,1 %): the space is escaped. Wrapped text cells get a height, which xlsxwriter does not
    compute."""
    content = xlsx_bytes(build_report(loaded, month=MONTH, policy="cpms", as_of=AS_OF))
    book = load_workbook(BytesIO(content))
    formats = {c.number_format for ws in book for row in ws.iter_rows() for c in row}
    assert RATE_FORMAT == "0.0\\ %" and RATE_FORMAT in formats
    assert not any(f.endswith(" %") and not f.endswith("\\ %") for f in formats)
    assert book["Indicateurs"]["C4"].number_format == RATE_FORMAT
    assert book["Indicateurs"]["G4"].number_format == '+0.0" pt";-0.0" pt";0.0" pt"'
    assert all(book[name].freeze_panes == "B3" for name in book.sheetnames)
    wrapped = 0
    for ws in book:
        for row in ws.iter_rows(min_row=2):
            for cell in row:
                width = ws.column_dimensions[cell.column_letter].width
                if isinstance(cell.value, str) and len(cell.value) > width * 1.3:
                    height = ws.row_dimensions[cell.row].height
                    assert height is not None and height >= 30, (ws.title, cell.coordinate)
                    assert cell.alignment.wrap_text, (ws.title, cell.coordinate)
                    wrapped += 1
    assert wrapped > 10  # the definitions, the views, the summary, the long headers


def test_same_parameters_give_the_same_workbook(loaded: Store) -> None:
    first = xlsx_bytes(build_report(loaded, month=MONTH, policy="cpms", as_of=AS_OF))
    again = xlsx_bytes(build_report(loaded, month=MONTH, policy="cpms"))  # as of the month's end
    assert first == again
    properties = load_workbook(BytesIO(first)).properties
    assert properties.created == datetime(2025, 11, 30)  # from the as-of date, not the clock
    assert properties.title == "Rapport mensuel des réclamations — novembre 2025"


# --- The charts ---------------------------------------------------------------------------------


def test_the_charts_draw_no_empty_month_and_mark_provisional_ones(loaded: Store) -> None:
    report = build_report(loaded, month=MONTH, policy="cpms", as_of=AS_OF)
    figures = report_figures(report)
    assert list(figures) == list(FIGURE_TITLES)
    empty = [i for i, t in enumerate(report.trend) if t.complaints == 0]
    provisional = [i for i, t in enumerate(report.trend) if t.provisional]
    assert empty and provisional == [10, 11]
    for key in ("volume", "compliance", "escalation"):
        fig = figures[key]
        for trace in fig.data:  # a month without complaints: no bar, no point, never 0 %
            assert all(trace.y[i] is None for i in empty), key
        # The dashboard's band (charts.shade_provisional) on each provisional month, said so.
        bands = [s for s in fig.layout.shapes if s.type == "rect"]
        assert [(b.x0, b.x1) for b in bands] == [(9.5, 10.5), (10.5, 11.5)], key
        notes = [a.text for a in fig.layout.annotations]
        assert "provisoire" in notes and PROVISIONAL_NOTE in notes, key
    for trace in figures["compliance"].data:  # hollow markers on provisional months
        assert [s.endswith("-open") for s in trace.marker.symbol] == [
            t.provisional for t in report.trend
        ]
    assert list(figures["volume"].data[0].marker.pattern.shape[-2:]) == ["/", "/"]
    # The due dates of a closed month are all past: nothing provisional on that chart.
    due = figures["due"]
    assert not due.layout.shapes and all("-open" not in s for s in due.data[0].marker.symbol)
    assert due.data[0].y[-1] == pytest.approx(100 / 3)


def test_a_month_without_complaints_says_so(loaded: Store) -> None:
    report = build_report(loaded, month="2025-07", policy="cpms")
    assert not report.has_complaints
    assert report.summary[0] == (
        "Aucune réclamation n'a été reçue en juillet 2025 (contre 1 en juin 2025 et 0 en juillet "
        "2024)."
    )
    content = xlsx_bytes(report)
    assert sheet(content, "Indicateurs")[0][2] == 0
    assert [r[0] for r in sheet(content, "Par objet")] == [
        "Aucune réclamation reçue en juillet 2025"
    ]
    # July: no acknowledgement due; B3's answer (received 06-02) not yet due: nothing to judge.
    assert [r[2] for r in sheet(content, "Indicateurs")[1:3]] == [None, None]  # never 0 %
    report_figures(report)  # twelve months to draw, some of them with data
    text = pdf_text(pdf_bytes(report, images=[PIXEL] * len(FIGURE_TITLES)))
    assert "Aucune réclamation n'a été reçue en juillet 2025" in text
    assert "Réclamations reçues 0 1 −1 0 0" in text
    assert "Aucun accusé de réception n'était dû en juillet 2025." in text


def test_an_empty_database_gives_a_report(tmp_path: Path) -> None:
    store = open_store(tmp_path / "empty.duckdb", Settings(db_path=tmp_path / "empty.duckdb"))
    try:
        report = build_report(store, month=MONTH, policy="acpr")
    finally:
        store.close()
    assert report.last_import is None and report.overdue_total == 0
    report_figures(report)
    text = pdf_text(pdf_bytes(report, images=[PIXEL] * len(FIGURE_TITLES)))
    assert "aucun import enregistré" in text
    assert "Aucun dossier ouvert n'a dépassé son délai de réponse au 30/11/2025" in text
    assert "Référentiel ACPR" in text


@pytest.mark.parametrize(
    ("month", "as_of", "out", "message"),
    [
        ("2025-13", None, "r.xlsx", "Mois invalide : « 2025-13 »"),
        ("2025-1", None, "r.xlsx", "format attendu AAAA-MM"),
        ("novembre", None, "r.pdf", "Mois invalide"),
        ("2025-11", date(2025, 11, 29), "r.xlsx", "précède la fin du mois du rapport"),
        ("2025-11", None, "r.csv", "Format de sortie inconnu : « r.csv »"),
        ("2025-11", None, "r", "attendu : un fichier .pdf ou .xlsx"),
    ],
)
def test_bad_parameters_are_french_errors(
    loaded: Store, tmp_path: Path, month: str, as_of: date | None, out: str, message: str
) -> None:
    with pytest.raises(CpmsError, match=re.escape(message)):
        write_report(loaded, month=month, policy="cpms", as_of=as_of, out=tmp_path / out)
    assert not (tmp_path / out).exists()
    with pytest.raises(CpmsError, match="Politique inconnue"):
        build_report(loaded, month=MONTH, policy="amf")


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2025, 12, 15), "2025-11"),
        (date(2025, 11, 30), "2025-11"),  # its last day: the month is over that evening
        (date(2025, 1, 1), "2024-12"),  # across the new year
        (date(2024, 2, 29), "2024-02"),  # leap day
    ],
)
def test_the_last_full_month(day: date, expected: str) -> None:
    assert last_full_month(day) == expected


def test_month_choices_run_from_the_first_month_on_record() -> None:
    assert month_choices("2025-09", "2025-11", "2026-01") == [
        "2026-01", "2025-12", "2025-11", "2025-10", "2025-09",
    ]  # fmt: skip
    assert month_choices(None, "2025-11", "2025-10") == ["2025-11"]  # the default is always there


def test_no_browser_is_a_french_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("cpms_metrics.report.figures.browser_path", lambda: None)
    with pytest.raises(CpmsError, match="Chromium est introuvable"):
        render_png([])


# --- The PDF ------------------------------------------------------------------------------------

# A 1x1 white PNG, standing in for the charts where the test is about the text.
PIXEL = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de0000000c4944415408d763f8"
    "ffff3f0005fe02fea7d6a4860000000049454e44ae426082"
)
needs_browser = pytest.mark.skipif(
    browser_path() is None and os.environ.get("CPMS_REQUIRE_BROWSER") != "1",
    reason="Chromium absent (apt-get install chromium) : rendu des graphiques non testé",
)


def pdf_text(content: bytes) -> str:
    """Every page's text, whitespace (narrow spaces included) folded to single spaces."""
    reader = PdfReader(BytesIO(content))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def test_the_pdf_leads_with_the_due_month(loaded: Store) -> None:
    """The PDF's text (charts stood in for by a pixel): the headline rows, with the cases judged,
    and the due-in-month sentences."""
    report = build_report(loaded, month=MONTH, policy="cpms", as_of=AS_OF)
    text = pdf_text(pdf_bytes(report, images=[PIXEL] * len(FIGURE_TITLES)))
    now, before, year = report.comparisons
    for h in REPORT_HEADLINES:
        cells = " ".join(shown(h, f) for f in (now, before)).replace("\u202f", " ")
        assert f"{h.label} {cells} " in text, h.label
        assert shown(h, year).replace("\u202f", " ") in text
    # The hand-worked rows, changes included.
    assert "Réclamations reçues 4 3 +1 2 +2" in text
    assert (
        "Accusés de réception dus sur la période, dans les délais 33,3 % (3 jugés) 66,7 % (3 "
        "jugés) −33,4 pt 100,0 % (2 jugés) −66,7 pt" in text
    )
    assert "Réponses dues sur la période, dans les délais 0,0 % (1 jugé) 0,0 % (1 jugé) 0,0 pt — —"
    assert "Saisines du médiateur sur la période 1 0 +1 0 +1" in text
    assert "Réponses en retard (dossiers ouverts) 4 3 +1 0 +4" in text
    assert "Réponses dues en novembre 2025 : 0,0 % dans les délais (1 jugé" in text
    assert "Accusés de réception dus en novembre 2025 : 33,3 % dans les délais" in text
    # Every section names its view; the cohort is context, marked provisional.
    for view in VIEWS.values():
        assert view in text, view
    assert f"{VIEWS['cohort']} — novembre 2025 (provisoire) : délais" in text
    assert "Cohortes provisoires au 30/11/2025" in text
    for figure in (*REPORT_HEADLINES, *COHORT_FIGURES):  # the definitions, from FIGURES
        assert " ".join(figure.definition.split()) in text, figure.key


@pytest.fixture(scope="module")
def rendered(
    loaded: Store, tmp_path_factory: pytest.TempPathFactory
) -> tuple[MonthlyReport, bytes]:
    """The PDF written by `write_report`, charts rendered by kaleido on Chromium, once."""
    out = tmp_path_factory.mktemp("pdf") / "rapport.PDF"  # the suffix in any case
    write_report(loaded, month=MONTH, policy="cpms", as_of=AS_OF, out=out)
    return build_report(loaded, month=MONTH, policy="cpms", as_of=AS_OF), out.read_bytes()


def _images(content: bytes) -> list[bytes]:
    return [image.data for page in PdfReader(BytesIO(content)).pages for image in page.images]


@needs_browser
def test_the_pdf_first_page_states_its_terms(rendered: tuple[MonthlyReport, bytes]) -> None:
    report, content = rendered
    reader = PdfReader(BytesIO(content))
    first = " ".join(reader.pages[0].extract_text().split())
    assert "Rapport mensuel des réclamations Novembre 2025" in first
    assert "Engagement CPMS : accusé de réception sous 10 jours calendaires" in first
    assert "Date d'arrêté 30/11/2025" in first
    assert "Dernier import des données 15/12/2025 à 07:30" in first
    assert "octobre 2025, arrêté au 31/10/2025 ; novembre 2024, arrêté au 30/11/2024" in first
    assert "Réponses dues en novembre 2025 : 0,0 % dans les délais" in first
    assert f"Page 1 sur {len(reader.pages)}" in first
    width, height = reader.pages[0].mediabox.width, reader.pages[0].mediabox.height
    assert (round(float(width)), round(float(height))) == (595, 842)  # A4
    assert len(_images(content)) == len(FIGURE_TITLES)  # the trend charts
    assert reader.metadata is not None
    assert reader.metadata.creation_date == datetime.fromisoformat("2025-11-30T00:00:00+00:00")
    assert reader.metadata.title == report.title


@needs_browser
def test_the_same_report_gives_the_same_pdf(rendered: tuple[MonthlyReport, bytes]) -> None:
    report, content = rendered
    images = _images(content)
    assert pdf_bytes(report, images) == pdf_bytes(report, images)
