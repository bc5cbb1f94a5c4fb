"""What every case panel shares: errors and a form's problems (stored text escaped by
`ui.format.md`), links to a page and the one address of a case as a table's link column."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import streamlit as st
from streamlit.errors import StreamlitPageNotFoundError

from cpms_metrics import CpmsError
from cpms_metrics.access import mask_nirs
from cpms_metrics.casefile import case_address, header
from ui.format import md

SUIVI_PAGE = "pages/7_suivi_des_dossiers.py"
REFERENCE = "Référence"


def link(page: str, text: str, icon: str, params: Mapping[str, Any] | None = None) -> None:
    """A link to another page; nothing when the page runs on its own (AppTest, `streamlit run`
    of a single file), where the other pages do not exist."""
    with contextlib.suppress(StreamlitPageNotFoundError):
        st.page_link(page, label=text, icon=icon, query_params=dict(params or {}))


def show_error(exc: CpmsError, after: str = "") -> None:
    st.error(f"**{exc.title}** — {md(exc.message)}{after}", icon=":material/error:")


def problems_summary(
    problems: Mapping[str, str], columns: Sequence[str], what: str = "Le dossier"
) -> None:
    """Every problem of a refused form at once, by field, in the form's order."""
    order = {header(c): i for i, c in enumerate(columns)}
    ordered = sorted(problems.items(), key=lambda item: order.get(item[0], len(order)))
    count = len(ordered)
    st.error(
        f"**{what} n'a pas été enregistré** — {count} point{'s' if count > 1 else ''} à "
        "corriger :\n"
        + "\n".join(f"- **{md(field)}** : {md(reason)}" for field, reason in ordered)
        + "\n\nLes valeurs saisies sont conservées.",
        icon=":material/error:",
    )


def field_problem(problems: Mapping[str, str], column: str) -> None:
    """The problem of one field, in red under it."""
    reason = problems.get(header(column))
    if reason:
        st.markdown(f":red[:material/error: {md(reason)}]")


# --- The address of a case in a table -----------------------------------------------------------


def case_links(references: Sequence[Any] | pd.Series) -> list[str]:
    """Each reference as the address of its case (`casefile.case_address`), for
    `reference_link`; a reference holding a NIR is linked, and shown, masked (`access.mask_nirs`):
    a link never carries a full NIR."""
    return [case_address(str(mask_nirs(str(r)))) for r in references]


def reference_link(title: str = REFERENCE) -> Any:
    """The column config of a table's reference: a link to the case (opened in a new tab),
    showing the reference decoded from the address, so that the link and the text never
    disagree."""
    return st.column_config.LinkColumn(
        title, display_text=r"ref=(.*)$", help="Ouvrir le suivi du dossier (nouvel onglet)"
    )
