"""Field rules shared by the import and the form: NIR, e-mail, phone, postcode, required fields."""

from __future__ import annotations

import pytest

from cpms_metrics.validation import (
    FINDING_KINDS,
    Finding,
    compact_nir,
    contact_findings,
    email_problem,
    extract_postcode,
    mask_nir,
    nir_problem,
    normalize_phone,
    phone_problem,
    postcode_problem,
    required_problems,
)

# Keys worked out by hand: key = 97 - (first 13 digits mod 97), with 2A read as 19 and 2B as 18.
VALID_NIRS = [
    "1 85 05 75 123 456 73",  # 1850575123456 mod 97 = 24 -> 73
    "2 85 05 75 123 456 23",  # 2850575123456 mod 97 = 74 -> 23
    "2 85 05 2A 004 123 06",  # Corse-du-Sud: 2850519004123 mod 97 = 91 -> 06
    "1 60 12 2B 050 001 65",  # Haute-Corse: 1601218050001 mod 97 = 32 -> 65
    "3 85 05 75 123 456 70",  # sex digit 3 (temporary number): mod 97 = 27 -> 70
    "4 85 05 75 123 456 20",  # sex digit 4: mod 97 = 77 -> 20
    "7 85 05 75 123 456 64",  # sex digit 7 (NIA): mod 97 = 33 -> 64
    "8 85 05 75 123 456 14",  # sex digit 8 (NIA): mod 97 = 83 -> 14
    "1 85 20 75 123 456 22",  # month 20: a legal "mois fictif", mod 97 = 75 -> 22
    "1 85 42 75 123 456 83",  # month 42: mod 97 = 14 -> 83
    "1 85 50 75 123 456 17",  # month 50: mod 97 = 80 -> 17
    "1 85 99 75 123 456 25",  # month 99: mod 97 = 72 -> 25
    "2 95 10 99 126 111 93",  # born abroad (département 99): mod 97 = 4 -> 93
    "1 90 03 97 105 012 89",  # born in Guadeloupe (971 05): mod 97 = 8 -> 89
    "1 85 05 75 000 001 47",  # zeros in the middle: mod 97 = 50 -> 47
]


@pytest.mark.parametrize("nir", VALID_NIRS)
def test_valid_nir(nir: str) -> None:
    assert nir_problem(nir) is None


@pytest.mark.parametrize(
    "nir",
    [
        "185057512345673",  # no separators
        "1.85.05.75.123.456.73",
        "1-85-05-75-123-456-73",
        " 1 85 05 75 123 456 73 ",
        "1\u00a085\u00a005\u00a075\u00a0123\u00a0456\u00a073",  # Excel's no-break spaces
        "285052a00412306",  # lower-case Corsica letter
    ],
)
def test_valid_nir_spellings(nir: str) -> None:
    assert nir_problem(nir) is None


@pytest.mark.parametrize(
    "nir, reason",
    [
        ("1 85 05 75 123 456 74", "clé de contrôle incorrecte"),
        ("1 85 05 75 123 465 73", "clé de contrôle incorrecte"),  # two digits swapped
        ("2 85 05 2B 004 123 06", "clé de contrôle incorrecte"),  # 2B where the key is for 2A
        ("2 85 05 20 004 123 06", "clé de contrôle incorrecte"),  # 20 is not 2A's 19
        ("1 85 05 75 123 456", "longueur incorrecte (15 caractères attendus)"),  # key missing
        ("1 85 05 75 123 456 7", "longueur incorrecte (15 caractères attendus)"),
        ("1 85 05 75 123 456 733", "longueur incorrecte (15 caractères attendus)"),
        ("1", "longueur incorrecte (15 caractères attendus)"),
        ("1 85 05 75 12X 456 73", "format non reconnu"),  # a letter
        ("inconnu", "format non reconnu"),
        ("2 85 05 2C 004 123 06", "format non reconnu"),  # only 2A and 2B exist
        ("2 85 A5 75 123 456 23", "format non reconnu"),  # A outside the département
        # right keys, wrong sex digit
        ("5 85 05 75 123 456 67", "premier chiffre incorrect (1, 2, 3, 4, 7 ou 8 attendu)"),
        ("0 85 05 75 123 456 26", "premier chiffre incorrect (1, 2, 3, 4, 7 ou 8 attendu)"),
        ("9 85 05 75 123 456 61", "premier chiffre incorrect (1, 2, 3, 4, 7 ou 8 attendu)"),
        ("", "numéro absent"),
    ],
)
def test_invalid_nir(nir: str, reason: str) -> None:
    assert nir_problem(nir) == reason


def test_compact_nir() -> None:
    assert compact_nir(" 2 85.05-2a 004 123 06") == "285052A00412306"


@pytest.mark.parametrize(
    "nir, masked",
    [
        ("2 85 05 2A 004 123 06", "2 85 05 2A ••• ••• 06"),
        ("185057512345673", "1 85 05 75 ••• ••• 73"),
        ("1 85 05 75 123 456 74", "1 85 05 75 ••• ••• 74"),  # invalid key: masked all the same
        ("1 85 05 75 123 456", "1 85 05 75 ••• •••"),  # 13 characters: key missing
        ("1 85 05 75 123 456 7", "1 ••• 67"),  # 14 characters: first and last two only
        ("1 85 05 75 123 456 733", "1 ••• 33"),
        ("123", "•••"),  # too short to show anything
        ("", ""),
    ],
)
def test_mask_nir(nir: str, masked: str) -> None:
    assert mask_nir(nir) == masked


@pytest.mark.parametrize("nir", VALID_NIRS)
def test_mask_never_shows_commune_and_order(nir: str) -> None:
    middle = compact_nir(nir)[7:13]
    masked = mask_nir(nir)
    assert middle not in masked.replace(" ", "")
    assert middle[:3] not in masked.split() and middle[3:] not in masked.split()


@pytest.mark.parametrize(
    "email",
    [
        "jean.dupont@example.fr",
        "Jean.Dupont@Example.FR",
        "j.dupont+reclamation@mail.example.com",
        "françoise.lefèvre@exemple.fr",  # accents in the local part
        "contact@société-générale.fr",  # an accented domain
        "a@b.co",
        " jean@example.fr ",  # surrounding spaces are ignored
    ],
)
def test_valid_email(email: str) -> None:
    assert email_problem(email) is None


@pytest.mark.parametrize(
    "email, reason",
    [
        ("jean.dupont.example.fr", "adresse électronique invalide (« @ » manquant)"),
        ("jean@dupont@example.fr", "adresse électronique invalide (un seul « @ » attendu)"),
        ("jean dupont@example.fr", "adresse électronique invalide (espace non autorisé)"),
        ("jean..dupont@example.fr", "adresse électronique invalide (deux points consécutifs)"),
        ("jean@example..fr", "adresse électronique invalide (deux points consécutifs)"),
        ("@example.fr", "adresse électronique invalide (rien avant « @ »)"),
        ("jean@localhost", "adresse électronique invalide (domaine incomplet)"),
        ("jean@example.f", "adresse électronique invalide"),  # one-letter TLD
        ("jean@example.123", "adresse électronique invalide"),  # numeric TLD
        ("jean@.example.fr", "adresse électronique invalide"),
        (".jean@example.fr", "adresse électronique invalide"),
        ("jean.@example.fr", "adresse électronique invalide"),
        ("jean@", "adresse électronique invalide (domaine incomplet)"),
        ("jean,dupont@example.fr", "adresse électronique invalide"),  # a comma typed for a dot
        ("", "adresse électronique absente"),
    ],
)
def test_invalid_email(email: str, reason: str) -> None:
    assert email_problem(email) == reason


@pytest.mark.parametrize(
    "phone, normalized",
    [
        ("01 23 45 67 89", "0123456789"),
        ("+33 (0)1 23 45 67 89", "+330123456789"),
        (" +33 6.12.34.56.78", "+33612345678"),
        ("0033-6-12-34-56-78", "0033612345678"),
        ("06 12 + 34", "061234"),  # a "+" counts only in front
        ("", ""),
    ],
)
def test_normalize_phone(phone: str, normalized: str) -> None:
    assert normalize_phone(phone) == normalized


@pytest.mark.parametrize(
    "phone",
    [
        "01 23 45 67 89",
        "02 23 45 67 89",
        "03 23 45 67 89",
        "04 23 45 67 89",
        "05 23 45 67 89",
        "06 12 34 56 78",
        "07 12 34 56 78",
        "08 00 12 34 56",
        "09 12 34 56 78",
        "0590 12 34 56",  # Guadeloupe landline
        "0690 12 34 56",  # Guadeloupe mobile
        "0262 12 34 56",  # La Réunion
        "0269 61 23 45",  # Mayotte
        "0123456789",
        "01.23.45.67.89",
        "01-23-45-67-89",
        "01/23/45/67/89",
        "(01) 23 45 67 89",
        "+33 1 23 45 67 89",
        "+33 (0)1 23 45 67 89",  # the trunk zero in brackets is tolerated
        "+33(0)612345678",
        "+33 6 12 34 56 78",
        "0033 1 23 45 67 89",
        "+262 262 12 34 56",  # La Réunion from abroad
        "+262 692 12 34 56",
        "+590 590 12 34 56",  # Guadeloupe from abroad
        "+687 12 34 56",  # New Caledonia: six digits
        "+689 40 12 34 56",  # French Polynesia: eight digits
        "+508 41 23 45",  # Saint-Pierre-et-Miquelon
    ],
)
def test_valid_phone(phone: str) -> None:
    assert phone_problem(phone) is None


DIGIT_COUNT = "numéro de téléphone invalide (10 chiffres attendus, ou +33 suivi de 9 chiffres)"


@pytest.mark.parametrize(
    "phone, reason",
    [
        ("01 23 45 67 8", DIGIT_COUNT),  # 9 digits
        ("01 23 45 67 89 0", DIGIT_COUNT),  # 11 digits
        ("00 12 34 56 78", DIGIT_COUNT),  # 00 is no area
        ("+33 01 23 45 67 89", DIGIT_COUNT),  # zero without brackets
        ("+33 1 23 45 67", DIGIT_COUNT),
        ("+44 20 7946 0958", DIGIT_COUNT),  # not French
        ("+262 12 34", DIGIT_COUNT),  # too short
        (
            "01 23 45 67 8 9 +",
            "numéro de téléphone invalide (caractères non autorisés)",
        ),  # "+" at the end
        ("01 23 AB 67 89", "numéro de téléphone invalide (caractères non autorisés)"),
        ("appeler le matin", "numéro de téléphone invalide (caractères non autorisés)"),
        ("", "numéro de téléphone absent"),
    ],
)
def test_invalid_phone(phone: str, reason: str) -> None:
    assert phone_problem(phone) == reason


@pytest.mark.parametrize(
    "address, postcode",
    [
        ("12 rue Laffitte 75009 PARIS", "75009"),
        ("TSA 50110, 75441 PARIS CEDEX 09", "75441"),  # the TSA number is no postcode
        ("3 rue Victor Hugo\n97110 Pointe-à-Pitre", "97110"),
        ("Cours Napoléon, 20000 Ajaccio", "20000"),  # Corsica keeps numeric postcodes
        ("Boulevard des Moulins, 98000 Monaco", "98000"),
        ("BP 12, 98800 Nouméa", "98800"),  # New Caledonia
        ("1 place du Marché, 01000 Bourg-en-Bresse", "01000"),
        ("F-75009 Paris", "75009"),
        ("12345 route de la mer, 13000 Marseille", "13000"),  # the last valid one wins
        ("CS 70001, Paris", None),  # a CS number alone is no postcode
        ("Place de la Mairie, 00100 Nulle-part", None),  # no département 00
        ("1 rue X, 96000 Ville", None),  # no département 96
        ("Route de l'aéroport, 98400 Ville", None),  # 984 is not a listed overseas code
        ("12 rue Laffitte PARIS", None),
        ("12 rue Laffitte 750091 PARIS", None),  # six digits: not a postcode
        ("12 rue Laffitte 7500 PARIS", None),
        ("", None),
    ],
)
def test_extract_postcode(address: str, postcode: str | None) -> None:
    assert extract_postcode(address) == postcode
    expected = None if postcode else "code postal absent ou invalide"
    assert postcode_problem(address) == expected


def test_finding_kinds_labels() -> None:
    assert FINDING_KINDS["nir_invalide"] == "Numéro de sécurité sociale invalide"
    assert FINDING_KINDS["coordonnees_manquantes"] == "Coordonnées manquantes pour le canal"
    assert len(FINDING_KINDS) >= 12


COMPLETE = {
    "last_name": "Dupont",
    "first_name": "Jeanne",
    "nir": "2 85 05 75 123 456 23",
    "email": "jeanne.dupont@example.fr",
    "phone": "06 12 34 56 78",
    "postal_address": "12 rue Laffitte 75009 PARIS",
    "company": "Boulangerie Martin",
    "channel": "courrier",
}


def test_complete_record_has_no_finding() -> None:
    assert contact_findings(COMPLETE) == []


@pytest.mark.parametrize(
    "changes, expected",
    [
        ({"last_name": None}, [Finding("nom_manquant", "last_name", "", "nom absent")]),
        ({"first_name": ""}, [Finding("nom_manquant", "first_name", "", "prénom absent")]),
        (
            {"nir": None},
            [Finding("nir_manquant", "nir", "", "numéro de sécurité sociale absent")],
        ),
        (
            {"nir": "2 85 05 75 123 456 24"},  # the finding shows the masked number only
            [Finding("nir_invalide", "nir", "2 85 05 75 ••• ••• 24", "clé de contrôle incorrecte")],
        ),
        (
            {"email": "jeanne.dupont@example"},
            [
                Finding(
                    "email_invalide",
                    "email",
                    "jeanne.dupont@example",
                    "adresse électronique invalide (domaine incomplet)",
                )
            ],
        ),
        (
            {"phone": "06 12 34 56"},
            [
                Finding(
                    "telephone_invalide",
                    "phone",
                    "06 12 34 56",
                    DIGIT_COUNT,
                )
            ],
        ),
        (
            {"postal_address": "12 rue Laffitte PARIS"},
            [
                Finding(
                    "code_postal_invalide",
                    "postal_address",
                    "12 rue Laffitte PARIS",
                    "code postal absent ou invalide",
                )
            ],
        ),
        (
            {"company": "  "},  # blank counts as missing
            [Finding("entreprise_manquante", "company", "", "entreprise / souscripteur absent")],
        ),
        (
            {"postal_address": None},  # a letter to answer, but no address
            [
                Finding(
                    "coordonnees_manquantes",
                    "postal_address",
                    "",
                    "réclamation reçue par courrier sans adresse postale pour répondre",
                )
            ],
        ),
        (
            {"channel": "email", "email": ""},
            [
                Finding(
                    "coordonnees_manquantes",
                    "email",
                    "",
                    "réclamation reçue par voie électronique sans adresse électronique pour "
                    "répondre",
                )
            ],
        ),
        (
            {"channel": "telephone", "phone": None},
            [
                Finding(
                    "coordonnees_manquantes",
                    "phone",
                    "",
                    "réclamation reçue par téléphone sans numéro pour rappeler",
                )
            ],
        ),
        ({"channel": "email", "postal_address": None}, []),  # the address is not needed then
        (
            {"channel": "email", "email": "jeanne.example.fr"},  # invalid, yet not missing
            [
                Finding(
                    "email_invalide",
                    "email",
                    "jeanne.example.fr",
                    "adresse électronique invalide (« @ » manquant)",
                )
            ],
        ),
    ],
)
def test_contact_findings(changes: dict[str, str | None], expected: list[Finding]) -> None:
    assert contact_findings({**COMPLETE, **changes}) == expected


def test_contact_findings_on_an_empty_record_follow_column_order() -> None:
    findings = contact_findings({"channel": "courrier"})
    assert [(f.kind, f.column) for f in findings] == [
        ("nom_manquant", "last_name"),
        ("nom_manquant", "first_name"),
        ("nir_manquant", "nir"),
        ("coordonnees_manquantes", "postal_address"),
        ("entreprise_manquante", "company"),
    ]


def test_contact_findings_never_hold_a_full_nir() -> None:
    record = {**COMPLETE, "nir": "285057512345624"}
    (finding,) = contact_findings(record)
    assert "123456" not in finding.value.replace(" ", "")
    assert "285057512345624" not in repr(finding)


WRITTEN = "champ obligatoire pour une réclamation écrite"
BY_PHONE = "champ obligatoire pour une réclamation téléphonique"
ONE_CONTACT = (
    "au moins une coordonnée est obligatoire (adresse postale, adresse électronique ou téléphone)"
)
FORM = {**COMPLETE, "object": "cotisation", "description": "Prélèvement en double en mars."}


@pytest.mark.parametrize(
    "changes, written, expected",
    [
        ({}, True, {}),
        ({}, False, {}),
        (
            {"last_name": "", "first_name": None, "nir": None, "company": "", "object": None},
            True,
            {
                "Nom": WRITTEN,
                "Prénom": WRITTEN,
                "Numéro de sécurité sociale": WRITTEN,
                "Entreprise / Souscripteur": WRITTEN,
                "Objet": WRITTEN,
            },
        ),
        ({"description": None}, True, {"Formulation": WRITTEN}),
        (
            {"postal_address": None},  # a letter: the postal address is needed to answer
            True,
            {
                "Adresse postale": "champ obligatoire pour répondre à une réclamation reçue "
                "par courrier"
            },
        ),
        (
            {"channel": "email", "email": None},
            True,
            {
                "Adresse électronique": "champ obligatoire pour répondre à une réclamation "
                "reçue par voie électronique"
            },
        ),
        ({"channel": "email", "postal_address": None, "phone": None}, True, {}),
        (
            {"channel": None, "postal_address": None, "email": None, "phone": None},
            True,  # written but no channel given: any one contact detail will do
            {
                "Adresse postale": ONE_CONTACT,
                "Adresse électronique": ONE_CONTACT,
                "Téléphone": ONE_CONTACT,
            },
        ),
        ({"channel": None, "postal_address": None, "email": None}, True, {}),
        (
            {"channel": "telephone", "phone": None, "last_name": None},
            False,
            {"Nom": BY_PHONE, "Téléphone": BY_PHONE},
        ),
        (
            # NIR, address and company may wait for a phone complaint: they become findings
            {"channel": "telephone", "nir": None, "postal_address": None, "company": None},
            False,
            {},
        ),
        ({"object": "", "description": ""}, False, {"Objet": BY_PHONE, "Formulation": BY_PHONE}),
        (
            {"nir": "2 85 05 75 123 456 24", "email": "jeanne@", "phone": "06 12"},
            True,  # given values must be valid, whatever the channel
            {
                "Numéro de sécurité sociale": "clé de contrôle incorrecte",
                "Adresse électronique": "adresse électronique invalide (domaine incomplet)",
                "Téléphone": DIGIT_COUNT,
            },
        ),
        (
            {"nir": "1 85 05 75 123 456", "postal_address": "12 rue Laffitte PARIS"},
            False,
            {
                "Numéro de sécurité sociale": "longueur incorrecte (15 caractères attendus)",
                "Adresse postale": "code postal absent ou invalide",
            },
        ),
    ],
)
def test_required_problems(
    changes: dict[str, str | None], written: bool, expected: dict[str, str]
) -> None:
    assert required_problems({**FORM, **changes}, written=written) == expected


def test_required_problems_follow_form_order() -> None:
    problems = required_problems({"channel": "courrier"}, written=True)
    assert list(problems) == [
        "Nom",
        "Prénom",
        "Numéro de sécurité sociale",
        "Adresse postale",
        "Entreprise / Souscripteur",
        "Objet",
        "Formulation",
    ]
