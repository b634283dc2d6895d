"""The class dataset: drawings added under a per-visitor cap, listed, removed and snapshot for
training, whole under concurrent visitors."""

import threading

import numpy as np
import pytest

from gan import classdata, limits, owners


def drawing(value: int) -> np.ndarray:
    pixels = np.zeros((28, 28), np.uint8)
    pixels[4:24, 12:16] = value
    return pixels


def test_drawings_are_added_listed_counted_and_snapshot_in_order(tmp_path):
    ann, bob = owners.digest("ann-token"), owners.digest("bob-token")
    first = classdata.add(tmp_path, drawing(200), 1, ann)
    classdata.add(tmp_path, drawing(150), 7, bob)
    classdata.add(tmp_path, drawing(100), 7, ann)
    found = classdata.entries(tmp_path)
    assert [e.label for e in found] == [1, 7, 7] and [e.owner for e in found] == [ann, bob, ann]
    assert found[0].id == first.id and found[0].time == pytest.approx(first.time)
    assert classdata.counts(found) == [0, 1, 0, 0, 0, 0, 0, 2, 0, 0]
    pixels, labels = classdata.snapshot(tmp_path)
    assert pixels.shape == (3, 28, 28) and pixels.dtype == np.uint8 and labels.dtype == np.uint8
    assert [int(p.max()) for p in pixels] == [200, 150, 100] and labels.tolist() == [1, 7, 7]
    assert (tmp_path / classdata.FOLDER).is_dir() and not list((tmp_path / classdata.FOLDER).glob(".*.tmp"))


def test_an_empty_or_damaged_dataset_reads_as_what_is_readable(tmp_path):
    pixels, labels = classdata.snapshot(tmp_path)
    assert pixels.shape == (0, 28, 28) and labels.shape == (0,)
    classdata.add(tmp_path, drawing(90), 3, "someone")
    (tmp_path / classdata.FOLDER / "00000000000000000001-deadbeef.npz").write_bytes(b"half a file")
    assert [e.label for e in classdata.entries(tmp_path)] == [3]


def test_each_visitor_has_a_cap_tighter_on_a_demo(tmp_path):
    assert limits.from_settings({}).drawings_per_visitor == 200
    cap = limits.from_settings({"GAN_DEMO": "1"}).drawings_per_visitor
    assert cap == 20
    for _ in range(cap):
        classdata.add(tmp_path, drawing(255), 4, "ann", cap)
    with pytest.raises(classdata.ClassDataError) as refused:
        classdata.add(tmp_path, drawing(255), 4, "ann", cap)
    assert refused.value.kind == "classdata_cap" and refused.value.params == {"cap": "20"}
    classdata.add(tmp_path, drawing(255), 4, "bob", cap)  # another visitor's drawings are not ann's
    assert len(classdata.entries(tmp_path)) == cap + 1


def test_only_digits_with_a_label_from_0_to_9_are_taken(tmp_path):
    with pytest.raises(classdata.ClassDataError, match="label"):
        classdata.add(tmp_path, drawing(255), 10, "ann")
    with pytest.raises(classdata.ClassDataError, match="28 x 28"):
        classdata.add(tmp_path, np.zeros((28, 28), np.float32), 1, "ann")
    assert classdata.entries(tmp_path) == []


def test_the_host_removes_drawings_and_nothing_outside_the_folder(tmp_path):
    kept = tmp_path / "precious.npz"
    kept.write_bytes(b"keep me")
    ids = [classdata.add(tmp_path, drawing(255), d, "ann").id for d in range(4)]
    assert classdata.remove(tmp_path, [ids[1], ids[3], "../precious", "missing-0"]) == 2
    assert [e.label for e in classdata.entries(tmp_path)] == [0, 2] and kept.exists()


def test_concurrent_visitors_never_pass_the_cap_nor_lose_a_drawing(tmp_path):
    cap, threads, tries = 25, 8, 10
    refused = []

    def visitor(owner: str) -> None:
        for n in range(tries):
            try:
                classdata.add(tmp_path, drawing(n + 1), n % 10, owner, cap)
            except classdata.ClassDataError:
                refused.append(owner)

    workers = [threading.Thread(target=visitor, args=("ann" if i % 2 else f"visitor-{i}",)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    found = classdata.entries(tmp_path)
    anns = sum(e.owner == "ann" for e in found)
    assert anns == cap and refused == ["ann"] * (threads // 2 * tries - cap)
    assert len(found) == cap + threads // 2 * tries and len({e.id for e in found}) == len(found)


def test_the_stamp_changes_with_every_add_and_removal(tmp_path):
    assert classdata.stamp(tmp_path) == ()
    first = classdata.add(tmp_path, drawing(255), 2, "ann")
    second = classdata.add(tmp_path, drawing(255), 3, "ann")
    assert len(classdata.stamp(tmp_path)) == 2
    classdata.remove(tmp_path, [first.id])
    assert classdata.stamp(tmp_path) == (f"{second.id}{classdata.ENTRY_SUFFIX}",)
