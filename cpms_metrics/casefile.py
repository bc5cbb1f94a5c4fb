"""One case as a person follows it: each deadline with its state in words ("en retard de 3
jours"), read from `case_status` (the one definition of statuses), the case's address, its values
in French as the role may see them, and the values of the entry and follow-up forms.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import quote

import pandas as pd

from .access import PersonalData, mask_nirs, redact_value, scrub_nir
from .definitions import POLICY_LABELS, STATUS_LABELS, UNTRACKED, UNTRACKED_LABEL
from .fields import (
    CHANNELS,
    COLUMN_BY_NAME,
    DATE_COLUMNS,
    MEDIATOR_BY_CARRIER,
    NATURES,
    OUTCOMES,
    RISK_CARRIERS,
    cause_vocabulary,
    label,
    object_vocabulary,
)
from .formats import DASH, format_date
from .schema import fetch_one
from .settings import DEFAULT_CAUSE_LIST
from .store import Store
from .validation import mask_nir
from .worklist import mediator_label

CASE_PAGE = "suivi_des_dossiers"  # the follow-up page's URL path


def case_address(reference: str) -> str:
    """The one address of a case: its follow-up page, the reference URL-encoded."""
    return f"{CASE_PAGE}?ref={quote(str(reference), safe='')}"


def _days(count: int) -> str:
    return f"{count} jour{'s' if count > 1 else ''}"


def deadline_state(status: str, due: date | None, done_on: date | None, as_of: date) -> str:
    """A deadline's state in French, from its `case_status` status: `à temps`, `en retard de
    3 jours` (done after the due date), `hors délai depuis 12 jours` (not done, due date
    passed), `échéance dans 2 jours` / `échéance aujourd'hui` (not done, not yet due)."""
    if status == UNTRACKED:
        return UNTRACKED_LABEL.lower() + " (aucun fichier importé ne donne cette étape)"
    if status not in STATUS_LABELS:
        raise ValueError(f"unknown status {status!r}")
    if status == "on_time":
        return "à temps"
    if due is None:  # a status other than on_time always has a due date; kept safe
        return STATUS_LABELS[status].lower()
    if status == "late":
        assert done_on is not None, "a late step is done"
        return f"en retard de {_days((done_on - due).days)}"
    if status == "overdue":
        return f"hors délai depuis {_days((as_of - due).days)}"
    left = (due - as_of).days
    return "échéance aujourd'hui" if left == 0 else f"échéance dans {_days(left)}"


@dataclass(frozen=True)
class Deadline:
    """One deadline of a case under one policy, as of a date."""

    step: str  # "ack" or "response"
    policy: str
    due: date | None
    done_on: date | None
    status: str
    state: str  # deadline_state's words

    @property
    def is_late(self) -> bool:
        return self.status in ("late", "overdue")


def _day(value: Any) -> date | None:
    if value is None:
        return None
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def case_deadlines(store: Store, reference: str, as_of: date) -> list[Deadline]:
    """The acknowledgement and answer deadlines of a complaint under each policy, with their
    `case_status` statuses as of `as_of` and their state in words; empty for a request that is
    not a complaint, or a case received after `as_of`."""
    rows: list[Deadline] = []
    with store.cursor() as cur:
        for policy in POLICY_LABELS:
            row = fetch_one(
                cur,
                """SELECT ack_due, ack_done_on, ack_status, answer_due, answer_done_on,
                          answer_status
                   FROM case_status($as_of, $policy)
                   WHERE reference = $reference AND is_complaint""",
                {"as_of": as_of, "policy": policy, "reference": reference},
            )
            if row is None:
                return []
            for step, (due, done, status) in (("ack", row[0:3]), ("response", row[3:6])):
                due_day, done_day = _day(due), _day(done)
                state = deadline_state(str(status), due_day, done_day, as_of)
                rows.append(Deadline(step, policy, due_day, done_day, str(status), state))
    return rows


# --- Values as a person reads them --------------------------------------------------------------

HEADER = {name: column.header for name, column in COLUMN_BY_NAME.items()}


def header(column: str) -> str:
    """A column's name as the export and the forms write it."""
    return HEADER[column]


def missing(value: Any) -> bool:
    return value is None or (not isinstance(value, str | bytes) and bool(pd.isna(value)))


def as_day(value: Any) -> date | None:
    """A stored date (Timestamp, datetime, date, ISO text) as a `date`; None when missing."""
    if missing(value):
        return None
    if isinstance(value, pd.Timestamp | datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def day_text(value: Any) -> str:
    day = as_day(value)
    return DASH if day is None else format_date(day)


def _vocabularies(objects: Sequence[str], causes: Sequence[str]) -> dict[str, Any]:
    return {
        "channel": CHANNELS,
        "response_channel": CHANNELS,
        "nature": NATURES,
        "object": object_vocabulary(tuple(objects)),
        "risk_carrier": RISK_CARRIERS,
        "outcome": OUTCOMES,
        "cause": cause_vocabulary(tuple(causes)),
    }


def value_text(
    column: str, value: Any, objects: Sequence[str] = (), causes: Sequence[str] = DEFAULT_CAUSE_LIST
) -> str:
    """A stored value in French: dates as JJ/MM/AAAA, codes as labels (`objects` and `causes`
    the settings' lists), the NIR masked."""
    if missing(value) or value == "":
        return DASH
    if column in DATE_COLUMNS:
        return day_text(value)
    if column == "nir":
        return mask_nir(str(value))
    if column == "mediator":
        return mediator_label(str(value))
    vocabularies = _vocabularies(
        tuple(dict.fromkeys([*objects, str(value)])), tuple(dict.fromkeys([*causes, str(value)]))
    )
    if column in vocabularies:
        return str(mask_nirs(label(vocabularies[column], str(value))))
    return str(mask_nirs(str(value)))


def person(case: Mapping[str, Any]) -> str:
    names = [str(case[c]) for c in ("first_name", "last_name") if not missing(case.get(c))]
    return " ".join(n for n in names if n.strip()) or "Adhérent non renseigné"


def source_text(source: Any) -> str:
    """`saisie` -> `Saisie`, `import #3` -> `Import n° 3`."""
    return str(source).replace("import #", "Import n° ").capitalize()


def case_option(row: Mapping[str, Any]) -> str:
    return f"{row['reference']} · {person(row)} · reçue le {day_text(row['received_on'])}"


def competent_mediator(case: Mapping[str, Any]) -> str | None:
    carrier = case.get("risk_carrier")
    return None if missing(carrier) else MEDIATOR_BY_CARRIER.get(str(carrier))


def follow_up_changes(
    case: Mapping[str, Any], typed: Mapping[str, Any], columns: Sequence[str]
) -> dict[str, Any]:
    """The follow-up fields whose typed value differs from the stored one."""
    changes: dict[str, Any] = {}
    for column in columns:
        value = typed.get(column)
        if isinstance(value, str):
            value = value.strip() or None
        stored = case.get(column)
        stored = as_day(stored) if column in DATE_COLUMNS else (None if missing(stored) else stored)
        if value != stored:
            changes[column] = value
    return changes


def shown_value(column: Any, value: Any, level: PersonalData, objects: Sequence[str]) -> str:
    """A value of a case's history or findings as the role may see it, in French; anything
    shaped like a NIR masked, whatever the column (the history keeps old values in clear)."""
    if missing(column):
        return "" if missing(value) else scrub_nir(str(value))
    return scrub_nir(value_text(str(column), redact_value(str(column), value, level), objects))


# --- The entry form -----------------------------------------------------------------------------

# The form's fields, in the order the domain lists its problems.
ENTRY_COLUMNS = (
    "received_on", "sent_on", "channel", "reference", "nature",
    "last_name", "first_name", "nir", "company", "risk_carrier",
    "postal_address", "email", "phone",
    "object", "cause", "description", "handler",
)  # fmt: skip
NOT_A_COMPLAINT = (
    ("Une demande d'information", "« À quel montant de remboursement ai-je droit ? »"),
    (
        "Une demande de clarification",
        "« Je ne comprends pas sur quelle base je dois calculer mon remboursement. »",
    ),
    (
        "Une demande de confirmation",
        "« Ai-je bien droit à telle ou telle prestation dans mon contrat ? »",
    ),
)


def entry_values(
    state: Mapping[str, Any], prefix: str
) -> tuple[dict[str, Any], list[tuple[str, bytes]]]:
    """The form's widget values (keys `prefix + column`) as canonical values for `save_case`,
    and the attached files (objects with `name` and `getvalue()`) as (name, bytes)."""
    values: dict[str, Any] = {}
    for column in ENTRY_COLUMNS:
        value = state.get(prefix + column)
        values[column] = value.strip() if isinstance(value, str) else value
    files = state.get(prefix + "attachments") or []
    return values, [(file.name, file.getvalue()) for file in files]


def known_handlers(store: Store) -> list[str]:
    """Every handler named on a case, by name: what the entry form offers."""
    with store.cursor() as cur:
        rows = cur.execute(
            "SELECT DISTINCT trim(handler) FROM complaints WHERE nullif(trim(handler), '') "
            "IS NOT NULL ORDER BY 1"
        ).fetchall()
    return [str(r[0]) for r in rows]
