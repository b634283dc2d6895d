"""GAN Atelier: the router. Every page shares the page config and the sidebar built here."""

import streamlit as st

from pages import common

st.set_page_config(page_title="GAN Atelier", page_icon=":material/palette:", layout="wide")

PAGES = {
    "Learn": [st.Page("pages/concepts.py", title="Concepts", icon=":material/school:", default=True)],
    "Train": [
        st.Page("pages/train.py", title="Train", icon=":material/model_training:"),
        st.Page("pages/live.py", title="Live training", icon=":material/monitoring:"),
    ],
    "Explore": [st.Page("pages/sample.py", title="Sample", icon=":material/casino:")],
}

page = st.navigation(PAGES)
common.sidebar()
page.run()
