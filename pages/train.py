"""Train: pick a preset, adjust any hyperparameter, and start a cached training run in its own
process; below, every recent run with its progress, Cancel and Resume."""

import functools

import streamlit as st

from gan import config, data, gallery, limits, owners
from ui import budget_view, common, i18n, run_list, share_view, upload_view
from ui.i18n import t

common.use_the_router()

GROUPS = {
    "data": ("n_images", "augment", "seed"),  # the dataset is chosen above the form: an upload needs its own widgets
    "model": ("architecture", "conditional", "latent_dim", "loss"),
    "optimisation": ("batch_size", "epochs", "g_lr", "d_lr", "beta1"),
    "advanced": ("d_steps", "label_smoothing", "ema_decay", "g_top_k", "simultaneous"),
}
NUMBER_STEPS = {"g_lr": (1e-5, "%.1e"), "d_lr": (1e-5, "%.1e"), "beta1": (0.05, "%.2f"),
                "label_smoothing": (0.05, "%.2f"), "ema_decay": (0.001, "%.4f"),
                "g_top_k": (0.05, "%.2f")}  # field: (step, format)


def fill_form() -> None:
    """Put the chosen preset's values, and the defaults for fields it leaves out, into the form
    (within a shared demo's caps)."""
    for field, value in limits.starting_values(st.session_state.train_preset, common.server_limits()).items():
        st.session_state[f"train_{field}"] = value


def augment_words(value: str) -> str:
    """An augmentation policy in words: "off", or its operations joined in the order applied."""
    return " + ".join(t(f"train.augment.{part}") for part in value.split(","))


WORDED = {"augment": augment_words}  # choice fields whose values are shown in the visitor's language


def field_widget(field: str) -> None:
    """The widget of one RunConfig field, bounded by config.RANGES or config.CHOICES."""
    label, help_text = t(f"train.field.{field}.label"), t(f"train.field.{field}.help")
    key, kind = f"train_{field}", config.FIELD_TYPES[field]
    if field in WORDED:
        worded = {value: WORDED[field](value) for value in config.CHOICES[field]}  # worded now, in this run's language
        st.selectbox(label, config.CHOICES[field], key=key, help=help_text, persist_state="session",
                     format_func=worded.get)
    elif field in config.CHOICES:  # architectures and losses: names that the Concepts page and papers use
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


def submit_form() -> None:
    """Validate the form as a RunConfig: a bad value is reported by its field, not raised."""
    values = {field: st.session_state[f"train_{field}"] for field in config.FIELD_TYPES}
    try:
        cfg = upload_view.config_for(values)
        if cfg is None:
            run_list.notify("error", functools.partial(t, "uploads.none_yet"))
            return
        epochs = budget_view.epochs_for(cfg)
        if epochs is None:
            run_list.notify("info", functools.partial(t, "train.budget.not_yet"))
            return
        cfg = cfg.replace(epochs=epochs)
    except config.ConfigError as error:
        run_list.notify("error", functools.partial(i18n.error_text, error))
    else:
        run_list.submit(cfg, budget_minutes=budget_view.minutes())


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

upload_view.show()
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
run_list.show()


st.header(t("train.share.title"))
st.caption(t("train.share.intro"))
share_view.show()
