"""DuckDB schema: versioned migrations for the stored data, and the derived views rebuilt on open.

Tables hold what was imported or typed; `case_sla` and the `case_status` macro are the one place
where a case meets its due dates and, as of a date, its status. Every KPI query reads them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import duckdb

from .fields import (
    AMOUNT_COLUMNS,
    CANONICAL,
    DATE_COLUMNS,
    MEDIATOR_BY_CARRIER,
    OUTCOME_COLUMNS,
    UNKNOWN_MEDIATOR,
)

Cursor = duckdb.DuckDBPyConnection
DUE_COLUMNS = ("ack_due_cpms", "answer_due_cpms", "ack_due_acpr", "answer_due_acpr")


def _sql_type(name: str) -> str:
    return "DATE" if name in DATE_COLUMNS else "DOUBLE" if name in AMOUNT_COLUMNS else "VARCHAR"


# The columns of version 1; those added later come with their own migration.
_COMPLAINT_COLUMNS = ",\n    ".join(
    f"{name} {_sql_type(name)}"
    + (" NOT NULL" if name in ("reference", "received_on", "channel", "nature", "object") else "")
    for name in CANONICAL
    if name not in OUTCOME_COLUMNS
)


def _v1(cur: Cursor) -> None:
    cur.execute(f"""
        CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR);
        CREATE TABLE complaints (
            {_COMPLAINT_COLUMNS},
            source VARCHAR NOT NULL,        -- 'import #12', 'saisie'
            updated_at TIMESTAMP NOT NULL
        );
        CREATE TABLE imports (
            id INTEGER PRIMARY KEY, file_name VARCHAR, sha256 VARCHAR, imported_at TIMESTAMP,
            rows_read INTEGER, added INTEGER, updated INTEGER, unchanged INTEGER,
            duplicates INTEGER, rejected INTEGER, findings INTEGER
        );
        CREATE TABLE rejects (
            import_id INTEGER, line INTEGER, reference VARCHAR, field VARCHAR,
            value VARCHAR, reason VARCHAR
        );
        CREATE TABLE findings (
            reference VARCHAR, kind VARCHAR, field VARCHAR, value VARCHAR, message VARCHAR
        );
        CREATE TABLE case_history (
            reference VARCHAR, changed_at TIMESTAMP, source VARCHAR, action VARCHAR,
            field VARCHAR, old_value VARCHAR, new_value VARCHAR
        );
        CREATE TABLE due_dates (
            start_date DATE, policy VARCHAR, ack_due DATE, answer_due DATE
        );
    """)


def _v2(cur: Cursor) -> None:
    # Files attached to a case typed in the form (export rows only carry their names).
    cur.execute("""
        CREATE TABLE attachments (
            reference VARCHAR, file_name VARCHAR, content BLOB, added_at TIMESTAMP
        )
    """)


def _v3(cur: Cursor) -> None:
    # Due dates stored on the case (filled by store.refresh_due_dates): queries need no join.
    for column in DUE_COLUMNS:
        cur.execute(f"ALTER TABLE complaints ADD COLUMN {column} DATE")


def _v4(cur: Cursor) -> None:
    # Who did what and when (cpms_metrics.access); `detail` is written masked, never with a NIR.
    cur.execute("""
        CREATE SEQUENCE audit_log_id START 1;
        CREATE TABLE audit_log (
            id BIGINT PRIMARY KEY DEFAULT nextval('audit_log_id'),
            logged_at TIMESTAMP NOT NULL,
            who VARCHAR NOT NULL,
            action VARCHAR NOT NULL,        -- a key of access.ACTIONS
            reference VARCHAR,              -- the case concerned, if any
            detail VARCHAR NOT NULL
        );
    """)


def _v5(cur: Cursor) -> None:
    # Rows of an export older than what is stored, not applied (ingest/write.py, _set_aside_stale).
    cur.execute("ALTER TABLE imports ADD COLUMN stale INTEGER DEFAULT 0")


# (table, column) of every moment stored: written as aware instants, read in the service's zone.
TIMESTAMP_COLUMNS = (
    ("complaints", "updated_at"),
    ("imports", "imported_at"),
    ("case_history", "changed_at"),
    ("attachments", "added_at"),
    ("audit_log", "logged_at"),
)


def _v6(cur: Cursor) -> None:
    # Moments become TIMESTAMPTZ (instants). Until now they were written naive, as the clock of
    # the server that wrote them showed them (its local time), so they are read in that
    # machine's own zone: DuckDB's default TimeZone, which is what `RESET` returns to. The
    # database is migrated where it lives, by the server that wrote it.
    row = fetch_one(cur, "SELECT current_setting('TimeZone')")
    session_zone = str(row[0]).replace("'", "''") if row else "UTC"
    cur.execute("RESET TimeZone")
    try:
        for table, column in TIMESTAMP_COLUMNS:
            cur.execute(
                f"ALTER TABLE {table} ALTER COLUMN {column} SET DATA TYPE TIMESTAMPTZ "
                f"USING CAST({column} AS TIMESTAMPTZ)"
            )
    finally:
        cur.execute(f"SET TimeZone = '{session_zone}'")


def _v7(cur: Cursor) -> None:
    # ACPR 2024-R-02: outcome, redress and root cause of a complaint; the register of
    # dysfunctions with their corrective actions, and the history of their changes.
    for name in OUTCOME_COLUMNS:
        cur.execute(f"ALTER TABLE complaints ADD COLUMN IF NOT EXISTS {name} {_sql_type(name)}")
    cur.execute("""
        CREATE TABLE dysfunctions (
            identifier VARCHAR PRIMARY KEY,
            title VARCHAR NOT NULL,
            object VARCHAR,
            cause VARCHAR,
            detected_on DATE NOT NULL,
            owner VARCHAR,
            action VARCHAR,
            action_due DATE,
            status VARCHAR NOT NULL,        -- ouvert | en_cours | clos
            closed_on DATE,
            updated_at TIMESTAMPTZ NOT NULL
        );
        CREATE TABLE dysfunction_history (
            identifier VARCHAR, changed_at TIMESTAMPTZ, who VARCHAR, action VARCHAR,
            field VARCHAR, old_value VARCHAR, new_value VARCHAR
        );
    """)


def _v8(cur: Cursor) -> None:
    # Whether the files that brought a case track its acknowledgement / its answer: a file with
    # no such column leaves the step untracked (export-format.md, ingest/write.py). Cases already
    # stored came from the canonical format or the form: tracked.
    cur.execute("ALTER TABLE complaints ADD COLUMN ack_tracked BOOLEAN DEFAULT TRUE")
    cur.execute("ALTER TABLE complaints ADD COLUMN answer_tracked BOOLEAN DEFAULT TRUE")


MIGRATIONS: tuple[Callable[[Cursor], None], ...] = (
    _v1,
    _v2,
    _v3,
    _v4,
    _v5,
    _v6,
    _v7,
    _v8,
)
SCHEMA_VERSION = len(MIGRATIONS)


def fetch_one(cur: Cursor, sql: str, params: object = None) -> tuple[Any, ...] | None:
    """The first row of a query, reading the result to its end (DuckDB wants it finished)."""
    rows = (
        cur.execute(sql, params).fetchall() if params is not None else cur.execute(sql).fetchall()
    )
    return tuple(rows[0]) if rows else None


def schema_version(cur: Cursor) -> int:
    exists = fetch_one(
        cur,
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'meta' AND schema_name = 'main'",
    )
    if not exists or not exists[0]:
        return 0
    row = fetch_one(cur, "SELECT value FROM meta WHERE key = 'schema_version'")
    return int(row[0]) if row else 0


def migrate(cur: Cursor, target: int = SCHEMA_VERSION) -> int:
    """Bring the schema up to `target`; returns the version found before."""
    found = schema_version(cur)
    for version in range(found + 1, target + 1):
        MIGRATIONS[version - 1](cur)
        cur.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", [str(version)])
    return found


_DERIVED_MEDIATOR = " ".join(
    f"WHEN '{carrier}' THEN '{mediator}'" for carrier, mediator in MEDIATOR_BY_CARRIER.items()
)


def clock_start_sql(policy: str, received: str = "received_on", sent: str = "sent_on") -> str:
    """The clock start (docs/regles.md §2), its one definition: `cpms` counts from receipt, `acpr`
    from the client's sending when known. `policy` is an SQL expression ('acpr', p.policy); in a
    join key, pass a literal so that the key stays an equality DuckDB can hash."""
    return f"CASE WHEN {policy} = 'acpr' THEN coalesce({sent}, {received}) ELSE {received} END"


_ACK_DUE = "CASE WHEN {p} = 'acpr' THEN ack_due_acpr ELSE ack_due_cpms END"
_ANSWER_DUE = "CASE WHEN {p} = 'acpr' THEN answer_due_acpr ELSE answer_due_cpms END"


def _case_columns(policy: str) -> str:
    return f"""
        nature = 'reclamation' AS is_complaint,
        date_trunc('month', received_on)::DATE AS cohort_month,
        CASE risk_carrier {_DERIVED_MEDIATOR} END AS derived_mediator,
        coalesce(mediator, CASE risk_carrier {_DERIVED_MEDIATOR} END, '{UNKNOWN_MEDIATOR}')
            AS effective_mediator,
        {clock_start_sql(policy)} AS clock_start,
        {_ACK_DUE.format(p=policy)} AS ack_due,
        {_ANSWER_DUE.format(p=policy)} AS answer_due"""


VIEWS = f"""
-- Every case under each policy, with its clock start and due dates.
CREATE OR REPLACE VIEW case_sla AS
SELECT c.*, p.policy, {_case_columns("p.policy")}
FROM complaints c CROSS JOIN (VALUES ('cpms'), ('acpr')) p(policy);

-- The status of every case as of a date: what existed then, and what had been done by then.
CREATE OR REPLACE MACRO case_status(as_of, pol) AS TABLE
SELECT
    *,
    CASE WHEN ack_untracked THEN 'untracked'
         WHEN ack_done_on IS NOT NULL
         THEN CASE WHEN ack_done_on <= ack_due THEN 'on_time' ELSE 'late' END
         WHEN as_of > ack_due THEN 'overdue' ELSE 'pending' END AS ack_status,
    CASE WHEN answer_untracked THEN 'untracked'
         WHEN answer_done_on IS NOT NULL
         THEN CASE WHEN answer_done_on <= answer_due THEN 'on_time' ELSE 'late' END
         WHEN as_of > answer_due THEN 'overdue' ELSE 'pending' END AS answer_status,
    ack_done_on - clock_start AS ack_days,
    answer_done_on - clock_start AS answer_days,
    mediator_referred_on IS NOT NULL AND mediator_referred_on <= as_of AS escalated,
    -- The backlog (rules §7): a complaint still without an answer, and its next deadline. A
    -- complaint whose answer is not tracked is in no backlog figure: nothing says it is open.
    is_complaint AND answer_done_on IS NULL AND NOT answer_untracked AS is_open,
    CASE WHEN ack_done_on IS NULL AND NOT ack_untracked THEN 'ack' ELSE 'answer' END AS next_step,
    CASE WHEN ack_done_on IS NULL AND NOT ack_untracked THEN ack_due ELSE answer_due END
        AS next_due,
    -- "Mauvaise orientation" (rules §4): an escalated complaint whose recorded mediator is not the
    -- one its risk carrier calls for.
    is_complaint AND mediator_referred_on IS NOT NULL AND mediator_referred_on <= as_of
        AND mediator IS NOT NULL AND derived_mediator IS NOT NULL
        AND mediator <> derived_mediator AS misrouted
FROM (
    SELECT
        *,
        pol AS policy,
        {_case_columns("pol")},
        least(
            CASE WHEN acknowledged_on <= as_of THEN acknowledged_on END,
            CASE WHEN responded_on <= as_of THEN responded_on END
        ) AS ack_done_on,
        CASE WHEN responded_on <= as_of THEN responded_on END AS answer_done_on,
        -- A step not tracked (export-format.md): no file of the case gave it and nothing
        -- records it (an answer also stands for the acknowledgement). In no status or rate.
        NOT coalesce(ack_tracked, TRUE) AND acknowledged_on IS NULL AND responded_on IS NULL
            AS ack_untracked,
        NOT coalesce(answer_tracked, TRUE) AND responded_on IS NULL AS answer_untracked
    FROM complaints
    WHERE received_on <= as_of
);
"""


def create_views(cur: Cursor) -> None:
    cur.execute(VIEWS)
