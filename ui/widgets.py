"""Pieces the pages share: charts, cards, paged tables of cases with French labels."""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import reduce
from operator import getitem
from typing import Any, Literal

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from cpms_metrics.access import Access, mask_nirs_in_frame
from cpms_metrics.definitions import (
    FIGURES,
    STATUS_HELP,
    STATUS_LABELS,
    STEP_LABELS,
    UNTRACKED_HELP,
    UNTRACKED_LABEL,
    Figure,
)
from cpms_metrics.fields import (
    CHANNELS,
    MEDIATOR_ADDRESSES,
    MEDIATOR_BY_CARRIER,
    RISK_CARRIERS,
    label,
    object_vocabulary,
)
from cpms_metrics.validation import mask_nir
from cpms_metrics.worklist import BANDS, mediator_label
from ui import data
from ui.filters import Filters
from ui.format import (
    count_change,
    count_noun,
    format_count,
    format_date,
    format_days,
    format_rate,
    points_change,
)
from ui.panels.common import REFERENCE, case_links, reference_link

PLOTLY_CONFIG = {
    "displaylogo": False,
    "modeBarButtonsToRemove": [
        "zoom2d", "pan2d", "select2d", "lasso2d", "zoomIn2d", "zoomOut2d", "autoScale2d",
    ],
    "toImageButtonOptions": {"format": "png", "scale": 2},
}  # fmt: skip
PAGE_SIZES = (25, 50, 100)
# The worklist's bands: a coloured icon for cards and pills, a translucent row colour that reads
# on the light and the dark theme alike.
BAND_ICONS = {
    "overdue": ":red[:material/error:]",
    "due_3": ":orange[:material/alarm:]",
    "due_10": ":blue[:material/schedule:]",
    "later": ":gray[:material/event:]",
}
BAND_COLOURS = {
    "overdue": "rgba(239, 68, 68, 0.16)",
    "due_3": "rgba(249, 115, 22, 0.18)",
    "due_10": "rgba(59, 130, 246, 0.12)",
    "later": "",
}


# Under every monthly chart: how a provisional month is drawn, and where a rate's base is.
PROVISIONAL_CAPTION = (
    "Par mois de réception (cohortes). Zone grisée, marqueurs creux, barres hachurées : mois "
    "provisoires (mois en cours, ou délais de réponse pas encore tous échus), dont les chiffres "
    "peuvent encore évoluer. Un mois sans réclamation n'est pas tracé. Au survol, chaque taux "
    "dit sur combien de dossiers il porte."
)


def chart(fig: go.Figure) -> None:
    st.plotly_chart(fig, width="stretch", config=PLOTLY_CONFIG)


def rate_card(
    title: str,
    value: float | None,
    previous: float | None = None,
    *,
    lower_is_better: bool = False,
    help: str | None = None,
) -> None:
    """A rate in French (`84,9 %`, `—` when there is nothing to judge) and its change in points
    against `previous` when there is one."""
    _card(title, format_rate(value), points_change(value, previous), lower_is_better, help)


def count_card(
    title: str,
    value: int,
    previous: int | None = None,
    *,
    lower_is_better: bool = False,
    help: str | None = None,
) -> None:
    """A count with French separators (`12 345`) and its change against `previous`."""
    _card(title, format_count(value), count_change(value, previous), lower_is_better, help)


def _card(
    title: str, value: str, change: str | None, lower_is_better: bool, help: str | None
) -> None:
    colour: Literal["off", "inverse", "normal"] = (
        "off" if change == "0" else "inverse" if lower_is_better else "normal"
    )
    st.metric(title, value, delta=change, delta_color=colour, help=help, border=True)


def rate_base(figure: Figure, figures: dict[str, Any]) -> str | None:
    """What a rate of `kpis` is a share of, in French: `53 dossiers jugés` for a compliance rate
    (on time + late + overdue), `82 réclamations` for the escalation rate; None for a count."""
    if not figure.is_rate:
        return None
    if figure.keys[-1] == "compliance_rate":
        block = reduce(getitem, figure.keys[:-1], figures)
        judged = block["on_time"] + block["late"] + block["overdue"]
        return count_noun(judged, "dossier jugé", "dossiers jugés")
    return count_noun(figures["complaints"], "réclamation", "réclamations")


def untracked_cases(figure: Figure, figures: dict[str, Any]) -> int:
    """How many complaints a compliance rate of `kpis` leaves out as not tracked (0 else)."""
    if not figure.is_rate or figure.keys[-1] != "compliance_rate":
        return 0
    block = reduce(getitem, figure.keys[:-1], figures)
    return int(block.get("untracked", 0))


def untracked_note(count: int) -> str:
    """`12 dossiers non suivis, hors de ce taux`: what a rate leaves out."""
    return count_noun(count, "dossier non suivi", "dossiers non suivis") + ", hors de ce taux"


def figure_card(
    figure: Figure,
    figures: dict[str, Any],
    previous: dict[str, Any] | None = None,
    *,
    title: str | None = None,
    extra: str = "",
) -> None:
    """The card of a figure of `definitions.FIGURES`, read from `kpis`' object: its label, its
    definition as help, how many cases a rate judges, its change against `previous`."""
    value = figure.value(figures)
    old = None if previous is None else figure.value(previous)
    help = figure.definition + extra
    if (base := rate_base(figure, figures)) is not None:
        help += f" Calculé sur {base}."
        untracked = untracked_cases(figure, figures)
        if untracked:
            help += f" {UNTRACKED_LABEL} : {UNTRACKED_HELP}"
            block = reduce(getitem, figure.keys[:-1], figures)
        if untracked and not any(block[s] for s in STATUS_LABELS):
            # Only untracked cases: not "—" (nothing to judge yet) but "not tracked".
            _card(title or figure.label, UNTRACKED_LABEL, None, False, help)
        else:
            rate_card(title or figure.label, value, old, lower_is_better=figure.lower_is_better,
                      help=help)  # fmt: skip
        if untracked:
            st.caption(untracked_note(untracked))
    else:
        count_card(title or figure.label, value, old, lower_is_better=figure.lower_is_better,
                   help=help)  # fmt: skip


# The acknowledgement and answer pages show the same statuses of two different deadlines: each
# card names its step, so that one label never shows two numbers (rules §9).
STEP_SHORT = {"ack": "AR", "response": "réponse"}


def status_card_label(step: str, status: str) -> str:
    """`Hors délai en cours (AR)`: a status count of one step."""
    return f"{STATUS_LABELS[status]} ({STEP_SHORT[step]})"


def status_cards(figures: dict[str, Any], step: str, done: str) -> None:
    """The rate, the four status counts and the median delay of one `kpis` block (`ack` or
    `response`); `done` names what is counted in the delay help ("AR", "réponses")."""
    block = figures[step]
    cards = st.columns(6)
    with cards[0]:
        figure_card(FIGURES[f"{step}_rate"], figures)
    for column, status in zip(cards[1:5], STATUS_LABELS, strict=True):
        with column:
            count_card(
                status_card_label(step, status), block[status],
                help=f"{STEP_LABELS[step]} : {STATUS_HELP[status][0].lower()}"
                f"{STATUS_HELP[status][1:]}",
            )  # fmt: skip
    if block.get("untracked"):
        st.caption(
            f"{UNTRACKED_LABEL} ({STEP_SHORT[step]}) : {format_count(block['untracked'])}. "
            + UNTRACKED_HELP
        )
    with cards[5]:
        st.metric(
            f"Délai médian ({STEP_SHORT[step]})",
            format_days(block["median_days"]),
            border=True,
            help=f"9 {done} sur 10 en {format_days(block['p90_days'])} ou moins "
            "(jours calendaires depuis le début du délai).",
        )


def paged(
    key: str,
    total: int,
    fetch: Callable[[int, int], pd.DataFrame],
    show: Callable[[pd.DataFrame], None],
    noun: str = "dossiers",
) -> None:
    """A list of `total` rows, one page at a time: only the page shown is read
    (`fetch(limit, offset)`), the page widgets sit under the table."""
    table = st.container()
    size_key, page_key = f"{key}_size", f"{key}_page"
    size = int(st.session_state.get(size_key, PAGE_SIZES[0]))
    pages = max(1, math.ceil(total / size))
    if st.session_state.get(page_key, 1) > pages:
        st.session_state[page_key] = pages
    info, page_col, size_col = st.columns([5, 1, 1], vertical_alignment="bottom")
    page = int(page_col.number_input(f"Page (sur {pages})", 1, pages, key=page_key, step=1))
    size_col.selectbox("Lignes par page", PAGE_SIZES, key=size_key)
    offset = (page - 1) * size
    info.caption(
        f"{noun.capitalize()} {format_count(offset + 1)} à "
        f"{format_count(min(offset + size, total))} sur {format_count(total)}"
    )
    with table:
        show(fetch(size, offset))


def _objects(frame: pd.DataFrame) -> dict[str, Any]:
    return object_vocabulary(tuple(str(o) for o in frame["object"].dropna().unique()))


def _text(value: Any, format_value: Callable[[Any], str]) -> str:
    return (
        ""
        if value is None or (not isinstance(value, str) and pd.isna(value))
        else format_value(value)
    )


def late_cases_table(frame: pd.DataFrame, done_title: str) -> None:
    """Late or overdue cases (`worklist.CASE_LISTS['ack_late' | 'answer_late']`)."""
    objects = _objects(frame)
    shown = pd.DataFrame(
        {
            REFERENCE: case_links(frame["reference"]),
            "Statut": frame["status"].map(STATUS_LABELS),
            "Jours de retard": frame["days_late"],
            "Reçue le": frame["received_on"],
            "Échéance": frame["due"],
            done_title: frame["done_on"],
            "Canal": frame["channel"].map(lambda v: label(CHANNELS, v)),
            "Objet": frame["object"].map(lambda v: label(objects, v)),
            "Gestionnaire": frame["handler"].fillna("Non attribué"),
        }
    )
    _table(shown)


def misrouted_table(frame: pd.DataFrame) -> None:
    shown = pd.DataFrame(
        {
            REFERENCE: case_links(frame["reference"]),
            "Saisine le": frame["mediator_referred_on"],
            "Porteur de risque": frame["risk_carrier"].map(lambda v: label(RISK_CARRIERS, v)),
            "Médiateur saisi": frame["mediator"].map(mediator_label),
            "Médiateur compétent": frame["derived_mediator"].map(mediator_label),
            "Gestionnaire": frame["handler"].fillna("Non attribué"),
        }
    )
    _table(shown)


def days_late(days_left: pd.Series) -> pd.Series:
    """Days past the deadline, positive; blank when it has not passed."""
    return (-days_left).where(days_left < 0).astype("Int64")


def days_remaining(days_left: pd.Series) -> pd.Series:
    """Days left before the deadline; blank once it has passed."""
    return days_left.where(days_left >= 0).astype("Int64")


def open_cases_table(frame: pd.DataFrame) -> None:
    """The worklist: one row per open complaint, coloured by how close its deadline is; its
    lateness in days (positive) beside the days left, each blank when it does not apply."""
    objects = _objects(frame)
    shown = pd.DataFrame(
        {
            "Situation": frame["band"].map(BANDS),
            REFERENCE: case_links(frame["reference"]),
            "À faire": frame["next_step"].map({"ack": "AR", "answer": "Réponse"}),
            "Échéance": frame["next_due"],
            "Jours de retard": days_late(frame["days_left"]),
            "Jours restants": days_remaining(frame["days_left"]),
            "Gestionnaire": frame["handler"].fillna("Non attribué"),
            "Objet": frame["object"].map(lambda v: label(objects, v)),
            "Canal": frame["channel"].map(lambda v: label(CHANNELS, v)),
        }
    )
    # `access.redact` leaves these out for a role that sees no personal data.
    if {"first_name", "last_name", "nir"} <= set(frame.columns):
        shown["Adhérent"] = [
            " ".join(p for p in (_text(f, str), _text(n, str)) if p)
            for f, n in zip(frame["first_name"], frame["last_name"], strict=True)
        ]
        shown["NIR"] = frame["nir"].map(lambda v: _text(v, lambda n: mask_nir(str(n))))
    _table(
        shown,
        help={
            "Jours de retard": "Jours écoulés depuis l'échéance dépassée.",
            "Jours restants": "Jours avant l'échéance, aujourd'hui compris comme 0.",
        },
        colours=[BAND_COLOURS[b] for b in frame["band"]],
    )


def mediators_table(frame: pd.DataFrame) -> None:
    """Per mediator: complaints that would go to it, escalations, escalation rate."""
    shown = pd.DataFrame(
        {
            "Médiateur": frame["key"].map(mediator_label),
            "Réclamations": frame["complaints"].map(format_count),
            "Saisines": frame["escalated"].map(format_count),
            "Taux de saisine": frame["escalation_rate"].map(format_rate),
        }
    )
    small_table(shown)


def mediator_directory() -> None:
    """Which mediator each risk carrier's clients refer to, and where, as the procedure says."""
    small_table(
        pd.DataFrame(
            {
                "Porteur de risque": [label(RISK_CARRIERS, c) for c in MEDIATOR_BY_CARRIER],
                "Médiateur": [mediator_label(m) for m in MEDIATOR_BY_CARRIER.values()],
                "Adresse": [MEDIATOR_ADDRESSES[m] for m in MEDIATOR_BY_CARRIER.values()],
            }
        )
    )


def small_table(frame: pd.DataFrame) -> None:
    """A short table shown whole, text wrapped, without an index; any NIR masked."""
    st.table(mask_nirs_in_frame(frame), hide_index=True, border="horizontal")


def _dates_as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Dates as DD/MM/YYYY, blank when missing (a date column would show "None")."""
    out = frame.copy()
    for column in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[column]):
            out[column] = out[column].map(lambda d: "" if pd.isna(d) else format_date(d.date()))
    return out


def _table(
    shown: pd.DataFrame, help: dict[str, str] | None = None, colours: list[str] | None = None
) -> None:
    """A list of cases as tall as its rows: dates as text, any NIR masked whatever the column
    (`access.mask_nirs`, the case's address included), integers without separators games, each
    reference a link to its case, each row in its colour if given."""
    frame = mask_nirs_in_frame(_dates_as_text(shown)).reset_index(drop=True)
    styled: Any = frame
    if colours:
        styled = frame.style.apply(
            lambda row: (
                [f"background-color: {colours[row.name]}" if colours[row.name] else ""] * len(row)
            ),
            axis=1,
        )
    config: dict[str, Any] = {
        column: st.column_config.NumberColumn(column, format="%d", help=(help or {}).get(column))
        for column in frame.columns
        if pd.api.types.is_integer_dtype(frame[column])
    }
    if REFERENCE in frame.columns:  # the address of each case (`casefile.case_address`)
        config[REFERENCE] = reference_link()
    st.dataframe(styled, hide_index=True, width="stretch", height="content", column_config=config)


def withheld_list(total: int, noun: str = "dossiers") -> None:
    """In place of a list of cases (references, handlers) that the role may not see: its size."""
    st.caption(
        f":material/lock: {format_count(total)} {noun} sur la période. La liste des dossiers "
        "n'est pas ouverte à votre rôle."
    )


def no_data(message: str) -> None:
    st.caption(f":material/info: {message}")


def breakdown(frame: pd.DataFrame, labels: Callable[[Any], str]) -> pd.DataFrame:
    """A `summarise(by=…)` frame reduced to groups with complaints, most complaints first, with a
    French `label` column."""
    shown = frame[frame["complaints"] > 0].sort_values(
        ["complaints", "key"], ascending=[False, True]
    )
    return shown.assign(label=shown["key"].map(labels)).reset_index(drop=True)


def late_cases(filters: Filters, who: Access, name: str, done_title: str, empty: str) -> None:
    """The paged list `name` of late or overdue cases; only its count for a role without lists."""
    total = data.count_cases(filters, name)
    if total and not who.may_see_case_lists:
        withheld_list(total)
    elif total:
        paged(
            name, total,
            lambda limit, offset: data.list_cases(filters, name, limit, offset),
            lambda rows: late_cases_table(rows, done_title),
        )  # fmt: skip
    else:
        no_data(empty)
