"""What the benchmark scripts share: run a measurement in a fresh process (its peak memory its own)."""

from __future__ import annotations

import multiprocessing as mp
import resource

__all__ = ["measure", "peak_mb"]


def peak_mb() -> float:
    """The process's peak resident memory so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _child(fn, args, queue) -> None:
    queue.put(fn(*args))


def measure(fn, *args):
    """``fn(*args)`` in a fresh spawned process; returns its result."""
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(fn, args, queue))
    proc.start()
    result = queue.get()
    proc.join()
    return result
