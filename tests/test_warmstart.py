"""gan.warmstart: children forked from a helper that has loaded TensorFlow run a module as a new
Python would; every case a fork cannot stand in for one gets None, and the launcher starts one."""

import json
import sys
from pathlib import Path

import pytest

from gan import launcher, runs, warmstart
from tests.conftest import tiny_config, wait_for

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="warm starts fork: Linux only")


@pytest.fixture
def own_helper(monkeypatch):
    """warmstart's state for this test alone: the session's helper is put back afterwards. Helpers
    preload a small module instead of TensorFlow (seconds each): forking, sessions, environments
    and endings do not depend on what was loaded. The launcher's test loads the real thing."""
    monkeypatch.setattr(warmstart, "PRELOAD", ("colorsys",))
    monkeypatch.setattr(warmstart, "_helper", None)
    monkeypatch.setattr(warmstart, "_broken", False)
    monkeypatch.delenv(warmstart.ENV, raising=False)
    yield
    warmstart.stop()


def child_env(**more) -> dict[str, str]:
    return {**launcher.child_env(), **more}


def test_one_helper_loads_forks_children_that_run_as_a_new_python_would_and_ends_when_idle(own_helper, tmp_path,
                                                                                           monkeypatch):
    monkeypatch.chdir(tmp_path)
    seen, log = tmp_path / "seen.json", tmp_path / "child.log"
    log.write_text("earlier lines\n")
    assert warmstart.start("tests.warm_child", [str(tmp_path / "cold")], child_env(), log) is None
    helper = warmstart._helper
    assert helper is not None and helper.process.poll() is None  # loading, for the next start
    pid = warmstart.start("tests.warm_child", [str(seen)], child_env(GAN_WARM_CHILD_SETTING="given"), log, wait=60)
    assert pid is not None and warmstart._helper is helper
    wait_for(lambda: not Path(f"/proc/{pid}").exists())  # ended, and reaped by the helper: no zombie
    child = json.loads(seen.read_text())
    assert child["pid"] == pid and child["parent"] == helper.process.pid
    assert child["session"] == pid  # a session of its own: a Streamlit restart's signals do not reach it
    assert child["name"] == "__main__" and child["argv"] == [str(Path(__file__).with_name("warm_child.py")), str(seen)]
    assert child["cwd"] == str(tmp_path) and child["setting"] == "given"  # the start's, not the helper's
    assert child["preloaded"]  # what it is for: the import was the helper's
    assert log.read_text().splitlines() == ["earlier lines", "on stdout", "on stderr"]
    assert not (tmp_path / "cold").exists()  # the cold start was the caller's to make

    assert warmstart.start("tests.warm_child", [str(tmp_path / "a")], child_env(GAN_ANYTHING="x"), log,
                           wait=60) is not None
    assert warmstart._helper is helper  # the dashboard's own settings change nothing TensorFlow loaded
    helper.process.stdin.close()  # what the launcher's end does
    wait_for(lambda: helper.process.poll() is not None)
    assert helper.process.returncode == 0
    assert warmstart.start("tests.warm_child", [str(tmp_path / "a2")], child_env(), log) is None  # one ended
    assert warmstart._helper is not helper  # but loaded once: replaced
    monkeypatch.setattr(warmstart, "IDLE_SECONDS", 1.0)
    changed = child_env(TF_NUM_INTEROP_THREADS="3")
    assert warmstart.start("tests.warm_child", [str(tmp_path / "b")], changed, log) is None
    replaced = warmstart._helper
    assert replaced.fixed["TF_NUM_INTEROP_THREADS"] == "3"
    wait_for(lambda: (tmp_path / "a").exists())  # the helpers ended; their children lived on
    assert replaced.loaded(wait=60)
    wait_for(lambda: replaced.process.poll() is not None)  # a second after loading, with no start
    assert replaced.process.returncode == 0


def test_every_start_is_cold_where_warm_starts_are_off_or_cannot_load(own_helper, monkeypatch, tmp_path):
    log = tmp_path / "log"
    monkeypatch.setenv(warmstart.ENV, "0")
    assert warmstart.start("tests.warm_child", [str(tmp_path / "a")], child_env(), log, wait=60) is None
    assert warmstart._helper is None
    monkeypatch.delenv(warmstart.ENV)
    monkeypatch.setattr(sys, "platform", "darwin")
    assert warmstart.start("tests.warm_child", [str(tmp_path / "a")], child_env(), log, wait=60) is None
    assert warmstart._helper is None
    monkeypatch.setattr(sys, "platform", "linux")
    broken = child_env(PYTHONHOME=str(tmp_path / "no-python-here"))  # the helper dies before it loads
    assert warmstart.start("tests.warm_child", [str(tmp_path / "a")], broken, log, wait=60) is None
    dead = warmstart._helper
    assert dead.failed
    assert warmstart.start("tests.warm_child", [str(tmp_path / "a")], child_env(), log, wait=60) is None
    assert warmstart._broken and warmstart._helper is dead  # and no new one is tried


def test_the_launcher_starts_a_warm_trainer_that_trains_to_the_end(runs_root):
    """With the session's helper (tests/conftest.py: warm_starts), as the dashboard's own."""
    started = launcher.submit(runs_root, tiny_config(seed=71, epochs=2))
    pid, helper = runs.read_status(started.run_dir).pid, warmstart._helper
    assert started.outcome == "started" and helper is not None
    assert int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1]) == helper.process.pid
    wait_for(lambda: not runs.read_status(started.run_dir).active, timeout=120)
    status = runs.read_status(started.run_dir)
    assert status.state == "finished" and status.epoch == 2
    assert helper.process.poll() is None and warmstart._helper is helper  # ready for the next start
    assert "Traceback" not in (started.run_dir / "train.log").read_text()
