"""Cases typed in the form: the import's rules, unique references, follow-up with history."""

from __future__ import annotations

import threading
from datetime import date, datetime

import pytest

from cpms_metrics import kpis
from cpms_metrics.cases import case_history, find_cases, get_case, save_case, update_case
from cpms_metrics.errors import ValidationError
from cpms_metrics.settings import Settings

TODAY = date(2025, 3, 10)
AT = datetime(2025, 3, 10, 9, 30)
OBJECTS = Settings().objects
WRITTEN = {
    "received_on": date(2025, 3, 7),  # a Friday
    "sent_on": date(2025, 3, 5),
    "channel": "courrier",
    "nature": "reclamation",
    "object": "remboursement",
    "last_name": "Lefèvre",
    "first_name": "Zoé",
    "nir": "2 85 05 2A 123 456 80",
    "postal_address": "5 rue Geoffroy Marie 75009 Paris",
    "email": "zoe.lefevre@example.fr",
    "phone": "01 47 70 30 97",
    "company": "Clinique du Parc",
    "risk_carrier": "institution_prevoyance",
    "description": "Remboursement non reçu.",
}


def save(store, **changes):
    return save_case(store, {**WRITTEN, **changes}, today=TODAY, at=AT, objects=OBJECTS)


def test_a_valid_written_complaint_is_saved_and_counted(store):
    saved = save(store)
    assert saved.reference == "SAI-2025-000001"
    assert saved.due["cpms"].acknowledgement == date(2025, 3, 17)
    assert saved.due["cpms"].answer == date(2025, 5, 7)
    # acpr counts from the sending (Wed 03-05): Thu 6 … Sat 15 = 9, Mon 17 = 10th jour ouvrable
    assert saved.due["acpr"].acknowledgement == date(2025, 3, 17)
    assert saved.due["acpr"].answer == date(2025, 5, 5)
    assert saved.mediator == "mediateur_ctip"
    assert "Cambacérès" in (saved.mediator_address or "")
    assert kpis(store, as_of=TODAY)["complaints"] == 1


def test_every_problem_is_listed_and_nothing_is_saved(store):
    with pytest.raises(ValidationError) as caught:
        save(store, nir="2 85 05 2A 123 456 81", company="", sent_on=date(2025, 3, 8))
    problems = caught.value.problems
    assert problems["Numéro de sécurité sociale"] == "clé de contrôle incorrecte"
    assert "obligatoire" in problems["Entreprise / Souscripteur"]
    assert "Date d'envoi postérieure" in problems["Date d'envoi"]
    assert kpis(store, as_of=TODAY)["complaints"] == 0


def test_phone_complaint_without_nir_or_address_becomes_findings(store):
    saved = save(store, channel="telephone", nir="", postal_address="", sent_on=None)
    with store.cursor() as cur:
        kinds = {
            k for (k,) in cur.execute(
                "SELECT kind FROM findings WHERE reference = ?", [saved.reference]
            ).fetchall()
        }  # fmt: skip
    assert kinds == {"nir_manquant"}


def test_a_request_is_recorded_outside_the_figures(store):
    save(store, nature="demande_information", company="")
    result = kpis(store, as_of=TODAY)
    assert (result["complaints"], result["non_complaints"]) == (0, 1)


def test_given_reference_must_be_unique(store):
    save(store, reference="R-1")
    with pytest.raises(ValidationError, match="déjà utilisée"):
        save(store, reference="R-1")


def test_concurrent_saves_get_distinct_references(store):
    references: list[str] = []
    errors: list[BaseException] = []

    def worker():
        try:
            references.append(save(store).reference)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(set(references)) == 8
    assert kpis(store, as_of=TODAY)["complaints"] == 8


def test_follow_up_keeps_history_and_checks_chronology(store):
    reference = save(store).reference
    with pytest.raises(ValidationError, match="antérieure"):
        update_case(
            store,
            reference,
            {"responded_on": date(2025, 3, 6)},
            today=TODAY,
            at=AT,
            objects=OBJECTS,
        )
    changed = update_case(
        store,
        reference,
        {"acknowledged_on": date(2025, 3, 8), "responded_on": date(2025, 3, 10),
         "response_channel": "courrier"},
        today=TODAY, at=datetime(2025, 3, 10, 11), objects=OBJECTS,
    )  # fmt: skip
    assert changed == 1
    case = get_case(store, reference)
    assert case is not None and case["response_channel"] == "courrier"
    history = case_history(store, reference)
    assert history["action"].tolist()[0] == "creation"
    assert set(history.loc[history["action"] == "modification", "field"]) == {
        "acknowledged_on",
        "responded_on",
        "response_channel",
    }
    assert kpis(store, as_of=TODAY)["response"]["on_time"] == 1


def test_find_by_reference_or_name_without_accents(store):
    reference = save(store).reference
    assert find_cases(store, "lefevre")["reference"].tolist() == [reference]
    assert find_cases(store, reference[-3:])["reference"].tolist() == [reference]
    assert find_cases(store, "inconnu").empty


def test_a_typed_case_ends_the_sample_notice(store):
    from cpms_metrics.demo import is_sample

    with store.transaction() as cur:
        cur.execute("INSERT OR REPLACE INTO meta VALUES ('sample', '1')")
    assert is_sample(store)
    save(store)
    assert not is_sample(store)
