"""Class gallery: every finished run's last grid, its owner's name, its settings in short and its
quality, ranked only among runs that compare fairly: a workshop's "best digits in 2 minutes"."""

from datetime import datetime
from pathlib import Path

import pandas as pd
import streamlit as st

from gan import gallery, uploads
from ui import common, i18n
from ui.i18n import t

common.use_the_router()

CARDS = 12  # grids shown as cards, best first; the table lists every run of the group
PER_ROW = 3  # a grid about 400 pixels wide: digits big enough to judge
MEDALS = ("🥇", "🥈", "🥉")
SHARES = ("confident", "near_copies")  # shares 0..1, shown as percentages
NUMBERS = {"fdd": "%.2f", "score": "%.2f", "rfd": "%.0f"}  # the other measures' table format
REFRESH_SECONDS = 15  # while runs train: a finished one joins without a reload


@st.cache_data(max_entries=8, show_spinner=False)
def collect(root: str, stamp: tuple) -> gallery.Gallery:
    """gan.gallery.collect(root), read again only when a run folder changed (stamp), not on every
    rerun of every visitor."""
    return gallery.collect(Path(root))


def group_label(group: gallery.Group) -> str:
    """The group's data and budget or epochs; not its size, which changes as runs finish and would
    make the selectbox lose the choice. (An option is plain text: a source unknown here is shown as
    its run recorded it.)"""
    key = f"gallery.source.{group.source}"
    if group.source.startswith("sha256:"):
        name = uploads.source_name(common.runs_root(), group.source)
        data = t("gallery.upload", name=name or "?", sha=group.source.removeprefix("sha256:")[:8])
    else:
        data = t(key) if key in i18n.catalogue(i18n.DEFAULT) else group.source
    if group.budget_minutes:
        return t("gallery.group_budget", data=data, images=group.n_images, minutes=group.budget_minutes)
    return t("gallery.group_epochs", data=data, images=group.n_images, epochs=group.epochs)


def who(entry: gallery.Entry) -> str:
    """Whose run, as plain text: a name is visitor input shown to everyone."""
    if entry.imported:
        return t("gallery.imported")
    return i18n.plain(entry.display_name) if entry.display_name else t("gallery.anonymous")


def settings(entry: gallery.Entry) -> str:
    parts = [t("gallery.settings", model=entry.architecture, loss=entry.loss, epochs=entry.epochs,
               images=entry.group.n_images)]
    if entry.conditional:
        parts.append(t("gallery.conditional"))
    if entry.group.budget_minutes:
        parts.append(t("gallery.budget", minutes=entry.group.budget_minutes))
    return " · ".join(parts)


def quality_line(entry: gallery.Entry) -> str:
    if not entry.measured:
        return t("gallery.not_measured")
    shown = {name: getattr(entry, name) for name in gallery.MEASURES}
    return " · ".join(t(f"gallery.metric.{name}", value=value) for name, value in shown.items() if value is not None)


def table(ranked: list[tuple[int | None, gallery.Entry]]) -> None:
    """Every run of the group in one sortable table (names as typed: table cells are never markup)."""
    measures = [name for name in gallery.MEASURES if any(getattr(e, name) is not None for _, e in ranked)]
    columns = ("rank", "name", "model", "loss", "conditional", "epochs", *measures, "finished")
    rows = [(rank, t("gallery.imported") if e.imported else e.display_name or t("gallery.anonymous"),
             e.architecture, e.loss, e.conditional, e.epochs,
             *(100 * getattr(e, name) if name in SHARES and getattr(e, name) is not None else getattr(e, name)
               for name in measures), datetime.fromtimestamp(e.finished))
            for rank, e in ranked]
    label = {name: t(f"gallery.column.{name}") for name in columns}
    shown = {name: st.column_config.Column(label[name]) for name in ("name", "model", "loss", "epochs")}
    for name in measures:
        shown[name] = (st.column_config.ProgressColumn(label[name], format="%.0f%%", min_value=0, max_value=100)
                       if name in SHARES else st.column_config.NumberColumn(label[name], format=NUMBERS[name]))
    st.dataframe(pd.DataFrame(rows, columns=columns), hide_index=True, width="stretch", column_config={
        **shown, "rank": st.column_config.NumberColumn(label["rank"], width="small"),
        "conditional": st.column_config.CheckboxColumn(label["conditional"]),
        "finished": st.column_config.DatetimeColumn(label["finished"], format="HH:mm"),
    })


def card(rank: int | None, entry: gallery.Entry, medals: bool) -> None:
    place = f"#{rank}" if rank else "—"  # the number too: a browser without an emoji font still shows the rank
    if medals and rank and rank <= len(MEDALS):
        place = f"{MEDALS[rank - 1]} {place}"
    with st.container(border=True):
        st.markdown(f"**{place} · {who(entry)}**")
        if entry.grid is not None:
            st.image(str(entry.grid), width="stretch")
        else:
            st.caption(t("gallery.no_grid"))
        st.caption(settings(entry))
        st.markdown(quality_line(entry))
        st.page_link("pages/live.py", label=t("gallery.live"), icon=":material/monitoring:",
                     query_params={"run": entry.run_id})


def show(training: bool) -> None:
    """The chosen group of comparable runs, ranked: a table of all, the best as cards."""
    root = common.runs_root()
    found = collect(str(root), gallery.stamp(root))
    if bool(found.training) != training:
        st.rerun()  # a fragment's run_every is fixed when it is created: recreate it
    if found.training:
        st.caption(t("gallery.training", count=found.training))
    if not found.entries:
        st.info(t("gallery.empty"), icon=":material/photo_library:")
        st.page_link("pages/train.py", label=t("gallery.to_train"), icon="🚀")
        return
    by_group = gallery.groups(found.entries)
    labels = {group: group_label(group) for group in by_group}
    group_column, sort_column = st.columns([3, 2])
    chosen = group_column.selectbox(t("gallery.group"), list(by_group), format_func=labels.get, key="gallery_group",
                                    help=t("gallery.group_help"))
    members = by_group.get(chosen) or next(iter(by_group.values()))
    sorts = {name: t(f"gallery.order.{name}") for name in gallery.sorts_for(members)}
    sort = sort_column.selectbox(t("gallery.sort"), list(sorts), format_func=sorts.get, key="gallery_sort",
                                 help=t("gallery.sort_help"))
    ranked = gallery.rank(members, sort if sort in sorts else next(iter(sorts)))
    st.caption(t("gallery.count", count=len(ranked)))
    table(ranked)
    if len(ranked) > CARDS:
        st.caption(t("gallery.cards_note", cards=CARDS))
    shown = ranked[:CARDS]
    for start in range(0, len(shown), PER_ROW):
        for column, (rank, entry) in zip(st.columns(PER_ROW), shown[start:start + PER_ROW], strict=False):
            with column:
                card(rank, entry, medals=sort != "newest")


st.title(t("gallery.title"))
st.markdown(t("gallery.intro"))
st.info(t("gallery.fair"), icon=":material/balance:")
busy = bool(collect(str(common.runs_root()), gallery.stamp(common.runs_root())).training)
st.fragment(run_every=REFRESH_SECONDS if busy else None)(show)(busy)
