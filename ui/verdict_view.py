"""D's verdict on your digit (gan.verdict): the run's discriminator scores it, and the page says what
that score means on the scale the run's loss gave it."""

from pathlib import Path

import numpy as np
import streamlit as st

from gan import runs, sampling, verdict
from ui import common, i18n
from ui.i18n import t


@st.cache_resource(max_entries=4, show_spinner=False)
def judge(run_dir: str, mtime: float) -> verdict.Judge:
    """run_dir's discriminator; mtime (its checkpoint's) is in the key so a newer epoch is loaded afresh."""
    return verdict.load(Path(run_dir))


def with_discriminator(run_dir: Path, key: str) -> Path | None:
    """The run whose D gives its verdict: the picked one if it saved its D, else one the visitor picks
    among the runs that did (None if there is none, or the picked run has none)."""
    if (run_dir / runs.CHECKPOINT).exists():
        return run_dir
    st.info(t("sample.verdict_pretrained") if run_dir == sampling.PRETRAINED else t("sample.verdict_no_checkpoint"))
    others = [r for r in runs.list_runs(common.runs_root()) if (r / runs.CHECKPOINT).exists()]
    if not others:
        st.page_link("pages/train.py", label=t("sample.start_one"), icon="🏋️")
        return None
    return st.selectbox(t("sample.verdict_other"), others, format_func=common.run_name, key=key)


def show(run_dir: Path, pixels: np.ndarray, read: int | None, way: str) -> None:
    """D's verdict on uint8 (28, 28) pixels; read: the classifier's reading, the label a conditional D
    is told (0 when the classifier is unavailable); way: "draw" or "upload", whose widgets these are."""
    st.markdown(f"**{t('sample.verdict')}**")
    source = with_discriminator(run_dir, f"{way}_verdict_run")
    if source is None:
        return
    try:
        with st.spinner(t("sample.verdict_loading")):
            found = judge(str(source), (source / runs.CHECKPOINT).stat().st_mtime)
    except verdict.VerdictError as error:
        st.warning(i18n.error_text(error))
        return
    said = verdict.judge_digit(found, pixels, (read or 0) if found.cfg.conditional else None)
    side = "unknown" if said.real is None else "real" if said.real else "fake"
    score, words = st.columns([1, 3])
    score.metric(t("sample.verdict_score"), f"{said.score:+.2f}", help=t("sample.verdict_score_help"))
    words.markdown(t(f"sample.verdict_says.{side}", epoch=found.epoch))
    details = {"loss": found.cfg.loss, "score": said.score, "probability": said.probability or 0.0,
               "real": said.typical_real or 0.0, "fake": said.typical_fake or 0.0}
    scale = "critic_unknown" if said.scale == "critic" and said.real is None else said.scale
    words.caption(t(f"sample.verdict_scale.{scale}", **details))
    if said.typical_real is not None and said.typical_fake is not None and said.scale != "critic":
        words.caption(t("sample.verdict_typical", **details))
    if said.label is not None:
        words.caption(t("sample.verdict_label", digit=said.label))
