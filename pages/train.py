"""Train: pick a preset, adjust any hyperparameter, and start a cached training run in its own
process; below, every recent run with its progress, Cancel and Resume."""

import os
from pathlib import Path

import streamlit as st

from gan import cli, config, data, launcher, limits, runs
from pages import common

common.use_the_router()

PRESETS = {"quick": "Quick (≈2 min on a laptop)", "tutorial": "Tutorial DCGAN", "mlp": "Classic MLP GAN"}
GROUPS = {
    "Data": ("dataset", "n_images", "seed"),
    "Model": ("architecture", "conditional", "latent_dim", "loss"),
    "Optimisation": ("batch_size", "epochs", "g_lr", "d_lr", "beta1"),
    "Advanced": ("d_steps", "label_smoothing", "ema_decay"),
}
FIELDS = {  # field: (label, one-line help)
    "dataset": ("Dataset", "MNIST digits, or Fashion-MNIST clothes (needs a download, no offline copy)."),
    "n_images": ("Training images", "How many images one epoch goes through: fewer trains faster."),
    "seed": ("Seed", "Fixes the initial weights, the data order and the noise: same seed, same run."),
    "architecture": ("Architecture", "dcgan_small: a small DCGAN for CPUs; dcgan_tutorial: the TensorFlow "
                                     "tutorial's DCGAN; mlp: fully connected layers only."),
    "conditional": ("Conditional on the digit", "Also give the class to G and D, so you can ask for a given digit."),
    "latent_dim": ("Latent size", "Length of the noise vector z that the generator turns into an image."),
    "loss": ("Loss", "nonsat: non-saturating cross-entropy; minimax: the paper's literal loss; lsgan: "
                     "least squares; hinge; wgan_gp: Wasserstein with a gradient penalty."),
    "batch_size": ("Batch size", "Images per optimiser step of each network."),
    "epochs": ("Epochs", "Passes over the training images."),
    "g_lr": ("Generator learning rate", "Adam's step size for G."),
    "d_lr": ("Discriminator learning rate", "Adam's step size for D."),
    "beta1": ("Adam β₁", "Adam's momentum, for both networks: DCGAN uses 0.5."),
    "d_steps": ("D steps per G step", "How many times D is updated before each update of G."),
    "label_smoothing": ("Label smoothing", "One-sided: D's target for real images is 1 minus this."),
    "ema_decay": ("Generator EMA decay", "0 is off; 0.999 draws samples from a moving average of G's weights."),
}
NUMBER_STEPS = {"g_lr": (1e-5, "%.1e"), "d_lr": (1e-5, "%.1e"), "beta1": (0.05, "%.2f"),
                "label_smoothing": (0.05, "%.2f"), "ema_decay": (0.001, "%.4f")}  # field: (step, format)
NOTICES = {"started": st.success, "resumed": st.success, "attached": st.info, "finished": st.info,
           "refused": st.warning, "error": st.error}
DATA_NOTE = ("**Data.** MNIST runs use the full MNIST set (70,000 digits) when it can be downloaded or is "
             "already cached, and otherwise the 10,000 real MNIST digits bundled with the app, which work "
             "offline. Each run below says which it used.")
RECENT = 10
REFRESH_SECONDS = 2


def fill_form() -> None:
    """Put the chosen preset's values, and the defaults for fields it leaves out, into the form."""
    for field, value in config.preset(st.session_state.train_preset).to_dict().items():
        st.session_state[f"train_{field}"] = value


def field_widget(field: str) -> None:
    """The widget of one RunConfig field, bounded by config.RANGES or config.CHOICES."""
    label, help_text = FIELDS[field]
    key, kind = f"train_{field}", config.FIELD_TYPES[field]
    if field in config.CHOICES:
        st.selectbox(label, config.CHOICES[field], key=key, help=help_text, persist_state="session")
    elif kind is bool:
        st.toggle(label, key=key, help=help_text, persist_state="session")
    else:
        low, high = config.RANGES[field]
        step, number_format = NUMBER_STEPS.get(field, (1, None))
        st.number_input(label, kind(low), kind(high), step=kind(step), format=number_format, key=key,
                        help=f"{help_text} From {low:g} to {high:g}.", persist_state="session")


def submit(cfg: config.RunConfig) -> None:
    """Hand cfg to the launcher (which trains in another process) and remember what happened."""
    try:
        sub = launcher.submit(common.runs_root(), cfg, common.max_concurrent(), common.server_limits().keep_runs)
    except OSError as error:
        st.session_state.train_notice = ("error", f"Cannot write to the runs folder: {error}", None)
    else:
        st.session_state.train_notice = (sub.outcome, sub.message, sub.run_dir.name)


def submit_form() -> None:
    """Validate the form as a RunConfig: a bad value is reported by its field, not raised."""
    values = {field: st.session_state[f"train_{field}"] for field in config.FIELD_TYPES}
    try:
        cfg = config.RunConfig.from_dict(values)
        limits.check(cfg, common.server_limits())
    except config.ConfigError as error:
        st.session_state.train_notice = ("error", f"**{FIELDS.get(error.field, (error.field,))[0]}** — {error}", None)
    else:
        submit(cfg)


def show_notice() -> None:
    """What the last submission did, with a link to watch the run."""
    outcome, message, run_id = st.session_state.get("train_notice") or (None, "", None)
    if outcome:
        NOTICES[outcome](message)
    if outcome in ("started", "resumed", "attached", "finished"):
        st.page_link("pages/live.py", label=f"Watch run {run_id} on Live training", icon="📈",
                     query_params={"run": run_id})


def show_run(run_dir: Path, status: dict, active: bool) -> None:
    """One run: a progress bar and Cancel while it trains, Resume once stopped, the error if it failed."""
    state, epoch, cfg = status.get("state"), status.get("epoch", 0), runs.read_config(run_dir)
    with st.container(border=True):
        text, action = st.columns([5, 1], vertical_alignment="center")
        text.markdown(f"**{common.run_label(run_dir)}**")
        if active:
            epochs, steps_total = status.get("epochs") or 1, status.get("steps_total")
            done = status.get("step", 0) / steps_total if steps_total else epoch / epochs
            label = ("starting: loading TensorFlow and the training images…" if state == "queued" else
                     f"epoch {epoch}/{epochs} · {status.get('images_per_s') or 0:,.0f} images/s · "
                     f"ETA {cli.duration(status.get('eta_s'))} · {status.get('peak_memory_mb') or 0:,.0f} MB")
            text.progress(min(done, 1.0), text=label)
            stopping = runs.cancel_requested(run_dir, status.get("launched_at") or 0)
            action.button("Stopping…" if stopping else "Cancel", key=f"cancel_{run_dir.name}", disabled=stopping,
                          on_click=launcher.cancel, args=(run_dir,),
                          help="Stops at the next logged step; complete epochs are kept.")
        elif state != "finished" and cfg is not None:
            action.button("Resume" if epoch else "Start", key=f"start_{run_dir.name}", on_click=submit, args=(cfg,),
                          help=f"Continue after epoch {epoch}." if epoch else "Train this configuration.")
        if state == "failed":
            text.error(status.get("error") or "Training failed without an error message.")
        if status.get("data_description"):
            text.caption(f"Data: {status['data_description']}")
        action.page_link("pages/live.py", label="Live", icon="📈", query_params={"run": run_dir.name})


def show_runs(refreshing: bool) -> None:
    """The most recent runs; reruns the whole page when auto-refresh must start or stop."""
    root = common.runs_root()
    run_dirs, active = runs.list_runs(root), set(launcher.active_runs(root))
    if bool(active) != refreshing:
        st.rerun()  # a fragment's run_every is fixed when it is created: recreate it
    if not run_dirs:
        st.caption("No runs yet: start one with the form above.")
    for run_dir in run_dirs[:RECENT]:
        show_run(run_dir, runs.read_status(run_dir), run_dir in active)
    if len(run_dirs) > RECENT:
        st.caption(f"…and {len(run_dirs) - RECENT} older runs: pick them on the Live training page.")


st.title("Train a GAN")
st.markdown("Start from a preset, change what you like, and press **Start training**. Training runs in its "
            "own process: it carries on if you switch pages or close the tab. A run's name is a hash of its "
            "settings, so the same settings always lead back to the same run instead of training twice.")
st.info(DATA_NOTE + (" This server is set to use the bundled digits only."
                     if os.environ.get(data.FORCE_BUNDLED_ENV) == "1" else ""), icon="🗂️")

st.session_state.setdefault("train_preset", "quick")
if any(f"train_{field}" not in st.session_state for field in config.FIELD_TYPES):
    fill_form()
st.columns(3)[0].selectbox("Preset", list(PRESETS), format_func=PRESETS.get, key="train_preset", on_change=fill_form,
                          persist_state="session", help="Fills in the form below; you can change any field afterwards.")

with st.form("train_form", enter_to_submit=False):
    for column, group in zip(st.columns(3), ("Data", "Model", "Optimisation"), strict=True):
        with column:
            st.subheader(group)
            for field in GROUPS[group]:
                field_widget(field)
    with st.expander("Advanced"):
        for column, field in zip(st.columns(3), GROUPS["Advanced"], strict=True):
            with column:
                field_widget(field)
    st.form_submit_button("Start training", type="primary", icon="🚀", key="train_submit", on_click=submit_form)
show_notice()

st.header("Runs")
active = bool(launcher.active_runs(common.runs_root()))
st.fragment(run_every=REFRESH_SECONDS if active else None)(show_runs)(active)
