"""Case-level reads of cpms_metrics.worklist on a small database built by the real importer."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from cpms_metrics import Scope, Store, kpis, open_store, worklist
from cpms_metrics.ingest import import_file
from cpms_metrics.queries import backlog_scope
from cpms_metrics.settings import load_settings

AS_OF = date(2025, 12, 31)
HEADER = (
    "Référence;Date de réception;Canal;Nature;Objet;Numéro de sécurité sociale;Porteur de risque;"
    "Date d'accusé de réception;Date de réponse;Date de saisine du médiateur;Médiateur;Gestionnaire"
)
# cpms due dates: AR received + 10 days, answer + 2 months. Days left are counted from AS_OF.
ROWS = (
    # Open, AR sent: next deadline the answer, due 2025-12-20: overdue by 11 days.
    "A;20/10/2025;E-mail;Réclamation;Autre;;Assureur;22/10/2025;;;;Anne",
    # Open, no AR: next deadline the AR, due 2025-12-30 (overdue by 1 day).
    "B;20/12/2025;E-mail;Réclamation;Autre;269054958815780;;;;;;Anne",
    # Open, no AR, AR due 2026-01-02: 2 days left.
    "C;23/12/2025;Courrier;Réclamation;Cotisation;;;;;;;",
    # Open, AR sent, answer due 2026-01-08: 8 days left.
    "D;08/11/2025;Téléphone;Réclamation;Autre;;;09/11/2025;;;;Paul",
    # Open, AR sent, answer due 2026-02-15: 46 days left.
    "E;15/12/2025;E-mail;Réclamation;Autre;;;16/12/2025;;;;Paul",
    # Answered: not open.
    "F;01/12/2025;E-mail;Réclamation;Autre;;Mutuelle;02/12/2025;05/12/2025;20/12/2025;"
    "La Médiation de l'Assurance;Anne",
    # A request, not a complaint: never in the worklist.
    "G;21/12/2025;E-mail;Demande d'information;Autre;;;;;;;",
    # Answered late (due 2025-07-01, answered 2025-07-10), escalated to the right mediator.
    "H;01/05/2025;E-mail;Réclamation;Adhésion;;Assureur;03/05/2025;10/07/2025;01/08/2025;;Paul",
)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    export = tmp_path / "export.csv"
    export.write_text("\n".join((HEADER, *ROWS)) + "\n", encoding="utf-8")
    settings = load_settings({})
    opened = open_store(tmp_path / "cpms.duckdb", settings)
    import_file(
        opened,
        export,
        import_day=date(2026, 1, 5),
        imported_at=datetime(2026, 1, 5),
        objects=settings.objects,
    )
    yield opened
    opened.close()


SCOPE = Scope(AS_OF, "cpms")


def test_open_cases_most_urgent_first(store: Store) -> None:
    frame = worklist.open_cases(store, SCOPE, limit=None)
    assert list(frame["reference"]) == ["A", "B", "C", "D", "E"]
    assert list(frame["next_step"]) == ["answer", "ack", "ack", "answer", "answer"]
    assert list(frame["days_left"]) == [-11, -1, 2, 8, 46]
    assert list(frame["band"]) == ["overdue", "overdue", "due_3", "due_10", "later"]


def test_bands_count_in_sql_with_every_band(store: Store) -> None:
    assert worklist.open_case_bands(store, SCOPE) == {
        "overdue": 2,
        "due_3": 1,
        "due_10": 1,
        "later": 1,
    }
    empty = Scope(AS_OF, "cpms", "2020-01", "2020-12")
    assert worklist.open_case_bands(store, empty) == dict.fromkeys(worklist.BANDS, 0)


def test_pages_read_only_what_they_show(store: Store) -> None:
    first = worklist.open_cases(store, SCOPE, limit=2, offset=0)
    second = worklist.open_cases(store, SCOPE, limit=2, offset=2)
    assert list(first["reference"]) == ["A", "B"]
    assert list(second["reference"]) == ["C", "D"]
    assert worklist.count_open_cases(store, SCOPE) == 5


@pytest.mark.parametrize(
    ("bands", "handler", "expected"),
    [
        (("overdue",), None, ["A", "B"]),
        ((), "Paul", ["D", "E"]),
        ((), worklist.UNASSIGNED, ["C"]),
        (("due_3", "later"), None, ["C", "E"]),
    ],
)
def test_open_cases_filtered(
    store: Store, bands: tuple[str, ...], handler: str | None, expected: list[str]
) -> None:
    frame = worklist.open_cases(store, SCOPE, bands=bands, handler=handler)
    assert list(frame["reference"]) == expected
    assert worklist.count_open_cases(store, SCOPE, bands=bands, handler=handler) == len(expected)


def test_unknown_band_or_list_is_refused(store: Store) -> None:
    with pytest.raises(ValueError):
        worklist.open_cases(store, SCOPE, bands=("soon'; DROP TABLE complaints; --",))
    with pytest.raises(ValueError):
        worklist.count_cases(store, SCOPE, "complaints")
    with pytest.raises(ValueError):
        worklist.delay_distribution(store, SCOPE, "ack_days")


def test_handlers_of_open_cases(store: Store) -> None:
    assert worklist.open_case_handlers(store, SCOPE) == {"": 1, "Anne": 2, "Paul": 2}


def test_late_lists(store: Store) -> None:
    answers = worklist.list_cases(store, SCOPE, "answer_late")
    # Open and overdue first (A, 11 days), then answered late (H, 9 days).
    assert list(answers["reference"]) == ["A", "H"]
    assert list(answers["status"]) == ["overdue", "late"]
    assert list(answers["days_late"]) == [11, 9]
    assert worklist.count_cases(store, SCOPE, "answer_late") == 2
    assert list(worklist.list_cases(store, SCOPE, "ack_late")["reference"]) == ["B"]


def test_misrouted_referrals(store: Store) -> None:
    frame = worklist.list_cases(store, SCOPE, "misrouted")
    assert list(frame["reference"]) == ["F"]  # a mutuelle's case sent to the insurers' mediator
    assert frame["derived_mediator"].iloc[0] == "mediateur_mutualite"


def test_delay_distribution(store: Store) -> None:
    frame = worklist.delay_distribution(store, SCOPE, "answer")
    assert frame.to_dict("records") == [
        {"days": 4, "status": "on_time", "cases": 1},
        {"days": 70, "status": "late", "cases": 1},
    ]


def test_referral_delays(store: Store) -> None:
    assert worklist.referral_delays(store, SCOPE).to_dict("records") == [
        {"days": 19, "cases": 1},
        {"days": 92, "cases": 1},
    ]
    assert worklist.referral_delay_stats(store, SCOPE)["median_days"] == 55.5
    empty = Scope(AS_OF, "cpms", "2020-01", "2020-12")
    assert worklist.referral_delay_stats(store, empty) == {"median_days": None, "p90_days": None}


def test_answer_durations_censor_open_cases_at_as_of(store: Store) -> None:
    frame = worklist.answer_durations(store, SCOPE)
    open_days = frame[~frame["answered"]].set_index("days")["cases"].to_dict()
    # A 72, B 11, C 8, D 53, E 16 days open on 2025-12-31.
    assert open_days == {8: 1, 11: 1, 16: 1, 53: 1, 72: 1}


@pytest.mark.parametrize(
    ("durations", "expected"),
    [
        # No censoring: the share answered is the plain empirical one.
        ([(2, True, 1), (4, True, 1), (6, True, 2)], [0.25, 0.5, 1.0]),
        # Censored at 3 (still open after 3 days): out of the risk set after day 3, so the two
        # answers at day 5 answer both cases still observed -> 1 - (3/4 * 0/2) = 1, where
        # counting the open case as never answered would have said 3/4.
        ([(1, True, 1), (3, False, 1), (5, True, 2)], [0.25, 0.25, 1.0]),
        # Censored on an answer day: still at risk that day (answers come first), then out:
        # 1 - 3/4 = 0.25, then 2 at risk on day 4 -> 1 - 3/4 * 1/2 = 0.625.
        ([(2, True, 1), (2, False, 1), (4, True, 1), (9, False, 1)], [0.25, 0.625, 0.625]),
    ],
)  # fmt: skip
def test_time_to_answer_kaplan_meier(
    durations: list[tuple[int, bool, int]], expected: list[float]
) -> None:
    frame = pd.DataFrame(durations, columns=["days", "answered", "cases"])
    curve = worklist.time_to_answer(frame)
    assert curve["answered_share"].tolist() == pytest.approx(expected)


def test_answered_by() -> None:
    frame = pd.DataFrame(
        [(2, True, 1), (4, True, 1), (6, False, 2)], columns=["days", "answered", "cases"]
    )
    curve = worklist.time_to_answer(frame)
    assert worklist.answered_by(curve, 1) == 0.0
    assert worklist.answered_by(curve, 5) == 0.5
    assert worklist.answered_by(curve, 7) is None  # nobody observed that long
    assert worklist.answered_by(worklist.time_to_answer(frame.iloc[0:0]), 3) is None


def test_exports_open_cleanly_in_french_excel(store: Store) -> None:
    readable = worklist.readable_open_cases(worklist.open_cases(store, SCOPE, limit=None))
    data = worklist.to_csv_bytes(readable)
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel reads the accents right
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    header = dict(zip(rows[0], rows[2], strict=True))
    assert header["Référence"] == "B"
    assert header["Échéance"] == "30/12/2025"
    assert header["Jours de retard"] == "1"  # lateness reads positive
    assert header["Jours restants"] == ""
    assert header["Situation"] == "Hors délai"
    assert header["Prochaine étape"] == "Accusé de réception"
    assert header["NIR (masqué)"] == "2 69 05 49 ••• ••• 80"
    assert {"Cause", "Dysfonctionnement"} <= set(header)  # ACPR 2024-R-02 columns go out too
    assert b"269054958815780" not in data

    book = load_workbook(io.BytesIO(worklist.to_xlsx_bytes(readable)))
    sheet = book.active
    assert [c.value for c in sheet[1]][:3] == ["Référence", "Situation", "Prochaine étape"]
    due = sheet.cell(row=3, column=4)
    assert due.value == datetime(2025, 12, 30)
    assert due.number_format == "DD/MM/YYYY"
    # Printed landscape, one page wide, the header on every page.
    assert sheet.page_setup.orientation == "landscape"
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert (sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight) == (1, 0)
    assert sheet.print_title_rows == "$1:$1"
    assert zipfile.is_zipfile(io.BytesIO(worklist.to_xlsx_bytes(readable.iloc[0:0])))


def test_data_bounds_and_companies(store: Store) -> None:
    assert worklist.data_bounds(store) == (date(2025, 5, 1), date(2025, 12, 23), 8)
    assert worklist.companies(store) == []


@pytest.mark.parametrize("as_of", [AS_OF, date(2025, 12, 21), date(2026, 1, 3), date(2026, 3, 1)])
@pytest.mark.parametrize("policy", ["cpms", "acpr"])
def test_bands_agree_with_the_backlog_of_kpis(store: Store, as_of: date, policy: str) -> None:
    # The worklist reads `is_open`, `next_due` and the statuses from case_status: its bands are
    # the backlog (rules §7), whatever the period, as of any date and under both policies.
    scope = Scope(as_of, policy, "2025-12", "2025-12")
    backlog = kpis(store, as_of=as_of, scope=scope)["backlog"]
    bands = worklist.open_case_bands(store, backlog_scope(scope))
    assert sum(bands.values()) == backlog["open"]
    assert bands["due_3"] == backlog["due_within_3_days"]
    frame = worklist.open_cases(store, backlog_scope(scope), limit=None)
    overdue_step = (frame["ack_status"] == "overdue") | (frame["answer_status"] == "overdue")
    assert list(frame["band"] == "overdue") == list(overdue_step)
    assert (
        frame.loc[frame["answer_status"] == "overdue", "band"].eq("overdue").sum()
        == (backlog["response_overdue"])
    )


def test_misrouted_is_case_status_definition(store: Store) -> None:
    # F was referred on 2025-12-20: not yet a referral, hence not misrouted, the evening before.
    assert worklist.count_cases(store, Scope(date(2025, 12, 19), "cpms"), "misrouted") == 0
    assert worklist.count_cases(store, SCOPE, "misrouted") == 1
