"""ui/common.py: its reliance on a private Streamlit setting, pinned so an upgrade that changes it
fails here, its run labels, and the freezing of loaded libraries out of garbage collections."""

import gc
import inspect
import sys

from streamlit.runtime import pages_manager
from streamlit.runtime.scriptrunner import script_runner

from ui import common


def test_streamlit_still_switches_to_legacy_pages_on_the_private_flag_the_router_resets():
    # Streamlit offers no public way to keep a pages/ folder out of its legacy multipage mode before
    # the first st.navigation call; ui.common.use_the_router resets this flag. If this fails after
    # an upgrade, check whether opening /train first on a fresh server still needs the reset.
    assert hasattr(pages_manager.PagesManager, "uses_pages_directory")
    manager_source = inspect.getsource(pages_manager.PagesManager)
    assert '"pages"' in manager_source  # the folder's name is what switches the mode on
    assert "PagesManager.uses_pages_directory" in inspect.getsource(script_runner)


def test_a_starting_trainer_is_labelled_by_its_phase_and_an_ended_one_by_its_state():
    from gan import runs

    starting = runs.Status(state="queued", pid=123, phase="restoring", resumed_from=11)
    assert common.state_label(starting) == "⏳ starting"
    assert common.starting_up(starting) == "Starting up, step 4 of 5: restoring epoch 11…"
    compiling = runs.Status(state="running", pid=123, phase="compiling")
    assert "step 5 of 5: compiling the training step" in common.starting_up(compiling)
    ended = runs.Status(state="cancelled", phase="tensorflow")  # a phase left behind by a killed trainer
    assert common.state_label(ended) == "⏹️ cancelled" and common.starting_up(ended) is None
    on_cluster = runs.Status(state="queued", executor="ray")  # no trainer yet
    assert common.starting_up(on_cluster) == "Waiting for a machine of the cluster to start it."
    assert common.state_label(on_cluster) == "⏳ starting"


def test_once_keras_is_loaded_its_objects_are_frozen_out_of_later_collections_once(monkeypatch):
    import keras  # noqa: F401  (what a page that loads a generator leaves in the process)

    monkeypatch.setattr(common, "_frozen", [])
    gc.unfreeze()
    with monkeypatch.context() as without:
        without.delitem(sys.modules, "keras")
        common.freeze_loaded_libraries()
        assert gc.get_freeze_count() == 0  # nothing heavy loaded: nothing frozen
    common.freeze_loaded_libraries()
    frozen = gc.get_freeze_count()
    assert frozen > 100_000  # TensorFlow and Keras's objects: collections no longer walk them
    common.freeze_loaded_libraries()
    assert gc.get_freeze_count() == frozen  # once per process
