"""Every setting in one declarative table: name, default, environment variable, help text.

`load_settings()` reads them from the environment once; the README lists each one (a test checks).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import SettingsError

POLICIES = ("cpms", "acpr")
HOLIDAY_REGIONS = ("metropole", "alsace-moselle")


@dataclass(frozen=True)
class Setting:
    name: str
    env: str
    default: str
    help: str
    parse: Callable[[str], Any]
    secret: bool = False  # its value is never shown, not even in an error message


def _choice(*allowed: str) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        value = raw.strip().lower()
        if value not in allowed:
            raise ValueError(f"valeurs possibles : {', '.join(allowed)}")
        return value

    return parse


def _switch(raw: str) -> bool:
    value = raw.strip().lower()
    if value in ("1", "true", "oui", "yes", "on"):
        return True
    if value in ("0", "false", "non", "no", "off", ""):
        return False
    raise ValueError("valeurs possibles : 0 ou 1")


def _memory(raw: str) -> str:
    value = raw.strip().replace(" ", "")
    if not re.fullmatch(r"\d+(\.\d+)?(KB|MB|GB|TB|KiB|MiB|GiB|TiB)", value, re.IGNORECASE):
        raise ValueError("une taille comme 512MB ou 2GB est attendue")
    return value


def _optional_path(raw: str) -> Path | None:
    value = raw.strip()
    return Path(value).expanduser() if value else None


def _port(raw: str) -> int:
    value = raw.strip()
    if not (value.isascii() and value.isdigit()) or not 1 <= int(value) <= 65535:
        raise ValueError("un numéro de port entre 1 et 65535 est attendu")
    return int(value)


def _days(raw: str) -> int:
    value = raw.strip()
    if not (value.isascii() and value.isdigit()):
        raise ValueError("un nombre de jours (entier positif ou nul) est attendu")
    return int(value)


def _text(raw: str) -> str:
    return raw.strip()


def _address(raw: str) -> str:
    addresses = _addresses(raw)
    if len(addresses) > 1:
        raise ValueError("une seule adresse est attendue")
    return addresses[0] if addresses else ""


def _addresses(raw: str) -> tuple[str, ...]:
    from .mail.compose import AddressError, parse_addresses

    try:
        return parse_addresses(raw)
    except AddressError as exc:
        raise ValueError(exc.message) from exc


def _url(raw: str) -> str:
    value = raw.strip().rstrip("/")
    if not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", value):
        raise ValueError("une adresse comme https://reclamations.exemple.fr est attendue")
    return value


def _timezone(raw: str) -> str:
    from .servicetime import zone_info

    value = raw.strip()
    try:
        zone_info(value)
    except SettingsError as exc:
        raise ValueError(
            "fuseau horaire inconnu (un nom IANA comme Europe/Paris est attendu)"
        ) from exc
    return value


def _objects(raw: str) -> tuple[str, ...]:
    from .fields import fold

    keys = tuple(dict.fromkeys(fold(part) for part in raw.split(",") if fold(part)))
    if not keys:
        raise ValueError("la liste des objets est vide")
    return keys


def _causes(raw: str) -> tuple[str, ...]:
    from .fields import DEFAULT_CAUSES, fold, value_keys

    known = value_keys(DEFAULT_CAUSES)  # a known cause may be written by its label too
    keys = tuple(
        dict.fromkeys(known.get(fold(part), fold(part)) for part in raw.split(",") if fold(part))
    )
    if not keys:
        raise ValueError("la liste des causes est vide")
    return keys


DEFAULT_CAUSE_LIST = (
    "erreur_gestion", "delai_traitement", "information_insuffisante", "defaut_outil",
    "garanties_contrat", "tiers", "autre",
)  # fmt: skip

SETTINGS: tuple[Setting, ...] = (
    Setting("db_path", "CPMS_DB", "data/cpms.duckdb", "Chemin du fichier DuckDB.", Path),
    Setting(
        "policy",
        "CPMS_POLICY",
        "cpms",
        "Politique de délais affichée par défaut : `cpms` (engagement publié) ou `acpr` "
        "(recommandation ACPR 2024-R-02).",
        _choice(*POLICIES),
    ),
    Setting(
        "holiday_region",
        "CPMS_HOLIDAY_REGION",
        "metropole",
        "Jours fériés pris en compte : `metropole` ou `alsace-moselle` (57, 67, 68 : "
        "Vendredi saint et 26 décembre en plus).",
        _choice(*HOLIDAY_REGIONS),
    ),
    Setting(
        "extend_to_working_day",
        "CPMS_EXTEND_TO_WORKING_DAY",
        "0",
        "1 pour reporter une échéance tombant un samedi, un dimanche ou un jour férié au premier "
        "jour ouvrable suivant (lecture de l'art. 642 du Code de procédure civile).",
        _switch,
    ),
    Setting(
        "objects",
        "CPMS_OBJECTS",
        "adhesion,resiliation,cotisation,remboursement,autre",
        "Objets de réclamation acceptés, séparés par des virgules.",
        _objects,
    ),
    Setting(
        "causes",
        "CPMS_CAUSES",
        ",".join(DEFAULT_CAUSE_LIST),
        "Causes de réclamation acceptées (colonne « Cause », recommandation ACPR 2024-R-02), "
        "séparées par des virgules ; une cause connue peut s'écrire par son libellé.",
        _causes,
    ),
    Setting(
        "memory_limit",
        "CPMS_MEMORY_LIMIT",
        "1GB",
        "Mémoire que DuckDB peut utiliser par connexion ; au-delà, un gros import passe par le "
        "disque au lieu d'échouer.",
        _memory,
    ),
    Setting(
        "roles_file",
        "CPMS_ROLES_FILE",
        "",
        "Fichier TOML des rôles (section `[users]` : adresse électronique = `direction`, "
        "`qualite`, `gestionnaire` ou `admin`), lu quand la connexion `[auth]` est configurée ; "
        "vide : aucun utilisateur connecté n'a de rôle.",
        _optional_path,
    ),
    # E-mail (`digest` and `report --mail-to`, cpms_metrics/mail).
    Setting(
        "smtp_host",
        "CPMS_SMTP_HOST",
        "",
        "Serveur d'envoi des courriels (SMTP) ; vide : aucun courriel ne peut partir.",
        _text,
    ),
    Setting("smtp_port", "CPMS_SMTP_PORT", "25", "Port du serveur d'envoi.", _port),
    Setting(
        "smtp_starttls",
        "CPMS_SMTP_STARTTLS",
        "0",
        "1 pour chiffrer la connexion au serveur d'envoi (STARTTLS, certificat vérifié).",
        _switch,
    ),
    Setting(
        "smtp_user",
        "CPMS_SMTP_USER",
        "",
        "Identifiant de connexion au serveur d'envoi ; vide : pas d'authentification.",
        _text,
    ),
    Setting(
        "smtp_password",
        "CPMS_SMTP_PASSWORD",
        "",
        "Mot de passe du serveur d'envoi, lu dans l'environnement seulement ; jamais affiché ni "
        "écrit au journal.",
        str,
        secret=True,
    ),
    Setting(
        "mail_from",
        "CPMS_MAIL_FROM",
        "",
        "Adresse d'expédition des courriels (obligatoire pour envoyer).",
        _address,
    ),
    Setting(
        "digest_to",
        "CPMS_DIGEST_TO",
        "",
        "Destinataires de la synthèse quotidienne des dossiers ouverts, séparés par des virgules.",
        _addresses,
    ),
    Setting(
        "digest_days",
        "CPMS_DIGEST_DAYS",
        "3",
        "Un gestionnaire reçoit ses dossiers hors délai et ceux dont l'échéance tombe dans ce "
        "nombre de jours.",
        _days,
    ),
    Setting(
        "base_url",
        "CPMS_BASE_URL",
        "http://localhost:8501",
        "Adresse du tableau de bord, pour les liens vers les dossiers dans les courriels.",
        _url,
    ),
    Setting(
        "timezone",
        "CPMS_TIMEZONE",
        "Europe/Paris",
        "Fuseau horaire du service (nom IANA) : il donne « aujourd'hui » (date d'arrêté par "
        "défaut, jour de l'import, dates proposées à la saisie, dernier mois clos du rapport) et "
        "l'heure affichée des journaux, quel que soit le fuseau de l'horloge du serveur.",
        _timezone,
    ),
)


@dataclass(frozen=True)
class Settings:
    db_path: Path = Path("data/cpms.duckdb")
    policy: str = "cpms"
    holiday_region: str = "metropole"
    extend_to_working_day: bool = False
    objects: tuple[str, ...] = ("adhesion", "resiliation", "cotisation", "remboursement", "autre")
    causes: tuple[str, ...] = DEFAULT_CAUSE_LIST
    memory_limit: str = "1GB"
    roles_file: Path | None = None
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_starttls: bool = False
    smtp_user: str = ""
    smtp_password: str = field(default="", repr=False)  # never shown, never logged
    mail_from: str = ""
    digest_to: tuple[str, ...] = ()
    digest_days: int = 3
    base_url: str = "http://localhost:8501"
    timezone: str = "Europe/Paris"


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read every setting from `env` (default: the process environment)."""
    source = os.environ if env is None else env
    values: dict[str, Any] = {}
    for setting in SETTINGS:
        raw = source.get(setting.env, setting.default)
        try:
            values[setting.name] = setting.parse(raw)
        except ValueError as exc:
            shown = setting.env if setting.secret else f"{setting.env}={raw!r}"
            raise SettingsError(f"{shown} n'est pas valide : {exc}.") from exc
    return Settings(**values)
