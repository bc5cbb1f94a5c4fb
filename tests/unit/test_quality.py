"""The import's column-wise findings are validation.contact_findings, record by record."""

import pandas as pd
import pytest

from cpms_metrics.quality import findings_frame
from cpms_metrics.validation import contact_findings

RECORDS = [
    {"reference": "R1", "channel": "email", "last_name": "Roux", "first_name": "Léa",
     "nir": "285052A12345680", "email": "lea@example.fr", "phone": "0123456789",
     "postal_address": "5 rue Geoffroy Marie 75009 Paris", "company": "ACME"},
    {"reference": "R2", "channel": "courrier", "last_name": "", "first_name": None,
     "nir": "185057800608437", "email": "lea@", "phone": "12", "postal_address": "",
     "company": ""},
    {"reference": "R3", "channel": "telephone", "last_name": "A", "first_name": "B",
     "nir": "", "email": "", "phone": "", "postal_address": "Paris", "company": "X"},
]  # fmt: skip

CONTACT_KINDS = {
    "nom_manquant", "nir_manquant", "nir_invalide", "email_invalide", "telephone_invalide",
    "code_postal_invalide", "entreprise_manquante", "coordonnees_manquantes",
}  # fmt: skip


@pytest.mark.parametrize("record", RECORDS, ids=lambda r: r["reference"])
def test_same_findings_as_the_one_record_rules(record):
    frame = findings_frame(pd.DataFrame([record]))
    got = [
        (r["kind"], r["field"], r["value"], r["message"])
        for r in frame.to_dict("records")
        if r["kind"] in CONTACT_KINDS
    ]
    expected = [(f.kind, f.column, f.value, f.message) for f in contact_findings(record)]
    assert got == expected


def test_other_channel_misrouting_and_late_ack():
    frame = findings_frame(
        pd.DataFrame(
            [
                {"reference": "R1", "channel": "email", "response_channel": "courrier",
                 "risk_carrier": "mutuelle", "mediator": "mediateur_ctip",
                 "acknowledged_on": "2025-03-02", "responded_on": "2025-03-01"},
            ]
        )
    )  # fmt: skip
    kinds = set(frame["kind"])
    assert {"canal_reponse_different", "mauvaise_orientation", "ar_apres_reponse"} <= kinds
