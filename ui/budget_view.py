"""The Train form's time budget: 1, 2, 5 or 10 minutes or a custom value; what it buys on this
machine (epochs and minutes, from gan.speed's measurements) and the quality the same settings
reached on the reference machines. No TensorFlow here: a missing measurement is taken by a probe
in its own process."""

import streamlit as st

from gan import config, launcher, runs, speed
from ui import common, i18n
from ui.i18n import t

NONE = "none"  # no budget: the form's epochs. Not None, which a selectbox shows as no choice at all
CHOICES = (NONE, *speed.BUDGETS_MINUTES, "custom")
POLL_SECONDS = 2


def minutes() -> float | None:
    """The chosen budget in minutes, or None for "the epochs in the form"."""
    choice = st.session_state.get("train_budget", NONE)
    if choice == "custom":
        return float(st.session_state.get("train_budget_custom") or 15.0)
    return None if choice in (NONE, None) else choice


def choice_label(choice) -> str:
    if choice == NONE:
        return t("train.budget.none")
    return t("train.budget.custom") if choice == "custom" else t("train.budget.minutes", minutes=choice)


def picker() -> None:
    labels = {choice: choice_label(choice) for choice in CHOICES}  # worded now, in this session's language
    st.selectbox(t("train.budget.label"), CHOICES, format_func=labels.get, key="train_budget",
                 persist_state="session", help=t("train.budget.help"))
    if st.session_state.get("train_budget") == "custom":
        st.number_input(t("train.budget.custom_minutes"), 0.5, float(speed.MAX_MINUTES), 15.0, step=0.5,
                        key="train_budget_custom", persist_state="session")


def form_config() -> config.RunConfig | None:
    """The form's current settings as a config, or None while one of them is invalid."""
    try:
        return config.RunConfig.from_dict({f: st.session_state[f"train_{f}"] for f in config.FIELD_TYPES})
    except (config.ConfigError, KeyError):
        return None


def measured_speed(cfg: config.RunConfig) -> speed.Speed | None:
    """This machine's speed for cfg's shape; starts a probe (once per shape and visit) when unknown."""
    root = common.runs_root()
    found = speed.lookup(root, cfg)
    probed = st.session_state.setdefault("train_probed", set())
    if found is None and speed.key(cfg, root) not in probed and not runs.probe_running(root):
        probed.add(speed.key(cfg, root))
        launcher.start_probe(root, cfg)
    return found


def show_estimate(measuring: bool) -> None:
    cfg = form_config()
    if cfg is None:
        return
    found = measured_speed(cfg)
    if (found is None) != measuring:
        st.rerun()  # a fragment's run_every is fixed when it is created: recreate it
    if found is None:
        st.caption(t("train.budget.measuring"))
        return
    plan = speed.estimate(found, cfg, minutes())
    st.markdown(t("train.budget.estimate", epochs=plan.epochs, duration=i18n.duration(plan.seconds),
                  machine=speed.machine()))
    if minutes() is None and plan.seconds > 3600:
        st.warning(t("train.budget.long", duration=i18n.duration(plan.seconds)), icon="⏳")
    for row in speed.expected(cfg.replace(epochs=plan.epochs)):
        st.caption(t("train.budget.expected", epochs=row["epochs"], seconds=round(row["seconds"]), fdd=row["fdd"],
                     floor=row["floor"], confident=row["confident"], machine=row["machine"]))


def estimate() -> None:
    """The estimate under the budget; polls while this machine's speed is being measured."""
    cfg = form_config()
    measuring = cfg is not None and speed.lookup(common.runs_root(), cfg) is None
    st.fragment(run_every=POLL_SECONDS if measuring else None)(show_estimate)(measuring)


def epochs_for(cfg: config.RunConfig) -> int | None:
    """The epochs the chosen budget buys for cfg here; cfg.epochs without a budget; None while unmeasured."""
    if minutes() is None:
        return cfg.epochs
    found = speed.lookup(common.runs_root(), cfg)
    return None if found is None else speed.estimate(found, cfg, minutes()).epochs
