"""ACPR 2024-R-02 in the store: the optional columns at import (unknown values and bad amounts are
findings, not rejects), recurrence after a closed action, repeat complainants matched on the NIR."""

from __future__ import annotations

from datetime import UTC, date, datetime

from cpms_metrics import kpis
from cpms_metrics.dysfunctions import (
    count_repeat_complainants,
    create_dysfunction,
    recurrence,
    repeat_complainants,
    update_dysfunction,
)

AT = datetime(2025, 9, 1, 10, tzinfo=UTC)
HEADER = "Référence;Date de réception;Canal;Nature;Objet;Numéro de sécurité sociale;Date de réponse;Suite donnée;Geste / indemnisation;Cause;Dysfonctionnement\n"  # noqa: E501
NIR = "269054958815780"


def _row(ref, received, outcome="", amount="", cause="", nir="", answered="", dys=""):
    return f"{ref};{received};E-mail;Réclamation;Remboursement;{nir};{answered};{outcome};{amount};{cause};{dys}\n"  # noqa: E501


def test_optional_columns_load_with_findings_not_rejects(store, load_text):
    text = HEADER + "".join(
        (
            _row(
                "A1",
                "06/01/2025",
                "Fondée",
                "1 234,56",
                "Erreur de gestion",
                answered="10/01/2025",
                dys="DYS-1",
            ),
            _row(
                "A2", "07/01/2025", "partiellement fondee", "10.5", "Retard", answered="10/01/2025"
            ),
            _row("A3", "08/01/2025", "Non fondée", "", "", answered="10/01/2025"),
            _row("A4", "09/01/2025", "Peut-être", "-3", "Météo", answered="10/01/2025"),
            _row("A5", "09/01/2025", "", "douze", "", answered="10/01/2025"),
            _row("A6", "09/01/2025", "Fondée", "50"),  # not answered: out of the block
        )
    )
    report = load_text(text)
    assert report.rejected == 0 and report.added == 6
    with store.cursor() as cur:
        rows = dict(
            (r[0], r[1:])
            for r in cur.execute(
                "SELECT reference, outcome, redress_amount, cause, dysfunction FROM complaints"
            ).fetchall()
        )
        findings = cur.execute(
            "SELECT reference, kind, field FROM findings WHERE reference IN ('A4', 'A5') "
            "AND kind IN ('valeur_inconnue', 'montant_illisible')"
        ).fetchall()
    assert rows["A1"] == ("fondee", 1234.56, "erreur_gestion", "DYS-1")
    assert rows["A2"] == ("partiellement_fondee", 10.5, "delai_traitement", None)
    assert rows["A4"] == (None, None, None, None)
    assert set(findings) == {
        ("A4", "valeur_inconnue", "outcome"),
        ("A4", "valeur_inconnue", "cause"),
        ("A4", "valeur_inconnue", "redress_amount"),
        ("A5", "valeur_inconnue", "redress_amount"),
    }
    block = kpis(store, as_of=date(2025, 3, 31))["outcome"]
    assert block == {
        "fondee": 1, "partiellement_fondee": 1, "non_fondee": 1, "not_recorded": 2,
        "founded_rate": 2 / 3, "redress_total": 1245.06,
    }  # fmt: skip
    assert kpis(store, as_of=date(2025, 1, 9))["outcome"] == {
        "fondee": 0, "partiellement_fondee": 0, "non_fondee": 0, "not_recorded": 0,
        "founded_rate": None, "redress_total": 0.0,
    }  # fmt: skip


def test_recurrence_counts_same_object_and_cause_around_the_closing(store, load_text):
    rows = [
        _row("B1", "15/03/2025", cause="Erreur de gestion"),  # 3.5 months before: out
        _row("B2", "10/04/2025", cause="Erreur de gestion"),  # before
        _row("B3", "20/06/2025", cause="Erreur de gestion"),  # before
        _row("B4", "01/07/2025", cause="Erreur de gestion"),  # the closing day: after
        _row("B5", "15/08/2025", cause="Délai de traitement"),  # another cause
    ]
    assert load_text(HEADER + "".join(rows), import_day=date(2025, 9, 1)).rejected == 0
    values = {
        "identifier": "DYS-7",
        "title": "Doublons",
        "object": "remboursement",
        "cause": "erreur_gestion",
        "detected_on": date(2025, 3, 1),
        "status": "en_cours",
    }
    create_dysfunction(store, values, who="q@cpms.fr", at=AT, today=date(2025, 9, 1))
    assert recurrence(store, "DYS-7") is None  # not closed yet
    update_dysfunction(store, "DYS-7", {"status": "clos", "closed_on": date(2025, 7, 1)},
                       who="q@cpms.fr", at=AT, today=date(2025, 9, 1))  # fmt: skip
    found = recurrence(store, "DYS-7")
    assert found is not None
    assert (found["before"], found["after"], found["recurred"]) == (2, 1, True)
    assert found["before_from"] == date(2025, 4, 1) and found["after_to"] == date(2025, 10, 1)


def test_repeat_complainants_are_matched_on_the_nir_and_masked(store, load_text):
    rows = [
        _row("C1", "10/01/2025", nir=NIR),
        _row("C2", "10/06/2025", nir=NIR),
        _row("C3", "10/06/2024", nir="168087510933936"),  # more than 12 months before
        _row("C4", "10/08/2025", nir="168087510933936"),
        _row("C5", "11/08/2025"),
    ]
    assert load_text(HEADER + "".join(rows), import_day=date(2025, 9, 1)).rejected == 0
    assert count_repeat_complainants(store, as_of=date(2025, 9, 1)) == 1
    listed = repeat_complainants(store, as_of=date(2025, 9, 1))
    assert list(listed["complaints"]) == [2] and listed["references"].iloc[0] == "C1, C2"
    assert NIR not in listed.to_csv()
    assert count_repeat_complainants(store, as_of=date(2025, 5, 1)) == 0
