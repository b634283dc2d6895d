"""GAN Atelier: the router. Every page shares the page config and the sidebar built here."""

import streamlit as st

from ui import common, i18n
from ui.i18n import t

i18n.language()  # first, so the navigation below is already in the session's language
st.set_page_config(page_title=t("app.name"), page_icon=":material/palette:", layout="wide")

PAGES = {
    t("nav.learn"): [st.Page("pages/concepts.py", title=t("nav.concepts"), icon=":material/school:", default=True)],
    t("nav.train"): [
        st.Page("pages/train.py", title=t("nav.train_page"), icon=":material/model_training:"),
        st.Page("pages/live.py", title=t("nav.live"), icon=":material/monitoring:"),
    ],
    t("nav.explore"): [
        st.Page("pages/sample.py", title=t("nav.sample"), icon=":material/casino:"),
        st.Page("pages/gallery.py", title=t("nav.gallery"), icon=":material/photo_library:"),
    ],
}

page = st.navigation(PAGES)
common.freeze_loaded_libraries()
common.sidebar()
page.run()
