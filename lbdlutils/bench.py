"""Robust timing on the reader's own machine: warm-up, repeats, median; peaks measured, not assumed."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import torch

from . import scale as _scale


@dataclass(frozen=True)
class Timing:
    """Seconds per call: the median of ``runs``, which are the individual measurements."""

    seconds: float
    runs: tuple[float, ...]

    @property
    def best(self) -> float:
        """The fastest run: the right estimate of what the machine can do at best (a peak)."""
        return min(self.runs)

    def rate(self, work: float) -> float:
        """``work`` units per call divided by the median time, e.g. FLOPs -> FLOP/s."""
        return work / self.seconds


def sync(device: torch.device | str | None) -> None:
    """Wait until queued GPU work is finished, so that a timer measures it (no-op on CPU)."""
    kind = torch.device(device).type if device is not None else "cpu"
    if kind == "cuda":
        torch.cuda.synchronize()
    elif kind == "mps":
        torch.mps.synchronize()


def timeit(fn: Callable[[], object], repeats: int | None = None, warmup: int = 1,
           device: torch.device | str | None = None, min_seconds: float = 0.0) -> Timing:
    """Median time of ``fn()`` over ``repeats`` runs (default by scale: 3, 10, 20) after ``warmup`` calls.

    Each run calls ``fn`` as many times as needed to last ``min_seconds``, so fast calls are timed
    in bulk rather than at the timer's resolution.
    """
    if not callable(fn):
        raise TypeError(f"timeit needs a function to call, got {type(fn).__name__}")
    repeats = _scale.pick(ci=3, small=10, full=20) if repeats is None else repeats
    if not isinstance(repeats, int) or repeats < 1 or not isinstance(warmup, int) or warmup < 0:
        raise ValueError(f"repeats must be >= 1 and warmup >= 0, got repeats={repeats!r}, warmup={warmup!r}")
    for _ in range(warmup):
        fn()
    sync(device)
    runs = []
    for _ in range(repeats):
        calls, start = 0, time.perf_counter()
        while True:
            fn()
            calls += 1
            sync(device)
            elapsed = time.perf_counter() - start
            if elapsed >= min_seconds:
                break
        runs.append(elapsed / calls)
    return Timing(statistics.median(runs), tuple(runs))


def matmul_timing(n: int, device: torch.device | str = "cpu", dtype: torch.dtype = torch.float32,
                  repeats: int | None = None) -> Timing:
    """Timing of one n×n by n×n product, which costs 2n³ floating-point operations."""
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    a = torch.randn(n, n, device=device).to(dtype)
    b = torch.randn(n, n, device=device).to(dtype)
    return timeit(lambda: a @ b, repeats=repeats, device=device, min_seconds=0.01)


def matmul_gflops(n: int, device: torch.device | str = "cpu", dtype: torch.dtype = torch.float32,
                  repeats: int | None = None) -> float:
    """Achieved GFLOP/s (median run) of one n×n by n×n product."""
    return matmul_timing(n, device, dtype, repeats).rate(2 * n**3) / 1e9


def bandwidth_gbs(numel: int = 2**24, device: torch.device | str = "cpu", repeats: int | None = None) -> float:
    """Achieved memory bandwidth in GB/s of copying ``numel`` float32 values (bytes read + written)."""
    if not isinstance(numel, int) or numel < 1:
        raise ValueError(f"numel must be a positive integer, got {numel!r}")
    x, y = torch.randn(numel, device=device), torch.empty(numel, device=device)
    return timeit(lambda: y.copy_(x), repeats=repeats, device=device, min_seconds=0.01).rate(8 * numel) / 1e9


def oversubscription(processes: int, threads: int, n: int = 256, seconds: float = 1.0) -> list[float]:
    """GFLOP/s achieved by each of ``processes`` workers running n×n products at the same moment.

    Each worker is a fresh Python process using ``threads`` torch threads; once all are ready they
    start together and count products for ``seconds``. More threads in total than cores makes them fight.
    """
    if processes < 1 or threads < 1 or seconds <= 0:
        raise ValueError(f"processes and threads must be >= 1 and seconds > 0, got {processes}, {threads}, {seconds}")
    code = f"from lbdlutils.bench import _worker; _worker({int(threads)}, {int(n)}, {float(seconds)})"
    workers = [subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                text=True) for _ in range(processes)]
    try:
        for w in workers:  # a barrier: every worker has imported torch and warmed up
            if w.stdout.readline().strip() != "ready":
                raise RuntimeError(f"an oversubscription worker failed to start (exit {w.wait()})")
        for w in workers:
            w.stdin.write("go\n")
            w.stdin.flush()
        return [float(w.communicate(timeout=120)[0]) for w in workers]
    finally:
        for w in workers:
            if w.poll() is None:
                w.kill()


def _worker(threads: int, n: int, seconds: float) -> None:
    """One process of :func:`oversubscription`: warm up, say ready, wait for go, print GFLOP/s."""
    torch.set_num_threads(threads)
    a, b = torch.randn(n, n), torch.randn(n, n)
    for _ in range(3):
        a @ b
    print("ready", flush=True)
    sys.stdin.readline()
    calls, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        a @ b
        calls += 1
    print(2 * n**3 * calls / (time.perf_counter() - t0) / 1e9, flush=True)
