"""The class dataset on the Sample page (gan.classdata): add your drawing with its label, see the
class's drawings and their counts; the host removes drawings and trains on them."""

import functools
import hashlib
from pathlib import Path

import numpy as np
import streamlit as st

from gan import classdata, config, images, limits, owners, uploads
from ui import common, i18n, run_list
from ui.i18n import t

GRID_COLUMNS = 16
PLACE = "classdata"  # where run_list shows this section's training notice: here, not on the Train page
SHOWN = 256  # the newest drawings in the grid; the counts cover them all
REFUSED = "classdata_refused"  # session key: why the last Add was refused


@st.cache_data(max_entries=4, show_spinner=False)
def entries(root: str, stamp: tuple[str, ...]) -> list[classdata.Entry]:
    """classdata.entries, read again only when a drawing was added or removed (stamp: classdata.stamp)."""
    return classdata.entries(Path(root))


def current(root: Path) -> list[classdata.Entry]:
    return entries(str(root), classdata.stamp(root))


def add_form(pixels: np.ndarray, read: int | None) -> None:
    """Add uint8 (28, 28) pixels to the class dataset under a label the visitor can correct (the
    classifier's reading to start with)."""
    st.markdown(f"**{t('classdata.add_title')}**")
    digest = owners.digest(common.visitor_token())
    cap = common.server_limits().drawings_per_visitor
    label_key = f"classdata_label_{hashlib.sha256(pixels.tobytes()).hexdigest()[:12]}"  # a new drawing: its reading
    choice, button = st.columns([3, 2], vertical_alignment="bottom")
    choice.selectbox(t("classdata.label"), list(range(10)), index=read if read is not None else 0, key=label_key,
                     help=t("classdata.label_help"))
    button.button(t("classdata.add"), icon="➕", key="classdata_add", on_click=add,
                  args=(common.runs_root(), pixels, label_key, digest, cap))
    refused = st.session_state.pop(REFUSED, None)
    if refused:
        st.warning(refused)
    mine = sum(e.owner == digest for e in current(common.runs_root()))
    st.caption(t("classdata.yours", n=mine, cap=cap))


def add(root: Path, pixels: np.ndarray, label_key: str, digest: str, cap: int) -> None:
    """The Add button: store the drawing under the label chosen, or say why not (shown by add_form)."""
    label = int(st.session_state[label_key])
    try:
        classdata.add(root, pixels, label, digest, cap)
        st.toast(t("classdata.added", digit=label))
    except (classdata.ClassDataError, OSError) as error:
        st.session_state[REFUSED] = i18n.error_text(error)


def remove(root: Path) -> None:
    """The host's Remove button: delete the picked drawings and empty the pick."""
    removed = classdata.remove(root, st.session_state.get("classdata_remove_pick", []))
    st.session_state["classdata_remove_pick"] = []
    st.toast(t("classdata.removed", n=removed))


def train(root: Path) -> None:
    """The host's one click: the drawings as they are now become a stored dataset, trained on with the
    quick preset (within this server's caps; conditional on the digits drawn) through the launcher,
    whose answer shows at the top of this section and as a toast."""
    try:
        ingested = classdata.freeze(root, owners.digest(common.visitor_token()))
    except (classdata.ClassDataError, uploads.DatasetError) as error:
        run_list.notify("error", functools.partial(i18n.error_text, error), place=PLACE)
        return
    cfg = config.RunConfig.from_dict(limits.starting_values("quick", common.server_limits()))
    run_list.submit(uploads.configure(cfg, ingested.reference, len(ingested.pixels), len(ingested.class_names)),
                    place=PLACE)


def show() -> None:
    """The class's drawings: counts per digit and a grid of the newest; for the host, removal and
    the button that trains on them (disabled with too few)."""
    root = common.runs_root()
    st.subheader(t("classdata.title"))
    st.caption(t("classdata.caption", minimum=classdata.MIN_TO_TRAIN))
    found = current(root)
    if not found:
        st.info(t("classdata.empty"))
    else:
        counts = classdata.counts(found)
        st.markdown(t("classdata.counts", n=len(found), each=" · ".join(f"{d}: {c}" for d, c in enumerate(counts))))
        shown = found[-SHOWN:]
        grid = images.grid(np.stack([e.pixels for e in shown]), cols=min(GRID_COLUMNS, len(shown)))
        st.image(images.png_bytes(grid, scale=2), caption=t("classdata.grid", n=len(shown)), width="content")
    if not common.is_host():
        return
    st.markdown(f"**{t('classdata.host')}**")
    if found:
        labels = {e.id: t("classdata.entry", number=i + 1, digit=e.label) for i, e in enumerate(found)}
        doomed = st.multiselect(t("classdata.remove_pick"), list(labels), format_func=labels.get,
                                key="classdata_remove_pick", help=t("classdata.remove_help"),
                                placeholder=t("classdata.remove_placeholder"))
        st.button(t("classdata.remove"), icon="🗑️", disabled=not doomed, key="classdata_remove", on_click=remove,
                  args=(root,))
    ready = len(found) >= classdata.MIN_TO_TRAIN
    st.button(t("classdata.train", n=len(found)), icon="🏋️", disabled=not ready, key="classdata_train",
              on_click=train, args=(root,))
    if not ready:
        st.caption(t("classdata.train_needs", minimum=classdata.MIN_TO_TRAIN, n=len(found)))
    run_list.show_notice(PLACE)
