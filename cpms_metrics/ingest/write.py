"""Step 5, write: the accepted rows staged in `staging.staged`, settled against the stored cases
(an export never moves a case backwards, a blank cell never erases), then written with their
history, due dates and findings (quality.py), inside the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from ..deadlines import Calendar
from ..quality import compute_findings, store_findings
from ..schema import DUE_COLUMNS, Cursor, clock_start_sql, fetch_one
from ..store import add_due_dates, refresh_due_dates
from .prepared import Prepared
from .staging import Staging


@dataclass(frozen=True)
class _Written:
    added: int
    updated: int
    unchanged: int
    stale: int
    findings: int


def _stage(cur: Cursor, staging: Staging, prepared: Prepared) -> None:
    """Put the prepared rows in `staging.staged`: they are `staging.accepted` when prepared in
    this connection."""
    if prepared.accepted is None:
        cur.execute(f"ALTER TABLE {staging.accepted} RENAME TO {staging.staged}")
        return
    cur.register("staged_arrow", prepared.accepted)
    cur.execute(f"CREATE OR REPLACE TEMP TABLE {staging.staged} AS SELECT * FROM staged_arrow")
    cur.unregister("staged_arrow")


def _changed_condition(columns: Iterable[str]) -> str:
    return " OR ".join(f"s.{c} IS DISTINCT FROM c.{c}" for c in columns if c != "reference")


def _set_aside_stale(cur: Cursor, staging: Staging, columns: list[str]) -> int:
    """Remove from `staging.staged` the rows of an export older than what is stored; returns
    how many.

    A row is **stale** when at least one of its non-empty cells differs from the stored value
    and there is an earlier version of its case, the one it held just before some change
    recorded in `case_history`, whose values equal every non-empty cell of the row. The value a
    column held just before a change is the old value of its first change since, or, when it has
    not changed since, its stored value. Changes are told apart by their time (`changed_at`).
    Blank cells say nothing: they never erase anything and never make a row stale.
    """
    if not columns:
        return 0
    differs = " OR ".join(f"(s.{c} IS NOT NULL AND s.{c} IS DISTINCT FROM c.{c})" for c in columns)
    cells = ", ".join(
        f"CAST(s.{c} AS VARCHAR) AS s_{c}, CAST(c.{c} AS VARCHAR) AS c_{c}" for c in columns
    )
    before = ", ".join(
        f"""arg_min_null(h.old_value, h.changed_at) FILTER (WHERE h.field = '{c}') AS b_{c},
            coalesce(bool_or(h.field = '{c}'), false) AS h_{c}"""
        for c in columns
    )
    equal = " AND ".join(
        f"(k.s_{c} IS NULL OR k.s_{c} = CASE WHEN v.h_{c} THEN v.b_{c} ELSE k.c_{c} END)"
        for c in columns
    )
    cur.execute(f"""
        CREATE OR REPLACE TEMP TABLE {staging.stale} AS
        WITH candidates AS (
            SELECT s.reference, {cells}
            FROM {staging.staged} s JOIN complaints c USING (reference)
            WHERE ({differs})
              AND s.reference IN (
                  SELECT reference FROM case_history WHERE action = 'modification')
        ),
        changes AS (
            SELECT DISTINCT h.reference, h.changed_at AS at
            FROM case_history h SEMI JOIN candidates k USING (reference)
            WHERE h.action = 'modification'
        ),
        versions AS (
            SELECT e.reference, e.at, {before}
            FROM changes e JOIN case_history h
              ON h.reference = e.reference AND h.changed_at >= e.at
                 AND h.action = 'modification'
            GROUP BY e.reference, e.at
        )
        SELECT DISTINCT k.reference FROM candidates k JOIN versions v USING (reference)
        WHERE {equal}""")
    stale = fetch_one(cur, f"SELECT count(*) FROM {staging.stale}")
    count = int(stale[0]) if stale else 0
    if count:
        cur.execute(
            f"DELETE FROM {staging.staged} "
            f"WHERE reference IN (SELECT reference FROM {staging.stale})"
        )
    cur.execute(f"DROP TABLE {staging.stale}")
    return count


def _keep_stored_values(cur: Cursor, staging: Staging, columns: list[str]) -> None:
    """Fill the blank cells of `staging.staged` with the stored values: a blank never erases."""
    if not columns:
        return
    staged = staging.staged
    filled = ", ".join(f"{c} = coalesce({staged}.{c}, c.{c})" for c in columns)
    blank = " OR ".join(f"({staged}.{c} IS NULL AND c.{c} IS NOT NULL)" for c in columns)
    cur.execute(f"""
        UPDATE {staged} SET {filled} FROM complaints c
        WHERE {staged}.reference = c.reference AND ({blank})""")


def _settle(cur: Cursor, staging: Staging, prepared: Prepared) -> int:
    """Bring an export's staged rows to what storing them means (export-format.md, "An import
    never moves a case backwards"): stale rows set aside, blank cells keeping the stored value.
    Returns the number of stale rows."""
    columns = [c for c in prepared.columns if c != "reference"]
    stale = _set_aside_stale(cur, staging, columns)
    _keep_stored_values(cur, staging, columns)
    return stale


def _counts(cur: Cursor, staging: Staging, prepared: Prepared) -> tuple[int, int, int]:
    changed = _changed_condition(prepared.columns) or "FALSE"
    row = fetch_one(
        cur,
        f"""
        SELECT
            count(*) FILTER (WHERE c.reference IS NULL),
            count(*) FILTER (WHERE c.reference IS NOT NULL AND ({changed})),
            count(*) FILTER (WHERE c.reference IS NOT NULL AND NOT ({changed}))
        FROM {staging.staged} s LEFT JOIN complaints c USING (reference)
        """,
    )
    assert row is not None
    return int(row[0]), int(row[1]), int(row[2])


def _staged_extra(cur: Cursor, staging: Staging, prepared: Prepared) -> int:
    """How many of the file's own findings concern a row still staged (not a stale one)."""
    if not len(prepared.value_findings):
        return 0
    cur.register("extra_findings", prepared.value_findings)
    row = fetch_one(
        cur, f"SELECT count(*) FROM extra_findings SEMI JOIN {staging.staged} USING (reference)"
    )
    cur.unregister("extra_findings")
    return int(row[0]) if row else 0


def write_cases(
    cur: Cursor, prepared: Prepared, *, source: str, at: datetime, calendar: Calendar
) -> tuple[int, int, int, int]:
    """Write cases typed in the dashboard (form, follow-up) with their history, due dates and
    findings, inside the caller's transaction: every value given applies, a blank one erases.
    Returns (added, updated, unchanged, findings)."""
    written = _write(
        cur, Staging(), prepared, source=source, at=at, calendar=calendar, export=False
    )
    return written.added, written.updated, written.unchanged, written.findings


def _write(
    cur: Cursor,
    staging: Staging,
    prepared: Prepared,
    *,
    source: str,
    at: datetime,
    calendar: Calendar,
    export: bool,
) -> _Written:
    """Upsert the accepted rows with their history, due dates and findings, inside the caller's
    transaction. For an `export`, stale rows are not applied and a blank cell keeps the stored
    value (`_settle`)."""
    _stage(cur, staging, prepared)
    stale = _settle(cur, staging, prepared) if export else 0
    added, updated, unchanged = _counts(cur, staging, prepared)
    columns = [c for c in prepared.columns if c != "reference"]
    changed = _changed_condition(columns) or "FALSE"
    if updated and columns:
        history = " UNION ALL ".join(
            f"""SELECT s.reference, '{c}' AS col, CAST(c.{c} AS VARCHAR), CAST(s.{c} AS VARCHAR)
                FROM {staging.staged} s JOIN complaints c USING (reference)
                WHERE s.{c} IS DISTINCT FROM c.{c}"""
            for c in columns
        )
        cur.execute(
            f"""INSERT INTO case_history
                SELECT reference, $at, $source, 'modification', col, old, new
                FROM ({history}) h(reference, col, old, new)""",
            {"at": at, "source": source},
        )
        assignments = ", ".join(f"{c} = s.{c}" for c in columns)
        due_reset = ", ".join(f"{c} = NULL" for c in DUE_COLUMNS)  # recomputed below
        cur.execute(
            f"""UPDATE complaints c
                SET {assignments}, {due_reset}, source = $source, updated_at = $at
                FROM {staging.staged} s WHERE c.reference = s.reference AND ({changed})""",
            {"at": at, "source": source},
        )
    if added:
        cur.execute(
            f"""INSERT INTO case_history
               SELECT s.reference, $at, $source, 'creation', NULL, NULL, NULL
               FROM {staging.staged} s ANTI JOIN complaints c USING (reference)""",
            {"at": at, "source": source},
        )
        # New cases get their due dates as they are written (an UPDATE after costs as much).
        sent = "s.sent_on" if "sent_on" in prepared.columns else "NULL"
        add_due_dates(
            cur,
            calendar,
            f"SELECT received_on FROM {staging.staged} UNION SELECT {sent} FROM {staging.staged} s",
        )
        names = ", ".join(prepared.columns)
        # A step an export does not give is not tracked for its new cases (export-format.md);
        # a case typed in the dashboard tracks both.
        tracked = ", ".join(
            "TRUE" if step in prepared.columns or not export else "FALSE"
            for step in ("acknowledged_on", "responded_on")
        )
        cur.execute(
            f"""INSERT INTO complaints ({names}, source, updated_at, {", ".join(DUE_COLUMNS)},
                                        ack_tracked, answer_tracked)
                SELECT s.*, $source, $at, r.ack_due, r.answer_due, a.ack_due, a.answer_due,
                       {tracked}
                FROM {staging.staged} s ANTI JOIN complaints c USING (reference)
                LEFT JOIN due_dates r ON r.policy = 'cpms'
                    AND r.start_date = {clock_start_sql("'cpms'", "s.received_on", sent)}
                LEFT JOIN due_dates a ON a.policy = 'acpr'
                    AND a.start_date = {clock_start_sql("'acpr'", "s.received_on", sent)}""",
            {"at": at, "source": source},
        )
    for step, flag in (("acknowledged_on", "ack_tracked"), ("responded_on", "answer_tracked")):
        if step in prepared.columns and (updated or unchanged):  # this file tracks the step
            cur.execute(f"""UPDATE complaints SET {flag} = TRUE
                            WHERE NOT {flag}
                              AND reference IN (SELECT reference FROM {staging.staged})""")
    refresh_due_dates(cur, calendar)
    findings = _refresh_findings(cur, staging, prepared)
    # Real data now: the dashboard's "Données d'exemple" notice ends (demo.load_sample sets the
    # flag again after its own import).
    cur.execute("DELETE FROM meta WHERE key = 'sample'")
    cur.execute(f"DROP TABLE IF EXISTS {staging.staged}")
    return _Written(added, updated, unchanged, stale, findings)


def _refresh_findings(cur: Cursor, staging: Staging, prepared: Prepared) -> int:
    """Recompute the findings of the cases just written, from what is now stored."""
    return store_findings(cur, staging, prepared.value_findings)


def _would_write(cur: Cursor, staging: Staging, prepared: Prepared) -> _Written:
    """What `_write` would do for an export, without writing anything (the relations are
    temporary, and dropped)."""
    _stage(cur, staging, prepared)
    stale = _settle(cur, staging, prepared)
    added, updated, unchanged = _counts(cur, staging, prepared)
    findings = compute_findings(cur, staging) + _staged_extra(cur, staging, prepared)
    cur.execute(f"DROP TABLE {staging.staged}")
    cur.execute(f"DROP TABLE {staging.findings}")
    return _Written(added, updated, unchanged, stale, findings)
