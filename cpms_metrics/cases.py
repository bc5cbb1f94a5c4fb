"""One case at a time: save a case typed in the form, record its follow-up, find it, show history.

A case goes through the importer's own normalisation and checks (`ingest.prepare`: the steps
of ingest/normalise.py and ingest/checks.py) and its own writer (`ingest.write_cases`, in
ingest/write.py), so the form and an export obey one set of rules and keep one history.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pandas as pd

from .deadlines import DueDates
from .errors import ValidationError
from .fields import (
    COLUMN_BY_NAME,
    COMPLAINT,
    MEDIATOR_ADDRESSES,
    MEDIATOR_BY_CARRIER,
    WRITTEN_CHANNELS,
)
from .ingest import LINE, RawExport, prepare, write_cases
from .schema import fetch_one
from .settings import DEFAULT_CAUSE_LIST, POLICIES
from .store import Store
from .validation import length_problems, required_problems

FORM_SOURCE = "saisie"
FOLLOW_UP_COLUMNS = (
    "acknowledged_on",
    "responded_on",
    "response_channel",
    "mediator_referred_on",
    "mediator",
    "handler",
    # ACPR 2024-R-02: recorded with the answer (docs/format-export.md).
    "outcome",
    "redress_amount",
    "cause",
    "dysfunction",
)


@dataclass(frozen=True)
class SavedCase:
    reference: str
    due: dict[str, DueDates]  # policy -> due dates
    mediator: str | None  # the competent mediator, from the risk carrier
    mediator_address: str | None


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def _prepare_one(
    values: Mapping[str, Any],
    *,
    today: date,
    objects: tuple[str, ...],
    causes: tuple[str, ...] = DEFAULT_CAUSE_LIST,
) -> Any:
    record = {column: _text(value) for column, value in values.items()}
    frame = pd.DataFrame({c: [v] for c, v in record.items()}, dtype=object)
    frame[LINE] = [1]
    headers = {c: COLUMN_BY_NAME[c].header for c in record}
    raw = RawExport(headers, [], frame_=frame)
    prepared = prepare(raw, import_day=today, objects=objects, causes=causes)
    problems = {
        row["field"] or "Dossier": row["reason"] for row in prepared.rejections.to_dict("records")
    }
    return prepared, problems


def _next_reference(cur: Any, received_on: date) -> str:
    prefix = f"SAI-{received_on.year}-"
    row = fetch_one(
        cur,
        "SELECT max(TRY_CAST(substr(reference, $n) AS INTEGER)) FROM complaints "
        "WHERE starts_with(reference, $prefix)",
        {"n": len(prefix) + 1, "prefix": prefix},
    )
    last = row[0] if row and row[0] is not None else 0
    return f"{prefix}{last + 1:06d}"


def save_case(
    store: Store,
    values: Mapping[str, Any],
    *,
    today: date,
    at: datetime,
    objects: tuple[str, ...],
    attachments: Sequence[tuple[str, bytes]] = (),
    causes: tuple[str, ...] = DEFAULT_CAUSE_LIST,
) -> SavedCase:
    """Check and save a new case; raises ValidationError listing every problem, saving nothing.

    `values` holds canonical columns (dates as `date`, enumerated values canonical). An empty
    `reference` gets a new unique one.
    """
    record = dict(values)
    if attachments and not record.get("attachments"):
        record["attachments"] = ", ".join(name for name, _ in attachments)
    given_reference = _text(record.get("reference"))
    record["reference"] = given_reference or "à attribuer"
    problems = length_problems(record)
    if _text(record.get("nature")) == COMPLAINT:
        written = _text(record.get("channel")) in WRITTEN_CHANNELS
        problems.update(
            required_problems({k: _text(v) for k, v in record.items()}, written=written)
        )
    prepared, rejected = _prepare_one(record, today=today, objects=objects, causes=causes)
    problems.update(rejected)
    with store.transaction() as cur:
        if given_reference and fetch_one(
            cur, "SELECT 1 FROM complaints WHERE reference = $r", {"r": given_reference}
        ):
            problems[COLUMN_BY_NAME["reference"].header] = "référence déjà utilisée"
        if problems:
            raise ValidationError(problems)
        reference = given_reference or _next_reference(cur, values["received_on"])
        prepared = prepared.with_reference(reference)
        write_cases(cur, prepared, source=FORM_SOURCE, at=at, calendar=store.calendar)
        for name, content in attachments:
            cur.execute(
                "INSERT INTO attachments VALUES ($r, $name, $content, $at)",
                {"r": reference, "name": name, "content": content, "at": at},
            )
    with store.cursor() as cur:  # the due dates as stored with the case (case_sla: one rule)
        rows = cur.execute(
            "SELECT policy, ack_due, answer_due FROM case_sla WHERE reference = $r",
            {"r": reference},
        ).fetchall()
    stored = {policy: DueDates(ack, answer) for policy, ack, answer in rows}
    mediator = MEDIATOR_BY_CARRIER.get(_text(values.get("risk_carrier")))
    return SavedCase(
        reference=reference,
        due={p: stored[p] for p in POLICIES},
        mediator=mediator,
        mediator_address=MEDIATOR_ADDRESSES.get(mediator) if mediator else None,
    )


def get_case(store: Store, reference: str) -> dict[str, Any] | None:
    with store.cursor() as cur:
        frame = cur.execute("SELECT * FROM complaints WHERE reference = $r", {"r": reference}).df()
    if frame.empty:
        return None
    row = frame.iloc[0].to_dict()
    return {str(k): (None if not isinstance(v, str) and pd.isna(v) else v) for k, v in row.items()}


def update_case(
    store: Store,
    reference: str,
    changes: Mapping[str, Any],
    *,
    today: date,
    at: datetime,
    objects: tuple[str, ...],
    causes: tuple[str, ...] = DEFAULT_CAUSE_LIST,
) -> int:
    """Record follow-up dates and channels on a case; returns how many fields changed.

    The chronology is checked against the stored receipt date, as for an import; the previous
    values stay in the case history.
    """
    unknown = set(changes) - set(FOLLOW_UP_COLUMNS)
    if unknown:
        raise ValueError(f"not follow-up columns: {sorted(unknown)}")
    current = get_case(store, reference)
    if current is None:
        raise ValidationError({"Référence": f"aucun dossier « {reference} »"})
    record = {c: current[c] for c in ("reference", "received_on", "channel", "nature", "object")}
    record["received_on"] = pd.Timestamp(record["received_on"]).date()
    record.update(changes)
    prepared, problems = _prepare_one(record, today=today, objects=objects, causes=causes)
    problems.update(length_problems(changes))
    # A value the import would leave empty with a finding is refused here: the form shows why.
    for finding in prepared.value_findings.to_dict("records"):
        problems[COLUMN_BY_NAME[finding["field"]].header] = finding["message"]
    if problems:
        raise ValidationError(problems)
    with store.transaction() as cur:
        _, updated, _, _ = write_cases(
            cur, prepared, source=FORM_SOURCE, at=at, calendar=store.calendar
        )
    return updated


def find_cases(store: Store, text: str, limit: int = 50) -> pd.DataFrame:
    """Cases whose reference or name contains `text` (no case or accent sensitivity)."""
    pattern = f"%{text.strip()}%"
    with store.cursor() as cur:
        return cur.execute(
            """SELECT reference, received_on, last_name, first_name, channel, nature, object,
                      acknowledged_on, responded_on, handler
               FROM complaints
               WHERE reference ILIKE $p
                  OR strip_accents(coalesce(last_name, '') || ' ' || coalesce(first_name, ''))
                     ILIKE strip_accents($p)
               ORDER BY received_on DESC, reference LIMIT $limit""",
            {"p": pattern, "limit": limit},
        ).df()


def case_history(store: Store, reference: str) -> pd.DataFrame:
    with store.cursor() as cur:
        return cur.execute(
            """SELECT changed_at, source, action, field, old_value, new_value
               FROM case_history WHERE reference = $r ORDER BY changed_at, action, field""",
            {"r": reference},
        ).df()


def case_attachments(store: Store, reference: str) -> pd.DataFrame:
    """The files attached to a case: name, size in bytes, when."""
    with store.cursor() as cur:
        return cur.execute(
            """SELECT file_name, octet_length(content) AS size, added_at FROM attachments
               WHERE reference = $r ORDER BY added_at, file_name""",
            {"r": reference},
        ).df()


def attachment_content(store: Store, reference: str, file_name: str) -> bytes:
    """One attached file (read when downloaded; never cached, files may be large)."""
    with store.cursor() as cur:
        rows = cur.execute(
            "SELECT content FROM attachments WHERE reference = $r AND file_name = $n LIMIT 1",
            {"r": reference, "n": file_name},
        ).fetchall()
    return bytes(rows[0][0]) if rows else b""


def case_findings(store: Store, reference: str) -> pd.DataFrame:
    """A case's data-quality findings (a NIR is stored masked)."""
    with store.cursor() as cur:
        return cur.execute(
            "SELECT kind, field, value, message FROM findings WHERE reference = $r "
            "ORDER BY kind, field",
            {"r": reference},
        ).df()
