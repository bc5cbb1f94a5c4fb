"""Seeded generator of a realistic complaint export: the committed sample and benchmark files.

Every random draw is made once, up front, as integer codes with numpy; turning codes into strings
is table lookups and vectorised concatenation, chunk by chunk, so that 10M-row files fit in memory.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from cpms_metrics import fields

SAMPLE_SEED = 20250101
SAMPLE_ROWS = 3000
SAMPLE_END = date(2026, 11, 20)

_Codes = npt.NDArray[np.integer[Any]]

_EPOCH = date(1970, 1, 1).toordinal()
_CHUNK_ROWS = 250_000
_MISSING = -1  # code of an empty cell, in every code array (and the last entry of every table)

# Indexes into the vocabularies of fields.py, in their declared order.
_CHANNELS = tuple(fields.CHANNELS)
_NATURES = tuple(fields.NATURES)
_OBJECTS = tuple(fields.DEFAULT_OBJECTS)
_CARRIERS = tuple(fields.RISK_CARRIERS)
_MEDIATORS = tuple(fields.MEDIATORS)
_TELEPHONE, _EMAIL, _COURRIER = (_CHANNELS.index(c) for c in ("telephone", "email", "courrier"))
_COMPLAINT = _NATURES.index(fields.COMPLAINT)

# --- Shares ---------------------------------------------------------------------------------------

_CHANNEL_SHARE = {"telephone": 0.35, "email": 0.45, "courrier": 0.20}
_NATURE_SHARE = {
    "reclamation": 0.92,
    "demande_information": 0.045,
    "demande_clarification": 0.02,
    "demande_confirmation": 0.015,
}
_OBJECT_SHARE = {
    "adhesion": 0.12,
    "resiliation": 0.15,
    "cotisation": 0.20,
    "remboursement": 0.40,
    "autre": 0.13,
}
_CARRIER_SHARE = {"assureur": 0.44, "institution_prevoyance": 0.44, "mutuelle": 0.09}  # rest: empty
# Relative volume by weekday (Monday first) and channel: mail is heavier on Monday, nobody phones
# on Sunday, some e-mails arrive at the weekend.
_WEEKDAY_WEIGHT = {
    "telephone": (1.1, 1.0, 1.0, 1.0, 0.9, 0.05, 0.0),
    "email": (1.2, 1.0, 1.0, 1.0, 0.95, 0.35, 0.25),
    "courrier": (1.4, 1.1, 1.0, 1.0, 1.0, 0.15, 0.0),
}
_MONTH_WEIGHT = (1.15, 1.05, 1.0, 1.0, 0.95, 0.95, 0.85, 0.7, 1.05, 1.05, 1.0, 0.85)
_GROWTH = 0.25  # volume at the end of the period, relative to its start
_SYNONYM_SHARE = 0.05  # French export: enumerated cells spelt with a synonym or in capitals

# --- Vocabulary of the personal data and free text (fictional) ------------------------------------

_LAST_NAMES = (
    "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy",
    "Moreau", "Simon", "Laurent", "Lefèvre", "Michel", "Garcia", "David", "Bertrand", "Roux",
    "Vincent", "Fournier", "Morel", "Girard", "André", "Mercier", "Dupont", "Lambert", "Bonnet",
    "François", "Legrand", "Garnier", "Faure", "Rousseau", "Blanc", "Guérin", "Muller", "Perrin",
    "Clément", "Gauthier", "Chevalier", "Benoît", "Lemaître", "N'Diaye", "Da Silva", "Le Gall",
    "Saint-Martin", "Cœurdevey", "Hoarau", "Bélanger",
)  # fmt: skip
_FIRST_NAMES = (  # (first name, 1 for a man or 2 for a woman: the first digit of the NIR)
    ("Marie", 2), ("Nathalie", 2), ("Isabelle", 2), ("Sylvie", 2), ("Catherine", 2), ("Sophie", 2),
    ("Hélène", 2), ("Christine", 2), ("Valérie", 2), ("Sandrine", 2), ("Céline", 2), ("Émilie", 2),
    ("Chloé", 2), ("Léa", 2), ("Manon", 2), ("Camille", 2), ("Anaïs", 2), ("Zoé", 2), ("Inès", 2),
    ("Maëlle", 2), ("Françoise", 2), ("Agnès", 2), ("Jean", 1), ("Pierre", 1), ("Michel", 1),
    ("Philippe", 1), ("Alain", 1), ("Nicolas", 1), ("François", 1), ("Laurent", 1),
    ("Stéphane", 1), ("Jérôme", 1), ("Sébastien", 1), ("Thomas", 1), ("Julien", 1), ("Hugo", 1),
    ("Lucas", 1), ("Théo", 1), ("Noël", 1), ("Loïc", 1), ("Joël", 1), ("Gaël", 1),
    ("Jean-Pierre", 1), ("Hervé", 1),
)  # fmt: skip
_EMAIL_DOMAINS = ("example.fr", "example.com", "example.org", "example.net", "exemple.test")
_BAD_DOMAIN = "example"  # no top-level domain
_COMPANIES = (
    "Clinique des Peupliers", "EHPAD La Roseraie", "EHPAD Les Glycines",
    "Résidence Le Clos Fleuri", "Centre de soins infirmiers de Créteil",
    "Association d'aide à domicile du Val-d'Oise", "Cabinet dentaire Moreau & Associés",
    "Pharmacie de la Gare", "Laboratoire d'analyses BioSud", "SSIAD Les Cèdres",
    "Foyer d'accueil médicalisé L'Étoile", "Maison de santé pluriprofessionnelle du Lac",
    "Institut médico-éducatif Les Hirondelles", "Centre de rééducation Cœur de France",
    "Polyclinique de l'Estuaire", "Cabinet de kinésithérapie Lumière",
    "Centre médico-psychologique Voltaire", "ESAT Les Ateliers du Moulin",
    "Hôpital privé des Quatre Saisons", "Crèche Les P'tits Loups", "SAS Soins & Santé",
    "Centre d'imagerie médicale Pasteur", "Clinique Sainte-Anne-des-Pins",
    "Association Les Jardins d'Émeraude", "Cabinet infirmier Arc-en-ciel",
)  # fmt: skip
_STREETS = (
    "rue de la République", "rue Victor-Hugo", "avenue Jean-Jaurès", "boulevard Voltaire",
    "rue des Lilas", "allée des Marronniers", "chemin du Moulin", "place de l'Église",
    "rue Pasteur", "impasse des Écoles", "avenue du Général-de-Gaulle", "rue du Cœur-Volant",
    "quai de la Loire", "cours Mirabeau", "route de Lyon", "rue Sainte-Catherine",
    "rue de la Paix", "avenue des Champs-Élysées", "rue du Faubourg-Saint-Honoré", "rue Nationale",
)  # fmt: skip
_COMPLEMENTS = (
    "Bâtiment B", "Résidence Les Pins, appartement 12", "Escalier C, 3e étage", "Chez Mme Durand",
    "Lieu-dit La Forêt",
)  # fmt: skip
_CITIES = (
    "75009 Paris", "75011 Paris", "75015 Paris", "75020 Paris", "92100 Boulogne-Billancourt",
    "93200 Saint-Denis", "94000 Créteil", "69003 Lyon", "13005 Marseille", "31000 Toulouse",
    "33000 Bordeaux", "44000 Nantes", "59000 Lille", "67000 Strasbourg", "57000 Metz",
    "68100 Mulhouse", "06000 Nice", "34000 Montpellier", "35000 Rennes", "21000 Dijon",
    "37000 Tours", "63000 Clermont-Ferrand", "76000 Rouen", "20000 Ajaccio", "20200 Bastia",
    "97110 Pointe-à-Pitre", "97200 Fort-de-France", "97400 Saint-Denis", "97300 Cayenne",
    "01000 Bourg-en-Bresse", "29200 Brest", "80000 Amiens", "45000 Orléans", "74000 Annecy",
    "38000 Grenoble", "02100 Saint-Quentin",
)  # fmt: skip
_HANDLERS = (
    "Sophie Lambert", "Karim Benali", "Isabelle Roux", "Thomas Garnier", "Nadia Haddad",
    "Julien Mercier", "Claire Fontaine", "Marc Lefèvre",
)  # fmt: skip
_HANDLER_WEIGHT = (0.18, 0.16, 0.15, 0.13, 0.12, 0.1, 0.09, 0.07)
_ATTACHMENT_SHARE = {"telephone": 0.05, "email": 0.45, "courrier": 0.6}
_ATTACHMENTS = (
    "releve_prestations.pdf", "decompte_securite_sociale.pdf", "facture_opticien.pdf",
    "arret_de_travail.pdf", "avis_echeance_cotisation.pdf", "courrier_resiliation.pdf", "rib.pdf",
    "attestation_employeur.pdf", "devis_dentaire.pdf; facture_dentaire.pdf", "photo_courrier.jpg",
    "scan001.pdf, scan002.pdf", "2 pièces jointes",
)  # fmt: skip
# Birth departments of the NIR: (code in the number, number used for the key, lowest commune,
# highest commune). Corsica is 19/18 for the key; overseas is 97 + a commune whose first digit is
# the department (971 to 974); 99 is born abroad, with a country code as commune.
_NIR_DEPARTMENTS = (
    ("75", 75, 101, 120), ("92", 92, 2, 78), ("93", 93, 1, 79), ("94", 94, 1, 81),
    ("69", 69, 1, 299), ("13", 13, 1, 119), ("59", 59, 1, 669), ("33", 33, 1, 550),
    ("31", 31, 1, 592), ("44", 44, 1, 225), ("67", 67, 1, 550), ("57", 57, 1, 767),
    ("62", 62, 1, 907), ("35", 35, 1, 363), ("76", 76, 1, 760), ("06", 6, 1, 163),
    ("01", 1, 1, 457), ("29", 29, 1, 303), ("2A", 19, 1, 366), ("2B", 18, 1, 366),
    ("97", 97, 101, 424), ("99", 99, 100, 499),
)  # fmt: skip
_NIR_DEPARTMENT_WEIGHT = (
    0.12, 0.07, 0.07, 0.06, 0.06, 0.06, 0.06, 0.05, 0.05, 0.05, 0.04, 0.04, 0.04, 0.04, 0.04,
    0.03, 0.03, 0.03, 0.015, 0.015, 0.02, 0.04,
)  # fmt: skip
# Phone numbers: (first pair, fixed second pair or -1, share). 0590/0690 Guadeloupe, 0262 Réunion.
_PHONE_PREFIXES = (
    (6, -1, 0.42), (7, -1, 0.13), (1, -1, 0.12), (2, -1, 0.06), (3, -1, 0.06), (4, -1, 0.07),
    (5, -1, 0.04), (9, -1, 0.05), (5, 90, 0.015), (6, 90, 0.015), (2, 62, 0.01), (6, 92, 0.01),
)  # fmt: skip

_DESCRIPTIONS: dict[str, tuple[str, ...]] = {
    "remboursement": (
        "Je n'ai toujours pas reçu le remboursement de mes lunettes, envoyé il y a six semaines.",
        "Le remboursement de ma consultation chez le cardiologue (suivi du cœur) est incomplet : "
        "23,50 € au lieu de 46 €.",
        "Mes indemnités journalières de février ne m'ont pas été versées malgré l'envoi de "
        "l'arrêt de travail.",
        "Le montant remboursé pour mes soins dentaires (120 €) ne correspond pas aux garanties "
        "de mon contrat.",
        "Cela fait trois fois que j'envoie mes décomptes ; le dossier est toujours « en cours de "
        "traitement ».",
        'Votre courrier indique "pièce manquante" alors que toutes les pièces étaient jointes.',
        "Le versement du capital décès de mon époux n'est toujours pas intervenu, c'est un "
        "crève-cœur d'attendre autant.",
        "Prestation refusée sans explication alors que le médecin a bien rempli le formulaire.",
    ),
    "cotisation": (
        "Ma cotisation a augmenté de 18 % sans que j'en sois informé.",
        "Prélèvement de 87,40 € effectué deux fois ce mois-ci : merci de me rembourser le "
        "trop-perçu.",
        "Je continue d'être prélevé alors que mon contrat est résilié depuis le 1er janvier.",
        "L'échéancier reçu ne tient pas compte de mon changement de situation familiale.",
        "Appel de cotisation adressé à mon ancien employeur, je ne comprends pas pourquoi.",
    ),
    "adhesion": (
        "Mon adhésion n'a pas été enregistrée : je n'ai reçu ni carte de tiers payant ni "
        "certificat.",
        "Mes enfants n'ont pas été ajoutés comme ayants droit malgré ma demande du mois dernier.",
        "Le bulletin d'adhésion transmis par mon employeur a été perdu, c'est la deuxième fois.",
        "Date d'effet de l'adhésion erronée sur le certificat (01/03 au lieu du 01/02).",
    ),
    "resiliation": (
        "Ma demande de résiliation envoyée en recommandé est restée sans suite.",
        "On me réclame 250 € de frais à la suite de la résiliation, ce que le contrat ne prévoit "
        "pas.",
        "La résiliation a été prise en compte avec deux mois de retard ; je demande le "
        "remboursement des cotisations.",
        "Impossible d'obtenir l'attestation de résiliation demandée par ma nouvelle mutuelle.",
    ),
    "autre": (
        "Personne ne répond au téléphone et mes messages restent sans réponse depuis trois "
        "semaines.",
        "Mon changement d'adresse n'a pas été pris en compte, les courriers partent toujours à "
        "l'ancienne.",
        "L'espace adhérent est inaccessible depuis plusieurs jours, je ne peux pas télécharger "
        "mes relevés.",
        "Accueil téléphonique désagréable : je souhaite que ma réclamation soit transmise au "
        "responsable.",
        "Mon nom est mal orthographié sur tous vos courriers (Lefèvre et non Lefevre).",
    ),
    "demande_information": (
        "À quel montant de remboursement ai-je droit pour une paire de lunettes ?",
        "Pouvez-vous m'indiquer le montant de ma cotisation pour l'année prochaine ?",
        "Quels documents dois-je fournir pour ajouter mon conjoint à mon contrat ?",
    ),
    "demande_clarification": (
        "Je ne comprends pas sur quelle base je dois calculer mon remboursement.",
        "Pouvez-vous m'expliquer la ligne « participation forfaitaire » de mon décompte ?",
    ),
    "demande_confirmation": (
        "Ai-je bien droit à telle ou telle prestation dans mon contrat ?",
        "Pouvez-vous me confirmer que ma résiliation a bien été enregistrée ?",
        "Merci de me confirmer la prise en charge de mon hospitalisation du 12 mars.",
    ),
}


def _ascii(text: str) -> str:
    """An e-mail local part from a name: lower case, no accents, no spaces or apostrophes."""
    text = text.lower().replace("œ", "oe").replace("'", "").replace(" ", "")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


# --- Draws ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Draws:
    """Every random choice, as integer codes (-1: empty). Days count from 1970-01-01."""

    end: int
    received: _Codes
    sent: _Codes
    acknowledged: _Codes
    responded: _Codes
    referred: _Codes
    sequence: _Codes
    channel: _Codes
    nature: _Codes
    object: _Codes
    carrier: _Codes
    response_channel: _Codes
    mediator: _Codes
    spelling: dict[str, _Codes]  # column -> 0 for the label, k > 0 for its k-th other spelling
    last_name: _Codes
    last_name_upper: _Codes
    first_name: _Codes
    name_first: _Codes  # first name behind the e-mail and the NIR, even when the cell is empty
    name_last: _Codes
    nir_sex: _Codes
    nir_year: _Codes
    nir_month: _Codes
    nir_department: _Codes
    nir_commune: _Codes
    nir_order: _Codes
    nir_key_shift: _Codes  # 0: right key; 1..96: wrong key; -1: no NIR
    email_style: _Codes
    email_suffix: _Codes
    email_domain: _Codes
    email_fault: _Codes  # 0: valid, 1: no @, 2: two @, 3: no top-level domain, -1: no e-mail
    phone_prefix: _Codes
    phone_pairs: _Codes  # the last four or three pairs, as an integer below 10**8
    phone_format: _Codes  # 0: spaces, 1: packed, 2: dots, 3: +33; -1: no phone
    phone_fault: _Codes  # 0: valid, 1: one pair short, 2: one digit too many
    street_number: _Codes
    street: _Codes
    complement: _Codes
    city: _Codes
    address_multiline: _Codes  # -1: no address
    company: _Codes
    description: _Codes
    attachments: _Codes
    handler: _Codes
    # ACPR 2024-R-02, drawn from their own stream: the columns above keep their values.
    outcome: _Codes  # -1: not recorded (and every case not answered as of `end`)
    redress_cents: _Codes  # -1: no amount
    cause: _Codes
    dysfunction: _Codes  # -1: none; k: DYS-00k

    def __len__(self) -> int:
        return len(self.received)


def _choice(rng: np.random.Generator, weights: Any, size: int) -> _Codes:
    p = np.asarray(weights, dtype=float)
    return rng.choice(len(p), size=size, p=p / p.sum()).astype(np.int16)


def _draw(rows: int, seed: int, end: date, years: float) -> _Draws:
    # One stream per concern: a change to one part leaves the draws of the others as they were.
    # spawn(8)'s first seven children are spawn(7)'s: the outcome stream changed nothing else.
    rng_dates, rng_kind, rng_flow, rng_people, rng_contact, rng_text, rng_spelling, rng_outcome = (
        np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(8)
    )
    last = end.toordinal() - _EPOCH
    received, channel = _draw_dates(rng_dates, rows, last, years)
    nature, obj, carrier = _draw_kind(rng_kind, rows)
    flow = _draw_flow(rng_flow, received, channel, nature, carrier, last)
    # References number the cases of each year of receipt in order: REC-2025-000123.
    year = received.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64)
    sequence = (np.arange(rows) - np.searchsorted(year, year, side="left") + 1).astype(np.int32)
    outcome = _draw_outcome(rng_outcome, nature, obj, flow["responded"])
    spelling = _draw_spelling(
        rng_spelling,
        {
            "channel": channel,
            "nature": nature,
            "object": obj,
            "risk_carrier": carrier,
            "response_channel": flow["response_channel"],
            "mediator": flow["mediator"],
            "outcome": outcome["outcome"],  # last: the spellings above are drawn as before
            "cause": outcome["cause"],
        },
    )
    return _Draws(
        end=last,
        received=received,
        sequence=sequence,
        channel=channel,
        nature=nature,
        object=obj,
        carrier=carrier,
        spelling=spelling,
        **flow,
        **_draw_people(rng_people, rows),
        **_draw_contact(rng_contact, rows),
        **_draw_text(rng_text, channel, nature, obj),
        **outcome,
    )


_OUTCOME_SHARE = (0.3, 0.2, 0.45, 0.05)  # fondée, partiellement, non fondée, not recorded
_CAUSE_SHARE = (0.3, 0.25, 0.15, 0.1, 0.1, 0.05, 0.05)
_DYSFUNCTIONS = 9


def _draw_outcome(
    rng: np.random.Generator, nature: _Codes, obj: _Codes, responded: _Codes
) -> dict[str, _Codes]:
    """What the answer found, the redress, the cause and sometimes a dysfunction: on answered
    complaints only."""
    rows = len(nature)
    answered = (nature == _COMPLAINT) & (responded >= 0)
    outcome = _choice(rng, _OUTCOME_SHARE, rows).astype(np.int16)
    outcome = np.where(answered & (outcome < 3), outcome, _MISSING).astype(np.int16)
    founded = outcome >= 0
    founded &= outcome <= 1
    paid = founded & (rng.random(rows) < 0.5)
    cents = np.floor(1000 + 49000 * rng.random(rows) ** 2).astype(np.int64)
    cents = np.where(rng.random(rows) < 0.3, cents // 100 * 100, cents)  # round euros too
    cause = _choice(rng, _CAUSE_SHARE, rows)
    cause = np.where(answered & (rng.random(rows) < 0.9), cause, _MISSING).astype(np.int16)
    dysfunction = 1 + (obj.astype(np.int64) * 2 + rng.integers(0, 2, rows)) % _DYSFUNCTIONS
    linked = founded & (rng.random(rows) < 0.03)
    return {
        "outcome": outcome,
        "redress_cents": np.where(paid, cents, _MISSING),
        "cause": cause,
        "dysfunction": np.where(linked, dysfunction, _MISSING).astype(np.int16),
    }


def _draw_dates(
    rng: np.random.Generator, rows: int, last: int, years: float
) -> tuple[_Codes, _Codes]:
    """Receipt days, weighted by weekday, month and a slow growth; sorted, with their channel."""
    span = max(1, round(years * 365.25))
    days = np.arange(last - span + 1, last + 1, dtype=np.int64)
    weekday = (days + 3) % 7  # 1970-01-01 was a Thursday; Monday is 0
    month = days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64) % 12
    trend = (1 + _GROWTH * (days - days[0]) / span) * np.asarray(_MONTH_WEIGHT)[month]
    channel = _choice(rng, [_CHANNEL_SHARE[c] for c in _CHANNELS], rows)
    received = np.empty(rows, dtype=np.int32)
    for code, name in enumerate(_CHANNELS):
        chosen = channel == code
        weight = trend * np.asarray(_WEEKDAY_WEIGHT[name])[weekday]
        received[chosen] = rng.choice(days, size=int(chosen.sum()), p=weight / weight.sum())
    order = np.argsort(received, kind="stable")
    return received[order], channel[order]


def _draw_kind(rng: np.random.Generator, rows: int) -> tuple[_Codes, _Codes, _Codes]:
    nature = _choice(rng, [_NATURE_SHARE[n] for n in _NATURES], rows)
    obj = _choice(rng, [_OBJECT_SHARE[o] for o in _OBJECTS], rows)
    carrier_share = [_CARRIER_SHARE[c] for c in _CARRIERS]
    carrier = _choice(rng, [*carrier_share, 1 - sum(carrier_share)], rows)
    carrier[carrier == len(_CARRIERS)] = _MISSING
    return nature, obj, carrier


def _next_monday_if_sunday(days: _Codes) -> _Codes:
    sunday = (days + 3) % 7 == 6
    return np.where(sunday, days + 1, days)


def _draw_flow(
    rng: np.random.Generator,
    received: _Codes,
    channel: _Codes,
    nature: _Codes,
    carrier: _Codes,
    last: int,
) -> dict[str, _Codes]:
    """Sending, acknowledgement, answer and escalation days, then what `last` has not seen yet."""
    rows = len(received)
    day = received.astype(np.int64)
    complaint = nature == _COMPLAINT

    # Sending: e-mails the same day or the day before, letters 1 to 6 days before.
    sent = np.full(rows, _MISSING, dtype=np.int64)
    email, courrier = channel == _EMAIL, channel == _COURRIER
    sent[email] = day[email] - (rng.random(rows) < 0.3)[email]
    post_delay = 1 + _choice(rng, (0.15, 0.3, 0.25, 0.15, 0.1, 0.05), rows)
    sent[courrier] = day[courrier] - post_delay[courrier]

    # Answer class (0 on time, 1 late, 2 never) and acknowledgement class (0 on time, 1 late,
    # 2 none: the answer, within 10 days, is the acknowledgement).
    answer_class = _choice(rng, (0.895, 0.08, 0.025), rows)
    ack_class = _choice(rng, (0.88, 0.08, 0.04), rows)
    ack_class[(ack_class == 2) & (answer_class == 1)] = 1

    ack_delay = np.empty(rows, dtype=np.int64)
    on_time_ack = {  # days 0..10 after receipt
        _TELEPHONE: (0.2, 0.25, 0.2, 0.12, 0.08, 0.05, 0.03, 0.03, 0.02, 0.01, 0.01),
        _EMAIL: (0.55, 0.25, 0.08, 0.04, 0.03, 0.02, 0.01, 0.01, 0.005, 0.003, 0.002),
        _COURRIER: (0.01, 0.04, 0.08, 0.12, 0.15, 0.15, 0.14, 0.11, 0.09, 0.06, 0.05),
    }
    for code, weights in on_time_ack.items():
        ack_delay[channel == code] = _choice(rng, weights, int((channel == code).sum()))
    late_ack = 11 + np.floor(20 * rng.random(rows) ** 2).astype(np.int64)
    ack_delay = np.where(ack_class == 1, late_ack, ack_delay)

    # Answers on time: most within a few weeks, the harder cases close to the two months, which
    # keeps cases due soon open at any date. Late: 63..120 days. (Two calendar months are 59 to 62
    # days; a Sunday answer moves to the Monday, hence at most 58 here.)
    quick = np.minimum(1 + np.floor(rng.gamma(2.0, 6.0, rows)).astype(np.int64), 58)
    slow = 58 - np.floor(20 * rng.random(rows) ** 1.5).astype(np.int64)
    answer_delay = np.where(rng.random(rows) < 0.6, quick, slow)
    answer_delay = np.where(answer_class == 1, rng.integers(63, 121, rows), answer_delay)
    answer_delay = np.where(
        (ack_class == 2) & (answer_class == 0), rng.integers(1, 11, rows), answer_delay
    )

    # As of `last`, the service has a backlog: some recent complaints still wait, within their
    # deadlines, for an acknowledgement or an answer, so that a dashboard shows cases due soon.
    age = last - day
    waiting = complaint & (ack_class == 0) & (age < 10) & (rng.random(rows) < 0.35)
    backlog_ack = age + 1 + np.floor(rng.random(rows) * (10 - age)).astype(np.int64)
    ack_delay = np.where(waiting, backlog_ack, ack_delay)
    waiting = complaint & (answer_class == 0) & (ack_class != 2) & (age < 58)
    waiting &= rng.random(rows) < 0.25
    backlog_answer = age + 1 + np.floor(rng.random(rows) * (58 - age)).astype(np.int64)
    answer_delay = np.where(waiting, backlog_answer, answer_delay)

    after_ack = (ack_class != 2) & (answer_delay <= ack_delay)
    answer_delay = np.where(after_ack, ack_delay + rng.integers(1, 11, rows), answer_delay)

    # Requests are answered within a week; most get no separate acknowledgement.
    request = ~complaint
    answer_class[request] = 0
    answer_delay = np.where(
        request, _choice(rng, (0.1, 0.3, 0.25, 0.15, 0.1, 0.05, 0.03, 0.02), rows), answer_delay
    )
    ack_class[request] = np.where(rng.random(rows) < 0.35, 0, 2)[request]
    ack_delay = np.where(request, np.minimum(answer_delay, rng.integers(0, 2, rows)), ack_delay)

    acknowledged = np.where(ack_class == 2, _MISSING, day + ack_delay)
    responded = np.where(answer_class == 2, _MISSING, _next_monday_if_sunday(day + answer_delay))

    # A few acknowledgements sent after a quick answer (a data-quality finding, not an error).
    ack_after = complaint & (answer_class == 0) & (ack_class == 0) & (rng.random(rows) < 0.012)
    quick_answer = _next_monday_if_sunday(day + rng.integers(1, 7, rows))
    responded = np.where(ack_after, quick_answer, responded)
    acknowledged = np.where(ack_after, responded + rng.integers(1, 5, rows), acknowledged)

    # Escalation: more likely after a late answer, most likely without any answer (the client may
    # refer to the mediator two months after the complaint).
    escalation_p = np.where(answer_class == 0, 0.03, np.where(answer_class == 1, 0.12, 0.35))
    escalated = complaint & (rng.random(rows) < escalation_p)
    referred = np.where(
        answer_class == 2, day + rng.integers(62, 181, rows), responded + rng.integers(7, 181, rows)
    )
    referred = np.where(escalated, referred, _MISSING)

    derived = np.array([_MEDIATORS.index(fields.MEDIATOR_BY_CARRIER[c]) for c in _CARRIERS])
    unknown_carrier = _choice(rng, [_CARRIER_SHARE[c] for c in _CARRIERS], rows)
    mediator = np.where(carrier >= 0, derived[carrier], derived[unknown_carrier])
    misrouted = rng.random(rows) < 0.15
    other_mediator = (mediator + rng.integers(1, len(_MEDIATORS), rows)) % len(_MEDIATORS)
    mediator = np.where(misrouted, other_mediator, mediator)
    mediator[rng.random(rows) < 0.08] = _MISSING

    answer_elsewhere = rng.random(rows) < 0.05
    other_channel = (channel + rng.integers(1, len(_CHANNELS), rows)) % len(_CHANNELS)
    response_channel = np.where(answer_elsewhere, other_channel, channel)

    # What has not happened by `last` is empty: recent cases are still open.
    acknowledged = np.where(acknowledged > last, _MISSING, acknowledged)
    responded = np.where(responded > last, _MISSING, responded)
    referred = np.where(referred > last, _MISSING, referred)
    return {
        "sent": sent.astype(np.int32),
        "acknowledged": acknowledged.astype(np.int32),
        "responded": responded.astype(np.int32),
        "referred": referred.astype(np.int32),
        "response_channel": np.where(responded >= 0, response_channel, _MISSING).astype(np.int8),
        "mediator": np.where(referred >= 0, mediator, _MISSING).astype(np.int8),
    }


def _draw_spelling(rng: np.random.Generator, codes: dict[str, _Codes]) -> dict[str, _Codes]:
    """For each enumerated cell, which spelling the French export uses (0: the label)."""
    spelling: dict[str, _Codes] = {}
    for column, values in codes.items():
        counts = np.array([len(v) for v in _spellings(column).values()] + [1])
        other = 1 + np.floor(rng.random(len(values)) * (counts[values] - 1)).astype(np.int64)
        spelling[column] = np.where(rng.random(len(values)) < _SYNONYM_SHARE, other, 0).astype(
            np.int8
        )
    return spelling


def _draw_people(rng: np.random.Generator, rows: int) -> dict[str, _Codes]:
    first = rng.integers(0, len(_FIRST_NAMES), rows, dtype=np.int16)
    last = rng.integers(0, len(_LAST_NAMES), rows, dtype=np.int16)
    sex = np.array([s for _, s in _FIRST_NAMES], dtype=np.int8)[first]
    sex = np.where(rng.random(rows) < 0.005, sex + 6, sex)  # a few temporary numbers (7 or 8)
    nir = rng.random(rows)
    key_shift = np.where(nir < 0.03, rng.integers(1, 97, rows), 0)
    department = _choice(rng, _NIR_DEPARTMENT_WEIGHT, rows)
    low = np.array([d[2] for d in _NIR_DEPARTMENTS])[department]
    high = np.array([d[3] for d in _NIR_DEPARTMENTS])[department]
    return {
        "first_name": np.where(rng.random(rows) < 0.01, _MISSING, first).astype(np.int16),
        "last_name": np.where(rng.random(rows) < 0.01, _MISSING, last).astype(np.int16),
        "last_name_upper": (rng.random(rows) < 0.3).astype(np.int8),
        "name_first": first,
        "name_last": last,
        "nir_sex": sex.astype(np.int8),
        "nir_year": rng.integers(40, 106, rows, dtype=np.int16) % 100,
        "nir_month": rng.integers(1, 13, rows, dtype=np.int8),
        "nir_department": department,
        "nir_commune": (low + np.floor(rng.random(rows) * (high - low + 1))).astype(np.int16),
        "nir_order": rng.integers(1, 1000, rows, dtype=np.int16),
        "nir_key_shift": np.where(nir > 0.99, _MISSING, key_shift).astype(np.int8),
    }


def _draw_contact(rng: np.random.Generator, rows: int) -> dict[str, _Codes]:
    email = rng.random(rows)
    email_fault = np.where(email < 0.02, rng.integers(1, 4, rows), 0)
    phone = rng.random(rows)
    address = rng.random(rows)
    return {
        "email_style": _choice(rng, (0.75, 0.15, 0.1), rows),
        "email_suffix": np.where(
            rng.random(rows) < 0.2, rng.integers(1, 100, rows), _MISSING
        ).astype(np.int8),
        "email_domain": _choice(rng, (0.5, 0.2, 0.1, 0.1, 0.1), rows),
        "email_fault": np.where(email > 0.95, _MISSING, email_fault).astype(np.int8),
        "phone_prefix": _choice(rng, [p[2] for p in _PHONE_PREFIXES], rows),
        "phone_pairs": rng.integers(0, 10**8, rows, dtype=np.int32),
        "phone_format": np.where(
            phone > 0.96, _MISSING, _choice(rng, (0.6, 0.2, 0.1, 0.1), rows)
        ).astype(np.int8),
        "phone_fault": np.where(phone < 0.02, rng.integers(1, 3, rows), 0).astype(np.int8),
        "street_number": rng.integers(1, 160, rows, dtype=np.int16),
        "street": rng.integers(0, len(_STREETS), rows, dtype=np.int16),
        "complement": np.where(
            rng.random(rows) < 0.08, rng.integers(0, len(_COMPLEMENTS), rows), _MISSING
        ).astype(np.int8),
        "city": rng.integers(0, len(_CITIES), rows, dtype=np.int16),
        "address_multiline": np.where(address > 0.96, _MISSING, address < 0.15).astype(np.int8),
        "company": np.where(
            rng.random(rows) < 0.03, _MISSING, rng.integers(0, len(_COMPANIES), rows)
        ).astype(np.int16),
    }


_DESCRIPTION_START = np.cumsum([0] + [len(t) for t in _DESCRIPTIONS.values()])[:-1]
_DESCRIPTION_COUNT = np.array([len(t) for t in _DESCRIPTIONS.values()])


def _draw_text(
    rng: np.random.Generator, channel: _Codes, nature: _Codes, obj: _Codes
) -> dict[str, _Codes]:
    rows = len(channel)
    groups = list(_DESCRIPTIONS)
    object_group = np.array([groups.index(o) for o in _OBJECTS])
    nature_group = np.array([groups.index(n) if n in groups else -1 for n in _NATURES])
    group = np.where(nature == _COMPLAINT, object_group[obj], nature_group[nature])
    description = _DESCRIPTION_START[group] + np.floor(
        rng.random(rows) * _DESCRIPTION_COUNT[group]
    ).astype(np.int64)
    with_attachments = np.array([_ATTACHMENT_SHARE[c] for c in _CHANNELS])[channel]
    attachments = np.where(
        rng.random(rows) < with_attachments, rng.integers(0, len(_ATTACHMENTS), rows), _MISSING
    )
    handler = np.where(rng.random(rows) < 0.01, _MISSING, _choice(rng, _HANDLER_WEIGHT, rows))
    return {
        "description": np.where(rng.random(rows) < 0.02, _MISSING, description).astype(np.int16),
        "attachments": attachments.astype(np.int8),
        "handler": handler.astype(np.int8),
    }


# --- Rendering ------------------------------------------------------------------------------------
# _Cells are pyarrow string arrays: a lookup is a `take`, a concatenation one element-wise join, and
# the CSV lines are joined the same way, all without a Python object per cell.

_Cells = Any  # a pyarrow string array (pyarrow has no type hints)

_VOCABULARIES: dict[str, fields.Vocabulary] = {
    "channel": fields.CHANNELS,
    "nature": fields.NATURES,
    "object": fields.DEFAULT_OBJECTS,
    "risk_carrier": fields.RISK_CARRIERS,
    "response_channel": fields.CHANNELS,
    "mediator": fields.MEDIATORS,
    "outcome": fields.OUTCOMES,
    "cause": fields.DEFAULT_CAUSES,
}


def _spellings(column: str) -> dict[str, tuple[str, ...]]:
    """Canonical value -> its French spellings: the label, then synonyms and capitals."""
    return {
        value: tuple(dict.fromkeys((label, *synonyms, label.upper())))
        for value, (label, synonyms) in _VOCABULARIES[column].items()
    }


def _table(values: Any) -> _Cells:
    """A lookup table of strings whose last entry, reached by the code -1, is the empty cell."""
    return pa.array([*values, ""], type=pa.string())


def _lookup(table: _Cells, codes: _Codes) -> _Cells:
    codes = codes.astype(np.int64)
    return table.take(np.where(codes < 0, len(table) - 1, codes))


def _digits(number: _Codes, table: _Cells, modulo: int) -> _Cells:
    return _lookup(table, number % modulo)


def _concat(*parts: _Cells | str) -> _Cells:
    return pc.binary_join_element_wise(*parts, "")


def _blank(cells: _Cells, empty: npt.NDArray[np.bool_]) -> _Cells:
    return pc.if_else(pa.array(empty), "", cells)


def _enum_table(column: str, canonical: bool) -> tuple[_Cells, int]:
    """A flat table indexed by value * width + spelling (the last entry is the empty cell)."""
    spellings = _spellings(column)
    if canonical:
        return _table(spellings), 1
    width = max(len(s) for s in spellings.values())
    flat = (s[i] if i < len(s) else s[0] for s in spellings.values() for i in range(width))
    return _table(flat), width


_DIGITS1 = _table(str(i) for i in range(10))
_DIGITS2 = _table(f"{i:02d}" for i in range(100))
_DIGITS3 = _table(f"{i:03d}" for i in range(1000))
_NUMBERS = _table(str(i) for i in range(1000))
_FIRST_NAME_TABLE = _table(name for name, _ in _FIRST_NAMES)
_LAST_NAME_TABLE = _table([*_LAST_NAMES, *(n.upper() for n in _LAST_NAMES)])
_COMPANY_TABLE = _table(_COMPANIES)
_DESCRIPTION_TABLE = _table(t for texts in _DESCRIPTIONS.values() for t in texts)
_ATTACHMENT_TABLE = _table(_ATTACHMENTS)
_HANDLER_TABLE = _table(_HANDLERS)
_DYSFUNCTION_TABLE = _table(f"DYS-{i:03d}" for i in range(_DYSFUNCTIONS + 1))
_STREET_TABLE = _table(_STREETS)
_COMPLEMENT_TABLE = _table(_COMPLEMENTS)
_CITY_TABLE = _table(_CITIES)
_NIR_DEPARTMENT_TABLE = _table(d[0] for d in _NIR_DEPARTMENTS)
_NIR_KEY_DEPARTMENT = np.array([d[1] for d in _NIR_DEPARTMENTS], dtype=np.int64)
_EMAIL_FIRST_TABLE = _table(
    [
        *(_ascii(n) + "." for n, _ in _FIRST_NAMES),  # helene.lefevre
        *(_ascii(n)[0] for n, _ in _FIRST_NAMES),  # hlefevre
        *(_ascii(n) + "_" for n, _ in _FIRST_NAMES),  # helene_lefevre
    ]
)
_EMAIL_LAST_TABLE = _table(_ascii(n) for n in _LAST_NAMES)
_EMAIL_AT_TABLE = _table(("@", "", "@@", "@"))  # by fault: none, no @, two @, no top-level domain
_EMAIL_DOMAIN_TABLE = _table([*_EMAIL_DOMAINS, _BAD_DOMAIN])
_PHONE_FIRST = np.array([p[0] for p in _PHONE_PREFIXES], dtype=np.int64)
_PHONE_FIXED = np.array([p[1] for p in _PHONE_PREFIXES], dtype=np.int64)
_PHONE_SEPARATOR_TABLE = _table((" ", "", ".", " "))  # by format
_PHONE_INTERNATIONAL_TABLE = _table(f"+33 {i}" for i in range(100))


class _Renderer:
    """Turns the codes of a range of rows into the cells of the export, French or canonical."""

    def __init__(self, draws: _Draws, canonical: bool) -> None:
        self.d = draws
        self.canonical = canonical
        self.headers = [c.name if canonical else c.header for c in fields.COLUMNS]
        # Letters are sent at most 6 days before their receipt; received days are sorted.
        self.first_day = int(draws.received[0]) - 7 if len(draws) else draws.end
        iso = [str(day) for day in np.arange(self.first_day, draws.end + 1).astype("datetime64[D]")]
        self.dates = _table(iso if canonical else [f"{s[8:10]}/{s[5:7]}/{s[:4]}" for s in iso])
        self.enums = {column: _enum_table(column, canonical) for column in _VOCABULARIES}
        self.first_year = int(iso[0][:4])
        self.reference_prefix = _table(
            f"REC-{y}-" for y in range(self.first_year, int(iso[-1][:4]) + 1)
        )
        self.millions = _table(["", *(str(i) for i in range(1, len(draws) // 10**6 + 2))])

    def table(self, lo: int, hi: int) -> Any:
        """The rows lo..hi as a pyarrow table of strings, with the export's headers."""
        rows = slice(lo, hi)
        d = self.d
        cells = {
            "reference": self._reference(rows),
            "received_on": self._date(d.received[rows]),
            "sent_on": self._date(d.sent[rows]),
            "channel": self._enum("channel", d.channel[rows], rows),
            "nature": self._enum("nature", d.nature[rows], rows),
            "object": self._enum("object", d.object[rows], rows),
            "last_name": self._last_name(rows),
            "first_name": _lookup(_FIRST_NAME_TABLE, d.first_name[rows]),
            "nir": self._nir(rows),
            "email": self._email(rows),
            "phone": self._phone(rows),
            "postal_address": self._address(rows),
            "company": _lookup(_COMPANY_TABLE, d.company[rows]),
            "risk_carrier": self._enum("risk_carrier", d.carrier[rows], rows),
            "description": _lookup(_DESCRIPTION_TABLE, d.description[rows]),
            "attachments": _lookup(_ATTACHMENT_TABLE, d.attachments[rows]),
            "acknowledged_on": self._date(d.acknowledged[rows]),
            "responded_on": self._date(d.responded[rows]),
            "response_channel": self._enum("response_channel", d.response_channel[rows], rows),
            "mediator_referred_on": self._date(d.referred[rows]),
            "mediator": self._enum("mediator", d.mediator[rows], rows),
            "handler": _lookup(_HANDLER_TABLE, d.handler[rows]),
            "outcome": self._enum("outcome", d.outcome[rows], rows),
            "redress_amount": self._amount(d.redress_cents[rows]),
            "cause": self._enum("cause", d.cause[rows], rows),
            "dysfunction": _lookup(_DYSFUNCTION_TABLE, d.dysfunction[rows]),
        }
        return pa.table([cells[c] for c in fields.CANONICAL], names=self.headers)

    def _date(self, days: _Codes) -> _Cells:
        return _lookup(self.dates, np.where(days < 0, _MISSING, days - self.first_day))

    def _enum(self, column: str, codes: _Codes, rows: slice) -> _Cells:
        table, width = self.enums[column]
        value = codes.astype(np.int64)
        if width > 1:
            value = value * width + self.d.spelling[column][rows]
        return _lookup(table, np.where(codes < 0, _MISSING, value))

    def _amount(self, cents: _Codes) -> _Cells:
        """`123,45` in the French export, `123.45` in the canonical one."""
        cents = cents.astype(np.int64)
        amount = _concat(
            _lookup(_NUMBERS, np.maximum(cents, 0) // 100),
            "." if self.canonical else ",",
            _digits(np.maximum(cents, 0), _DIGITS2, 100),
        )
        return _blank(amount, cents < 0)

    def _reference(self, rows: slice) -> _Cells:
        year = self.d.received[rows].astype("datetime64[D]").astype("datetime64[Y]")
        sequence = self.d.sequence[rows].astype(np.int64)
        return _concat(
            _lookup(self.reference_prefix, year.astype(np.int64) + 1970 - self.first_year),
            _lookup(self.millions, sequence // 10**6),
            _digits(sequence // 1000, _DIGITS3, 1000),
            _digits(sequence, _DIGITS3, 1000),
        )

    def _last_name(self, rows: slice) -> _Cells:
        code = self.d.last_name[rows].astype(np.int64)
        upper = self.d.last_name_upper[rows].astype(np.int64) * len(_LAST_NAMES)
        return _lookup(_LAST_NAME_TABLE, np.where(code < 0, _MISSING, code + upper))

    def _nir(self, rows: slice) -> _Cells:
        """Sex, year, month, department, commune, order, then the key 97 - number % 97."""
        d = self.d
        sex = d.nir_sex[rows].astype(np.int64)
        year = d.nir_year[rows].astype(np.int64)
        month = d.nir_month[rows].astype(np.int64)
        department = d.nir_department[rows].astype(np.int64)
        commune = d.nir_commune[rows].astype(np.int64)
        order = d.nir_order[rows].astype(np.int64)
        shift = d.nir_key_shift[rows].astype(np.int64)
        number = (
            sex * 10**12
            + year * 10**10
            + month * 10**8
            + _NIR_KEY_DEPARTMENT[department] * 10**6  # 2A and 2B count as 19 and 18
            + commune * 10**3
            + order
        )
        key = 97 - number % 97
        key = np.where(shift > 0, (key - 1 + shift) % 97 + 1, key)  # 1..97, never the right one
        nir = _concat(
            _digits(sex, _DIGITS1, 10),
            _digits(year, _DIGITS2, 100),
            _digits(month, _DIGITS2, 100),
            _lookup(_NIR_DEPARTMENT_TABLE, department),
            _digits(commune, _DIGITS3, 1000),
            _digits(order, _DIGITS3, 1000),
            _digits(key, _DIGITS2, 100),
        )
        return _blank(nir, shift < 0)

    def _email(self, rows: slice) -> _Cells:
        d = self.d
        fault = d.email_fault[rows].astype(np.int64)
        style = d.email_style[rows].astype(np.int64)
        email = _concat(
            _lookup(_EMAIL_FIRST_TABLE, style * len(_FIRST_NAMES) + d.name_first[rows]),
            _lookup(_EMAIL_LAST_TABLE, d.name_last[rows]),
            _lookup(_NUMBERS, d.email_suffix[rows]),
            _lookup(_EMAIL_AT_TABLE, np.maximum(fault, 0)),
            _lookup(
                _EMAIL_DOMAIN_TABLE, np.where(fault == 3, len(_EMAIL_DOMAINS), d.email_domain[rows])
            ),
        )
        return _blank(email, fault < 0)

    def _phone(self, rows: slice) -> _Cells:
        d = self.d
        prefix = d.phone_prefix[rows].astype(np.int64)
        pairs = d.phone_pairs[rows].astype(np.int64)
        fixed = _PHONE_FIXED[prefix]
        form = d.phone_format[rows].astype(np.int64)
        form = np.where((fixed >= 0) & (form == 3), 0, form)  # overseas numbers stay national
        international = form == 3
        separator = _lookup(_PHONE_SEPARATOR_TABLE, np.maximum(form, 0))
        fault = d.phone_fault[rows]
        last_pair = _concat(separator, _digits(pairs, _DIGITS2, 100))
        last_pair = pc.if_else(pa.array(fault == 2), _concat(last_pair, "5"), last_pair)
        phone = _concat(
            pc.if_else(
                pa.array(international),
                _lookup(_PHONE_INTERNATIONAL_TABLE, _PHONE_FIRST[prefix]),
                _lookup(_DIGITS2, _PHONE_FIRST[prefix]),
            ),
            separator,
            _lookup(_DIGITS2, np.where(fixed >= 0, fixed, pairs // 10**6)),
            separator,
            _digits(pairs // 10**4, _DIGITS2, 100),
            separator,
            _digits(pairs // 100, _DIGITS2, 100),
            _blank(last_pair, fault == 1),
        )
        return _blank(phone, form < 0)

    def _address(self, rows: slice) -> _Cells:
        d = self.d
        multiline = d.address_multiline[rows]
        separator = pc.if_else(pa.array(multiline == 1), "\n", ", ")
        complement = d.complement[rows]
        address = _concat(
            _lookup(_NUMBERS, d.street_number[rows]),
            " ",
            _lookup(_STREET_TABLE, d.street[rows]),
            separator,
            _blank(_concat(_lookup(_COMPLEMENT_TABLE, complement), separator), complement < 0),
            _lookup(_CITY_TABLE, d.city[rows]),
        )
        return _blank(address, multiline < 0)


# --- Writing --------------------------------------------------------------------------------------


def _csv_lines(table: Any, separator: str) -> memoryview:
    """The rows of `table` as CSV lines in UTF-8, quoted as csv.QUOTE_MINIMAL quotes them."""
    columns = []
    for cells in table.columns:
        special = [pc.match_substring(cells, c) for c in (separator, '"', "\n", "\r")]
        needs_quotes = pc.or_(pc.or_(special[0], special[1]), pc.or_(special[2], special[3]))
        if pc.any(needs_quotes).as_py():
            quoted = _concat('"', pc.replace_substring(cells, '"', '""'), '"')
            cells = pc.if_else(needs_quotes, quoted, cells)
        columns.append(cells)
    lines = pc.binary_join_element_wise(*columns, separator)
    lines = pc.binary_join_element_wise(lines, "", "\n")  # each line ends with "\n"
    lines = lines.combine_chunks() if isinstance(lines, pa.ChunkedArray) else lines
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int32)[lines.offset :][: len(lines) + 1]
    return memoryview(lines.buffers()[2])[offsets[0] : offsets[-1]]


def _csv_header(headers: list[str], separator: str) -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=separator, lineterminator="\n").writerow(headers)
    return out.getvalue().encode()


# --- API ------------------------------------------------------------------------------------------


def generate(
    rows: int, seed: int, end: date, *, years: float = 3.0, canonical: bool = False
) -> pd.DataFrame:
    """A complaint export of `rows` cases received over `years` years up to `end`, as seen on `end`.

    French export by default (French headers and labels, a few synonyms, DD/MM/YYYY dates); with
    `canonical`, English column names, canonical values and ISO dates. Every cell is a string,
    empty when missing. The same arguments always give the same frame.
    """
    renderer = _Renderer(_draw(_check_rows(rows), seed, end, _check_years(years)), canonical)
    frame: pd.DataFrame = renderer.table(0, rows).to_pandas()
    return frame


def write_sample(path: Path, rows: int, seed: int, end: date, *, canonical: bool = False) -> None:
    """Write `generate(rows, seed, end, canonical=canonical)` to `path`.

    The French export is `;`-separated UTF-8 CSV with a BOM, the canonical one `,`-separated UTF-8
    CSV; a path ending in `.parquet` gets Parquet instead. Written in chunks of rows, so that large
    benchmark files need no more memory than their draws.
    """
    renderer = _Renderer(_draw(_check_rows(rows), seed, end, 3.0), canonical)
    chunks = (renderer.table(lo, min(lo + _CHUNK_ROWS, rows)) for lo in range(0, rows, _CHUNK_ROWS))
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".parquet":
        schema = pa.schema([(header, pa.string()) for header in renderer.headers])
        with pq.ParquetWriter(path, schema) as parquet:
            for chunk in chunks:
                parquet.write_table(chunk)
        return
    separator = "," if canonical else ";"
    with path.open("wb") as out:
        out.write(("" if canonical else "\ufeff").encode())
        out.write(_csv_header(renderer.headers, separator))
        for chunk in chunks:
            out.write(_csv_lines(chunk, separator))


def _check_rows(rows: int) -> int:
    if rows < 0:
        raise ValueError(f"rows must be positive or zero, not {rows}")
    return rows


def _check_years(years: float) -> float:
    if years <= 0:
        raise ValueError(f"years must be positive, not {years}")
    return years
