"""The frame of every page: configuration, the access check, the French menu (the pages the role
opens), the filters, and the header line that says which period, date and policy the figures use.
`page_setup` is the first line of each page.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st
from streamlit.errors import StreamlitPageNotFoundError

from cpms_metrics.access import Access
from cpms_metrics.definitions import POLICY_SHORT_RULES
from ui import auth, clock, data
from ui.filters import Filters, current_filters, filter_widgets

# (section, page file, label, icon); a new page is one more line here.
MENU: tuple[tuple[str, str, str, str], ...] = (
    ("", "dashboard.py", "Vue d'ensemble", ":material/dashboard:"),
    ("Conformité", "pages/1_accuses_de_reception.py", "Accusés de réception",
     ":material/mark_email_read:"),
    ("Conformité", "pages/2_delais_de_reponse.py", "Délais de réponse", ":material/schedule:"),
    ("Conformité", "pages/3_objets.py", "Objets", ":material/category:"),
    ("Conformité", "pages/4_mediation.py", "Médiation", ":material/balance:"),
    ("Suivi", "pages/5_dossiers_a_echeance.py", "Dossiers à échéance", ":material/event_upcoming:"),
    ("Suivi", "pages/6_saisie.py", "Saisie d'une réclamation", ":material/edit_note:"),
    ("Suivi", "pages/7_suivi_des_dossiers.py", "Suivi des dossiers", ":material/folder_open:"),
    ("Direction", "pages/8_rapport_mensuel.py", "Rapport mensuel", ":material/picture_as_pdf:"),
    ("Données", "pages/9_import.py", "Import", ":material/upload_file:"),
    ("Données", "pages/10_qualite_des_donnees.py", "Qualité des données", ":material/rule:"),
    ("Données", "pages/13_dysfonctionnements.py", "Dysfonctionnements", ":material/build:"),
    ("Administration", "pages/11_journal_d_audit.py", "Journal d'audit", ":material/policy:"),
    ("Aide", "pages/12_definitions.py", "Définitions", ":material/help:"),
)  # fmt: skip


def _menu(filters: Filters, who: Access) -> None:
    params = filters.query_params()  # a page link keeps the filters in the URL
    section = ""
    for heading, page, label, icon in MENU:
        if not auth.can_open(page, who):
            continue
        if heading != section:
            st.caption(heading)
            section = heading
        try:
            st.page_link(page, label=label, icon=icon, query_params=params)
        except StreamlitPageNotFoundError:
            return  # a page run on its own, as its own entry point: no other page to link to


def page_setup(title: str) -> tuple[Filters, Access]:
    """Configure the page, check who may open it (the page stops here otherwise), draw the menu,
    the filters and the header; returns the filters and what the person may see and do."""
    st.set_page_config(
        page_title=f"{title} · CPMS réclamations",
        # An emoji, drawn by the browser: a `:material/…:` favicon is fetched from
        # fonts.gstatic.com, and no request may leave the server (tests/e2e/test_links_browser.py).
        page_icon="📋",
        layout="wide",
    )
    st.html(Path(__file__).with_name("style.css"))
    # The access check, before any figure is read, so that no page can forget it.
    who = auth.require()
    config = data.settings()
    info = data.info()
    today = clock.today()
    filters, problems = current_filters(today, config.policy, config.objects)
    with st.sidebar:
        st.markdown("#### :material/fact_check: Réclamations CPMS")
        _menu(filters, who)
        st.divider()
        filter_widgets(
            filters,
            today=today,
            default_policy=config.policy,
            objects=config.objects,
            companies=info.companies,
            first_month=info.first_month,
        )
        st.divider()
        auth.account_box(who)
    st.title(title)
    st.caption(
        f":material/filter_list: {filters.describe()} — {POLICY_SHORT_RULES[filters.policy]}."
    )
    if info.is_sample:
        st.info(
            "**Données d'exemple** — ce tableau de bord montre un jeu de réclamations fictif, "
            "décalé pour paraître actuel. Importez un export réel avec "
            "`python -m cpms_metrics import export.csv`.",
            icon=":material/science:",
        )
    if problems:
        st.warning("Lien partiellement lu : " + " ; ".join(problems) + ".", icon=":material/link:")
    if info.records == 0:
        st.info(
            "La base ne contient encore aucune réclamation : les indicateurs s'afficheront après "
            "le premier import (`python -m cpms_metrics import export.csv`).",
            icon=":material/inbox:",
        )
    return filters, who
