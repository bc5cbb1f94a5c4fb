"""The families of data-quality findings the Qualité des données page counts and charts: kinds
grouped as the procedure's checks group them."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go

from .charts import SERIES_COLOURS
from .definitions import MISROUTED_HELP, MISROUTED_LABEL
from .formats import format_count, month_label

FAMILIES: dict[str, tuple[str, ...]] = {
    "NIR invalide": ("nir_invalide",),
    "E-mail ou tél. invalide": ("email_invalide", "telephone_invalide"),
    "Éléments manquants": (
        "nir_manquant", "nom_manquant", "entreprise_manquante", "coordonnees_manquantes",
    ),
    MISROUTED_LABEL: ("mauvaise_orientation",),
    "Réponse par un autre canal": ("canal_reponse_different",),
    "Autres constats": (
        "code_postal_invalide", "ar_apres_reponse", "valeur_inconnue", "nir_hors_champ",
    ),
}  # fmt: skip
FAMILY_HELP = {
    "NIR invalide": "Numéro de sécurité sociale dont la clé ou le format est incorrect.",
    "E-mail ou tél. invalide": "Adresse électronique ou numéro de téléphone mal formé.",
    "Éléments manquants": "NIR, nom, prénom, entreprise ou coordonnée du canal absents "
    "(éléments demandés par la procédure).",
    MISROUTED_LABEL: MISROUTED_HELP,  # the Médiation page's figure (quality._scoped)
    "Réponse par un autre canal": "Réponse envoyée par une autre voie que la réclamation.",
    "Autres constats": "Code postal, AR daté après la réponse, valeur non reconnue, NIR saisi "
    "dans un autre champ.",
}
FAMILY_OF = {kind: family for family, kinds in FAMILIES.items() for kind in kinds}


def family_counts(by_kind: pd.DataFrame) -> dict[str, int]:
    counts = dict.fromkeys(FAMILIES, 0)
    for record in by_kind.to_dict("records"):
        counts[FAMILY_OF.get(str(record["kind"]), "Autres constats")] += int(record["findings"])
    return counts


def findings_chart(by_month: pd.DataFrame, months: Sequence[str]) -> go.Figure:
    """Findings per month of receipt, stacked by family."""
    frame = by_month.assign(
        family=by_month["kind"].map(lambda k: FAMILY_OF.get(k, "Autres constats"))
    )
    table = (
        frame.pivot_table(index="month", columns="family", values="findings", aggfunc="sum")
        .reindex(index=list(months), columns=list(FAMILIES))
        .fillna(0)
    )
    ticks = [month_label(m) for m in months]
    fig = go.Figure()
    for index, family in enumerate(FAMILIES):
        counts = [int(v) for v in table[family]]
        if not any(counts):
            continue
        fig.add_trace(
            go.Bar(
                x=ticks,
                y=counts,
                name=family,
                marker_color=SERIES_COLOURS[index % len(SERIES_COLOURS)],
                hovertext=[
                    f"{t}<br>{family} : {format_count(c)}"
                    for t, c in zip(ticks, counts, strict=True)
                ],
                hoverinfo="text",
            )
        )
    fig.update_layout(
        barmode="stack",
        separators=", ",
        height=340,
        margin={"l": 8, "r": 8, "t": 40, "b": 8},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0, "title": None},
        bargap=0.25,
    )
    fig.update_xaxes(type="category", showgrid=False, title_text="Mois de réception")
    fig.update_yaxes(rangemode="tozero", title_text="Constats")
    return fig
