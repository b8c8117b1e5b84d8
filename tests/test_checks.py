import json

import pytest
import torch

import lbdlutils as lbdl


def test_expect_passes_records_and_writes_jsonl(tmp_path, monkeypatch, capsys):
    path = tmp_path / "m.jsonl"
    monkeypatch.setenv("LBDL_METRICS", str(path))
    lbdl.setup("ci", seed=5, notebook="01_x", report=False)
    assert lbdl.expect("acc", torch.tensor(0.9), at_least={"ci": 0.5, "small": 0.95, "full": 0.95}) is None
    rec = json.loads(path.read_text().splitlines()[-1])
    assert rec == {"notebook": "01_x", "name": "acc", "value": pytest.approx(0.9), "scale": "ci", "seed": 5,
                   "at_least": 0.5, "at_most": None, "passed": True}
    assert "✓ acc" in capsys.readouterr().out


def test_expect_fails_with_a_clear_message_and_still_records():
    lbdl.set_scale("small")
    with pytest.raises(AssertionError, match=r"acc = 0.9, expected >= 0.95 at scale 'small'"):
        lbdl.expect("acc", 0.9, at_least={"ci": 0.5, "small": 0.95, "full": 0.95})
    assert lbdl.records[-1]["passed"] is False
    with pytest.raises(AssertionError):
        lbdl.expect("loss", float("nan"), at_most=1.0)  # NaN never passes
    lbdl.set_scale("full")
    lbdl.expect("acc", 0.985, at_least={"ci": 0.5, "small": 0.95, "full": 0.98})
    assert lbdl.records[-1]["at_least"] == 0.98


def test_expect_refuses_checks_that_cannot_fail_and_bad_inputs():
    with pytest.raises(ValueError, match="needs at_least and/or at_most"):
        lbdl.expect("acc", 0.9)
    with pytest.raises(ValueError, match="unknown scale"):
        lbdl.expect("acc", 0.9, at_least={"tiny": 0.1})
    lbdl.set_scale("small")
    with pytest.raises(ValueError, match=r"no value for scale\(s\) \['small', 'full'\]"):
        lbdl.expect("acc", 0.9, at_least={"ci": 0.1})
    lbdl.set_scale("ci")  # a missing full bound is refused at every scale, so that ci runs catch it
    with pytest.raises(ValueError, match=r"no value for scale\(s\) \['full'\]"):
        lbdl.expect("acc", 0.9, at_least={"ci": 0.1, "small": 0.5})
    with pytest.raises(ValueError, match="one number"):
        lbdl.expect("acc", torch.ones(3), at_least=0)
    with pytest.raises(TypeError, match="expected a number"):
        lbdl.expect("acc", "high", at_least=0)
    with pytest.raises(ValueError, match="non-empty name"):
        lbdl.record("", 1.0)


def test_check_close_records_error_and_fails_on_mismatch():
    a = torch.randn(5, 3, dtype=torch.float64)
    lbdl.check_close("same", a, a.clone())
    assert lbdl.records[-1]["value"] == 0.0 and lbdl.records[-1]["passed"]
    with pytest.raises(AssertionError, match="bad: from-scratch and reference differ"):
        lbdl.check_close("bad", a, a + 1e-3, rtol=0, atol=1e-5)
    assert lbdl.records[-1]["name"] == "bad" and lbdl.records[-1]["passed"] is False
    with pytest.raises(ValueError, match=r"shapes differ, \(5, 3\) vs \(3, 5\)"):
        lbdl.check_close("shape", a, a.T)
    with pytest.raises(TypeError, match="compares tensors"):
        lbdl.check_close("type", a, [1, 2])


def test_expect_prints_its_baseline_and_summary_tabulates(capsys):
    lbdl.set_scale("small")
    lbdl.expect("accuracy", 0.97, at_least={"ci": 0.9, "small": 0.95, "full": 0.95}, baseline=("chance", 0.1))
    assert "(expected >= 0.95; baseline, chance: 0.1)" in capsys.readouterr().out
    lbdl.expect("parameters", 25_557_032, at_least=25_557_032, at_most=25_557_032)
    assert "= 25,557,032 (expected = 25,557,032)" in capsys.readouterr().out
    lbdl.record("bandwidth", 12.5)
    lbdl.summary()
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["metric", "value", "threshold", "unit", "ok"]
    assert out[1].split()[-1] == "✓" and "(baseline 0.1)" in out[1]
    assert "measured" in out[3] and out[3].split()[-1] == "·"
    lbdl.expect("accuracy", 0.96, at_least=0.95)  # the cell run again: one row, the latest value, same place
    capsys.readouterr()
    lbdl.summary()
    again = capsys.readouterr().out.splitlines()
    assert len(again) == len(out) and "0.96" in again[1] and "0.97" not in "".join(again)
