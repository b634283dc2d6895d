"""The Train page's runs list: every recent run with its progress and its owner's Cancel, Resume
and Withdraw, and the answer to the last click on Start or Resume, where the eye is."""

import functools
from pathlib import Path

import streamlit as st

from gan import config, launcher, owners, runs, waitlist
from ui import common, i18n
from ui.i18n import t

NOTICES = {"started": st.success, "resumed": st.success, "attached": st.info, "finished": st.info,
           "queued": st.info, "refused": st.warning, "unresumable": st.error, "over_cap": st.error, "full": st.warning,
           "error": st.error, "info": st.info}
TOAST_ICONS = {"started": "🚀", "resumed": "🚀", "attached": "📈", "finished": "✅", "queued": "🕒", "refused": "✋",
               "unresumable": "⚠️", "over_cap": "✋", "full": "✋", "error": "⚠️"}
RECENT = 10
REFRESH_SECONDS = 2


def submit(cfg: config.RunConfig, run_dir: Path | None = None, budget_minutes: float | None = None,
           place: str = "train") -> None:
    """Hand cfg (or the run in run_dir, to resume it) to the launcher, which trains in another
    process and holds every start to the server's caps, and remember what happened; the notice is
    worded when shown, so it follows a change of language. budget_minutes: the form's budget that
    set cfg's epochs (a Resume button has none); place: where the click was (see notify)."""
    root, server = common.runs_root(), common.server_limits()
    try:
        sub = launcher.submit(root, cfg, server, owners.digest(common.visitor_token()), run_dir,
                              display_name=st.session_state.get("train_display_name"), budget_minutes=budget_minutes)
    except OSError as error:
        notify("error", functools.partial(outcome_text, "unwritable", error=error), place=place)
        return
    start = waitlist.start_estimates(root, server.max_concurrent).get(sub.run_dir.name)
    params = {"id": sub.run_dir.name, "epoch": sub.epoch, "busy": sub.busy, "limit": server.max_concurrent,
              "error": sub.error, "position": sub.position or 0, "start": start,
              "other": sub.other.name if sub.other else ""}
    notify(sub.outcome, functools.partial(outcome_text, sub.outcome, **params), sub.run_dir.name, place)


def outcome_text(outcome: str, error: BaseException | None = None, start: float | None = None, **params) -> str:
    """A submission's outcome in the session's language; an error and a start estimate among the
    params are worded too."""
    return t(f"train.outcome.{outcome}", **params, error=i18n.error_text(error) if error else "",
             start=common.start_text(start))


def notify(outcome: str, message, run_id: str | None = None, place: str = "train") -> None:
    """Remember what a click did (message: a callable, worded when shown, so it follows a change
    of language) and that it is new, for one toast. place: the part of the app it answers ("train":
    the Train page; "classdata": the class's dataset on Sample), which alone shows it."""
    st.session_state.train_notice = (outcome, message, run_id, place)
    st.session_state.train_notice_new = True


def show_notice(place: str = "train") -> None:
    """What the last submission made here (place, see notify) did, at the top of the runs list with
    a link to watch the run, and once as a toast: the button is low on the page, the answer must
    show where the eye is."""
    outcome, message, run_id, made_at = st.session_state.get("train_notice") or (None, None, None, None)
    if made_at != place:
        return
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
            text.caption(t("data.caption", description=common.data_label(status, run_dir)))
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


def show() -> None:
    """The answer to the last click, then the runs, refreshed every few seconds while any trains.
    Trainers start warm from here on, their helper loading while the visitor fills in the form."""
    launcher.warm_up()
    show_notice()
    active = any(runs.read_status(p).alive for p in runs.list_runs(common.runs_root()))
    st.fragment(run_every=REFRESH_SECONDS if active else None)(show_runs)(active)
