"""A process's peak memory is its own: a trainer started by a large server does not report the server's."""

import os
import subprocess
import sys

import numpy as np

from gan import memory
from tests.conftest import REPO


def test_a_childs_peak_is_its_own_not_inherited_from_its_parent():
    ballast = np.ones(2**28 // 8)  # 256 MiB touched in this process before it starts a child
    code = "from gan import memory; print(memory.peak_mb())"
    child = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert float(child.stdout.split()[-1]) < ballast.nbytes / 2**20 < memory.peak_mb()


def test_another_process_is_read_by_its_pid_and_a_gone_one_is_unknown():
    assert memory.peak_mb(os.getpid()) == memory.peak_mb()
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    assert np.isnan(memory.peak_mb(int(gone.stdout)))
