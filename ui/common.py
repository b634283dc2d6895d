"""What every page shares: the sidebar with the language switch, the runs root, the run picker and
status labels. No TensorFlow here."""

import contextlib
import dataclasses
import gc
import json
import os
import re
import sys
from pathlib import Path

import streamlit as st

from gan import archive, limits, owners, runs, sampling, startup, uploads, waitlist
from ui import i18n
from ui.i18n import t

PICKED = "picked_run"  # session key: the id of the run last picked on any page
VISITOR_KEY = "me"  # address parameter and session key of the visitor's token
VISITOR_TOKEN = re.compile(r"[A-Za-z0-9_-]{8,64}")
STATE_ICONS = {"waiting": "🕒", "queued": "⏳", "running": "🏃", "finished": "✅", "failed": "❌",
               "cancelled": "⏹️", "interrupted": "⚠️", "damaged": "⚠️"}


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


def freeze_loaded_libraries() -> None:
    """Once this server process has loaded Keras: collect, then gc.freeze() every object there is.

    After every script run Streamlit clears a loaded Keras's session, which runs a full garbage
    collection; with TensorFlow's 300,000 objects in the process each took about 0.2 s, twice per
    rerun, for every visitor and every page once any page had loaded a generator. Frozen objects
    (the libraries' own, which live as long as the process) are skipped by every later collection,
    so the collections only walk what pages made since. The price, paid once per process: anything
    of the sessions open at that moment that only a collection would free (reference cycles) stays
    until the process ends; reference counting still frees the rest. Called by app.py before each page.
    """
    if "keras" in sys.modules and not _frozen:
        gc.collect()
        gc.freeze()
        _frozen.append(True)


_frozen: list[bool] = []  # whether freeze_loaded_libraries has frozen this process's objects


def server_settings() -> dict[str, str]:
    """The environment, and on a hosted demo st.secrets over it (e.g. GAN_DEMO = "1")."""
    settings = dict(os.environ)
    with contextlib.suppress(FileNotFoundError):  # no secrets.toml: the environment alone decides
        settings.update({key: str(value) for key, value in st.secrets.items() if isinstance(value, (str, int))})
    return settings


def server_limits() -> limits.Limits:
    """The server's limits (gan.limits) from its settings; the host may change how many train at
    once in the sidebar."""
    server = limits.from_settings(server_settings())
    chosen = st.session_state.get("max_concurrent") if is_host() else None
    return dataclasses.replace(server, max_concurrent=int(chosen)) if chosen else server


def visitor_token() -> str:
    """This visitor's token (gan.owners): kept in the address as ?me=…, so a reload or a server
    restart keeps their runs theirs; a new visitor gets a new one. Anyone given the full address
    acts as that visitor, so share links without it (a run's own Live link carries only ?run=)."""
    token = st.query_params.get(VISITOR_KEY) or st.session_state.get(VISITOR_KEY)
    if not token or not VISITOR_TOKEN.fullmatch(token):
        token = owners.new_token()
    st.session_state[VISITOR_KEY] = token
    if st.query_params.get(VISITOR_KEY) != token:
        st.query_params[VISITOR_KEY] = token
    return token


def is_host() -> bool:
    return owners.is_host_key(st.session_state.get("host_key"), server_settings().get(owners.HOST_KEY_ENV))


def may_act(status: runs.Status) -> bool:
    """Whether this visitor may cancel, resume or withdraw the run: its submitter, or the host."""
    return owners.may_act(status.owner, visitor_token(), is_host(), server_limits().demo)


def runs_root() -> Path:
    """The runs root: $GAN_RUNS_DIR or ./runs, or the folder the host chose in the sidebar."""
    return runs.resolve_root(st.session_state.get("runs_root") or None if is_host() else None)


def max_concurrent() -> int:
    return server_limits().max_concurrent


def sidebar() -> None:
    """The shared sidebar: the language, the host key, the server's settings, and the workshop path.

    Only the host changes where runs live and how many train at once: `streamlit run` listens on
    every network interface unless told otherwise, so anyone on a workshop's Wi-Fi could otherwise
    point the runs folder anywhere the server may write, or lift its limit. Without GAN_HOST_KEY
    they come from the environment alone (GAN_RUNS_DIR, GAN_MAX_CONCURRENT).
    """
    cap = server_limits()
    with st.sidebar:
        st.segmented_control(t("sidebar.language"), list(i18n.LANGUAGES), format_func=i18n.LANGUAGES.get,
                             key=i18n.KEY, required=True, on_change=i18n.relabel)
        i18n.keep_in_address()
        visitor_token()
        if server_settings().get(owners.HOST_KEY_ENV):
            st.text_input(t("sidebar.host_key"), type="password", key="host_key", help=t("sidebar.host_key_help"))
        if cap.demo:
            st.info(t("sidebar.demo", epochs=cap.max_epochs, images=cap.max_images, concurrent=cap.max_concurrent,
                      keep=cap.keep_runs))
        if is_host():
            st.caption(t("sidebar.host_on"))
            st.text_input(t("sidebar.runs_folder"), value=str(runs.resolve_root()), key="runs_root",
                          help=t("sidebar.runs_folder_help"))
            st.number_input(t("sidebar.max_concurrent"), 1, 8, value=cap.max_concurrent, key="max_concurrent",
                            help=t("sidebar.max_concurrent_help"))
        else:
            st.caption(t("sidebar.settings", folder=runs_root(), concurrent=cap.max_concurrent))
        st.markdown(t("sidebar.workshop"))


def state_label(status: runs.Status) -> str:
    """'✅ finished' in the session's language; '⚠️ status unreadable' for a damaged status.json;
    '⏳ starting' while a trainer starts up (starting_up says how far it is)."""
    state = status.state if status.state in STATE_ICONS else "damaged" if status.damaged else "unknown"
    if starting_up(status):
        return f"{STATE_ICONS['queued']} {t('state.starting')}"
    return f"{STATE_ICONS.get(state, '❔')} {t(f'state.{state}')}"


def in_line(run_dir: Path, estimates: dict[str, float | None] | None = None) -> str | None:
    """'Number 2 in line for a training slot, in about 4m10s.' for a waiting run, else None.
    estimates: waitlist.start_estimates of its root, in the queue's order (computed if not given:
    a page listing several runs computes them once)."""
    if estimates is None:
        estimates = waitlist.start_estimates(Path(run_dir).parent, max_concurrent())
    order = list(estimates)
    if run_dir.name not in order:
        return None
    return t("run.waiting", position=order.index(run_dir.name) + 1, start=start_text(estimates[run_dir.name]))


def start_text(seconds: float | None) -> str:
    """', in about 4m10s' (or why it is unknown), to follow a queue position."""
    return t("run.start_unknown") if seconds is None else t("run.start_in", duration=i18n.duration(seconds))


def starting_up(status: runs.Status) -> str | None:
    """'Starting up, step 2 of 5: loading the digits…' while a trainer starts, 'Waiting for a machine
    of the cluster…' while a Ray run waits for one, else None."""
    if status.active and status.waiting_for_cluster:
        return t("run.cluster_waiting")
    if not (status.active and status.phase in startup.PHASES):
        return None
    phase = t(f"state.phase.{status.phase}", epoch=status.resumed_from or 0)
    return t("run.starting", index=startup.PHASES.index(status.phase) + 1, total=len(startup.PHASES), phase=phase)


def data_label(status: runs.Status, run_dir: Path | None = None) -> str:
    """Which data a run trained on, in the session's language (the run's own English text if the
    source is new); for your own images, the name they were uploaded under, their shape and count."""
    source = status.data_source
    cfg = runs.read_config(run_dir) if run_dir is not None and source == "upload" else None
    if cfg is not None and status.image_shape:
        name = uploads.source_name(run_dir.parent, cfg.dataset)
        return t("data.upload_named", name=i18n.plain(name or "?"), shape=shape_label(status.image_shape),
                 images=status.n_train or cfg.n_images)
    if source and f"data.source.{source}" in i18n.catalogue(i18n.DEFAULT):
        return t(f"data.source.{source}")
    return i18n.plain(status.data_description) if status.data_description else t("data.not_loaded")


def shape_label(image_shape) -> str:
    """'32×32 colour' for (height, width, channels) images, in the session's language."""
    height, width, channels = image_shape
    return t("data.shape_colour" if channels == 3 else "data.shape_grey", height=height, width=width)


def run_name(run_dir: Path) -> str:
    """'a1b2c3d4e5f6 · dcgan_small · nonsat · 10 epochs': fixed for the run's life, so pickers keep it."""
    cfg = runs.read_config(run_dir)
    if cfg is None:
        return t("run.unreadable", id=run_dir.name)
    arch = t("run.conditional", arch=cfg.architecture) if cfg.conditional else cfg.architecture
    name = t("run.imported", id=cfg.run_id) if archive.is_imported(run_dir) else run_dir.name
    return t("run.name", id=name, arch=arch, loss=cfg.loss, epochs=cfg.epochs)


def run_label(run_dir: Path) -> str:
    """run_name plus its state now: 'a1b2c3d4e5f6 · dcgan_small · … · ✅ finished 10/10'."""
    status, cfg = runs.read_status(run_dir), runs.read_config(run_dir)
    progress = f"{status.epoch}/{cfg.epochs}" if cfg else ""
    return f"{run_name(run_dir)} · {state_label(status)} {progress}"


def pick_run(key: str, label: str | None = None, pretrained: str | None = None) -> Path | None:
    """A selectbox of the runs under the root (newest first). It starts on `?run=ID` if given, else
    on the run last picked on any page, so a participant's run follows them from Live to Sample
    to Train (the sidebar's links drop the address's parameters). pretrained "first" or "last"
    offers the bundled pretrained run there: one choice away, and the first choice when first or
    when there is no other."""
    options = runs.list_runs(runs_root())
    if pretrained and (sampling.PRETRAINED / "generator.keras").exists():
        options = [sampling.PRETRAINED, *options] if pretrained == "first" else [*options, sampling.PRETRAINED]
    if not options:
        return None
    wanted = st.query_params.get("run") or st.session_state.get(PICKED)
    index = next((i for i, p in enumerate(options) if p.name == wanted), 0)
    labels = {p: (t("run.pretrained") if p == sampling.PRETRAINED else run_name(p)) for p in options}
    chosen = st.selectbox(label or t("run.picker"), options, index=index, format_func=labels.get, key=key)
    if chosen is not None and chosen != sampling.PRETRAINED:
        st.session_state[PICKED] = chosen.name
    return chosen


def file_uploader(label: str, types: list[str], key: str, **options):
    """st.file_uploader with its button and size note in the session's language. Streamlit words
    them in English only ("Upload", "50MB per file • ZIP"), so CSS scoped to this widget's key
    shows ours in their place; the widget and what it returns are Streamlit's own."""
    button = t("upload.button")
    note = t("upload.note", size=st.get_option("server.maxUploadSize"), types=", ".join(x.upper() for x in types))
    scope = f".st-key-{key} [data-testid='stFileUploaderDropzone']"
    st.html(f"""<style>
{scope} button [data-testid='stMarkdownContainer'] p {{ font-size: 0; }}
{scope} button [data-testid='stMarkdownContainer'] p::after {{ content: {json.dumps(button, ensure_ascii=False)};
  font-size: 0.875rem; }}
{scope} [data-testid='stFileUploaderDropzoneInstructions'] span {{ font-size: 0; }}
{scope} [data-testid='stFileUploaderDropzoneInstructions'] span::after {{
  content: {json.dumps(note, ensure_ascii=False)}; font-size: 0.875rem; }}
</style>""")
    return st.file_uploader(label, type=types, key=key, **options)
