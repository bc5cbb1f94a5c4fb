"""Field rules for personal and contact data: NIR, e-mail, phone, postcode, required fields.

One set of rules serves the import (soft findings on each accepted row) and the entry form (problems
to fix before saving). Pure functions, cheap on the valid path: the import calls them per value.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from stdnum.fr.nir import calc_check_digits

from cpms_metrics.fields import COLUMN_BY_NAME

# --- Dates -----------------------------------------------------------------------------------

# Before this day a date is a typing slip (0001, 1900, 1925 for 2025), not a complaint's.
EARLIEST_DATE = date(1990, 1, 1)


def early_date_problem(header: str) -> str:
    """The reason a date before EARLIEST_DATE is rejected, for the column headed `header`."""
    return f"{header} antérieure au {EARLIEST_DATE:%d/%m/%Y} : date invraisemblable"


# --- NIR (numéro de sécurité sociale) --------------------------------------------------------

# Spreadsheets also insert tabs and (narrow) no-break spaces when they format a number.
_NIR_SEPARATORS = str.maketrans("", "", " .-\t\r\n\u00a0\u202f")
# Sex digit 1/2 (born in France or abroad), 3/4 (temporary numbers), 7/8 (NIA, foreign-born);
# the month is not checked: 20-42 and 50-99 are legal "mois fictifs" when the month is unknown.
_NIR_SHAPE = re.compile(r"[123478][0-9]{4}(?:[0-9]{2}|2[AB])[0-9]{8}")
_NIR_ANY_SEX_SHAPE = re.compile(r"[0-9]{5}(?:[0-9]{2}|2[AB])[0-9]{8}")
_NIR_CHARACTERS = re.compile(r"[0-9AB]*")
_MASK = "•••"


def compact_nir(value: str) -> str:
    """The NIR without spaces, dots or dashes, upper-cased (Corsica's 2A/2B)."""
    return value.translate(_NIR_SEPARATORS).upper()


def nir_problem(value: str) -> str | None:
    """None for a valid NIR, else the reason in French."""
    number = value.translate(_NIR_SEPARATORS).upper()
    if _NIR_SHAPE.fullmatch(number) and calc_check_digits(number) == number[13:]:
        return None
    if not number:
        return "numéro absent"
    if not _NIR_CHARACTERS.fullmatch(number):
        return "format non reconnu"
    if len(number) != 15:
        return "longueur incorrecte (15 caractères attendus)"
    if not _NIR_ANY_SEX_SHAPE.fullmatch(number):
        return "format non reconnu"
    if number[0] not in "123478":
        return "premier chiffre incorrect (1, 2, 3, 4, 7 ou 8 attendu)"
    return "clé de contrôle incorrecte"


def mask_nir(value: str) -> str:
    """The NIR as it may be shown: commune and order number hidden, never the whole number."""
    number = compact_nir(value)
    if len(number) in (13, 15):
        shown = f"{number[0]} {number[1:3]} {number[3:5]} {number[5:7]} {_MASK} {_MASK}"
        return f"{shown} {number[13:]}" if len(number) == 15 else shown
    if not number:
        return ""
    if len(number) < 8:
        # Revealing three characters of a short value would reveal most of it.
        return _MASK
    return f"{number[0]} {_MASK} {number[-2:]}"


# A NIR typed where it does not belong: 13 or 15 characters (with or without the key), spaces
# allowed between the groups as people write them ("1 85 05 78 006 084 36"), no digit next to it.
NIR_IN_TEXT = (
    r"[123478] ?[0-9]{2} ?[0-9]{2} ?(?:[0-9]{2}|2[ABab]) ?[0-9]{3} ?[0-9]{3}(?: ?[0-9]{2})?"
)
_NIR_IN_TEXT = re.compile(rf"(?<![0-9]){NIR_IN_TEXT}(?![0-9])")
# The fields where a NIR has no place (the description is masked as a whole elsewhere).
NIR_OUTSIDE_COLUMNS = (
    "reference",
    "last_name",
    "first_name",
    "email",
    "phone",
    "postal_address",
    "company",
    "handler",
)
NIR_OUTSIDE_MESSAGE = (
    "numéro de sécurité sociale saisi dans ce champ : à retirer (sa place est le champ du NIR)"
)


def nir_in_text(text: str) -> str | None:
    """The first NIR-shaped sequence of `text`, or None."""
    match = _NIR_IN_TEXT.search(text)
    return match.group(0) if match else None


def mask_nirs_in(text: str) -> str:
    """`text` with every NIR-shaped sequence masked (`mask_nir`)."""
    return _NIR_IN_TEXT.sub(lambda match: mask_nir(match.group(0)), text)


# --- E-mail ---------------------------------------------------------------------------------

# Pragmatic, not RFC 5322: what a person types as an address. Dot-separated atoms on both sides
# rule out leading, trailing and consecutive dots; the top-level domain is 2+ letters.
_EMAIL_ATOM = r"[^@\s.,;:<>()\[\]\\\"]+"
_EMAIL = re.compile(
    rf"{_EMAIL_ATOM}(?:\.{_EMAIL_ATOM})*"
    r"@(?:[^\W_](?:[\w-]*[^\W_])?\.)+[^\W\d_]{2,}"
)
_EMAIL_INVALID = "adresse électronique invalide"


def email_problem(value: str) -> str | None:
    """None for a plausible e-mail address, else the reason in French."""
    address = value.strip()
    if _EMAIL.fullmatch(address):
        return None
    if not address:
        return "adresse électronique absente"
    at_signs = address.count("@")
    if at_signs == 0:
        return f"{_EMAIL_INVALID} (« @ » manquant)"
    if at_signs > 1:
        return f"{_EMAIL_INVALID} (un seul « @ » attendu)"
    if any(c.isspace() for c in address):
        return f"{_EMAIL_INVALID} (espace non autorisé)"
    if ".." in address:
        return f"{_EMAIL_INVALID} (deux points consécutifs)"
    local, domain = address.split("@")
    if not local:
        return f"{_EMAIL_INVALID} (rien avant « @ »)"
    if "." not in domain:
        return f"{_EMAIL_INVALID} (domaine incomplet)"
    return _EMAIL_INVALID


# --- Phone ----------------------------------------------------------------------------------

_NON_DIGITS = re.compile(r"[^0-9]")
_PHONE_CHARACTERS = re.compile(r"\+?[0-9\s./()-]+")
# "+33 (0)1 23 45 67 89": the bracketed trunk zero after an international prefix is dropped.
_TRUNK_ZERO = re.compile(r"^(\s*(?:\+|00)\s*[0-9]{2,3}\s*)\(\s*0\s*\)")
_PHONE = re.compile(
    r"0[1-9][0-9]{8}"  # national, overseas included (0590, 0690, 0262, 0269...)
    r"|(?:\+|00)33[1-9][0-9]{8}"
    r"|(?:\+|00)(?:262|269|508|590|594|596|681|687|689)[0-9]{6,9}"  # overseas, international
)
_PHONE_INVALID = "numéro de téléphone invalide"


def normalize_phone(value: str) -> str:
    """The phone number as digits only, keeping a leading "+"."""
    stripped = value.strip()
    digits = _NON_DIGITS.sub("", stripped)
    return f"+{digits}" if stripped.startswith("+") else digits


def phone_problem(value: str) -> str | None:
    """None for a French phone number (mainland or overseas), else the reason in French."""
    number = value.strip()
    if "(" in number:
        number = _TRUNK_ZERO.sub(r"\1", number)
    if _PHONE_CHARACTERS.fullmatch(number) and _PHONE.fullmatch(normalize_phone(number)):
        return None
    if not number:
        return "numéro de téléphone absent"
    if not _PHONE_CHARACTERS.fullmatch(number):
        return f"{_PHONE_INVALID} (caractères non autorisés)"
    return f"{_PHONE_INVALID} (10 chiffres attendus, ou +33 suivi de 9 chiffres)"


# --- Postal address -------------------------------------------------------------------------

# Five digits standing alone; not the number of a TSA or CS (sorting codes that look like one:
# "TSA 50110, 75441 Paris Cedex 09").
_POSTCODE_TOKEN = re.compile(
    r"(?<![0-9])(?<!TSA )(?<!TSA)(?<!CS )(?<!CS)([0-9]{5})(?![0-9])", re.IGNORECASE
)
# Departments 01-95, overseas 971-978 and 986-988, Monaco 98000.
_POSTCODE = re.compile(
    r"(?:0[1-9]|[1-8][0-9]|9[0-5])[0-9]{3}|97[1-8][0-9]{2}|98[6-8][0-9]{2}|98000"
)


def extract_postcode(address: str) -> str | None:
    """The French postcode of an address (the last valid one), or None."""
    found = None
    for match in _POSTCODE_TOKEN.finditer(address):
        if _POSTCODE.fullmatch(match[1]):
            found = match[1]
    return found


def postcode_problem(address: str) -> str | None:
    """None when the address holds a valid French postcode, else the reason in French."""
    if extract_postcode(address) is None:
        return "code postal absent ou invalide"
    return None


# --- Findings on one record -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Finding:
    """A data-quality remark on an accepted record; `value` never holds a full NIR."""

    kind: str  # a key of FINDING_KINDS
    column: str  # canonical column name
    value: str
    message: str  # French


FINDING_KINDS: dict[str, str] = {
    "nir_invalide": "Numéro de sécurité sociale invalide",
    "nir_manquant": "Numéro de sécurité sociale manquant",
    "email_invalide": "Adresse électronique invalide",
    "telephone_invalide": "Téléphone invalide",
    "code_postal_invalide": "Adresse postale sans code postal valide",
    "nom_manquant": "Nom ou prénom manquant",
    "entreprise_manquante": "Entreprise / souscripteur manquant",
    "coordonnees_manquantes": "Coordonnées manquantes pour le canal",
    "canal_reponse_different": "Réponse par un autre canal",
    "mauvaise_orientation": "Médiateur ne correspondant pas au porteur de risque",
    "ar_apres_reponse": "Accusé de réception daté après la réponse",
    "valeur_inconnue": "Valeur non reconnue",
    "nir_hors_champ": "Numéro de sécurité sociale dans un autre champ",
}

# Channel -> the contact detail needed to answer by the same channel.
_CONTACT_FOR_CHANNEL = {
    "telephone": "phone",
    "email": "email",
    "courrier": "postal_address",
}
_NO_CONTACT_MESSAGE = {
    "phone": "réclamation reçue par téléphone sans numéro pour rappeler",
    "email": "réclamation reçue par voie électronique sans adresse électronique pour répondre",
    "postal_address": "réclamation reçue par courrier sans adresse postale pour répondre",
}


def _text(record: Mapping[str, str | None], column: str) -> str:
    value = record.get(column)
    return value.strip() if value else ""


def contact_findings(record: Mapping[str, str | None]) -> list[Finding]:
    """The soft checks on one record's personal and contact data, in column order."""
    findings: list[Finding] = []
    if not _text(record, "last_name"):
        findings.append(Finding("nom_manquant", "last_name", "", "nom absent"))
    if not _text(record, "first_name"):
        findings.append(Finding("nom_manquant", "first_name", "", "prénom absent"))

    nir = _text(record, "nir")
    if not nir:
        findings.append(Finding("nir_manquant", "nir", "", "numéro de sécurité sociale absent"))
    elif (reason := nir_problem(nir)) is not None:
        findings.append(Finding("nir_invalide", "nir", mask_nir(nir), reason))

    needed = _CONTACT_FOR_CHANNEL.get(_text(record, "channel"))
    checks = (
        ("email", "email_invalide", email_problem),
        ("phone", "telephone_invalide", phone_problem),
        ("postal_address", "code_postal_invalide", postcode_problem),
    )
    for column, kind, problem in checks:
        value = _text(record, column)
        if not value:
            if column == needed:
                findings.append(
                    Finding("coordonnees_manquantes", column, "", _NO_CONTACT_MESSAGE[column])
                )
        elif (reason := problem(value)) is not None:
            findings.append(Finding(kind, column, mask_nirs_in(value), reason))

    if not _text(record, "company"):
        findings.append(
            Finding("entreprise_manquante", "company", "", "entreprise / souscripteur absent")
        )
    for column in NIR_OUTSIDE_COLUMNS:
        if (number := nir_in_text(_text(record, column))) is not None:
            findings.append(
                Finding("nir_hors_champ", column, mask_nir(number), NIR_OUTSIDE_MESSAGE)
            )
    return findings


# --- Lengths --------------------------------------------------------------------------------

# The longest value a person may type per column, in characters: what a case needs, far below
# what would slow every page that shows it (a 1,000,000-character description, 5,000-character
# names). The form shows the limit under each field and stops typing there.
NAME_MAX, SHORT_TEXT_MAX, ADDRESS_MAX, DESCRIPTION_MAX = 100, 200, 300, 10_000
MAX_LENGTH: dict[str, int] = {
    "reference": SHORT_TEXT_MAX,
    "last_name": NAME_MAX,
    "first_name": NAME_MAX,
    "nir": SHORT_TEXT_MAX,
    "email": SHORT_TEXT_MAX,
    "phone": SHORT_TEXT_MAX,
    "postal_address": ADDRESS_MAX,
    "company": SHORT_TEXT_MAX,
    "description": DESCRIPTION_MAX,
    "handler": SHORT_TEXT_MAX,
    "dysfunction": SHORT_TEXT_MAX,
}


def _french_count(number: int) -> str:
    return f"{number:,}".replace(",", "\u202f")


def length_help(column: str) -> str:
    """The limit of a form field, for its help text."""
    return f"{_french_count(MAX_LENGTH[column])} caractères au plus."


def length_problems(record: Mapping[str, object]) -> dict[str, str]:
    """French field header -> problem, for each typed value longer than its column allows."""
    problems: dict[str, str] = {}
    for column, limit in MAX_LENGTH.items():
        value = record.get(column)
        if isinstance(value, str) and len(value.strip()) > limit:
            problems[COLUMN_BY_NAME[column].header] = (
                f"{_french_count(len(value.strip()))} caractères, {_french_count(limit)} au plus"
            )
    return problems


# --- Required fields of the entry form ------------------------------------------------------

_WRITTEN_REQUIRED = "champ obligatoire pour une réclamation écrite"
_PHONE_REQUIRED = "champ obligatoire pour une réclamation téléphonique"
_CHANNEL_REQUIRED = {
    "courrier": "champ obligatoire pour répondre à une réclamation reçue par courrier",
    "email": "champ obligatoire pour répondre à une réclamation reçue par voie électronique",
}
_ONE_CONTACT_REQUIRED = (
    "au moins une coordonnée est obligatoire (adresse postale, adresse électronique ou téléphone)"
)
# Form order; each column is checked for presence, then (when present) for validity.
_FORM_COLUMNS = (
    "last_name",
    "first_name",
    "nir",
    "postal_address",
    "email",
    "phone",
    "company",
    "object",
    "description",
)
_CONTACT_COLUMNS = ("postal_address", "email", "phone")
_VALUE_RULES = {
    "nir": nir_problem,
    "postal_address": postcode_problem,
    "email": email_problem,
    "phone": phone_problem,
}


def required_problems(record: Mapping[str, str | None], *, written: bool) -> dict[str, str]:
    """French field header -> problem, for the entry form; empty when the record can be saved.

    A written complaint needs every item of the procedure (identity, NIR, the contact detail of
    its channel, company, object, wording); a phone complaint needs the caller's name, phone,
    object and wording. Any value given must be valid either way.
    """
    channel = _text(record, "channel")
    if written:
        required = {
            column: _WRITTEN_REQUIRED
            for column in ("last_name", "first_name", "nir", "company", "object", "description")
        }
        if channel in _CHANNEL_REQUIRED:
            column = "email" if channel == "email" else "postal_address"
            required[column] = _CHANNEL_REQUIRED[channel]
        elif not any(_text(record, column) for column in _CONTACT_COLUMNS):
            # Shown by each of the three fields: filling any one of them is enough.
            required.update(dict.fromkeys(_CONTACT_COLUMNS, _ONE_CONTACT_REQUIRED))
    else:
        required = {
            column: _PHONE_REQUIRED
            for column in ("last_name", "first_name", "phone", "object", "description")
        }

    problems: dict[str, str] = {}
    for column in _FORM_COLUMNS:
        header = COLUMN_BY_NAME[column].header
        value = _text(record, column)
        if not value:
            if column in required:
                problems[header] = required[column]
        elif column in _VALUE_RULES and (reason := _VALUE_RULES[column](value)) is not None:
            problems[header] = reason
    return problems
