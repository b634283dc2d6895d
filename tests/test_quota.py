import io
import os
import time

import pytest

from gan import quota, runs
from gan.limits import Limits
from tests.conftest import tiny_config

DEMO = Limits(demo=True, keep_runs=2, max_runs=6, keep_hours=24, imports_per_hour=2)
ALICE, BOB = "a" * 24, "b" * 24


def make(root, seed, owner=None, hours_ago=0.0, state="finished"):
    """An ended run of `owner`'s, last active hours_ago (its config.json as old: the list's order)."""
    run_dir = runs.create(root, tiny_config(seed=seed))
    when = time.time() - hours_ago * 3600
    runs.write_status(run_dir, state=state, owner=owner, created=when)
    status = runs._read_json(run_dir / "status.json")
    status["updated"] = when
    (run_dir / "status.json").write_text(__import__("json").dumps(status))
    os.utime(run_dir / "config.json", (when, when))
    return run_dir


def test_nothing_is_deleted_on_a_laptop(runs_root):
    made = [make(runs_root, seed, ALICE, hours_ago=100 - seed) for seed in range(8)]
    assert quota.make_room(runs_root, Limits(), ALICE) == []
    assert sorted(runs.list_runs(runs_root)) == sorted(made)


def test_a_visitor_makes_room_among_their_own_runs_only(runs_root):
    alices = [make(runs_root, seed, ALICE, hours_ago=3 - seed) for seed in range(3)]  # oldest first
    bobs = [make(runs_root, 10 + seed, BOB, hours_ago=10) for seed in range(2)]
    deleted = quota.make_room(runs_root, DEMO, ALICE)
    assert deleted == alices[:2]  # she holds 3 and keeps 2 with the one she adds
    assert sorted(runs.list_runs(runs_root)) == sorted([alices[2], *bobs])


def test_training_waiting_and_ownerless_runs_are_never_deleted(runs_root):
    training = make(runs_root, 1, ALICE, hours_ago=50, state="running")
    runs.write_status(training, pid=os.getpid(), heartbeat=time.time())
    waiting = make(runs_root, 2, ALICE, hours_ago=49, state="waiting")
    hosts = [make(runs_root, 3 + seed, None, hours_ago=48) for seed in range(4)]
    with pytest.raises(quota.QuotaError) as full:
        quota.make_room(runs_root, DEMO, BOB)
    assert full.value.kind == "quota_full" and full.value.params == {"limit": "6", "hours": "24"}
    assert len(runs.list_runs(runs_root)) == 6
    assert runs.read_status(training).active and runs.read_status(waiting).state == "waiting"
    assert all(p.exists() for p in hosts)


def test_a_full_server_deletes_other_visitors_runs_only_once_they_are_idle_for_keep_hours(runs_root):
    old = [make(runs_root, seed, BOB, hours_ago=30 - seed) for seed in range(2)]
    fresh = [make(runs_root, 10 + seed, BOB if seed % 2 else "c" * 24, hours_ago=1) for seed in range(4)]
    deleted = quota.make_room(runs_root, DEMO, ALICE)
    assert deleted == [old[0]]  # one frees the room for hers: the oldest idle one
    assert all(p.exists() for p in [old[1], *fresh])
    for _ in range(2):
        make(runs_root, 20 + _, ALICE)
    with pytest.raises(quota.QuotaError):  # 7 runs, the last idle one goes, and fresh ones stay
        quota.make_room(runs_root, DEMO, "d" * 24)
    assert all(p.exists() for p in fresh)


def test_imports_are_rate_limited_per_visitor_and_for_the_server(runs_root):
    now = time.time()
    quota.note_import(runs_root, DEMO, ALICE, now)
    quota.note_import(runs_root, DEMO, ALICE, now + 1)
    with pytest.raises(quota.QuotaError) as refused:
        quota.note_import(runs_root, DEMO, ALICE, now + 2)
    assert refused.value.kind == "quota_imports" and refused.value.params == {"limit": "2"}
    quota.note_import(runs_root, DEMO, BOB, now + 3)  # her limit is not his
    quota.note_import(runs_root, DEMO, ALICE, now + 3601)  # an hour later she may again
    for n in range(quota.SERVER_IMPORTS * 2 - 2):  # with his and her last, the server has 20
        quota.note_import(runs_root, DEMO, f"visitor-{n}", now + 3602)
    with pytest.raises(quota.QuotaError) as server:
        quota.note_import(runs_root, DEMO, "someone-new", now + 3602)
    assert server.value.kind == "quota_imports_server"
    quota.note_import(runs_root, Limits(), ALICE, now + 3604)  # a laptop counts nothing



def store_dataset(root, seed: int, owner: str):
    """A stored upload of 64 random grey images (told apart by seed), uploaded by owner."""
    import numpy as np

    from gan import uploads

    out = io.BytesIO()
    np.save(out, np.random.default_rng(seed).integers(0, 256, (64, 28, 28), dtype=np.uint8))
    return uploads.store(root, uploads.ingest(out.getvalue(), "mine.npy"), owner=owner)


def test_on_a_demo_each_visitor_keeps_a_few_datasets_and_unused_ones_make_room(runs_root):
    server = Limits(demo=True, keep_datasets=2, datasets_bytes=10**9, keep_hours=1)
    stored = []
    for seed in range(3):
        quota.make_dataset_room(runs_root, server, ALICE, 1000)
        stored.append(store_dataset(runs_root, seed, ALICE))
        if seed == 1:
            runs.create(runs_root, tiny_config(dataset="sha256:" + stored[1].sha256))
    assert [s.path.exists() for s in stored] == [False, True, True]  # her oldest unused one went
    runs.create(runs_root, tiny_config(dataset="sha256:" + stored[2].sha256, seed=2))
    with pytest.raises(quota.QuotaError) as raised:  # both kept ones are used by runs
        quota.make_dataset_room(runs_root, server, ALICE, 1000)
    assert raised.value.kind == "quota_datasets"
    assert quota.make_dataset_room(runs_root, server, BOB, 1000) == []


def test_unused_datasets_idle_for_keep_hours_make_room_for_anyone_and_used_ones_never(runs_root):
    bob = store_dataset(runs_root, 1, BOB)
    used = store_dataset(runs_root, 2, BOB)
    runs.create(runs_root, tiny_config(dataset="sha256:" + used.sha256))
    from gan import uploads

    sizes = {held.path: held.size for held in uploads.list_stored(runs_root)}
    tight = Limits(demo=True, datasets_bytes=sizes[used.path] + 2**21, keep_hours=1)  # room once Bob's unused goes
    with pytest.raises(quota.QuotaError) as raised:  # Bob's unused dataset is fresh
        quota.make_dataset_room(runs_root, tight, ALICE, 2**21)
    assert raised.value.kind == "quota_datasets_full" and bob.path.exists()
    assert quota.make_dataset_room(runs_root, tight, ALICE, 2**21, now=time.time() + 7200) == [bob.path]
    assert not bob.path.exists() and used.path.exists()
    assert quota.make_dataset_room(runs_root, Limits(), ALICE, 10**12) == []  # a laptop has no budget
