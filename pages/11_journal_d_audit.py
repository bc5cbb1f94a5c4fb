"""Journal d'audit: who logged in, was refused, revealed a NIR, exported, changed a case or
imported, and when, the latest first. For administrators only; the log never holds a NIR."""

import pandas as pd
import streamlit as st

from ui import auth, clock
from ui.page import page_setup
from ui.panels.common import case_links, reference_link
from ui.widgets import no_data, paged

_, who = page_setup("Journal d'audit")
if not who.may_see_audit:  # page_setup has checked the page already; the log is that sensitive
    auth.refuse("Le journal d'audit est réservé aux administrateurs.")


def show(frame: pd.DataFrame) -> None:
    st.dataframe(
        pd.DataFrame(
            {
                "Date et heure": frame["logged_at"].map(clock.moment_with_seconds),
                "Utilisateur": frame["who"],
                "Action": frame["action_label"],
                # The case named, as a link to it (`casefile.case_address`).
                "Dossier": [
                    None if pd.isna(r) or not r else case_links([r])[0] for r in frame["reference"]
                ],
                "Détail": frame["detail"],
            }
        ),
        hide_index=True,
        width="stretch",
        column_config={"Dossier": reference_link("Dossier")},
    )


st.caption(
    "Connexions, accès refusés, consultations de NIR (avec leur motif), exports, modifications "
    "de dossiers et imports. Le journal ne contient jamais de NIR en clair."
)
total = auth.audit_count()
if not total:
    no_data("Aucune action enregistrée pour l'instant.")
    st.stop()
paged("audit", total, auth.audit_entries, show, noun="actions")
