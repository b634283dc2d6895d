"""ui/common.py's reliance on a private Streamlit setting, pinned so an upgrade that changes it fails here."""

import inspect

from streamlit.runtime import pages_manager
from streamlit.runtime.scriptrunner import script_runner


def test_streamlit_still_switches_to_legacy_pages_on_the_private_flag_the_router_resets():
    # Streamlit offers no public way to keep a pages/ folder out of its legacy multipage mode before
    # the first st.navigation call; ui.common.use_the_router resets this flag. If this fails after
    # an upgrade, check whether opening /train first on a fresh server still needs the reset.
    assert hasattr(pages_manager.PagesManager, "uses_pages_directory")
    manager_source = inspect.getsource(pages_manager.PagesManager)
    assert '"pages"' in manager_source  # the folder's name is what switches the mode on
    assert "PagesManager.uses_pages_directory" in inspect.getsource(script_runner)
