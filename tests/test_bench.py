import pytest
import torch

import lbdlutils as lbdl
from lbdlutils import bench


def test_timeit_takes_the_median_and_scales_repeats():
    lbdl.set_scale("ci")
    t = bench.timeit(lambda: sum(range(1000)))
    assert len(t.runs) == 3 and t.seconds == sorted(t.runs)[1] and t.seconds > 0
    assert bench.timeit(lambda: None, repeats=5, min_seconds=0.001).seconds < 0.001
    assert t.rate(2.0) == pytest.approx(2.0 / t.seconds)
    assert t.best == min(t.runs) <= t.seconds


def test_timeit_errors():
    with pytest.raises(TypeError, match="needs a function"):
        bench.timeit(3)
    with pytest.raises(ValueError, match="repeats must be >= 1"):
        bench.timeit(lambda: None, repeats=0)


def test_measured_rates_are_positive_and_checked():
    lbdl.set_scale("ci")
    assert bench.matmul_gflops(64) > 0.01
    assert bench.bandwidth_gbs(2**16) > 0.01
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
