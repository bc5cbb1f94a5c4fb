"""Access control for every page: who is there (an OpenID Connect login through `st.login` when
`[auth]` is configured in secrets.toml, else the local mode), what their role opens, the banner or
the refusal, and the actions that go to the audit log.

`require()` is the check each page runs first; the rules themselves are `cpms_metrics.access`'s.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, NoReturn

import pandas as pd
import streamlit as st
from streamlit import config
from streamlit.runtime.scriptrunner import get_script_run_ctx

from cpms_metrics import access
from cpms_metrics.access import PAGES, Access, Mode
from cpms_metrics.errors import CpmsError
from ui import clock, data
from ui.format import md

# Page file name -> page key of `access.PAGES`. A page missing here is refused to everyone.
PAGE_FILES: dict[str, str] = {
    "dashboard.py": "overview",
    "1_accuses_de_reception.py": "acknowledgements",
    "2_delais_de_reponse.py": "response_times",
    "3_objets.py": "objects",
    "4_mediation.py": "mediation",
    "5_dossiers_a_echeance.py": "worklist",
    "6_saisie.py": "case_entry",
    "7_suivi_des_dossiers.py": "follow_up",
    "8_rapport_mensuel.py": "monthly_report",
    "9_import.py": "import",
    "10_qualite_des_donnees.py": "data_quality",
    "11_journal_d_audit.py": "audit_log",
    "12_definitions.py": "definitions",
    "13_dysfonctionnements.py": "dysfunctions",
}
# A reverse proxy adds these: the request may then come from anywhere, whatever the bind address.
_FORWARDING_HEADERS = ("Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Real-Ip")
_SESSION_LOGGED = "_cpms_audited_identity"


# --- Which page ---------------------------------------------------------------------------------


def page_key(script_path: str | Path) -> str | None:
    """The page key of a page file (`pages/3_objets.py` -> `objects`), None if unknown."""
    return PAGE_FILES.get(Path(script_path).name)


def current_page() -> str | None:
    """The page key of the page being run (None outside a run, or for a page not in the table)."""
    ctx = get_script_run_ctx()
    if ctx is None:
        return None
    manager = ctx.pages_manager
    info = manager.get_pages().get(manager.current_page_script_hash)
    return page_key(info["script_path"] if info else ctx.main_script_path)


def can_open(script_path: str | Path, who: Access) -> bool:
    """Whether `who` may open the page file `script_path` (for the menu)."""
    key = page_key(script_path)
    return key is not None and who.can(key)


# --- Who is there -------------------------------------------------------------------------------


def _auth_section() -> Mapping[str, Any]:
    """The `[auth]` section of secrets.toml, empty when there is none (or it cannot be read)."""
    if not st.secrets.load_if_toml_exists():
        return {}
    section = st.secrets.get("auth")
    return section if isinstance(section, Mapping) else {}


def providers() -> list[str | None]:
    """The identity providers configured: None for the one described by `[auth]` itself, a
    name for each `[auth.<name>]`."""
    section = _auth_section()
    named: list[str | None] = [
        str(name)
        for name, value in section.items()
        if isinstance(value, Mapping) and "client_id" in value
    ]
    return [None, *named] if "client_id" in section or not named else named


def listening_address() -> str | None:
    """The address the server listens on (`server.address`; empty: every interface)."""
    address = config.get_option("server.address")
    return str(address) if address else None


def _proxied() -> bool:
    headers = st.context.headers
    return any(headers.get(name) for name in _FORWARDING_HEADERS)


def request_host() -> str | None:
    """The `Host` header of the browser's request (None without a request, as in AppTest)."""
    host = st.context.headers.get("Host")
    return str(host) if host else None


def _stop(exc: CpmsError) -> NoReturn:
    st.error(f"**{exc.title}** — {exc.message}", icon=":material/error:")
    st.stop()


@st.cache_data(show_spinner=False, max_entries=4)
def _load_roles(path: str, stamp: str) -> dict[str, str]:
    return access.load_roles(path)


def _roles() -> dict[str, str] | None:
    """The roles file's content (re-read when it changes), None when none is configured."""
    path = data.settings().roles_file
    if path is None:
        return None
    try:
        stat = path.stat()
        stamp = f"{stat.st_mtime_ns}:{stat.st_size}"
    except OSError:
        stamp = "absent"
    try:
        return _load_roles(str(path), stamp)
    except CpmsError as exc:
        _stop(exc)


def current_access() -> Access:
    """What the person in front of this session may see and do. A login, or a refused one, is
    written to the audit log once per session."""
    user = st.user.to_dict()
    # Streamlit sets `is_logged_in` only when [auth] is configured; AppTest sets it directly.
    configured = bool(_auth_section()) or "is_logged_in" in user
    logged_in = user.get("is_logged_in") is True
    email = user.get("email")
    who = access.access_for(
        auth_configured=configured,
        logged_in=logged_in,
        email=email if isinstance(email, str) else None,
        email_verified=user.get("email_verified"),
        roles=_roles() if configured and logged_in else None,
        address=listening_address(),
        proxied=_proxied(),
        host=request_host(),
    )
    if who.mode is Mode.LOGIN and who.logged_in:
        _audit_login(who, user.get("iat"))
    return who


def _audit_login(who: Access, issued_at: object) -> None:
    identity = f"{who.who}|{issued_at}"
    if st.session_state.get(_SESSION_LOGGED) == identity:
        return
    try:
        if who.granted:
            access.record_login(
                data.store(), who=who.who, token_issued_at=issued_at, at=clock.now()
            )
        else:
            access.audit(
                data.store(),
                who=who.who,
                action="access_denied",
                detail=f"Connexion refusée : {who.refusal}",
                at=clock.now(),
            )
    except CpmsError as exc:
        _stop(exc)
    st.session_state[_SESSION_LOGGED] = identity


# --- The check at the top of each page ---------------------------------------------------------

LOCAL_BANNER = (
    "**Mode local** — aucune connexion n'est configurée : accès complet, données personnelles "
    "comprises, depuis ce poste seulement (le tableau de bord n'écoute que sur {address})."
)


def refuse(message: str, *, title: str = "Accès non autorisé", logout: bool = False) -> NoReturn:
    """Show why nothing is shown, and stop the page."""
    st.error(f"**{title}** — {message}", icon=":material/block:")
    if logout:
        logout_button()
    st.stop()


def login_screen() -> NoReturn:
    st.info(access.LOGIN_REQUIRED, icon=":material/lock:")
    for provider in providers():
        label = "Se connecter" if provider is None else f"Se connecter avec {provider}"
        if st.button(label, type="primary", icon=":material/login:", key=f"login_{provider}"):
            st.login(provider)
    st.stop()


def logout_button() -> None:
    if st.button("Se déconnecter", icon=":material/logout:", key="logout"):
        st.logout()


def require(page: str | None = None) -> Access:
    """The access check of a page (`page`: a key of `access.PAGES`, default: the page being
    run). Shows the login button, the refusal or the missing configuration and stops the page;
    in local mode, shows the banner. Returns who may go on."""
    key = page or current_page()
    who = current_access()
    if who.needs_login:
        login_screen()
    if not who.granted:
        if who.mode is Mode.CLOSED:
            refuse(who.refusal or "", title="Connexion non configurée")
        refuse(who.refusal or "", logout=who.logged_in)
    assert who.role is not None
    if key is None:
        refuse("Cette page ne figure pas dans la table des accès : elle n'est ouverte à personne.")
    if not who.can(key):
        refuse(f"« {PAGES[key]} » n'est pas ouverte au rôle {who.role.label}.")
    if who.mode is Mode.LOCAL:
        st.warning(
            LOCAL_BANNER.format(address=listening_address()),
            icon=":material/computer:",
        )
    return who


def account_box(who: Access) -> None:
    """Who is logged in, with which role, and the way out (for the sidebar)."""
    if who.mode is Mode.LOCAL:
        st.caption(":material/computer: Mode local, sans connexion")
    elif who.role is not None:
        st.caption(f":material/person: {md(who.email or '')} · {who.role.label}")
        logout_button()


# --- Audited actions ----------------------------------------------------------------------------


def log(action: str, detail: str, *, reference: str | None = None) -> None:
    """Write one action of the current user to the audit log (masked values only in `detail`)."""
    who = current_access()
    try:
        access.audit(
            data.store(),
            who=who.who,
            action=action,
            detail=detail,
            at=clock.now(),
            reference=reference,
        )
    except CpmsError as exc:
        _stop(exc)


def reveal_nir(reference: str, reason: str) -> str:
    """The full NIR of one case for the current user, logged with `reason`. Raises a
    `CpmsError` (for `st.error`) when the role may not, the reason is missing or the case does
    not exist; returns "" when the case has no NIR."""
    who = current_access()
    if not who.may_reveal_nir:
        raise access.AccessDeniedError("Votre rôle ne permet pas de consulter un NIR.")
    return access.reveal_nir(data.store(), reference, who=who.who, reason=reason, at=clock.now())


def audited_export(build: Callable[[], bytes], what: str) -> Callable[[], bytes]:
    """`build` (a download's content, made when the user downloads) that also logs the export.
    Who exports is read now, during the page's run; the log line is written at download."""
    who, store = current_access(), data.store()

    def build_and_log() -> bytes:
        content = build()
        access.audit(store, who=who.who, action="export", detail=what, at=clock.now())
        return content

    return build_and_log


def audit_count() -> int:
    try:
        return access.count_audit(data.store())
    except CpmsError as exc:
        _stop(exc)


def audit_entries(limit: int, offset: int) -> pd.DataFrame:
    try:
        return access.audit_log(data.store(), limit, offset)
    except CpmsError as exc:
        _stop(exc)
