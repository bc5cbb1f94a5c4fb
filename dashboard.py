"""Home page placeholder: loads the bundled sample on first run and shows the headline figures."""

from datetime import date, datetime
from pathlib import Path

import streamlit as st

from cpms_metrics import CpmsError, kpis, open_store
from cpms_metrics.ingest import import_file
from cpms_metrics.settings import load_settings

SAMPLE = Path(__file__).parent / "sample_data" / "complaints.csv"

st.set_page_config(page_title="Vue d'ensemble · CPMS réclamations", layout="wide")
st.title("Réclamations CPMS — vue d'ensemble")
try:
    settings = load_settings()
    store = open_store(settings=settings, keep_open=False)
    today = date.today()
    if kpis(store, as_of=today)["complaints"] == 0 and SAMPLE.exists():
        import_file(
            store, SAMPLE, import_day=today, imported_at=datetime.now(), objects=settings.objects
        )
        st.info("Données d'exemple chargées depuis sample_data/complaints.csv.")
    result = kpis(store, as_of=today, policy=settings.policy)
except CpmsError as exc:
    st.error(exc.message)
    st.stop()

st.caption(f"Arrêté au {today:%d/%m/%Y} — politique {result['policy']} — toutes cohortes")
cards = st.columns(3)
cards[0].metric("Réclamations reçues", f"{result['complaints']:,}".replace(",", " "))
for column, key, title in ((1, "ack", "Accusés de réception"), (2, "response", "Réponses")):
    rate = result[key]["compliance_rate"]
    shown = "—" if rate is None else f"{rate * 100:.1f} %".replace(".", ",")
    cards[column].metric(f"{title} dans les délais", shown)
