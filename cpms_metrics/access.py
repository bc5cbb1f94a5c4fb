"""Who may see what: the four roles and what each opens, the roles file, the decision between
login, local mode and closed, the audit log of sensitive actions, and the masking of personal data
and of spreadsheet formulas in what leaves the app.

No Streamlit here: `ui/auth.py` reads the logged-in user, asks `access_for` for an `Access`, and
pages ask that `Access` what to show.
"""

from __future__ import annotations

import ipaddress
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd

from .errors import CpmsError, ValidationError
from .schema import Cursor, fetch_one
from .store import Store
from .validation import compact_nir, mask_nir

T = TypeVar("T")


class RolesFileError(CpmsError):
    title = "Fichier des rôles invalide"


class CaseNotFoundError(CpmsError):
    title = "Dossier introuvable"


class AccessDeniedError(CpmsError):
    title = "Accès non autorisé"


# --- Pages and roles ------------------------------------------------------------------------

# Page key -> French name. ui/auth.py maps each page file to its key.
PAGES: dict[str, str] = {
    "overview": "Vue d'ensemble",
    "acknowledgements": "Accusés de réception",
    "response_times": "Délais de réponse",
    "objects": "Objets",
    "mediation": "Médiation",
    "worklist": "Dossiers à échéance",
    "case_entry": "Saisie d'une réclamation",
    "follow_up": "Suivi des dossiers",
    "monthly_report": "Rapport mensuel",
    "import": "Import",
    "data_quality": "Qualité des données",
    "dysfunctions": "Dysfonctionnements",
    "audit_log": "Journal d'audit",
    "definitions": "Définitions",
}
# The help page of definitions holds no data: every role opens it.
AGGREGATE_PAGES = frozenset(
    ("overview", "acknowledgements", "response_times", "objects", "mediation", "monthly_report",
     "definitions")
)  # fmt: skip
EVERY_PAGE = frozenset(PAGES)


class PersonalData(StrEnum):
    """How much of a complainant's identity a role sees in tables, cases and exports."""

    NONE = "none"  # no column at all: names, contact details, NIR, free text are left out
    MASKED = "masked"  # initials, masked NIR, contact details hidden
    CLEAR = "clear"  # everything but the NIR, which stays masked until revealed (and logged)


@dataclass(frozen=True)
class Role:
    name: str
    label: str  # French
    pages: frozenset[str]
    case_lists: bool  # lists of cases with their references (late cases, worklist, findings)
    personal_data: PersonalData
    reveal_nir: bool  # one case's full NIR, after giving a reason that is logged
    edit_cases: bool  # the entry form and changes to a case
    import_data: bool
    audit: bool  # read the audit log


# The one table of who may do what; a role file names one of these keys per e-mail address.
ROLES: dict[str, Role] = {
    role.name: role
    for role in (
        Role("direction", "Direction", AGGREGATE_PAGES,
             case_lists=False, personal_data=PersonalData.NONE, reveal_nir=False,
             edit_cases=False, import_data=False, audit=False),
        # Every page, personal data masked. Entering a case shows back only what the user typed,
        # following one up touches no personal field, and the issue withholds import from the
        # gestionnaire alone: qualite may do all three. The audit log stays admin's.
        Role("qualite", "Qualité", EVERY_PAGE - {"audit_log"},
             case_lists=True, personal_data=PersonalData.MASKED, reveal_nir=True,
             edit_cases=True, import_data=True, audit=False),
        Role("gestionnaire", "Gestionnaire",
             frozenset(("overview", "worklist", "case_entry", "follow_up", "definitions")),
             case_lists=True, personal_data=PersonalData.CLEAR, reveal_nir=True,
             edit_cases=True, import_data=False, audit=False),
        Role("admin", "Administrateur", EVERY_PAGE,
             case_lists=True, personal_data=PersonalData.CLEAR, reveal_nir=True,
             edit_cases=True, import_data=True, audit=True),
    )
}  # fmt: skip
DYSFUNCTION_EDITORS = frozenset(("qualite", "admin"))
LOCAL_ROLE = ROLES["admin"]  # local mode: one person on their own computer


class Mode(StrEnum):
    LOGIN = "login"  # [auth] is configured: OpenID Connect login, roles from the roles file
    LOCAL = "local"  # no [auth], listening on localhost only: full access, with a banner
    CLOSED = "closed"  # no [auth], reachable from other computers: no data at all


@dataclass(frozen=True)
class Access:
    """What the person in front of the app may see and do. `role` is None when nothing may be
    shown; `refusal` then says why, in French."""

    mode: Mode
    role: Role | None = None
    email: str | None = None
    logged_in: bool = False
    refusal: str | None = None

    @property
    def granted(self) -> bool:
        return self.role is not None

    @property
    def needs_login(self) -> bool:
        return self.mode is Mode.LOGIN and not self.logged_in

    @property
    def who(self) -> str:
        """The name the audit log keeps."""
        return self.email or ("mode local" if self.mode is Mode.LOCAL else "anonyme")

    def can(self, page: str) -> bool:
        if page not in PAGES:
            raise ValueError(f"unknown page key {page!r}")
        return self.role is not None and page in self.role.pages

    @property
    def personal_data(self) -> PersonalData:
        return PersonalData.NONE if self.role is None else self.role.personal_data

    @property
    def may_see_personal_data(self) -> bool:
        return self.personal_data is not PersonalData.NONE

    @property
    def may_see_case_lists(self) -> bool:
        return self.role is not None and self.role.case_lists

    @property
    def may_reveal_nir(self) -> bool:
        return self.role is not None and self.role.reveal_nir

    @property
    def may_edit_cases(self) -> bool:
        return self.role is not None and self.role.edit_cases

    @property
    def may_edit_dysfunctions(self) -> bool:
        """The register of dysfunctions (ACPR 2024-R-02) is the quality team's: qualité, admin."""
        return self.role is not None and self.role.name in DYSFUNCTION_EDITORS

    @property
    def may_import(self) -> bool:
        return self.role is not None and self.role.import_data

    @property
    def may_see_audit(self) -> bool:
        return self.role is not None and self.role.audit


# --- Roles file -----------------------------------------------------------------------------


def _roles_document(path: Path | str) -> tuple[dict[str, Any], str]:
    """The roles file as TOML, and how to name it in a message."""
    source = Path(path)
    where = f"Le fichier des rôles {source} (réglage CPMS_ROLES_FILE)"
    try:
        document = tomllib.loads(source.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise RolesFileError(f"{where} est introuvable.") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise RolesFileError(f"{where} est illisible : {exc}.") from exc
    except tomllib.TOMLDecodeError as exc:
        raise RolesFileError(f"{where} n'est pas un fichier TOML valide : {exc}.") from exc
    others = sorted(set(document) - {"users", "handlers"})
    if others:
        raise RolesFileError(
            f"{where} ne doit contenir que la section [users] (trouvé : {', '.join(others)}) "
            "et, pour les courriels, la section [handlers]."
        )
    return document, where


def load_roles(path: Path | str) -> dict[str, str]:
    """E-mail address (lower case) -> role name, from the `[users]` table of a TOML file."""
    document, where = _roles_document(path)
    users = document.get("users")
    if not isinstance(users, dict):
        raise RolesFileError(f"{where} n'a pas de section [users].")
    roles: dict[str, str] = {}
    for address, role in users.items():
        email = address.strip().lower()
        if "@" not in email:
            raise RolesFileError(f"{where} : « {address} » n'est pas une adresse électronique.")
        if not isinstance(role, str) or role.strip().lower() not in ROLES:
            raise RolesFileError(
                f"{where} : rôle inconnu « {role} » pour {address} (rôles possibles : "
                f"{', '.join(ROLES)})."
            )
        if email in roles:
            raise RolesFileError(f"{where} : {address} figure deux fois.")
        roles[email] = role.strip().lower()
    return roles


def handler_key(name: str) -> str:
    """A handler's name as the roles file and the cases are matched on: spaces and case aside."""
    return " ".join(name.split()).casefold()


def load_handlers(path: Path | str) -> dict[str, str]:
    """Handler name -> e-mail address, from the `[handlers]` table of the roles file
    (`"Nom du gestionnaire" = "adresse@exemple.fr"`); empty without one. Two names that differ
    only in case or spaces (`handler_key`) are one handler, so they may not both appear."""
    from .mail.compose import AddressError, check_address

    document, where = _roles_document(path)
    table = document.get("handlers", {})
    if not isinstance(table, dict):
        raise RolesFileError(f"{where} : [handlers] doit être une table nom = adresse.")
    handlers: dict[str, str] = {}
    seen: set[str] = set()
    for name, address in table.items():
        key = handler_key(name)
        if not key:
            raise RolesFileError(f"{where} : un gestionnaire de [handlers] n'a pas de nom.")
        if key in seen:
            raise RolesFileError(f"{where} : le gestionnaire « {name} » figure deux fois.")
        seen.add(key)
        try:
            handlers[name.strip()] = check_address(address if isinstance(address, str) else "")
        except AddressError as exc:
            raise RolesFileError(
                f"{where} : l'adresse du gestionnaire « {name} » n'est pas valide ({exc})."
            ) from exc
    return handlers


def role_for(email: str | None, roles: Mapping[str, str]) -> Role | None:
    """The role of `email` (compared without case), None for an address not in the file."""
    if not email:
        return None
    name = roles.get(email.strip().lower())
    return None if name is None else ROLES[name]


# --- Login, local mode or closed ------------------------------------------------------------


def is_local_address(address: str | None) -> bool:
    """Whether a server bound to `address` can only be reached from this computer. Empty means
    every interface (Streamlit's default), so it is not local."""
    if not address:
        return False
    host = address.strip().strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything


def host_name(host: str) -> str:
    """The name or address of an HTTP `Host` header, without its port, brackets or final dot
    (`[::1]:8501` -> `::1`, `LocalHost.:8501` -> `localhost`)."""
    name = host.strip().lower()
    if name.startswith("["):
        name = name[1 : name.find("]")] if "]" in name else name[1:]
    elif name.count(":") == 1:
        name = name.split(":", 1)[0]
    return name.rstrip(".")


def is_loopback_host(host: str) -> bool:
    """Whether a `Host` header names this computer: `localhost` or a loopback address, with or
    without a port. Any other name may resolve to 127.0.0.1 only for the time of an attack
    (DNS rebinding): a page opened under it must not get local mode."""
    return is_local_address(host_name(host))


def _email_verified(claim: object) -> bool:
    """Whether the provider's `email_verified` claim says yes. An absent claim (None) is not a
    no: some providers only send verified addresses and no claim at all."""
    if claim is None or claim is True:
        return True
    if isinstance(claim, bool):
        return False
    if isinstance(claim, int | float):
        return claim == 1
    return isinstance(claim, str) and claim.strip().lower() in ("true", "1")


LOGIN_REQUIRED = (
    "Ce tableau de bord contient des données personnelles : connectez-vous avec votre compte "
    "professionnel pour y accéder."
)


def access_for(
    *,
    auth_configured: bool,
    logged_in: bool,
    email: str | None,
    roles: Mapping[str, str] | None,
    address: str | None,
    email_verified: object = None,
    proxied: bool = False,
    host: str | None = None,
) -> Access:
    """Decide what the person may see. `roles` is None when no roles file is configured;
    `address` is the one the server listens on; `proxied` means the request carried
    forwarding headers, i.e. it may come from another computer through a reverse proxy;
    `host` is the request's `Host` header (None when there is no HTTP request, e.g. in tests
    that run a page directly: no browser, hence no page of another site to rebind)."""
    if auth_configured:
        if not logged_in:
            return Access(Mode.LOGIN, refusal=LOGIN_REQUIRED)
        refusal = None
        if not email:
            refusal = (
                "Votre fournisseur d'identité ne transmet pas d'adresse électronique : "
                "ajoutez la revendication `email` au jeton."
            )
        elif not _email_verified(email_verified):
            refusal = f"L'adresse {email} n'est pas vérifiée par votre fournisseur d'identité."
        elif roles is None:
            refusal = (
                "Aucun fichier des rôles n'est configuré (réglage CPMS_ROLES_FILE) : aucun "
                "compte n'a encore de rôle."
            )
        elif (role := role_for(email, roles)) is not None:
            return Access(Mode.LOGIN, role, email, logged_in=True)
        else:
            refusal = (
                f"Le compte {email} n'a pas de rôle dans le fichier des rôles. Demandez à un "
                "administrateur de l'y ajouter."
            )
        return Access(Mode.LOGIN, email=email, logged_in=True, refusal=refusal)
    if proxied:
        return Access(
            Mode.CLOSED,
            refusal="Aucune donnée n'est affichée : la connexion n'est pas configurée et la "
            "demande est passée par un serveur mandataire, donc peut-être depuis un autre poste. "
            "Configurez la section [auth] de .streamlit/secrets.toml (voir le README, « Accès et "
            "données personnelles »).",
        )
    if not is_local_address(address):
        where = f"l'adresse {address}" if address else "toutes les adresses de la machine"
        return Access(
            Mode.CLOSED,
            refusal=f"Aucune donnée n'est affichée : la connexion n'est pas configurée et le "
            f"tableau de bord écoute sur {where}, donc il est joignable depuis d'autres postes. "
            "Configurez la section [auth] de .streamlit/secrets.toml (voir le README, « Accès et "
            'données personnelles ») ou limitez-le à ce poste (server.address = "127.0.0.1").',
        )
    if host and not is_loopback_host(host):
        shown = re.sub(r"[^0-9a-z.:\[\]-]", "", host.lower())[:80]
        return Access(
            Mode.CLOSED,
            refusal="Aucune donnée n'est affichée : la page a été ouverte sous le nom "
            f"« {shown} », qui ne désigne pas ce poste. Sans connexion configurée, le "
            "tableau de bord ne s'ouvre que par localhost ou 127.0.0.1 (par exemple "
            "http://localhost:8501), ce qui empêche un autre site de se faire passer pour lui. "
            "Ouvrez-le par cette adresse, ou configurez la section [auth] de "
            ".streamlit/secrets.toml (voir le README, « Accès et données personnelles »).",
        )
    return Access(Mode.LOCAL, LOCAL_ROLE)


# --- Masking ----------------------------------------------------------------------------------

# A run of digits (with the separators people type, and Corsica's 2A/2B) long enough to be a NIR.
_SEPARATOR = r"[ .\-\u00a0\u202f]"
_NUMBER_RUN = re.compile(rf"[0-9](?:{_SEPARATOR}?(?:[0-9]|[ABab](?={_SEPARATOR}?[0-9])))+")
_NIR_LENGTH = 13  # without its two-digit key


def scrub_nir(text: str) -> str:
    """`text` with every number of 13 characters or more masked as a NIR would be."""

    def mask(match: re.Match[str]) -> str:
        run = match.group(0)
        digits = sum(c.isdigit() or c in "ABab" for c in run)
        return mask_nir(run) if digits >= _NIR_LENGTH else run

    return _NUMBER_RUN.sub(mask, text)


# A NIR as typed in any field: sex digit, year, month, department (2A/2B for Corsica), commune and
# order number, with or without its two-digit key (quality.py's `_NIR_FORM`, key optional).
_NIR_SHAPED = re.compile(r"[123478][0-9]{4}(?:[0-9]{2}|2[AB])[0-9]{6}(?:[0-9]{2})?")


def mask_nirs(value: T) -> T | str:
    """A value as it may leave the app (a page, a download): in a text, every NIR-shaped number
    (13 or 15 characters, spaces, dots or dashes allowed) masked as `mask_nir` masks a NIR,
    whatever the field it was typed in; any other value as it is. Stored values are left as they
    are: a reference stays what one looks a case up by."""
    if not isinstance(value, str) or len(value) < _NIR_LENGTH:
        return value
    return _NUMBER_RUN.sub(lambda match: _mask_nir_in_run(match.group(0)), value)


_NIR_MAX, _NIR_SIZES, _SEX = 15, (13, 15), tuple("123478")
_SEPARATED = re.compile(f"({_SEPARATOR})")


def _mask_nir_in_run(run: str) -> str:
    """A run of digit groups with every NIR-shaped stretch of whole groups masked: a NIR typed
    next to another number ("06 12 34 56 78 1 85 05 78 006 084 91") is still found."""
    if _NIR_SHAPED.fullmatch(compact_nir(run)):
        return mask_nir(run)
    pieces = _SEPARATED.split(run)
    groups, separators = pieces[0::2], pieces[1::2]
    out: list[str] = []
    start = 0
    while start < len(groups):
        end, length = start + 1, 0
        found = False
        for stop in range(start + 1, len(groups) + 1) if groups[start][:1] in _SEX else ():
            length += len(groups[stop - 1])
            if length > _NIR_MAX:
                break
            if length in _NIR_SIZES and _NIR_SHAPED.fullmatch("".join(groups[start:stop]).upper()):
                end, found = stop, True  # the longest: a NIR with its key
        out.append(mask_nir("".join(groups[start:end])) if found else groups[start])
        if end < len(groups):
            out.append(separators[end - 1])
        start = end
    return "".join(out)


def mask_nirs_in_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with `mask_nirs` applied to every text cell and column name (a copy)."""
    out = frame.rename(columns=lambda c: mask_nirs(c) if isinstance(c, str) else c)
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(mask_nirs)
    return out


PERSONAL_COLUMNS = ("last_name", "first_name", "nir", "email", "phone", "postal_address")
FREE_TEXT_COLUMNS = ("description", "attachments")  # written by people: may name anyone
_HIDDEN = "•••"


def _blank(value: Any) -> bool:
    return value is None or (not isinstance(value, str) and bool(pd.isna(value))) or value == ""


def redact_value(column: str, value: Any, level: PersonalData) -> Any:
    """One value of a case as a role with `level` may see it (None where it may see nothing);
    a NIR typed in any field is masked (`mask_nirs`)."""
    if column not in PERSONAL_COLUMNS and column not in FREE_TEXT_COLUMNS:
        return mask_nirs(value)
    if level is PersonalData.NONE:
        return None
    if _blank(value):
        return value
    text = str(value)
    if column == "nir":
        return mask_nir(text)  # whatever the level: the full NIR only through reveal_nir
    if column in FREE_TEXT_COLUMNS:
        return scrub_nir(text)
    if level is PersonalData.CLEAR:
        return mask_nirs(value)
    if column in ("last_name", "first_name"):
        return f"{text.strip()[:1].upper()}."
    return _HIDDEN


def redact(frame: pd.DataFrame, level: PersonalData) -> pd.DataFrame:
    """`frame` (canonical column names) as a role with `level` may see it: without the personal
    columns for NONE, masked for MASKED; the NIR is masked for everyone, and so is a NIR typed
    in any other field."""
    columns = [c for c in (*PERSONAL_COLUMNS, *FREE_TEXT_COLUMNS) if c in frame.columns]
    if level is PersonalData.NONE:
        return mask_nirs_in_frame(frame.drop(columns=columns))
    out = mask_nirs_in_frame(frame)
    for column in columns:
        out[column] = frame[column].map(lambda v, c=column: redact_value(c, v, level))
    return out


def redact_case(case: Mapping[str, Any], level: PersonalData) -> dict[str, Any]:
    """One case (`cases.get_case`) as a role with `level` may see it."""
    return {
        column: redact_value(column, value, level)
        for column, value in case.items()
        if not (level is PersonalData.NONE and column in (*PERSONAL_COLUMNS, *FREE_TEXT_COLUMNS))
    }


# Spreadsheets run a cell that starts with one of these as a formula (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def needs_neutralising(value: object) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_PREFIXES)


def neutralise(value: T) -> T | str:
    """A text cell that a spreadsheet would read as a formula, prefixed with an apostrophe so
    that it stays text; any other value as it is."""
    return f"'{value}" if needs_neutralising(value) else value


# --- Audit log --------------------------------------------------------------------------------

ACTIONS: dict[str, str] = {
    "login": "Connexion",
    "access_denied": "Accès refusé",
    "nir_reveal": "Consultation d'un NIR",
    "export": "Export",
    "case_change": "Modification d'un dossier",
    "import": "Import",
    "mail": "Envoi d'un courriel",
    "dysfunction_change": "Modification d'un dysfonctionnement",
}


def _insert_audit(
    cur: Cursor, *, who: str, action: str, detail: str, at: datetime, reference: str | None
) -> None:
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    cur.execute(
        "INSERT INTO audit_log (logged_at, who, action, reference, detail) VALUES (?, ?, ?, ?, ?)",
        [
            at,
            scrub_nir(who),
            action,
            None if reference is None else scrub_nir(reference),
            scrub_nir(detail),
        ],
    )


def audit(
    store: Store,
    *,
    who: str,
    action: str,
    detail: str,
    at: datetime,
    reference: str | None = None,
) -> None:
    """Log one action (a key of ACTIONS). Pass masked values in `detail`; any number long enough
    to be a NIR is masked anyway before it is written."""
    with store.transaction() as cur:
        _insert_audit(cur, who=who, action=action, detail=detail, at=at, reference=reference)


def record_login(store: Store, *, who: str, token_issued_at: object, at: datetime) -> bool:
    """Log a login once per identity token (a new tab reuses the token: not a new login);
    returns whether it was logged now."""
    issued = (
        datetime.fromtimestamp(token_issued_at, UTC).strftime("le %d/%m/%Y à %H:%M:%S UTC")
        if isinstance(token_issued_at, int | float) and not isinstance(token_issued_at, bool)
        else f"à {token_issued_at}"
    )
    detail = f"Connexion OpenID Connect (jeton émis {issued})"
    with store.transaction() as cur:
        seen = fetch_one(
            cur,
            "SELECT count(*) FROM audit_log WHERE action = 'login' AND who = ? AND detail = ?",
            [scrub_nir(who), scrub_nir(detail)],
        )
        if seen and seen[0]:
            return False
        _insert_audit(cur, who=who, action="login", detail=detail, at=at, reference=None)
    return True


def audit_log(store: Store, limit: int = 100, offset: int = 0) -> pd.DataFrame:
    """One page of the log, the latest first: logged_at, who, action, action_label, reference,
    detail."""
    with store.cursor() as cur:
        frame = cur.execute(
            """SELECT logged_at, who, action, reference, detail FROM audit_log
               ORDER BY logged_at DESC, id DESC LIMIT $limit OFFSET $offset""",
            {"limit": int(limit), "offset": int(offset)},
        ).df()
    frame.insert(3, "action_label", frame["action"].map(lambda a: ACTIONS.get(a, a)))
    return frame


def count_audit(store: Store) -> int:
    with store.cursor() as cur:
        row = fetch_one(cur, "SELECT count(*) FROM audit_log")
    return int(row[0]) if row else 0


_MIN_REASON = 5


def reveal_nir(store: Store, reference: str, *, who: str, reason: str, at: datetime) -> str:
    """The full NIR of one case, logged with the reason in the same transaction: no reveal
    without its line in the log. Returns "" when the case has no NIR (the request is logged)."""
    if len(reason.strip()) < _MIN_REASON:
        raise ValidationError(
            {"motif": "indiquez pourquoi vous consultez ce NIR"},
            "Indiquez le motif de la consultation du NIR (au moins cinq caractères).",
        )
    with store.transaction() as cur:
        row = fetch_one(cur, "SELECT nir FROM complaints WHERE reference = ?", [reference])
        if row is None:
            raise CaseNotFoundError(f"Aucun dossier n'a la référence {reference}.")
        nir = "" if row[0] is None else str(row[0])
        shown = mask_nir(nir) if nir else "aucun NIR enregistré"
        _insert_audit(
            cur,
            who=who,
            action="nir_reveal",
            detail=f"Motif : {reason.strip()} — NIR {shown}",
            at=at,
            reference=reference,
        )
    return nir
