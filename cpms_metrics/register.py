"""The complaints register of a year (ACPR 2024-R-02), for an inspection or the annual
questionnaire: one row per complaint received in the year, and a synthesis whose figures are those
of `kpis` for that year (read from `queries`, never computed again here).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from .access import audit, mask_nirs_in_frame, neutralise
from .definitions import ACPR_RECOMMENDATION, CASE_STATUS_LABELS, POLICY_LABELS
from .errors import CpmsError
from .fields import CHANNELS, OUTCOMES, RISK_CARRIERS, cause_vocabulary, label, object_vocabulary
from .formats import format_date
from .queries import OUTCOME_KEYS, Scope, kpis, scoped_cases, summarise_many
from .report.xlsx import RATE_FORMAT
from .settings import DEFAULT_CAUSE_LIST
from .store import Store
from .validation import mask_nir

REGISTER_COLUMNS: tuple[tuple[str, float, str], ...] = (
    ("Référence", 18, "text"),
    ("Reçue le", 12, "date"),
    ("Envoyée le", 12, "date"),
    ("Accusé de réception le", 14, "date"),
    ("Répondue le", 12, "date"),
    ("Canal", 12, "text"),
    ("Objet", 16, "text"),
    ("Cause", 20, "text"),
    ("Suite donnée", 18, "text"),
    ("Geste / indemnisation (€)", 14, "money"),
    ("Saisine du médiateur le", 14, "date"),
    ("Jours pour répondre", 11, "count"),
    ("Accusé de réception : délai", 18, "text"),
    ("Réponse : délai", 18, "text"),
    ("Porteur de risque", 18, "text"),
    ("NIR (masqué)", 18, "text"),
)
SYNTHESIS_COLUMNS: tuple[tuple[str, float, str], ...] = (
    ("Regroupement", 16, "text"),
    ("Valeur", 24, "text"),
    ("Reçues", 10, "count"),
    ("Répondues", 11, "count"),
    ("% AR dans les délais", 12, "rate"),
    ("% réponses dans les délais", 13, "rate"),
    ("Délai médian de réponse (jours)", 14, "days"),
    ("Saisines du médiateur", 12, "count"),
    ("Taux de réclamations fondées", 13, "rate"),
)
GROUPS = {"object": "Objet", "channel": "Canal", "risk_carrier": "Porteur de risque"}


@dataclass(frozen=True)
class Register:
    year: int
    as_of: date
    policy: str
    rows: pd.DataFrame  # one row per complaint received in the year, REGISTER_COLUMNS' order
    synthesis: pd.DataFrame  # SYNTHESIS_COLUMNS' order; the "Total" rows are `kpis`' figures
    totals: dict[str, Any]  # `kpis` for the year


def year_scope(year: int, as_of: date, policy: str) -> Scope:
    return Scope(as_of=as_of, policy=policy, month_from=f"{year:04d}-01", month_to=f"{year:04d}-12")


def default_as_of(year: int, today: date) -> date:
    """The last day of the year, or today for the year under way."""
    return min(date(year, 12, 31), today)


def build_register(
    store: Store,
    *,
    year: int,
    as_of: date,
    policy: str = "cpms",
    objects: tuple[str, ...] = (),
    causes: tuple[str, ...] = DEFAULT_CAUSE_LIST,
) -> Register:
    if as_of < date(year, 1, 1):
        raise CpmsError(f"La date d'arrêté ({format_date(as_of)}) est avant l'année {year}.")
    scope = year_scope(year, as_of, policy)
    cases, params = scoped_cases(scope)
    with store.cursor() as cur:
        frame = cur.execute(
            f"""SELECT reference, received_on, sent_on, acknowledged_on, responded_on, channel,
                       object, cause, outcome, redress_amount, mediator_referred_on, answer_days,
                       ack_status, answer_status, risk_carrier, nir
                FROM ({cases}) WHERE is_complaint ORDER BY received_on, reference""",
            params,
        ).df()
    object_labels = object_vocabulary(objects or tuple(frame["object"].dropna().unique()))
    cause_labels = cause_vocabulary(causes)

    def text(vocabulary: Any, value: Any) -> str:
        return "" if value is None or pd.isna(value) else label(vocabulary, str(value))

    rows = pd.DataFrame(
        {
            "Référence": [neutralise(str(r)) for r in frame["reference"]],
            "Reçue le": frame["received_on"],
            "Envoyée le": frame["sent_on"],
            "Accusé de réception le": frame["acknowledged_on"],
            "Répondue le": frame["responded_on"],
            "Canal": [text(CHANNELS, v) for v in frame["channel"]],
            "Objet": [text(object_labels, v) for v in frame["object"]],
            "Cause": [text(cause_labels, v) for v in frame["cause"]],
            "Suite donnée": [text(OUTCOMES, v) for v in frame["outcome"]],
            "Geste / indemnisation (€)": frame["redress_amount"],
            "Saisine du médiateur le": frame["mediator_referred_on"],
            "Jours pour répondre": frame["answer_days"],
            "Accusé de réception : délai": [CASE_STATUS_LABELS[s] for s in frame["ack_status"]],
            "Réponse : délai": [CASE_STATUS_LABELS[s] for s in frame["answer_status"]],
            "Porteur de risque": [text(RISK_CARRIERS, v) for v in frame["risk_carrier"]],
            "NIR (masqué)": [
                "" if v is None or pd.isna(v) else mask_nir(str(v)) for v in frame["nir"]
            ],
        }
    )
    totals = kpis(store, as_of=as_of, scope=scope)
    parts = summarise_many(store, scope, tuple(GROUPS))
    labels = {"object": object_labels, "channel": CHANNELS, "risk_carrier": RISK_CARRIERS}
    records: list[list[Any]] = []
    for by, title in GROUPS.items():
        summary = parts[by]
        summary = summary[summary["complaints"] > 0].sort_values("key")
        for r in summary.to_dict("records"):
            answered = sum(int(r[f"outcome_{k}"]) for k in OUTCOME_KEYS)
            records.append(
                [title, text(labels[by], r["key"]), int(r["complaints"]), answered,
                 r["ack_compliance_rate"], r["response_compliance_rate"],
                 r["response_median_days"], int(r["escalated"]), r["founded_rate"]]
            )  # fmt: skip
        records.append(
            [title, "Total", totals["complaints"],
             sum(totals["outcome"][k] for k in OUTCOME_KEYS),
             totals["ack"]["compliance_rate"], totals["response"]["compliance_rate"],
             totals["response"]["median_days"], totals["escalation"]["escalated"],
             totals["outcome"]["founded_rate"]]
        )  # fmt: skip
    synthesis = pd.DataFrame(records, columns=[c for c, _, _ in SYNTHESIS_COLUMNS])
    # Every text leaving the app has its NIR-shaped numbers masked (a NIR typed in a reference).
    return Register(
        year, as_of, policy, mask_nirs_in_frame(rows), mask_nirs_in_frame(synthesis), totals
    )


def register_bytes(register: Register) -> bytes:
    """The workbook: sheet "Registre" (one row per complaint) and sheet "Synthèse"."""
    import xlsxwriter  # type: ignore[import-untyped]

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "nan_inf_to_errors": False})
    book.set_properties(
        {
            "title": f"Registre des réclamations {register.year}",
            "subject": f"Recommandation ACPR {ACPR_RECOMMENDATION} — arrêté au "
            f"{format_date(register.as_of)}",
            "author": "CPMS — suivi des réclamations",
            "created": datetime(register.as_of.year, register.as_of.month, register.as_of.day),
        }
    )
    head = book.add_format({"bold": True, "bg_color": "#D9D9D9", "bottom": 1, "text_wrap": True,
                            "valign": "top"})  # fmt: skip
    title = book.add_format({"bold": True, "font_size": 12})
    formats = {
        "text": book.add_format({"valign": "top"}),
        "date": book.add_format({"num_format": "dd/mm/yyyy", "align": "left"}),
        "count": book.add_format({"num_format": "#,##0"}),
        "money": book.add_format({"num_format": "#,##0.00"}),
        "rate": book.add_format({"num_format": RATE_FORMAT}),
        "days": book.add_format({"num_format": "0.0"}),
    }
    caption = (
        f"{POLICY_LABELS[register.policy]} — arrêté au {format_date(register.as_of)} — "
        f"recommandation ACPR {ACPR_RECOMMENDATION}"
    )
    for name, heading, columns, frame in (
        ("Registre", f"Registre des réclamations reçues en {register.year} — {caption}",
         REGISTER_COLUMNS, register.rows),
        ("Synthèse", f"Synthèse des réclamations reçues en {register.year} — {caption} ; "
         "les lignes « Total » sont les chiffres de `kpis` pour l'année", SYNTHESIS_COLUMNS,
         register.synthesis),
    ):  # fmt: skip
        ws = book.add_worksheet(name)
        ws.write_string(0, 0, heading, title)
        ws.freeze_panes(2, 1)
        for c, (header, width, _) in enumerate(columns):
            ws.write_string(1, c, header, head)
            ws.set_column(c, c, width)
        for r, row in enumerate(frame.itertuples(index=False), start=2):
            for c, value in enumerate(row):
                kind = columns[c][2]
                cell = formats[kind]
                if value is None or (not isinstance(value, str) and pd.isna(value)):
                    ws.write_blank(r, c, None, cell)
                elif isinstance(value, str):
                    ws.write_string(r, c, value, formats["text"])
                elif kind == "date":
                    day = pd.Timestamp(value)
                    ws.write_datetime(r, c, datetime(day.year, day.month, day.day), cell)
                else:
                    ws.write_number(r, c, float(value), cell)
    book.close()
    return buffer.getvalue()


def export_register(
    store: Store,
    *,
    year: int,
    as_of: date,
    policy: str,
    who: str,
    at: datetime,
    objects: tuple[str, ...] = (),
    causes: tuple[str, ...] = DEFAULT_CAUSE_LIST,
    out: Path | None = None,
) -> tuple[Register, bytes]:
    """Build the register, write it to `out` if given, and log the export in the audit log."""
    register = build_register(
        store, year=year, as_of=as_of, policy=policy, objects=objects, causes=causes
    )
    content = register_bytes(register)
    if out is not None:
        out.write_bytes(content)
    audit(
        store,
        who=who,
        action="export",
        detail=f"Registre des réclamations {year} (XLSX, {len(register.rows)} réclamations, "
        f"arrêté au {format_date(as_of)}, {POLICY_LABELS[policy]})",
        at=at,
    )
    return register, content
