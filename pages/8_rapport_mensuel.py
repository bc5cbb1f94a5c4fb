"""Rapport mensuel: one closed month for the executives' committee, previewed here and downloaded
as a PDF and an Excel workbook; the figures are the dashboard's own (`cpms_metrics.report`)."""

from datetime import date

import pandas as pd
import streamlit as st

from cpms_metrics import CpmsError, definitions, report
from cpms_metrics.definitions import POLICY_RULES, REPORT_HEADLINES, VIEW_HELP, VIEWS, Figure
from cpms_metrics.months import month_end, parse_month
from cpms_metrics.register import build_register, default_as_of, register_bytes
from cpms_metrics.settings import POLICIES
from ui import auth, clock, data
from ui.format import POLICY_LABELS, format_count, format_date, format_rate, month_label
from ui.page import page_setup
from ui.widgets import chart, no_data, small_table

filters, _ = page_setup("Rapport mensuel")


@st.cache_data(show_spinner="Préparation du rapport…", max_entries=32)
def monthly_report(
    path: str, version: str, month: str, policy: str, as_of: date
) -> report.MonthlyReport:
    return report.build_report(data.store(), month=month, policy=policy, as_of=as_of)


@st.cache_data(show_spinner=False, max_entries=32)
def workbook(path: str, version: str, month: str, policy: str, as_of: date) -> bytes:
    return report.xlsx_bytes(monthly_report(path, version, month, policy, as_of))


st.caption(
    "Un mois clos, pour le comité : les chiffres du tableau de bord et leur évolution. Le rapport "
    "couvre toutes les réclamations : les filtres de la barre latérale ne s'y appliquent pas ; "
    "sa date d'arrêté choisit le mois proposé, sa politique de délais celle du rapport."
)
default = report.last_full_month(filters.as_of)
months = report.month_choices(
    data.info().first_month, default, report.last_full_month(clock.today())
)
left, middle, right = st.columns([2, 2, 1.4])
month = left.selectbox(
    "Mois du rapport", months, index=months.index(default), key=f"report_month_{default}",
    format_func=lambda m: month_label(m, long=True).capitalize(),
)  # fmt: skip
policy = middle.radio(
    "Délais appliqués", POLICIES, format_func=POLICY_LABELS.__getitem__, horizontal=True,
    index=POLICIES.index(filters.policy), key=f"report_policy_{filters.policy}",
)  # fmt: skip
end = month_end(parse_month(month))
as_of = right.date_input(
    "Arrêté au", value=end, min_value=end, format="DD/MM/YYYY", key=f"report_as_of_{month}",
    help="Par défaut le dernier jour du mois : les chiffres reproduisent la situation ce soir-là.",
)  # fmt: skip

store = data.store()
try:
    monthly = monthly_report(str(store.path), store.data_version(), month, policy, as_of)
    xlsx = workbook(str(store.path), store.data_version(), month, policy, as_of)
except CpmsError as exc:
    st.error(f"**{exc.title}** — {exc.message}", icon=":material/error:")
    st.stop()

with st.container(horizontal=True, vertical_alignment="center"):
    chromium = report.browser_path()
    st.download_button(
        "Rapport PDF", lambda: report.pdf_bytes(monthly), monthly.file_name(".pdf"),
        "application/pdf", on_click="ignore", icon=":material/picture_as_pdf:", type="primary",
        disabled=chromium is None,
        help="A4, graphiques inclus : quelques secondes de préparation." if chromium
        else "Chromium est introuvable sur ce serveur : le PDF n'est pas disponible.",
    )  # fmt: skip
    st.download_button(
        "Classeur XLSX", xlsx, monthly.file_name(".xlsx"), on_click="ignore",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        icon=":material/table_view:", help="Une feuille par tableau, nombres et dates réels.",
    )  # fmt: skip
    year = parse_month(month).year
    register_as_of = default_as_of(year, clock.today())
    st.download_button(
        f"Registre {year} (XLSX)",
        auth.audited_export(
            lambda: register_bytes(build_register(
                store, year=year, as_of=register_as_of, policy=policy,
                objects=data.settings().objects, causes=data.settings().causes,
            )),
            f"Registre des réclamations {year} (XLSX, arrêté au {format_date(register_as_of)})",
        ),
        f"registre-reclamations-{year}.xlsx", on_click="ignore",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        icon=":material/list_alt:",
        help=f"Registre des réclamations reçues en {year} (recommandation ACPR "
        f"{definitions.ACPR_RECOMMENDATION}) : une ligne par réclamation, NIR masqué, et la "
        "synthèse par objet, canal et porteur de risque.",
    )  # fmt: skip

st.subheader(monthly.title)
st.caption(
    f"{POLICY_LABELS[policy]} ({POLICY_RULES[policy]}) · arrêté au "
    f"{format_date(monthly.as_of)} · dernier import des données : {monthly.last_import_text}"
)


def cards(figures: tuple[Figure, ...]) -> None:
    """One card per figure for the report's month, against the month before; a rate says below
    how many cases it judges."""
    now, before, year = monthly.comparisons
    before_label = month_label(before.month, long=True)
    year_label = month_label(year.month, long=True)
    for column, figure in zip(st.columns(len(figures)), figures, strict=True):
        shown = format_rate if figure.is_rate else format_count
        change = definitions.change(now.value(figure), before.value(figure), figure.is_rate)
        # An ASCII minus, so that st.metric colours a fall.
        delta = (
            None
            if change is None
            else report.signed(change, "pt" if figure.is_rate else "").replace("−", "-")
        )
        value = shown(now.value(figure))
        if figure.is_rate and now.value(figure) is None and now.untracked(figure):
            value = definitions.UNTRACKED_LABEL  # no file tracks the step: not "—", never 0 %
        column.metric(
            figure.label, value, delta, border=True,
            delta_color="off" if not change else "inverse" if figure.lower_is_better else "normal",
            delta_arrow="auto" if change else "off",
            help=f"{figure.definition} Vue : {VIEWS[figure.view].lower()}. Écart avec "
            f"{before_label} ; {year_label} : {shown(year.value(figure))}.",
        )  # fmt: skip
        if figure.is_rate:
            base = report.denominator(figure, now.judged(figure) or 0)
            if left_out := now.untracked(figure):
                base += f", {report.untracked_text(left_out)} (hors du taux)"
            column.caption(base)


this = month_label(month, long=True)
cards(REPORT_HEADLINES)
st.caption(
    f"La période est {this}. "
    + " ".join(
        f"Vue « {VIEWS[view].lower()} » : "
        + ", ".join(f"« {f.label} »" for f in REPORT_HEADLINES if f.view == view)
        + "."
        for view in dict.fromkeys(f.view for f in REPORT_HEADLINES)
    )
)
st.markdown("\n".join(f"- {sentence}" for sentence in monthly.summary))

tables = report.detail_tables(monthly)


def table(key: str, heading: bool = False) -> None:
    """One of the report's tables under its title (which names its view)."""
    shown = tables[key]
    if heading:
        st.subheader(shown.title)
    else:
        st.markdown(f"**{shown.title}**")
    if shown.rows:
        small_table(pd.DataFrame(shown.rows, columns=list(shown.header)))
    else:
        no_data(shown.empty)
    if shown.note:
        st.caption(shown.note)


table("due")

st.subheader(f"Évolution sur 12 mois, situation au {format_date(monthly.as_of)}")
figures = report.report_figures(monthly)
for tab, figure in zip(st.tabs(list(report.FIGURE_TITLES.values())), figures.values(), strict=True):
    with tab:
        chart(figure.update_layout(width=None))
st.caption(
    "Zone grisée, barres hachurées, marqueurs creux : cohortes provisoires. Un mois sans "
    "réclamation ou sans dossier à juger n'est pas tracé."
)

cohort = VIEWS["cohort"]
st.subheader(
    f"Contexte : {cohort.lower()} ({this}{', provisoire' if monthly.current.provisional else ''})"
)
st.caption(VIEW_HELP["cohort"])
cards(report.COHORT_FIGURES)
for column, key in zip(
    st.columns(2) * 2, ("objects", "channels", "mediators", "steps"), strict=True
):
    with column:
        table(key)

table("overdue", heading=True)
