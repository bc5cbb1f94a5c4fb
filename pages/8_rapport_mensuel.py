"""Rapport mensuel: one closed month for the executives' committee, previewed here and downloaded
as a PDF and an Excel workbook; the figures are the dashboard's own (`cpms_metrics.report`)."""

from datetime import date

import pandas as pd
import streamlit as st

from cpms_metrics import CpmsError, report
from cpms_metrics.months import month_end, parse_month
from cpms_metrics.settings import POLICIES
from ui import clock, data
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

st.subheader(monthly.title)
st.caption(
    f"{POLICY_LABELS[policy]} ({report.POLICY_RULES[policy]}) · arrêté au "
    f"{format_date(monthly.as_of)} · dernier import des données : {monthly.last_import_text}"
)
before_label = month_label(monthly.previous.month, long=True)
year_label = month_label(monthly.year_before.month, long=True)
for column, h in zip(st.columns(len(report.HEADLINES)), report.HEADLINES, strict=True):
    now, before, then = (
        h.value(f.kpis) for f in (monthly.current, monthly.previous, monthly.year_before)
    )
    shown = format_rate if h.is_rate else format_count
    change = report.change(now, before, h.is_rate)
    # An ASCII minus, so that st.metric colours a fall.
    delta = (
        None
        if change is None
        else report.signed(change, "pt" if h.is_rate else "").replace("−", "-")
    )
    column.metric(
        h.label, shown(now), delta, border=True,
        delta_color="off" if not change else "inverse" if h.lower_is_better else "normal",
        delta_arrow="auto" if change else "off",
        help=f"{h.definition} Écart avec {before_label} ; {year_label} : {shown(then)}.",
    )  # fmt: skip
st.markdown("\n".join(f"- {sentence}" for sentence in monthly.summary))

st.subheader(f"Évolution sur 12 mois, situation au {format_date(monthly.as_of)}")
figures = report.report_figures(monthly)
for tab, figure in zip(st.tabs(list(report.FIGURE_TITLES.values())), figures.values(), strict=True):
    with tab:
        chart(figure.update_layout(width=None))
st.caption("Zone grisée, barres hachurées, marqueurs creux : cohortes provisoires.")

st.subheader(f"Le mois en détail ({month_label(month, long=True)})")
tables = report.detail_tables(monthly)
keys = ("objects", "channels", "mediators", "overdue")
for column, key in zip(st.columns(2) * 2, keys, strict=True):
    with column:
        table = tables[key]
        st.markdown(f"**{table.title}**")
        if table.rows:
            small_table(pd.DataFrame(table.rows, columns=list(table.header)))
        else:
            no_data(table.empty)
        if table.note:
            st.caption(table.note)
