"""The Train page's sharing: any run downloaded as a zip, and a run uploaded from elsewhere,
checked by gan.archive before anything is installed and counted against a shared server's budget."""

import streamlit as st

from gan import archive, owners, quota
from ui import common, i18n
from ui.i18n import t

DONE = "share_imported"  # session key: (the upload's file id, what its import said), so a rerun never imports it twice


@st.fragment
def show() -> None:
    """Download a run as a zip; upload one (checked by gan.archive before anything is installed)."""
    left, right = st.columns(2)
    with left:
        if (run_dir := common.pick_run("share_run", t("train.share.pick"))) is not None:
            st.download_button(t("train.share.export"), lambda: archive.export_run(run_dir), f"run-{run_dir.name}.zip",
                               "application/zip", key="share_export", on_click="ignore", icon="📦")
    with right:
        upload = common.file_uploader(t("train.share.import"), ["zip"], key="share_import",
                                      help=t("train.share.import_help"))
        if upload is not None:
            if st.session_state.get(DONE, (None,))[0] != upload.file_id:  # the upload stays while the page reruns
                st.session_state[DONE] = (upload.file_id, import_upload(upload))
            error, done = st.session_state[DONE][1]
            if error is not None:
                st.error(t("train.share.refused", error=i18n.error_text(error)))
            else:
                st.success(t("train.share.existed" if done.existed else "train.share.imported", id=done.path.name))


def import_upload(upload) -> tuple[Exception | None, archive.Imported | None]:
    """(why it was refused, or None; the installed run, or None). On a shared server the attempt is
    counted, the run takes the place of the importer's oldest, and the images it carries count
    against the importer's kept datasets as their own upload would."""
    root, server, owner = common.runs_root(), common.server_limits(), owners.digest(common.visitor_token())
    try:
        quota.note_import(root, server, owner)
        quota.make_room(root, server, owner)
        return None, archive.import_run(upload, root, owner=owner, upload_limits=server.uploads,
                                        make_room=lambda size: quota.make_dataset_room(root, server, owner, size))
    except (archive.ArchiveError, quota.QuotaError) as error:
        return error, None
