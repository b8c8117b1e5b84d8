import pytest
import torch

import lbdlutils as lbdl
from lbdlutils import bench


class FakeClock:
    """A clock that the timed function itself advances: timings become exact, whatever the machine's load."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_timeit_takes_the_median_and_scales_repeats(monkeypatch):
    clock = FakeClock()
    monkeypatch.setattr(bench.time, "perf_counter", clock)
    costs = iter([9.0, 1.0, 5.0, 3.0])  # warm-up call, then three runs of one call each

    def work():
        clock.now += next(costs)

    lbdl.set_scale("ci")
    t = bench.timeit(work)
    assert t.runs == (1.0, 5.0, 3.0) and t.seconds == 3.0 and t.best == 1.0  # the warm-up is not counted
    assert t.rate(6.0) == pytest.approx(2.0)


def test_timeit_repeats_fast_calls_until_min_seconds(monkeypatch):
    clock = FakeClock()
    monkeypatch.setattr(bench.time, "perf_counter", clock)

    def work():
        clock.now += 0.25

    t = bench.timeit(work, repeats=2, warmup=0, min_seconds=1.0)
    assert t.runs == (0.25, 0.25)  # four calls a run, each timed as a quarter of the run


def test_timeit_errors():
    with pytest.raises(TypeError, match="needs a function"):
        bench.timeit(3)
    with pytest.raises(ValueError, match="repeats must be >= 1"):
        bench.timeit(lambda: None, repeats=0)


def test_measured_rates_are_positive_and_checked():
    lbdl.set_scale("ci")
    assert bench.matmul_gflops(64) > 0  # a rate, measured: positive; no floor, since machines differ
    assert bench.bandwidth_gbs(2**16) > 0
    with pytest.raises(ValueError, match="n must be a positive integer"):
        bench.matmul_gflops(0)
    with pytest.raises(ValueError, match="numel must be a positive integer"):
        bench.bandwidth_gbs(-5)


def test_oversubscription_workers_report():
    rates = bench.oversubscription(2, 1, n=64, seconds=0.2)
    assert len(rates) == 2 and all(r > 0 for r in rates)
    with pytest.raises(ValueError, match="processes and threads must be >= 1"):
        bench.oversubscription(0, 1)


def test_device_reason_and_capability(monkeypatch):
    monkeypatch.setenv("LBDL_DEVICE", "cpu")
    assert lbdl.device_reason() == "LBDL_DEVICE=cpu asks for it"
    monkeypatch.delenv("LBDL_DEVICE")
    assert ("CPU" in lbdl.device_reason()) != torch.cuda.is_available() or "MPS" in lbdl.device_reason()
    assert isinstance(lbdl.cpu_capability(), str)
