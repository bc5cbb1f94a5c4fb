"""The register of dysfunctions and their corrective actions (ACPR 2024-R-02), the complaints
linked to each, whether complaints of the same object and cause recurred after an action was
closed, and the members who complain again and again (matched on the NIR, never shown).

Every change is written with its history and its line in the audit log, in one transaction.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

import pandas as pd

from .access import CaseNotFoundError, _insert_audit, mask_nirs
from .definitions import DYSFUNCTION_STATUS_LABELS
from .errors import ValidationError
from .months import month_end, month_of, parse_month, shift_month
from .schema import Cursor, fetch_one
from .store import Store
from .validation import mask_nir

STATUSES = DYSFUNCTION_STATUS_LABELS
FIELDS = {
    "identifier": "Identifiant",
    "title": "Intitulé",
    "object": "Objet",
    "cause": "Cause",
    "detected_on": "Détecté le",
    "owner": "Responsable",
    "action": "Action corrective",
    "action_due": "Échéance de l'action",
    "status": "Statut",
    "closed_on": "Clos le",
}
EDITABLE = tuple(f for f in FIELDS if f != "identifier")
MAX_LENGTH = {"identifier": 40, "title": 200, "owner": 120, "action": 2000}
_IDENTIFIER = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
RECURRENCE_MONTHS = 3
REPEAT_MONTHS = 12


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, date):
        return value.isoformat()
    text = str(value).strip()
    return text or None


def _check(values: Mapping[str, Any], *, today: date) -> dict[str, str]:
    """French problems, by field label; nothing when the values may be saved."""
    problems: dict[str, str] = {}
    identifier = _text(values.get("identifier")) or ""
    if not _IDENTIFIER.fullmatch(identifier):
        problems[FIELDS["identifier"]] = (
            "lettres, chiffres, points, tirets ou soulignés, sans espace (par ex. DYS-2025-004)"
        )
    if not _text(values.get("title")):
        problems[FIELDS["title"]] = "indiquez un intitulé"
    for name, limit in MAX_LENGTH.items():
        text = _text(values.get(name)) or ""
        if len(text) > limit:
            problems[FIELDS[name]] = f"{limit} caractères au plus"
    detected = values.get("detected_on")
    if not isinstance(detected, date):
        problems[FIELDS["detected_on"]] = "indiquez la date de détection"
    elif detected > today:
        problems[FIELDS["detected_on"]] = "date dans le futur"
    status = values.get("status")
    if status not in STATUSES:
        problems[FIELDS["status"]] = "ouvert, en cours ou clos"
    closed = values.get("closed_on")
    if status == "clos" and not isinstance(closed, date):
        problems[FIELDS["closed_on"]] = "indiquez la date de clôture d'un dysfonctionnement clos"
    if status != "clos" and closed is not None:
        problems[FIELDS["closed_on"]] = "seul un dysfonctionnement clos a une date de clôture"
    if isinstance(closed, date):
        if closed > today:
            problems[FIELDS["closed_on"]] = "date dans le futur"
        elif isinstance(detected, date) and closed < detected:
            problems[FIELDS["closed_on"]] = "antérieure à la date de détection"
    return problems


def _history(cur: Cursor, identifier: str, at: datetime, who: str, action: str,
             changes: Mapping[str, tuple[Any, Any]]) -> None:  # fmt: skip
    if not changes:
        cur.execute(
            "INSERT INTO dysfunction_history VALUES (?, ?, ?, ?, NULL, NULL, NULL)",
            [identifier, at, who, action],
        )
    for field, (old, new) in changes.items():
        cur.execute(
            "INSERT INTO dysfunction_history VALUES (?, ?, ?, ?, ?, ?, ?)",
            [identifier, at, who, action, field, _text(old), _text(new)],
        )


def create_dysfunction(
    store: Store, values: Mapping[str, Any], *, who: str, at: datetime, today: date
) -> str:
    """Save a new dysfunction; raises ValidationError (nothing saved) listing every problem."""
    record = {name: values.get(name) for name in FIELDS}
    record["identifier"] = _text(record["identifier"])
    record["status"] = record.get("status") or "ouvert"
    problems = _check(record, today=today)
    with store.transaction() as cur:
        if record["identifier"] and fetch_one(
            cur, "SELECT 1 FROM dysfunctions WHERE identifier = ?", [record["identifier"]]
        ):
            problems[FIELDS["identifier"]] = "identifiant déjà utilisé"
        if problems:
            raise ValidationError(problems)
        names = list(FIELDS)
        cur.execute(
            f"INSERT INTO dysfunctions ({', '.join(names)}, updated_at) "
            f"VALUES ({', '.join('?' for _ in names)}, ?)",
            [record[n] if isinstance(record[n], date) else _text(record[n]) for n in names] + [at],
        )
        identifier = str(record["identifier"])
        _history(cur, identifier, at, who, "creation", {})
        _insert_audit(cur, who=who, action="dysfunction_change", at=at, reference=None,
                      detail=f"Création du dysfonctionnement {identifier}")  # fmt: skip
    return identifier


def update_dysfunction(
    store: Store,
    identifier: str,
    changes: Mapping[str, Any],
    *,
    who: str,
    at: datetime,
    today: date,
) -> list[str]:
    """Apply `changes` (fields of EDITABLE); returns the fields that changed, history and audit
    written with them. Closing is a change of `status` to `clos` with `closed_on`."""
    with store.transaction() as cur:
        current = get_dysfunction_cur(cur, identifier)
        record = {**current, **{k: v for k, v in changes.items() if k in EDITABLE}}
        if record["status"] != "clos":
            record["closed_on"] = None
        problems = _check(record, today=today)
        if problems:
            raise ValidationError(problems)
        changed = {
            name: (current[name], record[name])
            for name in EDITABLE
            if _text(current[name]) != _text(record[name])
        }
        if not changed:
            return []
        assignments = ", ".join(f"{name} = ?" for name in changed)
        cur.execute(
            f"UPDATE dysfunctions SET {assignments}, updated_at = ? WHERE identifier = ?",
            [
                record[n] if isinstance(record[n], date) else _text(record[n]) for n in changed
            ] + [at, identifier],
        )  # fmt: skip
        action = "cloture" if "status" in changed and record["status"] == "clos" else "modification"
        _history(cur, identifier, at, who, action, changed)
        labels = ", ".join(FIELDS[name].lower() for name in changed)
        verb = "Clôture" if action == "cloture" else "Modification"
        _insert_audit(cur, who=who, action="dysfunction_change", at=at, reference=None,
                      detail=f"{verb} du dysfonctionnement {identifier} : {labels}")  # fmt: skip
    return list(changed)


def get_dysfunction_cur(cur: Cursor, identifier: str) -> dict[str, Any]:
    frame = cur.execute(
        f"SELECT {', '.join(FIELDS)} FROM dysfunctions WHERE identifier = ?", [identifier]
    ).df()
    if frame.empty:
        raise CaseNotFoundError(f"Aucun dysfonctionnement n'a l'identifiant {identifier}.")
    row: dict[str, Any] = {str(k): v for k, v in frame.iloc[0].to_dict().items()}
    for name in ("detected_on", "action_due", "closed_on"):
        value = row[name]
        row[name] = None if value is None or pd.isna(value) else pd.Timestamp(value).date()
    return {k: (None if not isinstance(v, date) and pd.isna(v) else v) for k, v in row.items()}


def get_dysfunction(store: Store, identifier: str) -> dict[str, Any]:
    with store.cursor() as cur:
        return get_dysfunction_cur(cur, identifier)


def list_dysfunctions(store: Store) -> pd.DataFrame:
    """The register, open ones first, with how many complaints each is linked to."""
    with store.cursor() as cur:
        return cur.execute(f"""
            SELECT {", ".join(f"d.{f}" for f in FIELDS)},
                   (SELECT count(*) FROM complaints c WHERE c.dysfunction = d.identifier)
                       AS complaints
            FROM dysfunctions d
            ORDER BY d.status = 'clos', d.detected_on DESC, d.identifier""").df()


def history(store: Store, identifier: str) -> pd.DataFrame:
    with store.cursor() as cur:
        return cur.execute(
            """SELECT changed_at, who, action, field, old_value, new_value
               FROM dysfunction_history WHERE identifier = ? ORDER BY changed_at, field""",
            [identifier],
        ).df()


def linked_complaints(store: Store, identifier: str) -> pd.DataFrame:
    """The complaints whose `dysfunction` is this one (from the import or the follow-up page)."""
    with store.cursor() as cur:
        return cur.execute(
            """SELECT reference, received_on, object, cause, outcome, responded_on
               FROM complaints WHERE dysfunction = ? ORDER BY received_on, reference""",
            [identifier],
        ).df()


def recurrence(store: Store, identifier: str) -> dict[str, Any] | None:
    """For a closed dysfunction: complaints of its object and cause received in the 3 months
    before and the 3 months after its closing day (the closing day counts after). None unless
    closed, with an object and a cause."""
    d = get_dysfunction(store, identifier)
    if d["status"] != "clos" or d["closed_on"] is None or not d["object"] or not d["cause"]:
        return None
    closed: date = d["closed_on"]
    before_from = _shift_day(closed, -RECURRENCE_MONTHS)
    after_to = _shift_day(closed, RECURRENCE_MONTHS)
    with store.cursor() as cur:
        row = fetch_one(
            cur,
            """SELECT count(*) FILTER (WHERE received_on >= $b AND received_on < $c),
                      count(*) FILTER (WHERE received_on >= $c AND received_on < $a)
               FROM complaints
               WHERE nature = 'reclamation' AND object = $o AND cause = $k""",
            {"b": before_from, "c": closed, "a": after_to, "o": d["object"], "k": d["cause"]},
        )
    before, after = (int(row[0]), int(row[1])) if row else (0, 0)
    return {
        "closed_on": closed,
        "before_from": before_from,
        "after_to": after_to,
        "before": before,
        "after": after,
        "recurred": after > 0,
    }


def _shift_day(day: date, months: int) -> date:
    """The same day `months` months away, or the last day of a shorter month."""
    first = parse_month(shift_month(month_of(day), months))
    return first.replace(day=min(day.day, month_end(first).day))


def link_complaint(
    store: Store, reference: str, identifier: str | None, *, who: str, at: datetime
) -> None:
    """Link a complaint to a dysfunction (None: unlink), with the case's history and audit."""
    with store.transaction() as cur:
        row = fetch_one(cur, "SELECT dysfunction FROM complaints WHERE reference = ?", [reference])
        if row is None:
            raise CaseNotFoundError(f"Aucun dossier n'a la référence {reference}.")
        if identifier is not None and not fetch_one(
            cur, "SELECT 1 FROM dysfunctions WHERE identifier = ?", [identifier]
        ):
            raise ValidationError(
                {FIELDS["identifier"]: "dysfonctionnement inconnu"},
                f"Aucun dysfonctionnement n'a l'identifiant {identifier}.",
            )
        if row[0] == identifier:
            return
        cur.execute(
            "UPDATE complaints SET dysfunction = ?, updated_at = ? WHERE reference = ?",
            [identifier, at, reference],
        )
        cur.execute(
            "INSERT INTO case_history VALUES (?, ?, 'saisie', 'modification', 'dysfunction', ?, ?)",
            [reference, at, row[0], identifier],
        )
        _insert_audit(
            cur,
            who=who,
            action="case_change",
            at=at,
            reference=reference,
            detail=f"Lien au dysfonctionnement : {row[0] or '—'} → {identifier or '—'}",
        )


def repeat_complainants(store: Store, *, as_of: date) -> pd.DataFrame:
    """Members (same NIR) with two complaints or more received in the 12 months up to `as_of`:
    the NIR is compared in the database and only its masked form leaves it."""
    start = _shift_day(as_of, -REPEAT_MONTHS)
    with store.cursor() as cur:
        frame = cur.execute(
            """SELECT nir, count(*) AS complaints, min(received_on) AS first_received,
                      max(received_on) AS last_received,
                      string_agg(reference, ', ' ORDER BY received_on, reference) AS references
               FROM complaints
               WHERE nature = 'reclamation' AND nir IS NOT NULL
                 AND received_on > $start AND received_on <= $as_of
               GROUP BY nir HAVING count(*) >= 2
               ORDER BY complaints DESC, last_received DESC""",
            {"start": start, "as_of": as_of},
        ).df()
    frame["nir"] = [mask_nir(str(v)) for v in frame["nir"]]
    frame["references"] = frame["references"].map(mask_nirs)
    return frame.rename(columns={"nir": "nir_masked"})


def count_repeat_complainants(store: Store, *, as_of: date) -> int:
    start = _shift_day(as_of, -REPEAT_MONTHS)
    with store.cursor() as cur:
        row = fetch_one(
            cur,
            """SELECT count(*) FROM (
                   SELECT nir FROM complaints
                   WHERE nature = 'reclamation' AND nir IS NOT NULL
                     AND received_on > $start AND received_on <= $as_of
                   GROUP BY nir HAVING count(*) >= 2)""",
            {"start": start, "as_of": as_of},
        )
    return int(row[0]) if row else 0
