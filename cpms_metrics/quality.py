"""Data-quality findings of stored cases, computed column by column over a whole frame.

The per-value rules are validation.py's; this module applies them to many records at once (each
distinct value checked once). `validation.contact_findings` is the one-record reading of the same
rules, and a test holds the two equal.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from .fields import CHANNELS, COLUMN_BY_NAME, MEDIATOR_BY_CARRIER, MEDIATORS, label
from .validation import (
    email_problem,
    mask_nir,
    nir_problem,
    phone_problem,
    postcode_problem,
)

FINDING_COLUMNS = ["reference", "kind", "field", "value", "message"]

_CONTACT_FOR_CHANNEL = {"telephone": "phone", "email": "email", "courrier": "postal_address"}
_NO_CONTACT_MESSAGE = {
    "phone": "réclamation reçue par téléphone sans numéro pour rappeler",
    "email": "réclamation reçue par voie électronique sans adresse électronique pour répondre",
    "postal_address": "réclamation reçue par courrier sans adresse postale pour répondre",
}
_VALUE_RULES: tuple[tuple[str, str, Callable[[str], str | None]], ...] = (
    ("nir", "nir_invalide", nir_problem),
    ("email", "email_invalide", email_problem),
    ("phone", "telephone_invalide", phone_problem),
    ("postal_address", "code_postal_invalide", postcode_problem),
)
# Order of columns in which findings of one record are listed (validation.contact_findings').
_ORDER = {
    c: i
    for i, c in enumerate(
        ("last_name", "first_name", "nir", "email", "phone", "postal_address", "company")
    )
}


def _present(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame.columns:
        return pd.Series("", index=frame.index, dtype=object)
    return frame[column].fillna("").astype(str).str.strip()


def findings_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Every soft finding of every record in `frame` (canonical columns, ISO dates as text)."""
    parts: list[pd.DataFrame] = []
    reference = _present(frame, "reference")

    def add(mask: pd.Series, kind: str, column: str, value: object, message: object) -> None:
        if mask.any():
            parts.append(
                pd.DataFrame(
                    {
                        "reference": reference[mask],
                        "kind": kind,
                        "field": column,
                        "value": value[mask] if isinstance(value, pd.Series) else value,
                        "message": message[mask] if isinstance(message, pd.Series) else message,
                    }
                )
            )

    add(_present(frame, "last_name") == "", "nom_manquant", "last_name", "", "nom absent")
    add(_present(frame, "first_name") == "", "nom_manquant", "first_name", "", "prénom absent")
    nir = _present(frame, "nir")
    add(nir == "", "nir_manquant", "nir", "", "numéro de sécurité sociale absent")

    channel = _present(frame, "channel")
    needed = channel.map(_CONTACT_FOR_CHANNEL)
    for column, kind, rule in _VALUE_RULES:
        values = _present(frame, column)
        empty = values == ""
        if column != "nir":
            add(
                empty & (needed == column),
                "coordonnees_manquantes",
                column,
                "",
                _NO_CONTACT_MESSAGE[column],
            )
        reasons = values.map({v: rule(v) for v in values[~empty].unique()})
        bad = ~empty & reasons.notna()
        shown = values[bad].map(mask_nir) if column == "nir" else values
        add(bad, kind, column, shown.reindex(frame.index), reasons)
    add(
        _present(frame, "company") == "",
        "entreprise_manquante",
        "company",
        "",
        "entreprise / souscripteur absent",
    )

    response_channel = _present(frame, "response_channel")
    other_channel = (response_channel != "") & (channel != "") & (response_channel != channel)
    add(
        other_channel,
        "canal_reponse_different",
        "response_channel",
        response_channel.map(lambda v: label(CHANNELS, v)),
        "réponse par "
        + response_channel.map(lambda v: label(CHANNELS, v).lower())
        + " à une réclamation reçue par "
        + channel.map(lambda v: label(CHANNELS, v).lower()),
    )

    mediator = _present(frame, "mediator")
    derived = _present(frame, "risk_carrier").map(MEDIATOR_BY_CARRIER).astype(object)
    misrouted = (mediator != "") & derived.notna() & (mediator != derived)
    add(
        misrouted,
        "mauvaise_orientation",
        "mediator",
        mediator.map(lambda v: label(MEDIATORS, v)),
        derived.map(lambda v: f"le porteur de risque relève de : {label(MEDIATORS, v)}"),
    )

    acknowledged = _present(frame, "acknowledged_on")
    responded = _present(frame, "responded_on")
    add(
        (acknowledged != "") & (responded != "") & (acknowledged > responded),
        "ar_apres_reponse",
        "acknowledged_on",
        acknowledged,
        "accusé de réception daté après la réponse (la réponse vaut accusé de réception)",
    )

    if not parts:
        return pd.DataFrame(columns=FINDING_COLUMNS)
    found = pd.concat(parts)
    found["_row"] = found.index
    found["_col"] = found["field"].map(_ORDER).fillna(len(_ORDER))
    found = found.sort_values(["_row", "_col"], kind="stable")
    return found[FINDING_COLUMNS].reset_index(drop=True)


def column_label(column: str) -> str:
    return COLUMN_BY_NAME[column].header if column in COLUMN_BY_NAME else column
