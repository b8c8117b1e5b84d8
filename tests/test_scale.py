import pytest

import lbdlutils as lbdl


def test_default_is_small():
    assert lbdl.resolve_scale(None) == ("small", "default")
    assert lbdl.get_scale() == "small"


def test_parameter_then_environment_wins(monkeypatch):
    assert lbdl.resolve_scale("ci") == ("ci", "notebook parameter")
    monkeypatch.setenv("LBDL_SCALE", "full")
    assert lbdl.resolve_scale("ci") == ("full", "environment variable LBDL_SCALE")


def test_unknown_scale_lists_valid_ones(monkeypatch):
    with pytest.raises(ValueError, match="valid scales are ci, small, full"):
        lbdl.check_scale("huge")
    with pytest.raises(ValueError, match="LBDL_SCALE='tiny'"):
        monkeypatch.setenv("LBDL_SCALE", "tiny")
        lbdl.resolve_scale(None)
    with pytest.raises(ValueError, match="unknown scale"):
        lbdl.pick(ci=1, small=2, scale="medium")
    with pytest.raises(ValueError, match="unknown scale"):
        lbdl.check_scale(3)
    with pytest.raises(ValueError, match="valid scales are"):
        lbdl.set_scale("large")


def test_pick_follows_scale_and_full_defaults_to_small():
    lbdl.set_scale("ci")
    assert lbdl.pick(ci=2, small=30, full=100) == 2
    lbdl.set_scale("full")
    assert lbdl.pick(ci=2, small=30, full=100) == 100
    assert lbdl.pick(ci=2, small=30) == 30
    assert lbdl.pick(ci=2, small=30, scale="small") == 30


def test_steps_give_a_gpu_four_times_small():
    assert [lbdl.steps(ci=10, small=300, scale=s) for s in ("ci", "small", "full")] == [10, 300, 1200]


def test_pick_needs_keywords():
    with pytest.raises(TypeError):
        lbdl.pick(2, 30)  # positional values would hide which is which
