"""What a run's generator draws, as the Sample page words and lays it out: MNIST digits, which the
digit classifier reads, or a run's own images (uploads, grey or colour) and their class names,
which nothing here reads. No TensorFlow imported here."""

import math
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from gan import images, quality, runs, sampling
from ui import common
from ui.i18n import t

ALL = "all"


@dataclass(frozen=True)
class Drawn:
    """digits: the generator draws MNIST digits (the classifier applies); names: its classes in label
    order (() if unconditional); shape: (height, width, channels) of its images."""

    digits: bool
    names: tuple[str, ...]
    shape: tuple[int, int, int]

    def words(self, key: str, **params) -> str:
        """The Sample page's text `key`, worded for digits or, for other images, from [sample.images]."""
        return t(f"sample.{key}", **params) if self.digits else t(f"sample.images.{key}", **params)


def drawn(run_dir: Path, generator) -> Drawn:
    """What the generator of run_dir (a run, or sampling.PRETRAINED) draws, from its status.json's
    record of the data it trained on and the generator's own shape and label input."""
    status = runs.read_status(run_dir)
    shape = sampling.image_shape(generator)
    return Drawn(quality.reads(status.data_source, shape), sampling.class_names(generator, status.class_names), shape)


def describe(what: Drawn) -> None:
    """For other images than digits: what they are, and that nothing classifies them."""
    if what.digits:
        return
    if what.names:
        st.caption(t("sample.images.kind_classes", shape=common.shape_label(what.shape), names=", ".join(what.names)))
    else:
        st.caption(t("sample.images.kind", shape=common.shape_label(what.shape)))


def pick(what: Drawn) -> int | None:
    """The class a conditional generator is asked for (a radio of its class names), None for all in
    turn or for an unconditional generator."""
    if not what.names:
        return None
    choices = {ALL: what.words("all_digits"), **dict(enumerate(what.names))}
    choice = st.radio(what.words("digit"), list(choices), format_func=choices.get, horizontal=True, key="sample_digit",
                      help=what.words("digit_help"))
    return None if choice == ALL else int(choice)


def columns(what: Drawn, n: int, label: int | None) -> int:
    """The grid's columns: a whole number of turns through the classes when they alternate (so each
    column holds one class), else about a square."""
    square = math.ceil(math.sqrt(n))
    if not what.names or label is not None:
        return square
    return images.class_columns(len(what.names), square)


def show_asked(what: Drawn, label: int | None, cols: int) -> None:
    """For a conditional generator of other images: which class each column was asked for."""
    if what.digits or not what.names:
        return
    if label is not None:
        st.markdown(t("sample.images.asked_one", name=what.names[label]))
    else:
        asked = [what.names[column % len(what.names)] for column in range(cols)]
        st.caption(t("sample.images.asked_all", names=", ".join(asked)))


def zeros_note(what: Drawn, label: int | None, key: str) -> str:
    """The walk's ("walk_zeros") or the map's ("map_zeros") note that with all classes chosen they
    draw the first class; "" when a class is chosen or there are none."""
    if not what.names or label is not None:
        return ""
    return what.words(key) if what.digits else what.words(key, name=what.names[0])
