"""Train: pick a preset, adjust any hyperparameter, and start a cached training run in its own
process; below, every recent run with its progress, Cancel and Resume."""

import functools
from pathlib import Path

import streamlit as st

from gan import archive, config, data, gallery, launcher, limits, owners, quota, runs, waitlist
from ui import budget_view, common, i18n
from ui.i18n import t

common.use_the_router()

GROUPS = {
    "data": ("dataset", "n_images", "seed"),
    "model": ("architecture", "conditional", "latent_dim", "loss"),
    "optimisation": ("batch_size", "epochs", "g_lr", "d_lr", "beta1"),
    "advanced": ("d_steps", "label_smoothing", "ema_decay", "g_top_k", "simultaneous"),
}
NUMBER_STEPS = {"g_lr": (1e-5, "%.1e"), "d_lr": (1e-5, "%.1e"), "beta1": (0.05, "%.2f"),
                "label_smoothing": (0.05, "%.2f"), "ema_decay": (0.001, "%.4f"),
                "g_top_k": (0.05, "%.2f")}  # field: (step, format)
NOTICES = {"started": st.success, "resumed": st.success, "attached": st.info, "finished": st.info,
           "queued": st.info, "refused": st.warning, "unresumable": st.error, "over_cap": st.error, "full": st.warning,
           "error": st.error, "info": st.info}
TOAST_ICONS = {"started": "🚀", "resumed": "🚀", "attached": "📈", "finished": "✅", "queued": "🕒", "refused": "✋",
               "unresumable": "⚠️", "over_cap": "✋", "full": "✋", "error": "⚠️"}
RECENT = 10
REFRESH_SECONDS = 2


def fill_form() -> None:
    """Put the chosen preset's values, and the defaults for fields it leaves out, into the form
    (within a shared demo's caps)."""
    for field, value in limits.starting_values(st.session_state.train_preset, common.server_limits()).items():
        st.session_state[f"train_{field}"] = value


def field_widget(field: str) -> None:
    """The widget of one RunConfig field, bounded by config.RANGES or config.CHOICES."""
    label, help_text = t(f"train.field.{field}.label"), t(f"train.field.{field}.help")
    key, kind = f"train_{field}", config.FIELD_TYPES[field]
    if field in config.CHOICES:
        st.selectbox(label, config.CHOICES[field], key=key, help=help_text, persist_state="session")
    elif kind is bool:
        st.toggle(label, key=key, help=help_text, persist_state="session")
    else:
        # No min/max: Streamlit would keep the previous value of an out-of-range entry and send it.
        # Any number is accepted here; Start names the field and its range if it is outside.
        low, high = config.bounds(field)
        step, number_format = NUMBER_STEPS.get(field, (1, None))
        st.number_input(label, step=kind(step), format=number_format, key=key,
                        help=t("train.range", help=help_text, low=low, high=high),
                        persist_state="session", disabled=field == "epochs" and budget_view.minutes() is not None)


def submit(cfg: config.RunConfig, run_dir: Path | None = None, budget_minutes: float | None = None) -> None:
    """Hand cfg (or the run in run_dir, to resume it) to the launcher, which trains in another
    process and holds every start to the server's caps, and remember what happened; the notice is
    worded when shown, so it follows a change of language. budget_minutes: the form's budget that
    set cfg's epochs (a Resume button has none)."""
    root = common.runs_root()
    try:
        sub = launcher.submit(root, cfg, common.server_limits(), owners.digest(common.visitor_token()), run_dir,
                              display_name=st.session_state.get("train_display_name"), budget_minutes=budget_minutes)
    except OSError as error:
        notify("error", functools.partial(outcome_text, "unwritable", error=error))
        return
    start = waitlist.start_estimates(root, common.max_concurrent()).get(sub.run_dir.name)
    params = {"id": sub.run_dir.name, "epoch": sub.epoch, "busy": sub.busy, "limit": common.max_concurrent(),
              "error": sub.error, "position": sub.position or 0, "start": start,
              "other": sub.other.name if sub.other else ""}
    notify(sub.outcome, functools.partial(outcome_text, sub.outcome, **params), sub.run_dir.name)


def outcome_text(outcome: str, error: BaseException | None = None, start: float | None = None, **params) -> str:
    """A submission's outcome in the session's language; an error and a start estimate among the
    params are worded too."""
    return t(f"train.outcome.{outcome}", **params, error=i18n.error_text(error) if error else "",
             start=common.start_text(start))


def submit_form() -> None:
    """Validate the form as a RunConfig: a bad value is reported by its field, not raised."""
    values = {field: st.session_state[f"train_{field}"] for field in config.FIELD_TYPES}
    try:
        cfg = config.RunConfig.from_dict(values)
        epochs = budget_view.epochs_for(cfg)
        if epochs is None:
            notify("info", functools.partial(t, "train.budget.not_yet"))
            return
        cfg = cfg.replace(epochs=epochs)
    except config.ConfigError as error:
        notify("error", functools.partial(i18n.error_text, error))
    else:
        submit(cfg, budget_minutes=budget_view.minutes())


def notify(outcome: str, message, run_id: str | None = None) -> None:
    """Remember what a click did (message: a callable, worded when shown, so it follows a change
    of language) and that it is new, for one toast."""
    st.session_state.train_notice = (outcome, message, run_id)
    st.session_state.train_notice_new = True


def show_notice() -> None:
    """What the last submission did, at the top of the runs list with a link to watch the run, and
    once as a toast: the button is low on the page, the answer must show where the eye is."""
    outcome, message, run_id = st.session_state.get("train_notice") or (None, None, None)
    if outcome:
        NOTICES[outcome](message())
        if st.session_state.pop("train_notice_new", False):
            st.toast(message(), icon=TOAST_ICONS.get(outcome, "ℹ️"))
    if outcome in ("started", "resumed", "attached", "finished", "queued"):
        st.page_link("pages/live.py", label=t("train.watch", id=run_id), icon="📈", query_params={"run": run_id})


def show_run(run_dir: Path, status: runs.Status, estimates: dict[str, float | None]) -> None:
    """One run: a progress bar and Cancel while it trains, Resume once stopped, the error if it failed."""
    state, epoch, cfg, active = status.state, status.epoch, runs.read_config(run_dir), status.active
    with st.container(border=True):
        text, action = st.columns([5, 1], vertical_alignment="center")
        text.markdown(f"**{common.run_label(run_dir)}**")
        mine = common.may_act(status)
        if not mine and state != "finished":
            action.caption(t("train.not_yours"))
        if active:
            epochs, steps_total = status.epochs or 1, status.steps_total
            done = status.step / steps_total if steps_total else epoch / epochs
            label = (common.starting_up(status) or t("train.starting") if state == "queued" or status.phase else
                     t("train.progress", epoch=epoch, epochs=epochs, speed=status.images_per_s or 0,
                       eta=i18n.duration(status.eta_s), memory=status.peak_memory_mb or 0))
            text.progress(min(done, 1.0), text=label)
            stopping = runs.cancel_requested(run_dir, status.launched_at or 0)
            if mine:
                action.button(t("train.stopping") if stopping else t("train.cancel"), key=f"cancel_{run_dir.name}",
                              disabled=stopping, on_click=launcher.cancel, args=(run_dir,),
                              help=t("train.cancel_help"))
        elif state == "waiting":
            text.info(common.in_line(run_dir, estimates) or t("state.waiting"), icon=":material/schedule:")
            if mine:
                action.button(t("train.withdraw"), key=f"withdraw_{run_dir.name}", on_click=launcher.withdraw,
                              args=(run_dir,), help=t("train.withdraw_help"))
        elif state != "finished" and cfg is not None and mine:
            action.button(t("train.resume") if epoch else t("train.start"), key=f"start_{run_dir.name}",
                          on_click=submit, args=(cfg, run_dir),
                          help=t("train.resume_help", epoch=epoch) if epoch else t("train.start_help"))
        if state == "failed":
            text.error(i18n.plain(i18n.error_text(status.error)) if status.error else t("train.failed"))
        if status.data_source or status.data_description:
            text.caption(t("data.caption", description=common.data_label(status)))
        action.page_link("pages/live.py", label=t("train.live"), icon="📈", query_params={"run": run_dir.name})


def show_runs(refreshing: bool) -> None:
    """The most recent runs; reruns the whole page when auto-refresh must start or stop."""
    root = common.runs_root()
    launcher.pump(root, common.max_concurrent())  # slots left by trainers that died without passing them on
    statuses = {run_dir: runs.read_status(run_dir) for run_dir in runs.list_runs(root)}  # newest first
    if any(status.alive for status in statuses.values()) != refreshing:
        st.rerun()  # a fragment's run_every is fixed when it is created: recreate it
    if not statuses:
        st.caption(t("train.no_runs"))
    estimates = waitlist.start_estimates(root, common.max_concurrent())  # once for every waiting run shown
    run_dirs = list(statuses)
    for run_dir in run_dirs[:RECENT]:
        show_run(run_dir, statuses[run_dir], estimates)
    if len(run_dirs) > RECENT:
        st.caption(t("train.older", count=len(run_dirs) - RECENT))


st.title(t("train.title"))
st.markdown(t("train.intro"))
st.info(t("train.data_note") + (t("train.bundled_only") if data.bundled_only() else ""),
        icon="🗂️")

st.session_state.setdefault("train_preset", "quick")
if any(f"train_{field}" not in st.session_state for field in config.FIELD_TYPES):
    fill_form()
if "train_display_name" not in st.session_state:  # a returning visitor's name comes back with their runs
    st.session_state.train_display_name = gallery.display_name_of(
        common.runs_root(), owners.digest(common.visitor_token())) or ""
presets = {name: t(f"train.presets.{name}") for name in config.PRESETS}
preset_column, budget_column, estimate_column = st.columns(3)
preset_column.selectbox(t("train.preset"), list(presets), format_func=presets.get, key="train_preset",
                        on_change=fill_form, persist_state="session", help=t("train.preset_help"))
with budget_column:
    budget_view.picker()
with estimate_column:
    budget_view.estimate()

with st.form("train_form", enter_to_submit=False):
    for column, group in zip(st.columns(3), ("data", "model", "optimisation"), strict=True):
        with column:
            st.subheader(t(f"train.groups.{group}"))
            for field in GROUPS[group]:
                field_widget(field)
    with st.expander(t("train.groups.advanced")):
        columns = st.columns(3)
        for i, field in enumerate(GROUPS["advanced"]):
            with columns[i % 3]:
                field_widget(field)
    name_column, button_column = st.columns([2, 1], vertical_alignment="bottom")
    name_column.text_input(t("train.display_name"), key="train_display_name", max_chars=owners.NAME_CHARS,
                           placeholder=t("train.display_name_placeholder"), persist_state="session",
                           help=t("train.display_name_help", chars=owners.NAME_CHARS))
    button_column.form_submit_button(t("train.submit"), type="primary", icon="🚀", key="train_submit",
                                     on_click=submit_form, width="stretch")

st.header(t("train.runs"))
show_notice()
active = any(runs.read_status(p).alive for p in runs.list_runs(common.runs_root()))
st.fragment(run_every=REFRESH_SECONDS if active else None)(show_runs)(active)


@st.fragment
def show_sharing() -> None:
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
            root, server, owner = common.runs_root(), common.server_limits(), owners.digest(common.visitor_token())
            try:  # on a shared server an import is counted, and takes the place of the importer's oldest run
                quota.note_import(root, server, owner)
                quota.make_room(root, server, owner)
                done = archive.import_run(upload, root, owner=owner)
            except (archive.ArchiveError, quota.QuotaError) as error:
                st.error(t("train.share.refused", error=i18n.error_text(error)))
            else:
                st.success(t("train.share.existed" if done.existed else "train.share.imported", id=done.path.name))


st.header(t("train.share.title"))
st.caption(t("train.share.intro"))
show_sharing()
