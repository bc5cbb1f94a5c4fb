"""Data-quality findings of stored cases, computed in SQL over every case just written.

The rules are validation.py's. SQL only accepts, with conservative patterns, the values that are
plainly valid; every other distinct value is judged by validation.py in Python, which also words the
message. `validation.contact_findings` is the one-record reading of the same rules, and a test holds
the two equal.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pandas as pd

from .fields import CANONICAL, CHANNELS, DATE_COLUMNS, MEDIATOR_BY_CARRIER, MEDIATORS
from .schema import Cursor
from .validation import (
    NIR_IN_TEXT,
    NIR_OUTSIDE_COLUMNS,
    NIR_OUTSIDE_MESSAGE,
    email_problem,
    mask_nir,
    mask_nirs_in,
    nir_in_text,
    nir_problem,
    phone_problem,
    postcode_problem,
)

if TYPE_CHECKING:
    from .ingest.staging import Staging
    from .store import Store

FINDING_COLUMNS = ["reference", "kind", "field", "value", "message"]

_NIR_FORM = "[123478][0-9]{4}([0-9]{2}|2[AB])[0-9]{8}"
# Subsets of what validation.py accepts (a test checks it on many values); anything else goes to it.
# A NIR is plainly valid when written in one block of 15 characters with the right key.
_PLAINLY_VALID = {
    "nir": f"""regexp_full_match(nir, '{_NIR_FORM}')
        AND 97 - TRY_CAST(substr(replace(replace(nir, '2A', '19'), '2B', '18'), 1, 13) AS BIGINT)
                 % 97
            = TRY_CAST(substr(nir, 14, 2) AS INTEGER)""",
    "email": r"""regexp_full_match(email,
        '[A-Za-z0-9_%+-]+(\.[A-Za-z0-9_%+-]+)*@[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?'
        || '(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}')""",
    "phone": r"""regexp_full_match(phone, '(0[1-9]|\+33 ?[1-9])([ .]?[0-9]{2}){4}')""",
    "postal_address": r"""regexp_matches(postal_address,
            '(^|[^0-9])(0[1-9]|[1-8][0-9]|9[0-5])[0-9]{3}([^0-9]|$)')
        AND NOT regexp_matches(postal_address, '(?i)(TSA|CS)')""",
}
_RULES: dict[str, tuple[str, Callable[[str], str | None]]] = {
    "nir": ("nir_invalide", nir_problem),
    "email": ("email_invalide", email_problem),
    "phone": ("telephone_invalide", phone_problem),
    "postal_address": ("code_postal_invalide", postcode_problem),
}
_NO_CONTACT = {
    "telephone": ("phone", "réclamation reçue par téléphone sans numéro pour rappeler"),
    "email": (
        "email",
        "réclamation reçue par voie électronique sans adresse électronique pour répondre",
    ),
    "courrier": (
        "postal_address",
        "réclamation reçue par courrier sans adresse postale pour répondre",
    ),
}
_MISSING = (
    ("last_name", "nom_manquant", "nom absent"),
    ("first_name", "nom_manquant", "prénom absent"),
    ("nir", "nir_manquant", "numéro de sécurité sociale absent"),
    ("company", "entreprise_manquante", "entreprise / souscripteur absent"),
)
# Order of a record's findings, as validation.contact_findings lists them.
FIELD_ORDER = ("last_name", "first_name", "nir", "email", "phone", "postal_address", "company")


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _case(column: str, mapping: dict[str, str]) -> str:
    whens = " ".join(f"WHEN {_quote(k)} THEN {_quote(v)}" for k, v in mapping.items())
    return f"CASE {column} {whens} END"


_MEDIATOR_LABEL = _case("{}", {k: v[0] for k, v in MEDIATORS.items()})
# A misrouted referral's value and message, the same in the import's findings and the live count.
_MISROUTED_VALUES = (
    _MEDIATOR_LABEL.format("mediator")
    + ", 'le porteur de risque relève de : ' || "
    + _MEDIATOR_LABEL.format("{}")
)


# A NIR-shaped sequence with no digit next to it; the length test spares most values the regex.
_NIR_INSIDE = f"(^|[^0-9]){NIR_IN_TEXT}([^0-9]|$)"


def _nir_outside(cur: Cursor, staging: Staging) -> str:
    """The query of the `nir_hors_champ` findings of `staging.finding_state`: SQL finds the
    (rare) values holding a NIR-shaped sequence, Python masks each distinct one."""
    cur.execute(
        f"CREATE OR REPLACE TEMP TABLE {staging.nir_outside} AS "
        + " UNION ALL ".join(
            f"""SELECT reference, '{c}' AS field, {c} AS raw FROM {staging.finding_state}
                WHERE strlen({c}) >= 13 AND regexp_matches({c}, '{_NIR_INSIDE}')"""
            for c in NIR_OUTSIDE_COLUMNS
        )
    )
    raws = [r for (r,) in cur.execute(f"SELECT DISTINCT raw FROM {staging.nir_outside}").fetchall()]
    masks = pd.DataFrame(
        [(raw, mask_nir(nir_in_text(raw) or "")) for raw in raws],
        columns=["raw", "shown"],
        dtype=object,
    )
    cur.register("nir_outside_masks", masks)
    return f"""
        SELECT o.reference, 'nir_hors_champ', o.field, m.shown, {_quote(NIR_OUTSIDE_MESSAGE)},
               o.field
        FROM {staging.nir_outside} o JOIN nir_outside_masks m USING (raw)"""


def compute_findings(cur: Cursor, staging: Staging) -> int:
    """Fill the temporary table `staging.findings` with the findings of every case in
    `staging.staged`, as stored once it is written (stored values for the columns the file does
    not carry)."""
    present = {r[0] for r in cur.execute(f"DESCRIBE {staging.staged}").fetchall()}
    needed = [
        c for c in CANONICAL if c not in DATE_COLUMNS or c in ("acknowledged_on", "responded_on")
    ]
    columns = ", ".join(f"s.{c}" if c in present else f"c.{c}" for c in needed)
    # A file that carries every column needs nothing from the stored cases. Otherwise the join
    # is made once, into a table: a view would make it again in each branch of the union below,
    # and at 10 million cases those joins no longer fit in CPMS_MEMORY_LIMIT together.
    state = staging.finding_state
    if present.issuperset(needed):
        relation, source = "VIEW", f"{staging.staged} s"
    else:
        relation = "TABLE"
        source = f"{staging.staged} s LEFT JOIN complaints c USING (reference)"
    cur.execute(f"CREATE OR REPLACE TEMP {relation} {state} AS SELECT {columns} FROM {source}")
    parts: list[str] = []
    for column, kind, message in _MISSING:
        parts.append(
            f"SELECT reference, '{kind}', '{column}', '', {_quote(message)}, '{column}' "
            f"FROM {state} WHERE nullif(trim({column}), '') IS NULL"
        )
    for channel, (column, message) in _NO_CONTACT.items():
        parts.append(
            f"SELECT reference, 'coordonnees_manquantes', '{column}', '', {_quote(message)}, "
            f"'{column}' FROM {state} "
            f"WHERE channel = '{channel}' AND nullif(trim({column}), '') IS NULL"
        )
    for column, (kind, problem) in _RULES.items():
        values = cur.execute(f"""
            SELECT DISTINCT {column} FROM {state}
            WHERE nullif(trim({column}), '') IS NOT NULL AND NOT coalesce({_PLAINLY_VALID[column]},
                                                                           false)
        """).fetchall()
        judged = [(v, problem(v.strip())) for (v,) in values]
        bad = pd.DataFrame(
            [
                (v, mask_nir(v.strip()) if column == "nir" else mask_nirs_in(v.strip()), reason)
                for v, reason in judged
                if reason is not None
            ],
            columns=["raw", "shown", "reason"],
            dtype=object,
        )
        cur.register(f"bad_{column}", bad)
        parts.append(
            f"SELECT reference, '{kind}', '{column}', b.shown, b.reason, '{column}' "
            f"FROM {state} JOIN bad_{column} b ON b.raw = {column}"
        )
    parts.append(_nir_outside(cur, staging))
    channel_label = _case("{}", {k: v[0].lower() for k, v in CHANNELS.items()})
    derived = _case("risk_carrier", MEDIATOR_BY_CARRIER)
    parts.append(f"""
        SELECT reference, 'canal_reponse_different', 'response_channel',
               {_case("response_channel", {k: v[0] for k, v in CHANNELS.items()})},
               'réponse par ' || {channel_label.format("response_channel")}
               || ' à une réclamation reçue par ' || {channel_label.format("channel")},
               'response_channel'
        FROM {state} WHERE response_channel <> channel""")
    parts.append(f"""
        SELECT reference, 'mauvaise_orientation', 'mediator', {_MISROUTED_VALUES.format(derived)},
               'mediator'
        FROM {state} WHERE mediator <> {derived}""")
    parts.append(f"""
        SELECT reference, 'ar_apres_reponse', 'acknowledged_on',
               strftime(acknowledged_on, '%Y-%m-%d'),
               'accusé de réception daté après la réponse (la réponse vaut accusé de réception)',
               'acknowledged_on'
        FROM {state} WHERE acknowledged_on > responded_on""")
    cur.execute(
        f"CREATE OR REPLACE TEMP TABLE {staging.findings} AS "
        "SELECT * EXCLUDE (sort_field) FROM ("
        + " UNION ALL ".join(parts)
        + ") f(reference, kind, field, value, message, sort_field)"
    )
    for column in _RULES:
        cur.unregister(f"bad_{column}")
    cur.unregister("nir_outside_masks")
    cur.execute(f"DROP TABLE {staging.nir_outside}")
    cur.execute(f"DROP {relation} {state}")
    row = cur.execute(f"SELECT count(*) FROM {staging.findings}").fetchall()
    return int(row[0][0])


def store_findings(cur: Cursor, staging: Staging, extra: pd.DataFrame) -> int:
    """Replace the findings of the cases in `staging.staged` by `staging.findings` plus `extra`
    (findings the file alone shows, such as an unknown value left empty); returns how many were
    stored."""
    count = compute_findings(cur, staging)
    cur.execute(f"DELETE FROM findings WHERE reference IN (SELECT reference FROM {staging.staged})")
    cur.execute(
        "INSERT INTO findings SELECT reference, kind, field, value, message "
        f"FROM {staging.findings}"
    )
    extra_count = 0
    if len(extra):
        cur.register("extra_findings", extra)
        inserted = cur.execute(
            "INSERT INTO findings SELECT reference, kind, field, value, message "
            f"FROM extra_findings SEMI JOIN {staging.staged} USING (reference)"  # not set aside
        ).fetchall()
        extra_count = int(inserted[0][0])
        cur.unregister("extra_findings")
    cur.execute(f"DROP TABLE {staging.findings}")
    return count + extra_count


# -- Reading findings back, for the data-quality page --------------------------------------------

# Defined in validation.py; repeated here as the order in which the page lists kinds.
KIND_ORDER = (
    "nir_invalide", "nir_manquant", "email_invalide", "telephone_invalide",
    "code_postal_invalide", "nom_manquant", "entreprise_manquante", "coordonnees_manquantes",
    "canal_reponse_different", "mauvaise_orientation", "ar_apres_reponse", "valeur_inconnue",
    "nir_hors_champ",
)  # fmt: skip


def _scoped(scope: Any) -> tuple[str, dict[str, Any]]:
    """The findings of the scope's cases, with the case's columns.

    "Mauvaise orientation" is read live from case_status' `misrouted` (rules §4, §9: escalated
    complaints, as of the date, whose recorded mediator is not the one their risk carrier calls
    for), not from the findings table: the import records a recorded mediator that differs on any
    record, referred or not, and as of no date, which is a property of the record (the case's
    follow-up still shows it) but not the count that Médiation shows under the same name. Reading
    the one definition here makes the two pages agree.
    """
    from .queries import scope_filter

    where, params = scope_filter(scope)
    params.pop("policy")  # findings do not depend on the deadline policy; nor does `misrouted`
    return (
        f"""SELECT f.*, c.received_on, c.nature, c.channel, c.object, c.handler
            FROM findings f JOIN complaints c USING (reference)
            WHERE f.kind <> 'mauvaise_orientation' AND c.received_on <= $as_of AND {where}
            UNION ALL
            SELECT reference, 'mauvaise_orientation', 'mediator',
                   {_MISROUTED_VALUES.format("derived_mediator")},
                   received_on, nature, channel, object, handler
            FROM case_status($as_of, 'cpms') WHERE misrouted AND {where}""",
        params,
    )


def findings_by_kind(store: Store, scope: Any) -> pd.DataFrame:
    """Per kind: findings and cases concerned, in the scope's cases (requests included)."""
    sql, params = _scoped(scope)
    with store.cursor() as cur:
        return cur.execute(
            f"""SELECT kind, count(*) AS findings, count(DISTINCT reference) AS cases
                FROM ({sql}) GROUP BY kind ORDER BY findings DESC, kind""",
            params,
        ).df()


def findings_by_month(store: Store, scope: Any) -> pd.DataFrame:
    """Per cohort month and kind: how many findings."""
    sql, params = _scoped(scope)
    with store.cursor() as cur:
        return cur.execute(
            f"""SELECT strftime(received_on, '%Y-%m') AS month, kind, count(*) AS findings
                FROM ({sql}) GROUP BY ALL ORDER BY month, kind""",
            params,
        ).df()


def finding_cases(
    store: Store, scope: Any, kind: str, *, limit: int = 50, offset: int = 0
) -> tuple[int, pd.DataFrame]:
    """The cases behind one kind of finding, newest first: (total, one page of rows)."""
    if kind not in KIND_ORDER:
        raise ValueError(f"unknown finding kind {kind!r}")
    sql, params = _scoped(scope)
    params = {**params, "kind": kind, "limit": limit, "offset": offset}
    with store.cursor() as cur:
        total = cur.execute(
            f"SELECT count(*) FROM ({sql}) WHERE kind = $kind",
            {k: v for k, v in params.items() if k not in ("limit", "offset")},
        ).fetchall()[0][0]
        rows = cur.execute(
            f"""SELECT reference, received_on, channel, object, handler, field, value, message
                FROM ({sql}) WHERE kind = $kind
                ORDER BY received_on DESC, reference LIMIT $limit OFFSET $offset""",
            params,
        ).df()
    return int(total), rows
