"""gan.gallery: finished runs read from their files (status, config, the last quality row, the last
grid's path), grouped so that only comparable runs are ranked together, and ranked."""

import time

from gan import gallery, owners, runs, uploads
from tests.conftest import coloured_shapes, fake_finished_run, tiny_config


def test_a_finished_run_is_read_from_its_status_config_last_quality_row_and_last_grid(runs_root):
    run_dir = fake_finished_run(runs_root, 1, quality=[(9.0, 3.0, 0.2), (2.5, 8.5, 0.9)], grids=3,
                                display_name="Ada", budget_minutes=2.0, config={"conditional": True})
    (entry,) = gallery.collect(runs_root).entries
    assert (entry.run_id, entry.display_name, entry.imported) == (run_dir.name, "Ada", False)
    assert entry.grid == runs.sample_path(run_dir, 3)
    assert (entry.fdd, entry.score, entry.confident) == (2.5, 8.5, 0.9) and entry.measured
    assert (entry.architecture, entry.loss, entry.conditional, entry.epochs) == ("dcgan_lean", "hinge", True, 1)
    assert entry.group == gallery.Group("bundled", 64, 2.0, None)  # a budget run compares by its budget


def test_only_finished_runs_are_shown_and_the_others_are_counted_while_they_may_still_finish(runs_root):
    fake_finished_run(runs_root, 1)
    waiting = runs.create(runs_root, tiny_config(seed=2))
    runs.write_status(waiting, state="waiting", waiting_since=time.time())
    failed = runs.create(runs_root, tiny_config(seed=3))
    runs.write_status(failed, state="failed")
    found = gallery.collect(runs_root)
    assert [e.run_id for e in found.entries] == [tiny_config(seed=1).run_id] and found.training == 1


def test_missing_quality_a_missing_grid_and_an_import_are_said_as_such(runs_root):
    bare = fake_finished_run(runs_root, 1, grids=0, imported=time.time(), display_name="Someone")
    (entry,) = gallery.collect(runs_root).entries
    assert entry.run_id == bare.name and entry.grid is None and entry.imported
    assert (entry.fdd, entry.score, entry.confident, entry.measured) == (None, None, None, False)


def test_a_name_from_a_hand_edited_status_is_bounded_when_read(runs_root):
    fake_finished_run(runs_root, 1, display_name="  Ada\n\u202eevil  " + "x" * 100)
    (entry,) = gallery.collect(runs_root).entries
    assert entry.display_name == "Ada evil " + "x" * 31 and len(entry.display_name) == owners.NAME_CHARS


def test_runs_group_by_data_images_and_budget_or_epochs_and_the_largest_group_comes_first(runs_root):
    for seed in range(4):  # 2-minute budgets: compared whatever epochs the budget bought them
        fake_finished_run(runs_root, seed, budget_minutes=2.0, config={"epochs": 1 + seed % 2})
    for seed in range(4, 7):
        fake_finished_run(runs_root, seed, config={"epochs": 3})
    fake_finished_run(runs_root, 7, config={"epochs": 3}, n_train=60000, data_source="keras_mnist")
    fake_finished_run(runs_root, 8, config={"epochs": 3}, budget_minutes=5.0)
    by_group = gallery.groups(gallery.collect(runs_root).entries)
    assert [(group, len(members)) for group, members in by_group.items()] == [
        (gallery.Group("bundled", 64, 2.0, None), 4), (gallery.Group("bundled", 64, None, 3), 3),
        (gallery.Group("bundled", 64, 5.0, None), 1), (gallery.Group("keras_mnist", 60000, None, 3), 1)]


def test_ranking_orders_by_each_measure_and_puts_unmeasured_runs_last_unranked(runs_root):
    scores = {"a": (4.0, 7.0, 0.70), "b": (1.5, 9.0, 0.95), "c": (8.0, 8.0, 0.99), "d": None}
    ids = {}
    for seed, (name, quality) in enumerate(scores.items()):
        ids[fake_finished_run(runs_root, seed, quality=[quality] if quality else []).name] = name
    entries = list(gallery.collect(runs_root).entries)

    def order(sort):
        return [(rank, ids[e.run_id]) for rank, e in gallery.rank(entries, sort)]

    assert order("fdd") == [(1, "b"), (2, "a"), (3, "c"), (None, "d")]
    assert order("score") == [(1, "b"), (2, "c"), (3, "a"), (None, "d")]
    assert order("confident") == [(1, "c"), (2, "b"), (3, "a"), (None, "d")]
    assert order("newest") == [(1, "d"), (2, "c"), (3, "b"), (4, "a")]


def test_thirty_runs_are_collected_sorted_and_grouped(runs_root):
    for seed in range(30):
        quality = [] if seed % 10 == 0 else [(float(seed), 10 - seed / 10, seed / 30)]
        fake_finished_run(runs_root, seed, quality=quality, budget_minutes=2.0 if seed % 3 else None)
    found = gallery.collect(runs_root)
    assert len(found.entries) == 30 and found.training == 0
    assert [e.finished for e in found.entries] == sorted((e.finished for e in found.entries), reverse=True)
    budget, epochs = gallery.groups(found.entries).values()
    assert (len(budget), len(epochs)) == (20, 10)
    ranked = gallery.rank(budget, "fdd")
    assert [e.fdd for _, e in ranked[:3]] == [1.0, 2.0, 4.0]
    assert [rank for rank, _ in ranked[-2:]] == [None, None]  # seeds 10 and 20: not measured


def test_the_stamp_changes_when_a_run_writes_or_arrives(runs_root):
    run_dir = fake_finished_run(runs_root, 1)
    before = gallery.stamp(runs_root)
    assert gallery.stamp(runs_root) == before
    time.sleep(0.01)
    runs.write_status(run_dir, display_name="Grace")
    rewritten = gallery.stamp(runs_root)
    assert rewritten != before
    fake_finished_run(runs_root, 2)
    assert gallery.stamp(runs_root) != rewritten
    assert gallery.stamp(runs_root / "nowhere") == ()


def test_a_returning_visitor_gets_the_name_of_their_newest_named_run(runs_root):
    mine, theirs = owners.digest("alice-token-1"), owners.digest("bob-token-22")
    fake_finished_run(runs_root, 1, owner=mine, display_name="Ada")
    time.sleep(0.01)  # runs are listed by when their config was written
    fake_finished_run(runs_root, 2, owner=mine, display_name="Ada L.")
    fake_finished_run(runs_root, 3, owner=mine)
    fake_finished_run(runs_root, 4, owner=theirs, display_name="Bob")
    assert gallery.display_name_of(runs_root, mine) == "Ada L."
    assert gallery.display_name_of(runs_root, owners.digest("nobody-token")) is None


def upload_run(root, seed: int, stored, rfd: float, near_copies: float):
    """A finished run on a stored upload with one quality row of the measures such runs get."""
    run_dir = fake_finished_run(root, seed, config={"dataset": uploads.PREFIX + stored.sha256},
                                data_source="upload", n_train=64)
    runs.append_quality(run_dir, {"epoch": 1, "seconds": 1.0, "rfd": rfd, "rfd_real": 4.0,
                                  "near_copies": near_copies, "copy_threshold": 0.1})
    return run_dir


def test_runs_on_your_own_images_group_by_upload_and_rank_by_the_random_feature_distance(runs_root):
    shapes, other = (coloured_shapes(64, seed=seed) for seed in (1, 2))
    first, second = (uploads.store(runs_root, uploads.from_arrays(d.pixels, d.labels, name))
                     for d, name in ((shapes, "shapes.zip"), (other, "other.zip")))
    ids = {upload_run(runs_root, seed, first, rfd, 0.01).name: seed for seed, rfd in ((1, 300.0), (2, 120.0))}
    upload_run(runs_root, 3, second, 50.0, 0.5)
    fake_finished_run(runs_root, 4, quality=[(3.0, 9.0, 0.9)])  # on digits: another group
    by_group = gallery.groups(gallery.collect(runs_root).entries)
    sources = [group.source for group in by_group]
    assert sources == [uploads.PREFIX + first.sha256, *sources[1:]] and len(by_group) == 3
    assert set(sources[1:]) == {uploads.PREFIX + second.sha256, "bundled"}
    mine = by_group[next(iter(by_group))]
    assert [(rank, ids[e.run_id]) for rank, e in gallery.rank(mine, "rfd")] == [(1, 2), (2, 1)]
    assert all(e.measured and e.fdd is None and e.near_copies == 0.01 for e in mine)
    assert gallery.sorts_for(mine) == ["rfd", "newest"]  # the digit classifier's rankings order none of them
    assert uploads.source_name(runs_root, sources[0]) == "shapes.zip"
    assert uploads.source_name(runs_root, "bundled") is None
