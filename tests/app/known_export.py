"""A small known export and the figures worked out by hand from it, shared by the app and browser
tests. As of 2025-12-31, cohorts 2025-01 to 2025-12, policy `cpms`:

- 9 complaints (R01-R04, R06-R10; R05 is a request, R11 is from 2024, R12 arrives in 2026);
- acknowledgements: on time R01 R03 R06 R09 R10, late R02, overdue R04 R07, pending R08 -> 5/8;
- answers: on time R01 R02 R09, late R03, overdue R04 R06, pending R07 R08 R10 -> 3/6;
- escalated R03 (to the wrong mediator: a mutuelle's case sent to the insurers') and R04 -> 2/9.

The backlog (rules §7), every month: R04 R06 R07 R08 R10 and R11 (from 2024) are open -> 6;
acknowledgement overdue R04 R07 R11 -> 3; answer overdue R04 R06 R11 -> 3; due within 3 days none
(R08's AR is due 2026-01-05, in 5 days). Worklist bands: overdue R04 R06 R07 R11, 4 to 10 days R08,
later R10.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from cpms_metrics import open_store
from cpms_metrics.ingest import import_file
from cpms_metrics.settings import load_settings

AS_OF = date(2025, 12, 31)
IMPORT_DAY = date(2026, 1, 10)
QUERY = {"from": "2025-01", "to": "2025-12", "as_of": "2025-12-31"}

HEADER = (
    "Référence;Date de réception;Date d'envoi;Canal;Nature;Objet;Nom;Prénom;"
    "Numéro de sécurité sociale;Entreprise / Souscripteur;Porteur de risque;"
    "Date d'accusé de réception;Date de réponse;Canal de réponse;Date de saisine du médiateur;"
    "Médiateur;Gestionnaire"
)
ROWS = (
    "R01;06/01/2025;;E-mail;Réclamation;Remboursement;Martin;Anne;;Boulangerie Duval;Assureur;"
    "08/01/2025;20/02/2025;E-mail;;;Claire Fontaine",
    "R02;03/02/2025;31/01/2025;Courrier;Réclamation;Cotisation;Petit;Luc;;Garage Central;"
    "Institution de prévoyance;20/02/2025;10/03/2025;E-mail;;;Karim Benali",
    "R03;10/03/2025;;Téléphone;Réclamation;Résiliation;Durand;Marie;;Boulangerie Duval;Mutuelle;"
    "12/03/2025;30/05/2025;Téléphone;15/07/2025;La Médiation de l'Assurance;Claire Fontaine",
    "R04;14/04/2025;;E-mail;Réclamation;Remboursement;Leroy;Paul;;Garage Central;Assureur;"
    ";;;20/06/2025;;",
    "R05;05/05/2025;;E-mail;Demande d'information;Autre;Moreau;Léa;;;;;07/05/2025;E-mail;;;",
    "R06;02/06/2025;;Courrier;Réclamation;Adhésion;Simon;Jean;;Boulangerie Duval;Assureur;"
    "05/06/2025;;;;;Karim Benali",
    "R07;15/12/2025;;E-mail;Réclamation;Remboursement;Laurent;Eva;269054958815780;Garage Central;"
    "Institution de prévoyance;;;;;;Claire Fontaine",
    "R08;26/12/2025;;Téléphone;Réclamation;Cotisation;Michel;Hugo;;;;;;;;;",
    "R09;20/11/2025;;E-mail;Réclamation;Remboursement;Garcia;Inès;;Garage Central;Assureur;"
    "21/11/2025;19/12/2025;E-mail;;;Karim Benali",
    "R10;01/12/2025;27/11/2025;Courrier;Réclamation;Autre;David;Zoé;;Boulangerie Duval;Assureur;"
    "11/12/2025;;;;;Claire Fontaine",
    "R11;20/12/2024;;E-mail;Réclamation;Remboursement;Roux;Noé;;;Assureur;;;;;;",
    "R12;05/01/2026;;E-mail;Réclamation;Remboursement;Blanc;Lou;;;Assureur;;;;;;",
)
TEXT = "\n".join((HEADER, *ROWS)) + "\n"

# Worked out by hand (module docstring), for `cpms`.
EXPECTED_CARDS = {
    "Réclamations reçues": "9",
    "Accusés de réception dans les délais": "62,5\u202f%",
    "Réponses dans les délais": "50,0\u202f%",
    "Taux de saisine du médiateur": "22,2\u202f%",
    "Réponses en retard (dossiers ouverts)": "3",  # R04 R06 and R11, received in 2024
}
EXPECTED_BACKLOG = {"open": 6, "ack_overdue": 3, "response_overdue": 3, "due_within_3_days": 0}


def write_export(folder: Path, text: str = TEXT, name: str = "export.csv") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def build_db(path: Path, text: str = TEXT, import_day: date = IMPORT_DAY) -> Path:
    """A database at `path` filled from `text` through the real importer."""
    settings = load_settings()
    store = open_store(path, settings)
    try:
        if text:
            export = write_export(path.parent, text, f"{path.stem}.csv")
            import_file(
                store,
                export,
                import_day=import_day,
                imported_at=datetime.combine(import_day, datetime.min.time()),
                objects=settings.objects,
            )
    finally:
        store.close()
    return path
