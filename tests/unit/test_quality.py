"""The import's findings, computed in SQL, are validation.contact_findings record by record; the
SQL shortcuts for plainly valid values never accept what validation.py refuses."""

import csv
import io
import random
from datetime import date, datetime

import pytest

from cpms_metrics.ingest import import_file
from cpms_metrics.quality import FIELD_ORDER
from cpms_metrics.validation import contact_findings

RECORDS = [
    {"reference": "R1", "channel": "email", "last_name": "Roux", "first_name": "Léa",
     "nir": "285052A12345680", "email": "lea@example.fr", "phone": "0123456789",
     "postal_address": "5 rue Geoffroy Marie 75009 Paris", "company": "ACME"},
    {"reference": "R2", "channel": "courrier", "last_name": "", "first_name": "",
     "nir": "185057800608437", "email": "lea@", "phone": "12", "postal_address": "",
     "company": ""},
    {"reference": "R3", "channel": "telephone", "last_name": "A", "first_name": "B",
     "nir": "", "email": "", "phone": "", "postal_address": "Paris", "company": "X"},
    {"reference": "R4", "channel": "email", "last_name": "A", "first_name": "B",
     "nir": "2 85 05 2A 123 456 81", "email": "a..b@x.fr", "phone": "+33 (0)1 47 70 30 97",
     "postal_address": "TSA 50110, 75441 Paris Cedex 09", "company": "X"},
]  # fmt: skip
CONTACT_KINDS = {
    "nom_manquant", "nir_manquant", "nir_invalide", "email_invalide", "telephone_invalide",
    "code_postal_invalide", "entreprise_manquante", "coordonnees_manquantes",
}  # fmt: skip


def _export(records, extra=None):
    columns = ["reference", "received_on", "nature", "object", *RECORDS[0].keys()]
    columns = list(dict.fromkeys(columns + list(extra or [])))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, delimiter=";")
    writer.writeheader()
    for record in records:
        writer.writerow(
            {"received_on": "2025-02-03", "nature": "reclamation", "object": "autre", **record}
        )
    return out.getvalue()


def _findings(store, tmp_path, text):
    path = tmp_path / "e.csv"
    path.write_text(text, encoding="utf-8")
    import_file(
        store, path, import_day=date(2025, 4, 1), imported_at=datetime(2025, 4, 1),
        objects=("autre",),
    )  # fmt: skip
    with store.cursor() as cur:
        return cur.execute("SELECT reference, kind, field, value, message FROM findings").fetchall()


def test_same_findings_as_the_one_record_rules(store, tmp_path):
    found = _findings(store, tmp_path, _export(RECORDS))
    for record in RECORDS:
        got = sorted(
            (FIELD_ORDER.index(f), k, v, m)
            for r, k, f, v, m in found
            if r == record["reference"] and k in CONTACT_KINDS
        )
        expected = sorted(
            (FIELD_ORDER.index(f.column), f.kind, f.value, f.message)
            for f in contact_findings(record)
        )
        assert got == expected, record["reference"]


def test_other_channel_misrouting_and_late_ack(store, tmp_path):
    record = {**RECORDS[0], "response_channel": "courrier", "risk_carrier": "mutuelle",
              "mediator": "mediateur_ctip", "acknowledged_on": "2025-03-02",
              "responded_on": "2025-03-01"}  # fmt: skip
    found = _findings(store, tmp_path, _export([record], extra=record.keys()))
    kinds = {k for _, k, *_ in found}
    assert {"canal_reponse_different", "mauvaise_orientation", "ar_apres_reponse"} <= kinds


def _variants(rng: random.Random, alphabet: str, base: str, count: int) -> list[str]:
    values = []
    for _ in range(count):
        chars = list(base)
        for _ in range(rng.randint(0, 3)):
            position = rng.randrange(len(chars) + 1)
            action = rng.random()
            if action < 0.4 and chars:
                chars[min(position, len(chars) - 1)] = rng.choice(alphabet)
            elif action < 0.7:
                chars.insert(position, rng.choice(alphabet))
            elif chars:
                del chars[min(position, len(chars) - 1)]
        values.append("".join(chars))
    return values


@pytest.mark.parametrize(
    "column, base, alphabet",
    [
        ("nir", "2 85 05 2A 123 456 80", "0123456789AB .-"),
        ("email", "lea.roux@example.fr", "ab.@-_+é "),
        ("phone", "01 47 70 30 97", "0123456789 .+()"),
        ("postal_address", "5 rue X, 75009 Paris", "0123456789 ,TSAC"),
    ],
)
def test_sql_shortcut_never_accepts_what_python_refuses(store, tmp_path, column, base, alphabet):
    rng = random.Random(column)
    values = sorted(set(_variants(rng, alphabet, base, 400)) - {""})
    records = [
        {**RECORDS[0], "reference": f"V{i}", column: value} for i, value in enumerate(values)
    ]
    found = _findings(store, tmp_path, _export(records))
    kinds = {"nir": "nir_invalide", "email": "email_invalide", "phone": "telephone_invalide",
             "postal_address": "code_postal_invalide"}  # fmt: skip
    flagged = {r for r, k, *_ in found if k == kinds[column]}
    for record in records:
        expected = any(f.kind == kinds[column] for f in contact_findings(record))
        assert (record["reference"] in flagged) == expected, record[column]
