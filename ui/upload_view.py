"""The Train page's data source: a built-in dataset, or your own images (gan.uploads) uploaded,
checked, stored once under the runs root and previewed as the run will see them."""

import numpy as np
import streamlit as st

from gan import archive, config, images, owners, quota, uploads
from gan.errors import UserError
from ui import common, i18n
from ui.i18n import t

UPLOAD = "upload"
SOURCE = "train_source"  # session key of the data-source choice
RESULT = "upload_result"  # session key: {"key", "reference", "meta", "preview"} or {"key", "error"}
PREVIEW_IMAGES = 64
PREVIEW_WIDTH = 560
SKIPPED_SHOWN = 10


def accept(blob: bytes, name: str) -> dict:
    """Check, store and describe an upload for this visitor, within the server's budget: an upload
    counts as an import against the hourly rate, and its dataset against the visitor's kept datasets."""
    root, server = common.runs_root(), common.server_limits()
    owner = owners.digest(common.visitor_token()) if server.demo else None
    quota.note_import(root, server, owner)
    ingested = uploads.ingest(blob, name, server.uploads)
    quota.make_dataset_room(root, server, owner, ingested.pixels.nbytes)
    stored = uploads.store(root, ingested, owner)
    meta = {**uploads.read_meta(root, ingested.reference), "existed": stored.existed}
    chosen = np.linspace(0, len(ingested.pixels) - 1, min(PREVIEW_IMAGES, len(ingested.pixels))).astype(int)
    preview = images.png_near_width(images.grid(ingested.pixels[chosen], cols=8), PREVIEW_WIDTH)
    return {"reference": ingested.reference, "meta": meta, "preview": preview, "skipped": ingested.skipped}


def show() -> None:
    """The data-source choice; for your own images, the uploader, the resize rule and limits, and
    what was kept, skipped and will be trained on."""
    labels = {choice: t(f"uploads.sources.{choice}") for choice in (*config.DATASETS, UPLOAD)}  # worded now
    st.selectbox(t("uploads.source"), list(labels), format_func=labels.get, key=SOURCE,
                 help=t("uploads.source_help"), persist_state="session")
    if st.session_state[SOURCE] != UPLOAD:
        return
    server = common.server_limits().uploads
    st.caption(t("uploads.rule", grey=uploads.GREY_SIDE, colour=uploads.COLOUR_SIDE) + " " +
               t("uploads.limits", images=f"{server.max_images:,}", size=archive.size_text(server.upload_bytes),
                 pixels=f"{server.image_pixels / 1e6:g}", minimum=server.min_images))
    upload = common.file_uploader(t("uploads.file"), ["zip", "npz", "npy"], key="upload_file")
    if upload is None:
        return
    result = st.session_state.get(RESULT)
    if result is None or result["key"] != upload.file_id:
        with st.spinner(t("uploads.checking")):
            try:
                result = {"key": upload.file_id, **accept(upload.getvalue(), upload.name)}
            except UserError as error:
                result = {"key": upload.file_id, "error": error}
        st.session_state[RESULT] = result
    if "error" in result:
        st.error(i18n.error_text(result["error"]), icon="🚫")
        return
    summary(result)


def summary(result: dict) -> None:
    meta = result["meta"]
    height, width, channels = meta["image_shape"]
    st.success(t("uploads.summary", count=f"{meta['count']:,}", skipped=f"{meta['skipped_count']:,}",
                 height=height, width=width, kind=t(f"uploads.{'colour' if channels == 3 else 'grey'}"),
                 sha=meta["sha256"][:12]) + " " + t("uploads.already" if meta["existed"] else "uploads.stored"),
               icon="🖼️")
    st.caption(t("uploads.n_images", count=f"{meta['count']:,}"))
    names = meta["class_names"]
    if len(names) == 1:
        st.caption(t("uploads.unlabelled"))
    else:
        counts = ", ".join(f"{i18n.plain(name)} ({count})" for name, count in zip(names, meta["class_counts"],
                                                                                   strict=True))
        st.caption(t("uploads.classes", n=len(names), names=counts))
    if result["skipped"]:
        shown = result["skipped"][:SKIPPED_SHOWN]
        st.caption(t("uploads.skipped", shown=len(shown), count=meta["skipped_count"]) + "  \n" + "  \n".join(
            f"{i18n.plain(name)} — {t(f'uploads.skip.{reason}')}" for name, reason in shown))
    st.image(result["preview"], caption=t("uploads.preview", shown=min(PREVIEW_IMAGES, meta["count"]),
                                          count=f"{meta['count']:,}"), width="content")


def config_for(values: dict) -> config.RunConfig | None:
    """The form's values as a RunConfig on the chosen data (ConfigError if invalid): your own images
    set n_images at most their count, and a single class unconditioned (uploads.configure); None
    while your own images are chosen and none has been accepted."""
    source = st.session_state.get(SOURCE, config.DATASETS[0])
    if source != UPLOAD:
        return config.RunConfig.from_dict({**values, "dataset": source})
    result = st.session_state.get(RESULT)
    if not result or "error" in result or st.session_state.get("upload_file") is None:
        return None
    meta = result["meta"]
    cfg = config.RunConfig.from_dict({**values, "dataset": config.DATASETS[0]})
    return uploads.configure(cfg, result["reference"], meta["count"], len(meta["class_names"]))
