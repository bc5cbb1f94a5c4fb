"""The rejected lines of an import as a person reads them, and their CSV for French Excel: one
writer for the import page's download and the command line's `--rejects` file.

Values are shown as the role may see personal data (`access.redact_value`); a NIR is always
masked, wherever it was typed; a cell a spreadsheet would run as a formula stays text.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from .access import PersonalData, mask_nirs_in_frame, redact_value, scrub_nir
from .fields import HEADER_KEYS, fold
from .validation import mask_nir
from .worklist import to_csv_bytes

# French header -> what it holds.
READABLE_COLUMNS = ("Ligne", "Référence", "Colonne", "Valeur", "Motif")


def _missing(value: Any) -> bool:
    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))


def _rejected_value(field: Any, value: Any, level: PersonalData) -> Any:
    if _missing(value):
        return value
    column = HEADER_KEYS.get(fold(str(field or "")))
    if column == "nir":
        return mask_nir(str(value))
    if column is not None:
        value = redact_value(column, value, level)
    # A rejected value may sit in the wrong column: any long number is masked.
    return value if _missing(value) else scrub_nir(str(value))


def readable_rejections(rejections: pd.DataFrame, level: PersonalData) -> pd.DataFrame:
    """Rejected lines (`ingest.REJECT_COLUMNS`, or `rejects_of`'s with `column`) in French,
    values as a role with `level` may see them; never a full NIR."""
    field_column = "column" if "column" in rejections.columns else "field"
    values = [
        _rejected_value(f, v, level)
        for f, v in zip(rejections[field_column], rejections["value"], strict=True)
    ]
    readable = pd.DataFrame(
        {
            "Ligne": rejections["line"].astype("Int64"),
            "Référence": rejections["reference"],
            "Colonne": rejections[field_column],
            "Valeur": values,
            "Motif": rejections["reason"],
        },
        columns=list(READABLE_COLUMNS),
    )
    return mask_nirs_in_frame(readable)


def rejections_csv(rejections: pd.DataFrame, level: PersonalData) -> bytes:
    """The rejected lines as a CSV for French Excel (UTF-8 with BOM, `;`, formulas kept as
    text), values as a role with `level` may see them."""
    return to_csv_bytes(readable_rejections(rejections, level))
