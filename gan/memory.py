"""A process's peak resident memory: its own, not what its parent had used."""

import contextlib
import resource
import sys
from pathlib import Path


def peak_mb(pid: int | None = None) -> float:
    """The peak resident memory, in MB, of process `pid` (default: this one); NaN if unknown.

    Linux's VmHWM belongs to the process's own memory map. ru_maxrss does not: it survives
    fork + exec, so a trainer started by a 2 GB server would report the server's peak. It is used
    only for this process where there is no /proc (macOS).
    """
    with contextlib.suppress(OSError, ValueError, StopIteration):
        lines = Path(f"/proc/{pid or 'self'}/status").read_text().splitlines()
        return round(int(next(line for line in lines if line.startswith("VmHWM:")).split()[1]) / 1024, 1)
    if pid is not None:
        return float("nan")
    unit = 2**20 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB elsewhere
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / unit, 1)
