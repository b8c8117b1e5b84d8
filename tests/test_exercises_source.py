"""Checked exercises, machine-dependent checks, visible source and architecture figures."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402

import lbdlutils as lbdl  # noqa: E402


def softmax_check():
    return lbdl.same_as(lambda z: torch.softmax(z, -1), [(torch.randn(3, 4),), (torch.randn(5),)])


def test_exercise_rejects_stub_and_wrong_answers_in_words(capsys):
    def stub(z):
        raise NotImplementedError

    lbdl.exercise("softmax", stub, softmax_check())
    assert "not done yet" in capsys.readouterr().out
    lbdl.exercise("softmax", lambda z: z.exp() / z.exp().sum(), softmax_check())  # sums over everything
    out = capsys.readouterr().out
    assert "✗ softmax" in out and "values are wrong" in out and "at index" in out
    lbdl.exercise("softmax", lambda z: z.exp().sum(-1), softmax_check())
    assert "has shape (3,), expected (3, 4)" in capsys.readouterr().out
    lbdl.exercise("softmax", lambda z: None, softmax_check())
    assert "returns nothing" in capsys.readouterr().out
    lbdl.exercise("softmax", lambda z: z[0, 0] / 0 if z.ndim == 1 else [][1], softmax_check())
    assert "your code raised IndexError" in capsys.readouterr().out
    assert [r["value"] for r in lbdl.records] == [0.0] * 5 and all("passed" not in r for r in lbdl.records)


def test_exercise_accepts_a_solution_and_a_rejected_solution_raises(capsys):
    lbdl.exercise("softmax", lambda z: z.exp() / z.exp().sum(-1, keepdim=True), softmax_check(), solution=True)
    assert "✓ softmax: correct" in capsys.readouterr().out and lbdl.records[-1]["passed"] is True
    with pytest.raises(AssertionError, match="rejected by its own checker"):
        lbdl.exercise("softmax", lambda z: z, softmax_check(), solution=True)
    count = lbdl.same_as(lambda n: 2 * n, [(3,)])
    assert count(lambda n: 5) == "for inputs 3 you give 5, which is too small"
    with pytest.raises(TypeError, match="check must be a function"):
        lbdl.exercise("x", 1, "not a checker")


@pytest.mark.parametrize("scale", ["ci", "small", "full"])
def test_machine_check_never_raises_and_explains(capsys, scale):
    lbdl.set_scale(scale)
    lbdl.machine_check("speed-up", 1.1, at_least=10, unit="×")  # far from typical: said, never raised
    out = capsys.readouterr().out
    assert out.startswith("✗ speed-up = 1.1×") and "Not an error" in out and "which has" in out
    assert lbdl.records[-1]["typical"] is False and "passed" not in lbdl.records[-1]
    lbdl.machine_check("speed-up", 30.0, at_least=10)
    assert capsys.readouterr().out.startswith("✓ speed-up = 30")
    assert lbdl.records[-1]["typical"] is True and lbdl.records[-1]["machine_dependent"] is True
    with pytest.raises(ValueError, match="typical range"):
        lbdl.machine_check("speed-up", 1.0)
    with pytest.raises(TypeError):
        lbdl.machine_check("speed-up", 30.0, at_least=10, ci_at_least=1.5)  # no bound that a time must meet


def test_machine_notes_name_the_quota(monkeypatch):
    from lbdlutils import checks

    monkeypatch.setattr(checks._device, "cpu_quota", lambda: 1.0)
    assert any("quota of 1 CPU" in n for n in checks.machine_notes())


def test_show_source_is_markdown_with_a_link(monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj, raw=False: shown.append(obj))
    lbdl.show_source(lbdl.models.gpt.CausalSelfAttention)
    md = shown[-1]["text/markdown"]
    assert md.startswith("`lbdlutils.models.gpt.CausalSelfAttention` ([lbdlutils/models/gpt.py, lines ")
    assert "```python\nclass CausalSelfAttention(nn.Module):" in md and "is_causal=True" in md
    assert f"{lbdl.REPO_URL}/blob/main/lbdlutils/models/gpt.py#L" in md
    lbdl.show_source(lbdl.models.GPT.generate)  # a method: dedented, decorator kept
    assert shown[-1]["text/plain"].startswith("@torch.no_grad()\ndef generate(")
    with pytest.raises(TypeError, match="no Python source"):
        lbdl.show_source(len)


def test_architecture_folds_repeats_and_draws_residuals():
    from lbdlutils.plot import diagrams as arch

    gpt = lbdl.models.GPT(20, 32, 4, 3, 16)
    rows = arch._fold(arch._rows(gpt, (torch.zeros(1, 8, dtype=torch.long),), 1))
    assert [r["n"] for r in rows if r["family"] == "block"] == [3]
    assert rows[-1]["shape"] == (1, 8, 20)
    block = lbdl.models.Bottleneck(64, 16, 128, stride=2)
    fig = lbdl.plot.architecture(block, torch.zeros(1, 64, 8, 8), depth=2, residual=[("body.0", "body.7")])
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "⊕" in texts and any(t.startswith("skip: Conv2d 1×1, 64→128, stride 2") for t in texts)
    assert "1×128×4×4" in texts
    s2s = lbdl.models.Seq2Seq(12)
    z = torch.zeros(1, 5, dtype=torch.long)
    fig2 = lbdl.plot.architecture(s2s, z, z, split_after="norm_enc")
    assert any("memory" in t.get_text() for t in fig2.axes[0].texts)
    with pytest.raises(ValueError, match="names no layer"):
        lbdl.plot.architecture(s2s, z, z, split_after="nope")
    with pytest.raises(ValueError, match="names must be drawn layers"):
        lbdl.plot.architecture(block, torch.zeros(1, 64, 8, 8), residual=[("a", "b")])
    assert arch.describe(nn.Sequential(nn.Linear(4, 16), nn.GELU(), nn.Linear(16, 4)))[0] == "MLP 4→16→4"
    plt.close("all")


def test_language_model_training_pieces():
    ids = torch.arange(100) % 7
    x, y = lbdl.train.lm_batch(ids, 5, 8, torch.Generator().manual_seed(0))
    assert x.shape == y.shape == (5, 8) and torch.equal(y, (x + 1) % 7)  # the next token of this stream
    with pytest.raises(ValueError, match="longer than context"):
        lbdl.train.lm_batch(ids[:5], 2, 8)
    f = [lbdl.train.warmup_cosine(s, 100, 10) for s in range(100)]
    assert f[0] == pytest.approx(0.1) and f[9] == 1.0 and f[-1] == pytest.approx(0.1, abs=1e-3)
    assert all(a >= b for a, b in zip(f[10:], f[11:]))
    model = lbdl.models.GPT(7, 16, 2, 1, 8)
    opt = lbdl.train.adamw(model, 1e-3)
    decayed = {id(p) for p in opt.param_groups[0]["params"]}
    assert all((id(p) in decayed) == (p.ndim >= 2) for p in model.parameters())
    assert opt.defaults.get("fused") is True
    before = lbdl.train.lm_loss(model, ids)
    hist = lbdl.train.train_lm(model, ids, steps=60, batch=16, lr=1e-2, val_ids=ids, live=False, evals=3)
    assert hist["step"] == [20, 40, 60] and hist["val loss"][-1] < 0.2 * before  # the stream is periodic
    expected = F.cross_entropy(model(ids[:8][None]).flatten(0, 1), ids[1:9])
    assert lbdl.train.lm_loss(model, ids[:9], max_windows=1) == pytest.approx(expected.item(), rel=1e-5)


def test_a_nan_answer_is_rejected_even_by_a_checker_that_nan_would_fool(capsys):
    def check_close_enough(f):  # written as many are: NaN > tol is False, so NaN would pass
        return "too far" if abs(f(2.0) - 4.0) > 1e-6 else None

    lbdl.exercise("square", lambda x: float("nan"), check_close_enough)
    assert "returned NaN" in capsys.readouterr().out and lbdl.records[-1]["value"] == 0.0
    lbdl.exercise("square", lambda x: torch.tensor([x * x, float("nan")]), lambda f: f(2.0) is None and "none")
    assert "returned NaN (not a number) at index (1,)" in capsys.readouterr().out
    lbdl.exercise("square", lambda x: x * x, check_close_enough)
    assert "✓ square: correct" in capsys.readouterr().out


def test_same_as_gives_each_side_its_own_inputs_and_names_infinities():
    def doubles_in_place(x):  # changes its input: the reference must not see the change
        return x.mul_(2)

    check = lbdl.same_as(lambda x: x * 2, [(torch.ones(3),)])
    assert check(doubles_in_place) is None  # right values, computed on its own copy
    assert "values are wrong" in check(lambda x: x.zero_())  # zeroing its input no longer zeroes the reference's
    assert "you give 1 where 2 is right" in lbdl.same_as(lambda x: x * 2, [(torch.ones(3),)])(lambda x: x)
    inf = lbdl.same_as(lambda x: x, [(torch.tensor([1.0, 2.0]),)])(lambda x: x / torch.tensor([1.0, 0.0]))
    assert inf.endswith("at index (1,) you give an infinity where 2 is right"), inf
    both = lbdl.same_as(lambda x: x.log(), [(torch.tensor([0.0, 1.0]),)])(lambda x: x.log() + 1)
    assert "at index (0,)" not in both and "at index (1,) you give 1 where 0 is right" in both  # -inf agrees
