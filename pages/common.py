"""What every page shares: the runs root, the run picker and status labels. No TensorFlow here."""

import contextlib
import os
from pathlib import Path

import streamlit as st

from gan import limits, runs

PRETRAINED = Path(__file__).resolve().parents[1] / "gan" / "assets" / "pretrained"
STATE_ICONS = {"queued": "⏳", "running": "🏃", "finished": "✅", "failed": "❌",
               "cancelled": "⏹️", "interrupted": "⚠️"}


def use_the_router() -> None:
    """Hand a page opened by its own address back to app.py's navigation.

    Streamlit treats an app with a pages/ folder as a legacy multipage app until some script calls
    st.navigation, so the first visitor after a server start who opens /train directly would get
    pages/train.py alone, with an auto-generated sidebar. Switching that mode off and rerunning
    sends the request through app.py, which keeps the page the visitor asked for.
    """
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


def server_limits() -> limits.Limits:
    """The server's limits, from the environment and, on a hosted demo, st.secrets (e.g. GAN_DEMO = "1")."""
    settings = dict(os.environ)
    with contextlib.suppress(FileNotFoundError):  # no secrets.toml: the environment alone decides
        settings.update({key: str(value) for key, value in st.secrets.items() if isinstance(value, (str, int))})
    return limits.from_settings(settings)


def runs_root() -> Path:
    """The runs root chosen in the sidebar (default $GAN_RUNS_DIR or ./runs; fixed in demo mode)."""
    if server_limits().demo:
        return runs.resolve_root()
    return runs.resolve_root(st.session_state.get("runs_root") or None)


def max_concurrent() -> int:
    cap = server_limits()
    return cap.max_concurrent if cap.demo else int(st.session_state.get("max_concurrent") or cap.max_concurrent)


def sidebar() -> None:
    """The shared sidebar: where runs live, how many may train at once, and the workshop path."""
    cap = server_limits()
    with st.sidebar:
        if cap.demo:  # visitors of a shared server must not repoint it or lift its limits
            st.info(f"Shared demo: at most {cap.max_epochs} epochs, {cap.max_images:,} images and "
                    f"{cap.max_concurrent} training run(s) at a time; older runs are removed.")
        else:
            st.text_input("Runs folder", value=str(runs.resolve_root()), key="runs_root",
                          help="Every run is a folder here: config, metrics, sample grids, generator.")
            st.number_input("Max concurrent training runs", 1, 8, value=cap.max_concurrent, key="max_concurrent",
                            help="Each run is a separate process using the CPU; more than one slows all.")
        st.markdown("**Workshop path**\n\n1. Concepts — how a GAN learns\n2. Train — start a quick run\n"
                    "3. Live training — watch it learn\n4. Sample — draw digits")


def run_name(run_dir: Path) -> str:
    """'a1b2c3d4e5f6 · dcgan_small · nonsat · 10 epochs': fixed for the run's life, so pickers keep it."""
    cfg = runs.read_config(run_dir)
    if cfg is None:
        return f"{run_dir.name} · unreadable config"
    arch = f"{cfg.architecture}{' (conditional)' if cfg.conditional else ''}"
    return f"{run_dir.name} · {arch} · {cfg.loss} · {cfg.epochs} epochs"


def run_label(run_dir: Path) -> str:
    """run_name plus its state now: 'a1b2c3d4e5f6 · dcgan_small · … · ✅ finished 10/10'."""
    status, cfg = runs.read_status(run_dir), runs.read_config(run_dir)
    state = status.get("state", "unknown")
    progress = f"{status.get('epoch', 0)}/{cfg.epochs}" if cfg else ""
    return f"{run_name(run_dir)} · {STATE_ICONS.get(state, '❔')} {state} {progress}"


def pick_run(key: str, label: str = "Run", include_pretrained: bool = False) -> Path | None:
    """A selectbox of the runs under the root (newest first); `?run=ID` preselects one."""
    options = runs.list_runs(runs_root())
    if include_pretrained and (PRETRAINED / "generator.keras").exists():
        options = [PRETRAINED, *options]
    if not options:
        return None
    wanted = st.query_params.get("run")
    index = next((i for i, p in enumerate(options) if p.name == wanted), 0)
    labels = {p: ("Bundled pretrained generator" if p == PRETRAINED else run_name(p)) for p in options}
    return st.selectbox(label, options, index=index, format_func=labels.get, key=key)
