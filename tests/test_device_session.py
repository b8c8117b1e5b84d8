import pytest
import torch

import lbdlutils as lbdl
from lbdlutils import device


def test_auto_device_is_available():
    assert lbdl.get_device().type in ("cuda", "mps", "cpu")


def test_device_override_and_errors(monkeypatch):
    with pytest.raises(ValueError, match="valid devices are cuda, mps, cpu"):
        lbdl.get_device("tpu")
    monkeypatch.setenv("LBDL_DEVICE", "cpu")
    assert lbdl.get_device() == torch.device("cpu")
    assert lbdl.get_device("cuda") == torch.device("cpu"), "the environment wins over the argument"
    monkeypatch.delenv("LBDL_DEVICE")
    if not torch.cuda.is_available():
        with pytest.raises(RuntimeError, match="CUDA is not available"):
            lbdl.get_device("cuda")


def test_cpu_quota_reads_cgroup_v2_and_v1(tmp_path):
    (tmp_path / "cpu.max").write_text("100000 100000\n")
    assert device.cpu_quota(tmp_path) == 1.0
    (tmp_path / "cpu.max").write_text("max 100000\n")
    assert device.cpu_quota(tmp_path) is None
    v1 = tmp_path / "v1"
    (v1 / "cpu").mkdir(parents=True)
    (v1 / "cpu" / "cpu.cfs_quota_us").write_text("150000")
    (v1 / "cpu" / "cpu.cfs_period_us").write_text("100000")
    assert device.cpu_quota(v1) == 1.5
    assert device.cpu_quota(tmp_path / "nothing") is None


def test_threads_respect_omp_and_reject_nonsense(monkeypatch):
    before = torch.get_num_threads()
    try:
        monkeypatch.setenv("OMP_NUM_THREADS", "1")
        assert lbdl.configure_threads() == 1 and torch.get_num_threads() == 1
        monkeypatch.setenv("OMP_NUM_THREADS", "lots")
        with pytest.raises(ValueError, match="OMP_NUM_THREADS='lots'"):
            lbdl.configure_threads()
        with pytest.raises(ValueError, match="positive integer"):
            lbdl.configure_threads(0)
        monkeypatch.setenv("LBDL_THREADS", "1")
        assert lbdl.configure_threads(2) == 1, "LBDL_THREADS wins over the argument"
        monkeypatch.setenv("LBDL_THREADS", "two")
        with pytest.raises(ValueError, match="LBDL_THREADS='two' is not a positive integer"):
            lbdl.configure_threads()
    finally:
        torch.set_num_threads(before)
    assert 1 <= lbdl.available_cpus()


def test_seeding_is_reproducible_and_checked():
    lbdl.seed_everything(3)
    a = torch.randn(4)
    lbdl.seed_everything(3)
    assert torch.equal(a, torch.randn(4))
    with pytest.raises(ValueError, match="non-negative integer"):
        lbdl.seed_everything(-1)
    with pytest.raises(ValueError, match="non-negative integer"):
        lbdl.seed_everything("0")


def test_setup_reports_everything(capsys):
    s = lbdl.setup("ci", seed=1, notebook="00_test", threads=1)
    out = capsys.readouterr().out
    for word in ("torch", "numpy", "device cpu" if s.device.type == "cpu" else "device", "scale ci", "seed 1",
                 "threads 1"):
        assert word in out
    assert lbdl.get_scale() == "ci" and s.notebook == "00_test"
    with pytest.raises(ValueError, match="unknown scale"):
        lbdl.setup("big")


def test_headless_flag(monkeypatch):
    monkeypatch.setenv("LBDL_HEADLESS", "1")
    assert lbdl.is_headless()
    monkeypatch.setenv("LBDL_HEADLESS", "0")
    assert not lbdl.is_headless()
    monkeypatch.delenv("LBDL_HEADLESS")
    assert lbdl.is_headless()  # plain pytest: no kernel, nobody watching


def test_one_precedence_rule_for_every_knob(monkeypatch):
    from lbdlutils import env

    monkeypatch.delenv("LBDL_CACHE")
    assert env.resolve(env.CACHE, "/a", "/b") == ("/a", "argument")
    assert env.resolve(env.CACHE, None, "/b") == ("/b", "default")
    monkeypatch.setenv("LBDL_CACHE", " /c ")
    assert env.resolve(env.CACHE, "/a", "/b") == ("/c", "environment variable LBDL_CACHE")
    with pytest.raises(ValueError, match="valid are LBDL_SCALE"):
        env.get("LBDL_SCAL")
