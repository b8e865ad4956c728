"""What the Python benchmarks share: waiting for a quiet machine, and a
description of the machine for the reports."""

from __future__ import annotations

import os
import platform
import resource
import sys
import time
from pathlib import Path


def wait_for_quiet(limit: float, max_seconds: float) -> float:
    """Waits until the 1-minute load average is below `limit` (at most
    max_seconds); returns the load when it stops waiting."""
    deadline = time.monotonic() + max_seconds
    load = os.getloadavg()[0]
    while limit > 0 and load >= limit and time.monotonic() < deadline:
        print(f"load {load:.2f} >= {limit}: waiting ...", file=sys.stderr)
        time.sleep(15)
        load = os.getloadavg()[0]
    return load


def children_cpu() -> float:
    """CPU-seconds (user + system) of this process's finished children."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def machine(**versions: str) -> dict:
    """CPU, cores, RAM, load and the given library versions."""
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return {"nproc": os.cpu_count(), "cpu": cpu, "load": os.getloadavg(), "ram_bytes": mem,
            "python": platform.python_version(), "kernel": platform.release(), **versions}
