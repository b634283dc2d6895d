"""GAN Atelier: the router. Every page shares the page config and the sidebar built here."""

import streamlit as st

from pages import common

st.set_page_config(page_title="GAN Atelier", page_icon="🎨", layout="wide")

PAGES = {
    "Learn": [st.Page("pages/concepts.py", title="Concepts", icon="📖", default=True)],
    "Train": [
        st.Page("pages/train.py", title="Train", icon="🏋️"),
        st.Page("pages/live.py", title="Live training", icon="📈"),
    ],
    "Explore": [st.Page("pages/sample.py", title="Sample", icon="🎲")],
}

page = st.navigation(PAGES)
common.sidebar()
page.run()
