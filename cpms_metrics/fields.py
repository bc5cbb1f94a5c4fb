"""The export's vocabulary: canonical columns, their French headers, and the enumerated values.

One table serves the import (lenient matching of headers and values), the sample generator, the form
and every French label shown to a user. See docs/format-export.md.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass


def fold(text: str) -> str:
    """Key for lenient matching: no accents, no case, no spaces or punctuation."""
    decomposed = unicodedata.normalize("NFKD", text)
    without_accents = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"[^0-9a-z]", "", without_accents.lower().replace("œ", "oe"))


@dataclass(frozen=True)
class Column:
    name: str
    header: str  # the French header of the export
    required: bool = False
    kind: str = "text"  # text | date | enum | amount
    aliases: tuple[str, ...] = ()


COLUMNS: tuple[Column, ...] = (
    Column("reference", "Référence", True, aliases=("Réf", "Numéro de dossier", "N° de dossier")),
    Column("received_on", "Date de réception", True, "date", ("Reçu le", "Date réception")),
    Column("sent_on", "Date d'envoi", kind="date", aliases=("Envoyé le",)),
    Column("channel", "Canal", True, "enum", ("Canal de réception",)),
    Column("nature", "Nature", True, "enum", ("Type de demande", "Nature de la demande")),
    Column("object", "Objet", True, "enum", ("Objet de la réclamation", "Motif")),
    Column("last_name", "Nom", aliases=("Nom de famille",)),
    Column("first_name", "Prénom"),
    Column("nir", "Numéro de sécurité sociale", aliases=("NIR", "N° de sécurité sociale", "N° SS")),
    Column("email", "Adresse électronique", aliases=("E-mail", "Courriel", "Adresse e-mail")),
    Column("phone", "Téléphone", aliases=("N° de téléphone", "Numéro de téléphone", "Tél")),
    Column("postal_address", "Adresse postale", aliases=("Adresse",)),
    Column("company", "Entreprise / Souscripteur", aliases=("Entreprise", "Souscripteur")),
    Column("risk_carrier", "Porteur de risque", kind="enum", aliases=("Assureur porteur",)),
    Column("description", "Formulation", aliases=("Description", "Texte de la réclamation")),
    Column("attachments", "Pièces jointes", aliases=("PJ",)),
    Column("acknowledged_on", "Date d'accusé de réception", kind="date", aliases=("Date AR",)),
    Column("responded_on", "Date de réponse", kind="date", aliases=("Répondu le",)),
    Column("response_channel", "Canal de réponse", kind="enum"),
    Column(
        "mediator_referred_on",
        "Date de saisine du médiateur",
        kind="date",
        aliases=("Date de saisine", "Saisine du médiateur"),
    ),
    Column("mediator", "Médiateur", kind="enum"),
    Column("handler", "Gestionnaire", aliases=("Chargé de dossier",)),
    # ACPR 2024-R-02: what the answer found, the redress granted, the root cause, the dysfunction.
    Column("outcome", "Suite donnée", kind="enum", aliases=("Issue", "Résultat", "Bien-fondé")),
    Column(
        "redress_amount",
        "Geste / indemnisation",
        kind="amount",
        aliases=("Geste commercial", "Indemnisation", "Montant du geste", "Montant accordé"),
    ),
    Column("cause", "Cause", kind="enum", aliases=("Cause racine", "Cause de la réclamation")),
    Column("dysfunction", "Dysfonctionnement", aliases=("Identifiant du dysfonctionnement",)),
)
COLUMN_BY_NAME = {c.name: c for c in COLUMNS}
CANONICAL = tuple(c.name for c in COLUMNS)
DATE_COLUMNS = tuple(c.name for c in COLUMNS if c.kind == "date")
AMOUNT_COLUMNS = tuple(c.name for c in COLUMNS if c.kind == "amount")
# The optional columns of ACPR 2024-R-02 (docs/format-export.md), stored since schema version 7.
OUTCOME_COLUMNS = ("outcome", "redress_amount", "cause", "dysfunction")
REQUIRED = tuple(c.name for c in COLUMNS if c.required)

# Header key -> canonical name. A canonical name, a French header or an alias all match.
HEADER_KEYS: dict[str, str] = {}
for _c in COLUMNS:
    for _h in (_c.name, _c.header, *_c.aliases):
        HEADER_KEYS[fold(_h)] = _c.name


# Enumerated values: canonical value -> (French label, synonyms).
CHANNELS = {
    "telephone": ("Téléphone", ("Tél", "Tel", "Appel", "Phone")),
    "email": ("E-mail", ("Mail", "Courriel", "Voie électronique", "Électronique", "Internet")),
    "courrier": ("Courrier", ("Voie postale", "Postal", "Lettre", "Poste")),
}
NATURES = {
    "reclamation": ("Réclamation", ("Plainte", "Complaint")),
    "demande_information": ("Demande d'information", ("Information",)),
    "demande_clarification": ("Demande de clarification", ("Clarification",)),
    "demande_confirmation": ("Demande de confirmation", ("Confirmation",)),
}
DEFAULT_OBJECTS = {
    "adhesion": ("Adhésion", ()),
    "resiliation": ("Résiliation", ()),
    "cotisation": ("Cotisation", ("Cotisations",)),
    "remboursement": ("Remboursement", ("Remboursements", "Prestation", "Prestations")),
    "autre": ("Autre", ("Divers", "Autres")),
}
RISK_CARRIERS = {
    "assureur": ("Assureur", ("Entreprise d'assurance", "Compagnie d'assurance", "Assurance")),
    "institution_prevoyance": ("Institution de prévoyance", ("IP", "Institution")),
    "mutuelle": ("Mutuelle", ("Mutuelle santé",)),
}
MEDIATORS = {
    "mediation_assurance": (
        "La Médiation de l'Assurance",
        ("Médiation de l'assurance", "Médiateur de l'assurance", "Médiation assurance"),
    ),
    "mediateur_ctip": (
        "Médiateur de la protection sociale – CTIP",
        ("Médiateur du CTIP", "CTIP", "Médiateur CTIP"),
    ),
    "mediateur_mutualite": (
        "Médiateur de la Mutualité française",
        ("Médiateur de la mutualité", "Mutualité"),
    ),
}
UNKNOWN_MEDIATOR = "inconnu"
MEDIATOR_BY_CARRIER = {
    "assureur": "mediation_assurance",
    "institution_prevoyance": "mediateur_ctip",
    "mutuelle": "mediateur_mutualite",
}
MEDIATOR_ADDRESSES = {
    "mediation_assurance": "La Médiation de l'Assurance, TSA 50110, 75441 Paris Cedex 09",
    "mediateur_ctip": "Médiateur de la protection sociale – CTIP, 10 rue Cambacérès, 75008 Paris",
    "mediateur_mutualite": (
        "Médiateur de la Mutualité française (coordonnées auprès de la mutuelle)"
    ),
}
OUTCOMES = {
    "fondee": ("Fondée", ("Fondé", "Justifiée")),
    "partiellement_fondee": (
        "Partiellement fondée",
        ("Partiellement fondé", "En partie fondée", "Partiellement justifiée", "Partielle"),
    ),
    "non_fondee": ("Non fondée", ("Non fondé", "Injustifiée", "Rejetée")),
}
FOUNDED_OUTCOMES = ("fondee", "partiellement_fondee")
DEFAULT_CAUSES = {
    "erreur_gestion": ("Erreur de gestion", ("Erreur de traitement", "Erreur")),
    "delai_traitement": ("Délai de traitement", ("Retard", "Délai", "Lenteur")),
    "information_insuffisante": (
        "Information insuffisante",
        ("Défaut d'information", "Manque d'information", "Information"),
    ),
    "defaut_outil": ("Défaut d'outil", ("Outil", "Informatique", "Bug", "Anomalie informatique")),
    "garanties_contrat": ("Garanties du contrat", ("Contrat", "Garanties", "Hors garantie")),
    "tiers": ("Tiers", ("Partenaire", "Prestataire", "Délégataire")),
    "autre": ("Autre", ("Divers", "Autres")),
}
WRITTEN_CHANNELS = ("email", "courrier")
COMPLAINT = "reclamation"

Vocabulary = dict[str, tuple[str, tuple[str, ...]]]


def object_vocabulary(objects: tuple[str, ...]) -> Vocabulary:
    """The objects of the `objects` setting, with labels and synonyms for the known ones."""
    return {
        key: DEFAULT_OBJECTS.get(key, (key.replace("_", " ").capitalize(), ())) for key in objects
    }


def cause_vocabulary(causes: tuple[str, ...]) -> Vocabulary:
    """The causes of the `causes` setting, with labels and synonyms for the known ones."""
    return {
        key: DEFAULT_CAUSES.get(key, (key.replace("_", " ").capitalize(), ())) for key in causes
    }


def value_keys(vocabulary: Vocabulary) -> dict[str, str]:
    """Folded spelling -> canonical value, for the canonical value, its label and its synonyms."""
    keys: dict[str, str] = {}
    for value, (label, synonyms) in vocabulary.items():
        for spelling in (value, label, *synonyms):
            keys[fold(spelling)] = value
    return keys


def label(vocabulary: Vocabulary, value: str | None) -> str:
    if value is None:
        return "—"
    return vocabulary.get(value, (value, ()))[0]
