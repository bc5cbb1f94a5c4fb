"""Step 4, check: sort the normalised rows into rejections (line, column, value, French reason),
identical repeats counted once, findings the file alone shows, and the rows to load,
`staging.accepted`.

A row the figures cannot be computed from is rejected (docs/format-export.md); an unknown
optional value is stored empty, with a finding.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb
import pandas as pd

from ..errors import ImportFileError
from ..fields import COLUMN_BY_NAME, DATE_COLUMNS, Vocabulary, label
from ..validation import EARLIEST_DATE, early_date_problem, mask_nirs_in
from .normalise import Columns, format_date
from .read import RawExport
from .staging import LINE, WIDTH, Staging, quote

REJECT_COLUMNS = ["line", "reference", "field", "value", "reason"]
_MISSING = {
    "reference": "Référence manquante",
    "received_on": "Date de réception manquante",
    "channel": "Canal manquant",
    "nature": "Nature manquante",
    "object": "Objet manquant",
}
_UNKNOWN = {
    "channel": "Canal inconnu",
    "nature": "Nature inconnue",
    "object": "Objet inconnu",
    "response_channel": "Canal de réponse non reconnu",
    "risk_carrier": "Porteur de risque non reconnu",
    "mediator": "Médiateur non reconnu",
    "outcome": "Suite donnée non reconnue",
    "cause": "Cause non reconnue",
}
_CHRONOLOGY = (
    ("sent_on", ">", "Date d'envoi postérieure à la date de réception"),
    ("acknowledged_on", "<", "Date d'accusé de réception antérieure à la date de réception"),
    ("responded_on", "<", "Date de réponse antérieure à la date de réception"),
    ("mediator_referred_on", "<", "Date de saisine du médiateur antérieure à la date de réception"),
)


def _labels(vocabulary: Vocabulary) -> str:
    return ", ".join(label for label, _ in vocabulary.values())


@dataclass(frozen=True)
class Checked:
    """What the checks found; the rows themselves stay in `staging.normalised`."""

    rows_read: int
    rejections: pd.DataFrame  # REJECT_COLUMNS, one row per problem
    rejected_rows: int
    dropped: int  # rows not loaded: rejected, or an identical repeat
    value_findings: pd.DataFrame  # unknown optional values (stored empty, kept here)


def check(
    con: duckdb.DuckDBPyConnection,
    staging: Staging,
    raw: RawExport,
    columns: Columns,
    import_day: date,
) -> Checked:
    """Check the rows of `staging.typed` (`import_day` bounds every date): `staging.problems`
    holds the rejections, `staging.dropped` the lines of every row not to load."""
    present, vocabularies, profile = columns.present, columns.vocabularies, raw.profile

    def header(column: str) -> str:
        return quote(raw.headers.get(column, COLUMN_BY_NAME[column].header))

    checks: list[str] = []
    accepted_dates = "JJ/MM/AAAA ou AAAA-MM-JJ"
    if profile.date_format:
        accepted_dates = f"{profile.date_format} (profil d'import), {accepted_dates}"

    def check(condition: str, column: str, reason: str) -> None:
        field_sql = header(column) if column else "''"
        value_sql = column if column else "''"
        checks.append(
            f"SELECT {LINE}, reference, {field_sql}, {value_sql}, {reason} "
            f"FROM {staging.typed} WHERE {condition}"
        )

    for column in present:
        spec = COLUMN_BY_NAME[column]
        if spec.required:
            check(f"{column} IS NULL", column, quote(_MISSING[column]))
        if column in DATE_COLUMNS:
            check(
                f"{column} IS NOT NULL AND v_{column} IS NULL",
                column,
                quote(f"{spec.header} illisible (formats acceptés : {accepted_dates})"),
            )
            check(
                f"v_{column} > DATE '{import_day.isoformat()}'",
                column,
                quote(f"{spec.header} postérieure au jour de l'import ({format_date(import_day)})"),
            )
            check(
                f"v_{column} < DATE '{EARLIEST_DATE.isoformat()}'",
                column,
                quote(early_date_problem(spec.header)),
            )
        elif column in vocabularies and spec.required:
            check(
                f"{column} IS NOT NULL AND v_{column} IS NULL",
                column,
                quote(f"{_UNKNOWN[column]} (valeurs possibles : {_labels(vocabularies[column])})"),
            )
    for column, operator, reason in _CHRONOLOGY:
        if column in present:
            check(f"v_{column} {operator} v_received_on", column, quote(reason))
    check(f"{WIDTH} IS NOT NULL", "", WIDTH)
    con.execute(
        f"CREATE TEMP TABLE {staging.problems} AS SELECT * FROM ("
        + " UNION ALL ".join(checks)
        + ") p(line, reference, field, value, reason)"
    )

    # The same reference twice: identical rows count once; different contents reject them all.
    content = ", ".join(
        f"coalesce(CAST(v_{c} AS VARCHAR), {c})" if c != "reference" else c for c in present
    )
    con.execute(f"""
        CREATE TEMP TABLE {staging.repeated} AS
        SELECT {LINE}, reference, hash({content}) AS digest,
               {LINE} IN (SELECT line FROM {staging.problems}) AS rejected
        FROM {staging.typed} WHERE reference IN (
            SELECT reference FROM {staging.typed} WHERE reference IS NOT NULL
            GROUP BY reference HAVING count(*) > 1)
    """)
    con.execute(
        f"""
        INSERT INTO {staging.problems}
        SELECT r.{LINE}, r.reference, $field, r.reference, NULL
        FROM {staging.repeated} r SEMI JOIN (
            SELECT reference FROM {staging.repeated}
            GROUP BY reference HAVING count(DISTINCT digest) > 1
        ) g USING (reference)
    """,
        {"field": raw.headers.get("reference", "Référence")},
    )
    con.execute(f"""
        CREATE TEMP TABLE {staging.dropped} AS
        SELECT line AS {LINE} FROM {staging.problems}
        UNION
        SELECT {LINE} FROM (
            SELECT {LINE}, row_number() OVER (PARTITION BY reference ORDER BY {LINE}) AS nth
            FROM {staging.repeated} WHERE NOT rejected
              AND reference NOT IN (SELECT reference FROM {staging.problems} WHERE reason IS NULL)
        ) WHERE nth > 1
    """)
    rows_read = int(con.execute(f"SELECT count(*) FROM {staging.typed}").fetchall()[0][0])
    if not rows_read:
        raise ImportFileError(
            "Le fichier ne contient aucune ligne de données, seulement l'en-tête : vérifiez que "
            "l'export comprend bien les dossiers."
        )
    rejected_rows = int(
        con.execute(f"SELECT count(DISTINCT line) FROM {staging.problems}").fetchall()[0][0]
    )
    dropped = int(con.execute(f"SELECT count(*) FROM {staging.dropped}").fetchall()[0][0])
    _lines_in_file(con, staging)
    con.execute(f"""
        UPDATE {staging.problems} SET reason = 'Référence présente plusieurs fois avec des '
            || 'contenus différents (lignes ' || g.lines || ')'
        FROM (SELECT reference, string_agg(line::VARCHAR, ', ' ORDER BY line) AS lines
              FROM {staging.problems} WHERE reason IS NULL GROUP BY reference) g
        WHERE {staging.problems}.reason IS NULL AND {staging.problems}.reference = g.reference""")
    rejections = con.execute(
        f"SELECT line, reference, field, value, reason FROM {staging.problems} ORDER BY line, field"
    ).df()
    return Checked(
        rows_read=rows_read,
        rejections=rejections,
        rejected_rows=rejected_rows,
        dropped=dropped,
        value_findings=_value_findings(con, staging, raw, columns),
    )


def _lines_in_file(con: duckdb.DuckDBPyConnection, staging: Staging) -> None:
    """From a record's rank to its line in the file, in `staging.problems`: past the line breaks
    of the records before it, then past the empty lines before it (DuckDB's reading only)."""
    for offsets, condition in (
        (staging.line_offsets, "p.line > o.key"),
        (staging.blank_offsets, "p.line >= o.line"),
    ):
        if con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE table_name = $name", {"name": offsets}
        ).fetchall()[0][0]:
            con.execute(f"""
                CREATE OR REPLACE TEMP TABLE {staging.problems} AS
                SELECT p.* REPLACE (CAST(p.line + coalesce(o.shift, 0) AS INTEGER) AS line)
                FROM {staging.problems} p ASOF LEFT JOIN {offsets} o ON {condition}""")


def _value_findings(
    con: duckdb.DuckDBPyConnection, staging: Staging, raw: RawExport, columns: Columns
) -> pd.DataFrame:
    """The findings only the file shows, on the rows to load: an unknown optional value or an
    unreadable amount left empty, a value the profile's fallback replaced."""
    enums, vocabularies = columns.enums, columns.vocabularies
    kept = f"FROM {staging.typed} ANTI JOIN {staging.dropped} USING ({LINE})"
    unknown = [
        f"""SELECT reference, 'valeur_inconnue' AS kind, '{c}' AS field, {c} AS value,
               {
            quote(
                _UNKNOWN[c] + ", laissé vide (valeurs possibles : " + _labels(vocabularies[c]) + ")"
            )
        } AS message
            {kept}
            WHERE {c} IS NOT NULL AND v_{c} IS NULL"""
        for c in enums
        if not COLUMN_BY_NAME[c].required
    ] + [
        f"""SELECT reference, 'valeur_inconnue' AS kind, '{c}' AS field, {c} AS value,
               {
            quote(
                f"{_UNKNOWN[c]}, remplacé par « {label(vocabularies[c], fallback)} » "
                "(valeur de repli du profil d'import)"
            )
        } AS message
            {kept}
            WHERE {c} IN (SELECT text FROM {staging.fallback(c)})"""
        for c, fallback in raw.profile.fallback.items()
        if c in enums
    ]
    unknown += [
        f"""SELECT reference, 'valeur_inconnue' AS kind, '{c}' AS field, {c} AS value,
               {
            quote(
                COLUMN_BY_NAME[c].header + " illisible ou négatif, laissé vide "
                "(un montant positif en euros est attendu, par ex. 1 234,56)"
            )
        } AS message
            {kept}
            WHERE {c} IS NOT NULL AND v_{c} IS NULL"""
        for c in columns.amounts
    ]
    value_findings = (
        con.execute(" UNION ALL ".join(unknown)).df()
        if unknown
        else pd.DataFrame(columns=["reference", "kind", "field", "value", "message"])
    )
    value_findings["value"] = value_findings["value"].map(mask_nirs_in)  # never a full NIR
    return value_findings


def keep_accepted(
    con: duckdb.DuckDBPyConnection, staging: Staging, columns: Columns, dropped: int
) -> None:
    """Make `staging.normalised`, without the dropped rows and the text values were read from,
    the rows to load, `staging.accepted` (no copy); drop every other relation of the steps."""
    con.execute(f"DROP VIEW {staging.typed}")
    if dropped:
        con.execute(
            f"DELETE FROM {staging.normalised} WHERE {LINE} IN "
            f"(SELECT {LINE} FROM {staging.dropped})"
        )
    parsed = columns.parsed
    for column in (LINE, WIDTH, *parsed):
        con.execute(f"ALTER TABLE {staging.normalised} DROP COLUMN {column}")
    for column in columns.present:
        if column in parsed:
            con.execute(f"ALTER TABLE {staging.normalised} RENAME COLUMN v_{column} TO {column}")
    con.execute(f"ALTER TABLE {staging.normalised} RENAME TO {staging.accepted}")
    for table in (
        staging.day_map,
        staging.problems,
        staging.repeated,
        staging.dropped,
        staging.line_offsets,
        staging.blank_offsets,
        *(staging.value_map(c) for c in columns.enums),
        *(staging.fallback(c) for c in columns.enums),
        *(staging.amount_map(c) for c in columns.amounts),
    ):
        con.execute(f"DROP TABLE IF EXISTS {table}")
