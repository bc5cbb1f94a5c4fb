"""KPI figures on a small French export; every expected figure is worked out by hand below.

Cases (all complaints but F), as of 2025-03-31:
  A  received Mon 2025-01-06 by e-mail (sent Sun 01-05), adhésion; AR 01-10; answer 02-20 by e-mail
  B  received Wed 01-15 by post (sent Fri 01-10), remboursement, institution de prévoyance;
     AR 01-30 (late); answer 03-20 by e-mail (late, other channel); mediator referral 03-25
  C  received Mon 02-03 by phone, remboursement; no AR, answered 02-10 (the answer is the AR)
  D  received Mon 03-03 by e-mail, cotisation; nothing done yet
  E  received Tue 03-25 by post (sent Fri 03-21), remboursement; AR 04-02, after the as-of date
  F  received 02-10, a request for information: not a complaint
  G  received 04-05: after the as-of date, does not exist yet
  H  received Fri 2024-12-20 by e-mail, résiliation; AR 12-23; answer 2025-01-10 by e-mail;
     referred 02-01 to the Médiation de l'assurance though its carrier is an institution
"""

from __future__ import annotations

from datetime import date

import pytest

from cpms_metrics import kpis

EXPORT = """\
Référence;Date de réception;Date d'envoi;Canal;Nature;Objet;Nom;Prénom;Porteur de risque;\
Date d'accusé de réception;Date de réponse;Canal de réponse;Date de saisine du médiateur;Médiateur
A;06/01/2025;05/01/2025;Courriel;Réclamation;Adhésion;Lefèvre;Zoé;Assureur;10/01/2025;\
20/02/2025 14:32;Courriel;;
B;15/01/2025;10/01/2025;Courrier;Réclamation;Remboursement;Œuvre;Gaëlle;Institution de prévoyance;\
30/01/2025;20/03/2025;E-mail;25/03/2025;
C;03/02/2025;;Téléphone;Réclamation;REMBOURSEMENT;Petit;Noé;Assureur;;10/02/2025;Téléphone;;
D;03/03/2025;03/03/2025;Mail;Réclamation;cotisation;Roux;Léa;Mutuelle;;;;;
E;25/03/2025;21/03/2025;Voie postale;Réclamation;Remboursement;Blanc;Éloi;Assureur;02/04/2025;;;;
F;10/02/2025;;Mail;Demande d'information;Adhésion;Noir;Ana;Assureur;;11/02/2025;Mail;;
G;05/04/2025;;Mail;Réclamation;Adhésion;Vert;Ugo;Assureur;;;;;
H;20/12/2024;;Mail;Réclamation;Résiliation;Brun;Lou;Institution de prévoyance;23/12/2024;\
10/01/2025;Mail;01/02/2025;Médiation de l'assurance
"""


@pytest.fixture
def loaded(store, load_text):
    report = load_text(EXPORT, encoding="cp1252")
    assert report.rejected == 0 and report.added == 8
    return store


def test_full_period_cpms(loaded):
    result = kpis(loaded, as_of=date(2025, 3, 31))
    assert result["as_of"] == "2025-03-31"
    assert result["policy"] == "cpms"
    assert result["period"] == {"from": None, "to": None}
    assert result["complaints"] == 6  # A B C D E H; G not yet received
    assert result["non_complaints"] == 1  # F
    # AR due: A 01-16, B 01-25, C 02-13, D 03-13, E 04-04, H 12-30
    assert result["ack"] == {
        "on_time": 3,  # A, C (by its answer), H
        "late": 1,  # B
        "overdue": 1,  # D
        "pending": 1,  # E: its AR of 04-02 has not happened by 03-31
        "untracked": 0,  # every step tracked by the file
        "compliance_rate": 3 / 5,
        "median_days": 5.5,  # days 3, 4, 7, 15
        "p90_days": pytest.approx(12.6),  # 7 + 0.7 × (15 − 7)
    }
    # answer due: A 03-06, B 03-15, C 04-03, D 05-03, E 05-25, H 02-20
    assert result["response"] == {
        "on_time": 3,  # A, C, H
        "late": 1,  # B
        "overdue": 0,
        "pending": 2,  # D, E
        "untracked": 0,
        "compliance_rate": 3 / 4,
        "median_days": 33.0,  # days 7, 21, 45, 64
        "p90_days": pytest.approx(58.3),  # 45 + 0.7 × (64 − 45)
    }
    assert result["escalation"] == {
        "escalated": 2,
        "rate": pytest.approx(2 / 6),
        # B has no recorded mediator: its carrier's; H keeps its recorded (misrouted) one
        "by_mediator": {"mediateur_ctip": 1, "mediation_assurance": 1},
    }
    # written and answered: A same, B other channel, H same
    assert result["same_channel_rate"] == pytest.approx(2 / 3)
    assert result["by_object"] == [
        {
            "object": "remboursement",
            "complaints": 3,
            "ack_compliance_rate": 0.5,  # B late, C on time, E pending
            "response_compliance_rate": 0.5,
            "escalation_rate": pytest.approx(1 / 3),
        },
        {
            "object": "adhesion",
            "complaints": 1,
            "ack_compliance_rate": 1.0,
            "response_compliance_rate": 1.0,
            "escalation_rate": 0.0,
        },
        {
            "object": "cotisation",
            "complaints": 1,
            "ack_compliance_rate": 0.0,  # D overdue
            "response_compliance_rate": None,  # D pending: nothing judged yet
            "escalation_rate": 0.0,
        },
        {
            "object": "resiliation",
            "complaints": 1,
            "ack_compliance_rate": 1.0,
            "response_compliance_rate": 1.0,
            "escalation_rate": 1.0,
        },
    ]
    assert result["by_month"] == [
        {
            "month": "2024-12",
            "complaints": 1,
            "ack_compliance_rate": 1.0,
            "response_compliance_rate": 1.0,
            "escalation_rate": 1.0,
        },
        {
            "month": "2025-01",
            "complaints": 2,
            "ack_compliance_rate": 0.5,
            "response_compliance_rate": 0.5,
            "escalation_rate": 0.5,
        },
        {
            "month": "2025-02",  # F is in this month but is not a complaint
            "complaints": 1,
            "ack_compliance_rate": 1.0,
            "response_compliance_rate": 1.0,
            "escalation_rate": 0.0,
        },
        {
            "month": "2025-03",
            "complaints": 2,
            "ack_compliance_rate": 0.0,
            "response_compliance_rate": None,
            "escalation_rate": 0.0,
        },
    ]


def test_acpr_policy_counts_from_sending_and_jours_ouvrables(loaded):
    result = kpis(loaded, as_of=date(2025, 3, 31), policy="acpr")
    # AR due (10th jour ouvrable): A 01-16 (from 01-05), B 01-22 (from 01-10), C 02-14,
    # D 03-14, E 04-02 (from 03-21), H 2025-01-04 (Christmas and New Year skipped)
    assert result["ack"]["on_time"] == 3
    assert result["ack"]["late"] == 1
    assert result["ack"]["overdue"] == 1
    assert result["ack"]["pending"] == 1
    assert result["ack"]["median_days"] == 6.0  # days 3, 5, 7, 20 from the sending
    assert result["ack"]["p90_days"] == pytest.approx(16.1)
    # answer due: A 03-05, B 03-10 (late), C 04-03, H 02-20
    assert result["response"]["on_time"] == 3
    assert result["response"]["late"] == 1
    assert result["response"]["median_days"] == 33.5  # days 7, 21, 46, 69
    assert result["response"]["p90_days"] == pytest.approx(62.1)


def test_period_bounds_cohorts(loaded):
    result = kpis(loaded, as_of=date(2025, 3, 31), month_from="2025-01", month_to="2025-02")
    assert result["period"] == {"from": "2025-01", "to": "2025-02"}
    assert result["complaints"] == 3  # A B C
    assert result["non_complaints"] == 1
    assert result["ack"]["compliance_rate"] == pytest.approx(2 / 3)
    assert [m["month"] for m in result["by_month"]] == ["2025-01", "2025-02"]
    assert result["escalation"]["by_mediator"] == {"mediateur_ctip": 1}


def test_as_of_reproduces_an_earlier_evening(loaded):
    result = kpis(loaded, as_of=date(2025, 2, 15))
    # A, B, C, H exist; A and B not yet answered; D, E, G not yet received; F exists
    assert result["complaints"] == 4
    assert result["non_complaints"] == 1
    assert result["ack"]["on_time"] == 3 and result["ack"]["late"] == 1
    assert result["response"]["on_time"] == 2
    assert result["response"]["pending"] == 2
    assert result["response"]["compliance_rate"] == 1.0
    assert result["escalation"]["escalated"] == 1  # H, referred 02-01
    assert result["same_channel_rate"] == 1.0  # only H answered among written ones


def test_escalation_after_as_of_is_not_counted(loaded):
    result = kpis(loaded, as_of=date(2025, 3, 24))
    assert result["complaints"] == 5
    assert result["escalation"]["escalated"] == 1
    assert result["escalation"]["by_mediator"] == {"mediation_assurance": 1}


def test_nothing_to_judge_gives_null_not_zero(store):
    result = kpis(store, as_of=date(2025, 3, 31))
    assert result["complaints"] == 0
    assert result["ack"]["compliance_rate"] is None
    assert result["ack"]["median_days"] is None
    assert result["response"]["p90_days"] is None
    assert result["escalation"]["rate"] is None
    assert result["same_channel_rate"] is None
    assert result["by_object"] == [] and result["by_month"] == []


def test_period_without_complaints(loaded):
    result = kpis(loaded, as_of=date(2025, 3, 31), month_from="2023-01", month_to="2023-12")
    assert result["complaints"] == 0
    assert result["ack"]["compliance_rate"] is None


def test_cpc_642_extension_moves_due_dates(tmp_path, load_text):
    from cpms_metrics.ingest import import_file
    from cpms_metrics.settings import Settings
    from cpms_metrics.store import open_store

    path = tmp_path / "one.csv"
    # received Thu 2026-04-30: AR due Sun 05-10, or Mon 05-11 with the extension; AR on 05-11
    path.write_text(
        "reference,received_on,channel,nature,object,acknowledged_on\n"
        "X,2026-04-30,email,reclamation,autre,2026-05-11\n"
    )
    for extend, expected in ((False, "late"), (True, "on_time")):
        settings = Settings(extend_to_working_day=extend)
        with open_store(tmp_path / f"db{extend}.duckdb", settings) as store:
            import_file(
                store,
                path,
                import_day=date(2026, 6, 1),
                imported_at=__import__("datetime").datetime(2026, 6, 1),
                objects=settings.objects,
            )
            result = kpis(store, as_of=date(2026, 6, 1))
            assert result["ack"][expected] == 1


def test_monthly_by_object_in_one_scan_equals_monthly_per_object(loaded):
    import pandas as pd

    from cpms_metrics.queries import Scope, monthly, monthly_by

    scope = Scope(as_of=date(2025, 3, 31))
    parts = monthly_by(loaded, scope, "object")
    whole = monthly(loaded, scope)
    assert set(parts) == {"adhesion", "cotisation", "remboursement", "resiliation"}
    for key, frame in parts.items():
        alone = monthly(loaded, Scope(as_of=scope.as_of, objects=(key,)))

        def plain(f: pd.DataFrame) -> pd.DataFrame:  # None and NaN both mean "no figure"
            f = f.astype(object)
            return f.where(f.notna(), None)

        # Provisional is the cohort month's flag, the same for every object (and the overview):
        # each part reads the whole month's latest answer deadline.
        own = [c for c in alone.columns if c not in ("last_answer_due", "provisional")]
        pd.testing.assert_frame_equal(plain(frame[own]), plain(alone[own]))
        flags = whole.set_index("key")["provisional"]
        assert list(frame["provisional"]) == [flags[month] for month in frame["key"]]


def test_backlog_counts_every_open_complaint_whatever_the_period(loaded):
    # As of 2025-04-01 the open complaints are D and E (G is not received yet); a period that
    # holds neither of them does not change the backlog (rules §7).
    for period in ((None, None), ("2025-01", "2025-01")):
        result = kpis(loaded, as_of=date(2025, 4, 1), month_from=period[0], month_to=period[1])
        assert result["backlog"] == {
            "open": 2,  # D, E
            "ack_overdue": 1,  # D: AR due 03-13, none yet
            "response_overdue": 0,  # D's answer is due 05-03, E's 05-25
            "due_within_3_days": 1,  # E: AR due 04-04, 3 days after 04-01
        }


def test_deadlines_that_fell_in_a_month(loaded):
    result = kpis(loaded, as_of=date(2025, 3, 31), month_from="2025-03", month_to="2025-03")
    # AR due in March: D (03-13), not done -> overdue. Answers due in March: A (03-06, answered
    # 02-20: on time) and B (03-15, answered 03-20: late). Referred in March: B (03-25).
    assert result["due"] == {
        "ack": {
            "on_time": 0,
            "late": 0,
            "overdue": 1,
            "pending": 0,
            "untracked": 0,
            "compliance_rate": 0.0,
        },
        "response": {
            "on_time": 1,
            "late": 1,
            "overdue": 0,
            "pending": 0,
            "untracked": 0,
            "compliance_rate": 0.5,
        },
        "referrals": 1,
    }
    february = kpis(loaded, as_of=date(2025, 3, 31), month_from="2025-02", month_to="2025-02")
    # AR due in February: C (02-13, answered 02-10); answers due: H (02-20, answered 01-10);
    # referred in February: H (02-01), although H was received in December.
    assert february["due"]["ack"]["on_time"] == 1
    assert february["due"]["response"] == {
        "on_time": 1, "late": 0, "overdue": 0, "pending": 0, "untracked": 0, "compliance_rate": 1.0,
    }  # fmt: skip
    assert february["due"]["referrals"] == 1
    # Nothing fell due in a month with no deadline: no rate, never 0 % or 100 %.
    empty = kpis(loaded, as_of=date(2025, 3, 31), month_from="2024-06", month_to="2024-06")
    assert empty["due"]["ack"]["compliance_rate"] is None
    assert empty["due"]["response"]["compliance_rate"] is None
