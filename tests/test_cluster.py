"""gan.cluster on a local Ray cluster of three nodes on this machine (a head that trains nothing and
two workers of one CPU each): runs as Ray tasks, the cluster's queue, cancel, and a worker node
killed mid-run.

The nodes talk over this machine's own address, not loopback: a driver given 127.0.0.1 is sent to
that address by Ray, so the test that connects is marked network_allowed. Nothing leaves the machine.
"""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import ray
from ray.cluster_utils import Cluster

from gan import cluster, launcher, runs
from gan.limits import Limits
from tests.conftest import REPO, tiny_config, wait_for

NODE = {"include_dashboard": False}


@pytest.fixture(scope="module")
def local_cluster():
    """One cluster for the module: Ray takes seconds to start. The head has no CPU for runs, so
    each worker trains one run and the third waits in Ray's queue."""
    nodes = Cluster(initialize_head=True, head_node_args={**NODE, "num_cpus": 0})
    workers = [nodes.add_node(**NODE, num_cpus=1) for _ in range(2)]
    nodes.wait_for_nodes()
    yield nodes, workers
    ray.shutdown()
    nodes.shutdown()


@pytest.fixture
def on_cluster(local_cluster, monkeypatch):
    monkeypatch.setenv(launcher.EXECUTOR_ENV, "ray")
    monkeypatch.setenv("RAY_ADDRESS", local_cluster[0].address)
    monkeypatch.setenv(launcher.NICE_ENV, "0")  # nothing else here needs the CPUs first
    return local_cluster


WAIT_S = 120.0  # a cold trainer on a loaded 2-core host, or Ray noticing a dead node


def process_state(pid: int) -> tuple[str, int] | None:
    """(state letter, parent pid) of a process, None once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return None
    return fields[0], int(fields[1])


def node_of(run_dir, workers):
    """The worker node whose raylet started the Ray worker that started the run's trainer."""
    worker = process_state(runs.read_status(run_dir).pid)[1]
    raylet = process_state(worker)[1]
    return next(node for node in workers if node.all_processes["raylet"][0].process.pid == raylet)


def logged_steps(cfg) -> list[int]:
    """The steps an uninterrupted run logs a metrics row at: every LOG_EVERY_STEPS and each epoch's end."""
    per_epoch = cfg.n_images // cfg.batch_size
    return [step for step in range(1, per_epoch * cfg.epochs + 1)
            if not step % runs.LOG_EVERY_STEPS or not step % per_epoch]


@pytest.mark.slow
@pytest.mark.network_allowed
def test_runs_share_the_cluster_wait_for_it_cancel_and_survive_a_dead_node(runs_root, on_cluster):
    _, workers = on_cluster
    first, killed = tiny_config(seed=61, epochs=40), tiny_config(seed=62, epochs=8, n_images=256)
    started = [launcher.submit(runs_root, cfg, Limits(max_concurrent=1)) for cfg in (first, killed)]
    assert [s.outcome for s in started] == ["started", "started"]  # Ray's queue, not GAN_MAX_CONCURRENT
    third = launcher.submit(runs_root, tiny_config(seed=63), Limits(max_concurrent=1))
    assert third.outcome == "started" and runs.read_status(third.run_dir).waiting_for_cluster
    launcher.cancel(third.run_dir)  # no CPU for it yet: it reads cancelled at once
    assert runs.read_status(third.run_dir).state == "cancelled"

    first_dir, killed_dir = (s.run_dir for s in started)
    wait_for(lambda: runs.read_status(killed_dir).epoch >= 1, WAIT_S, lambda: runs.read_status(killed_dir))
    trainer = runs.read_status(killed_dir).pid
    ray.shutdown()  # the runs are the dispatcher's, not this process's, which may be attached to the doomed node
    on_cluster[0].remove_node(node_of(killed_dir, workers), allow_graceful=False)
    wait_for(lambda: (process_state(trainer) or ("Z",))[0] == "Z", WAIT_S,
             lambda: f"trainer {trainer} outlived its node")
    workers[:] = [node for node in workers if node in on_cluster[0].worker_nodes]

    wait_for(lambda: runs.read_status(first_dir).epoch >= 1, WAIT_S, lambda: runs.read_status(first_dir))
    assert runs.read_status(first_dir).active
    launcher.cancel(first_dir)  # its trainer stops after a clean write, and its CPU goes to the retry
    wait_for(lambda: runs.read_status(first_dir).state == "cancelled", WAIT_S, lambda: runs.read_status(first_dir))

    wait_for(lambda: runs.read_status(killed_dir).state == "finished", WAIT_S, lambda: runs.read_status(killed_dir))
    status = runs.read_status(killed_dir)
    assert status.resumed_from is not None and status.resumed_from >= 1
    assert [int(row["step"]) for row in runs.read_metrics(killed_dir)] == logged_steps(killed)
    assert runs.read_status(third.run_dir).state == "cancelled" and not runs.read_metrics(third.run_dir)

    stopped_at = runs.read_status(first_dir).epoch
    # This process joins the cluster again to resume. Until the cluster reads the killed node as dead, it
    # may be given that node's raylet, and Ray then ends the process ("Failed to get the system config from
    # raylet because it is dead. Worker will terminate."): it ended this pytest worker now and then.
    on_cluster[0].wait_for_nodes(timeout=120)
    resumed = launcher.submit(runs_root, first)  # the Resume button
    assert (resumed.outcome, resumed.epoch) == ("resumed", stopped_at)
    launcher.cancel(first_dir)
    wait_for(lambda: not runs.read_status(first_dir).active, WAIT_S, lambda: runs.read_status(first_dir))
    assert runs.read_status(first_dir).state == "cancelled" and runs.read_status(first_dir).epoch >= stopped_at


def test_nothing_imports_ray_unless_the_executor_is_ray(runs_root):
    code = ("import sys; from gan import launcher, submit, train, runs, waitlist\n"
            "assert not launcher.on_cluster()\n"
            "print('ray' in sys.modules)")
    env = {k: v for k, v in os.environ.items() if k != launcher.EXECUTOR_ENV}
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, env=env, timeout=60)
    assert done.stdout.strip() == "False", done.stderr


def test_an_unreachable_cluster_fails_the_run_at_once_saying_so(runs_root, monkeypatch):
    ray.shutdown()  # not connected to this module's cluster: connecting is what is tested
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    monkeypatch.setenv(launcher.EXECUTOR_ENV, "ray")
    monkeypatch.setenv("RAY_ADDRESS", f"127.0.0.1:{port}")
    clock = time.monotonic()
    status = runs.read_status(launcher.submit(runs_root, tiny_config(seed=64)).run_dir)
    assert time.monotonic() - clock < cluster.CONNECT_SECONDS
    assert (status.state, status.error.kind, status.active) == ("failed", "cluster_unreachable", False)
    assert f"127.0.0.1:{port}" in str(status.error)
