"""The daily digest: to each handler, their open complaints overdue or due within a few days; to
the quality managers, the backlog figures (rules.md §7) and the cases nobody was told about.

Cases are read from `case_status` through `queries.scoped_cases`, like every other read; what a
mail shows is the reference (a link to the case), the step, the due date and the days left or
late, never a complainant's name, contact details or NIR.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from urllib.parse import quote

from ..access import handler_key, mask_nirs
from ..definitions import FIGURES, POLICY_LABELS, STEP_LABELS, VIEWS
from ..formats import format_count, format_date
from ..queries import Scope, backlog_and_due, backlog_scope, scoped_cases
from ..store import Store
from .compose import (
    FOOTER,
    Cell,
    Mail,
    heading,
    html_document,
    html_table,
    paragraph,
    plural,
    text_table,
)

FOLLOW_UP_PATH = "/suivi_des_dossiers"  # the page pages/7_suivi_des_dossiers.py, opened on ?ref=
BACKLOG_FIGURES = tuple(f for f in FIGURES.values() if f.view == "backlog")
NO_HANDLER = "Sans gestionnaire"
NO_ADDRESS = "sans adresse"


@dataclass(frozen=True)
class DueCase:
    """An open complaint overdue or due soon, as a digest lists it."""

    reference: str
    handler: str | None
    step: str  # 'ack' or 'answer', case_status' next_step
    due: date
    days_left: int  # negative once the due date has passed

    @property
    def step_label(self) -> str:
        return STEP_LABELS["ack" if self.step == "ack" else "response"]

    @property
    def when(self) -> str:
        if self.days_left < 0:
            return f"{plural(-self.days_left, 'jour')} de retard"
        if self.days_left == 0:
            return "échéance aujourd'hui"
        return f"{plural(self.days_left, 'jour restant', 'jours restants')}"


def case_link(base_url: str, reference: str) -> str:
    """The address of the case on the dashboard's follow-up page."""
    return f"{base_url.rstrip('/')}{FOLLOW_UP_PATH}?ref={quote(reference, safe='')}"


def due_cases(store: Store, scope: Scope, days: int) -> list[DueCase]:
    """Open complaints (every month received by the as-of date, rules §7) with a step overdue
    or whose next due date falls within `days` days; the most overdue first."""
    cases, params = scoped_cases(backlog_scope(scope))
    with store.cursor() as cur:
        rows = cur.execute(
            f"""SELECT reference, handler, next_step, next_due, next_due - $as_of AS days_left
                FROM ({cases})
                WHERE is_open AND (ack_status = 'overdue' OR answer_status = 'overdue'
                                   OR next_due - $as_of <= $days)
                ORDER BY next_due, reference""",
            params | {"days": int(days)},
        ).fetchall()
    # A NIR typed in the reference field never leaves in a mail (access.mask_nirs).
    return [
        DueCase(mask_nirs(str(ref)),
                None if not handler or not str(handler).strip() else str(handler),
                str(step), due, int(left))
        for ref, handler, step, due, left in rows
    ]  # fmt: skip


@dataclass(frozen=True)
class Digest:
    """What a digest run sends: one mail per handler with an address, then the summary (None
    without recipients); `unreached` are the cases that went in no handler's mail."""

    handler_mails: tuple[Mail, ...]
    summary: Mail | None
    unreached: tuple[DueCase, ...]

    @property
    def mails(self) -> tuple[Mail, ...]:
        return (*self.handler_mails, *(() if self.summary is None else (self.summary,)))


_CASE_HEADER = ("Référence", "Étape", "Échéance", "Situation")


def _case_rows(cases: Sequence[DueCase], base_url: str) -> list[list[Cell | str]]:
    return [
        [Cell(c.reference, case_link(base_url, c.reference)), c.step_label, format_date(c.due),
         c.when]
        for c in cases
    ]  # fmt: skip


def _counts(cases: Sequence[DueCase]) -> str:
    late = sum(c.days_left < 0 for c in cases)
    soon = len(cases) - late
    return f"{plural(late, 'dossier')} hors délai, {format_count(soon)} à échéance proche"


def _handler_mail(
    name: str, address: str, cases: Sequence[DueCase], *, as_of: date, policy: str, days: int,
    base_url: str,
) -> Mail:  # fmt: skip
    day = format_date(as_of)
    subject = f"Réclamations à traiter au {day} : {_counts(cases)}"
    intro = (
        f"Voici vos réclamations ouvertes hors délai ou dont l'échéance tombe dans les "
        f"{plural(days, 'jour')} ({plural(len(cases), 'dossier')}, arrêté au {day}, "
        f"{POLICY_LABELS[policy]}). Chaque référence ouvre le dossier dans le tableau de bord."
    )
    rows = _case_rows(cases, base_url)
    text = "\n\n".join([f"Bonjour {name},", intro, text_table(_CASE_HEADER, rows), FOOTER])
    body = html_document(
        subject, [paragraph(f"Bonjour {name},"), paragraph(intro), html_table(_CASE_HEADER, rows)]
    )
    return Mail((address,), subject, text + "\n", body, cases=len(cases))


def _summary_mail(
    to: Sequence[str], backlog: Mapping[str, int], sent: Sequence[tuple[str, int]],
    unreached: Sequence[DueCase], *, as_of: date, policy: str, days: int, base_url: str,
) -> Mail:  # fmt: skip
    day = format_date(as_of)
    subject = f"Synthèse des réclamations ouvertes au {day}"
    figures = [(f.label, format_count(f.value({"backlog": backlog}))) for f in BACKLOG_FIGURES]
    intro = f"{VIEWS['backlog']} ({day}, {POLICY_LABELS[policy]}) :"
    sent_intro = (
        f"Dossiers hors délai ou à échéance sous {plural(days, 'jour')} signalés à chaque "
        "gestionnaire :"
    )
    sent_rows = [[name, format_count(count)] for name, count in sent]
    sent_header = ("Gestionnaire", "Dossiers")
    if unreached:
        unreached_intro = (
            f"{plural(len(unreached), 'dossier')} hors délai ou à échéance sous "
            f"{plural(days, 'jour')} sans gestionnaire, ou dont le gestionnaire n'a pas "
            "d'adresse dans la section [handlers] du fichier des rôles : personne n'en a été "
            "averti."
        )
    else:
        unreached_intro = "Chaque dossier hors délai ou à échéance proche a un gestionnaire averti."
    unreached_header = ("Gestionnaire", *_CASE_HEADER)
    unreached_rows: list[list[Cell | str]] = [
        [NO_HANDLER if c.handler is None else f"{c.handler} ({NO_ADDRESS})", *row]
        for c, row in zip(unreached, _case_rows(unreached, base_url), strict=True)
    ]
    text_parts = [
        "Bonjour,",
        intro,
        "\n".join(f"- {label} : {value}" for label, value in figures),
        sent_intro,
        text_table(sent_header, sent_rows) if sent_rows else "(aucun)",
        unreached_intro,
    ]
    html_parts = [
        paragraph("Bonjour,"),
        heading("Dossiers ouverts"),
        paragraph(intro),
        html_table(("Indicateur", "Nombre"), [list(pair) for pair in figures]),
        heading("Envois aux gestionnaires"),
        paragraph(sent_intro),
        html_table(sent_header, sent_rows) if sent_rows else paragraph("(aucun)"),
        heading("Dossiers dont personne n'a été averti"),
        paragraph(unreached_intro),
    ]
    if unreached:
        text_parts.append(text_table(unreached_header, unreached_rows))
        html_parts.append(html_table(unreached_header, unreached_rows))
    text = "\n\n".join([*text_parts, FOOTER]) + "\n"
    return Mail(tuple(to), subject, text, html_document(subject, html_parts), len(unreached))


def build_digest(
    store: Store,
    *,
    as_of: date,
    policy: str,
    days: int,
    handlers: Mapping[str, str],
    summary_to: Sequence[str],
    base_url: str,
) -> Digest:
    """The digest as of `as_of`. `handlers` maps a handler's name to an address (the roles
    file's [handlers] table, `access.load_handlers`); names match whatever their case and spaces."""
    scope = Scope(as_of=as_of, policy=policy)
    # One mail per handler however the cases spell the name; the roles file's spelling is shown.
    known = {handler_key(name): (name, address) for name, address in handlers.items()}
    by_handler: dict[str, list[DueCase]] = {}
    unreached: list[DueCase] = []
    for case in due_cases(store, scope, days):
        key = None if case.handler is None else handler_key(case.handler)
        if key is not None and key in known:
            by_handler.setdefault(key, []).append(case)
        else:
            unreached.append(case)
    mails = tuple(
        _handler_mail(*known[key], listed, as_of=as_of, policy=policy, days=days,
                      base_url=base_url)
        for key, listed in sorted(by_handler.items())
    )  # fmt: skip
    summary = None
    if summary_to:
        backlog, _ = backlog_and_due(store, scope)
        sent = [(known[key][0], len(listed)) for key, listed in sorted(by_handler.items())]
        summary = _summary_mail(
            summary_to, backlog, sent, unreached, as_of=as_of, policy=policy, days=days,
            base_url=base_url,
        )  # fmt: skip
    return Digest(mails, summary, tuple(unreached))
