import matplotlib

matplotlib.use("agg")  # this test process only; never exported to kernels

import matplotlib.pyplot as plt
import pytest
import torch
from torch import nn

import lbdlutils as lbdl
from lbdlutils import plot


def test_curves_and_errors():
    ax = plot.curves({"train loss": [3, 2, 1], "val loss": torch.tensor([3.0, 2.5, 2.0])}, logy=True)
    assert len(ax.lines) == 2
    with pytest.raises(ValueError, match="non-empty mapping"):
        plot.curves({})
    with pytest.raises(ValueError, match="must be 1-D"):
        plot.curves({"x": [[1, 2]]})
    plt.close("all")


def test_image_grid_shapes():
    assert len(plot.image_grid(torch.rand(6, 1, 8, 8), labels=list(range(6)), ncols=3).axes) == 6
    assert len(plot.image_grid(torch.rand(2, 3, 8, 8)).axes) == 2
    with pytest.raises(ValueError, match="channels must be 1 or 3"):
        plot.image_grid(torch.rand(2, 2, 8, 8))
    with pytest.raises(ValueError, match=r"\(N, H, W\) or \(N, C, H, W\)"):
        plot.image_grid(torch.rand(8, 8))
    with pytest.raises(ValueError, match="3 labels for 2 images"):
        plot.image_grid(torch.rand(2, 8, 8), labels=[1, 2, 3])
    plt.close("all")


def test_decision_regions():
    x, y = lbdl.data.toy_2d("blobs", 50)
    ax = plot.decision_regions(lambda p: (p[:, 0] > 0).long(), x, y, resolution=20)
    assert ax.collections
    with pytest.raises(ValueError, match=r"shape \(N, 2\)"):
        plot.decision_regions(lambda p: p, torch.rand(5, 3), y[:5])
    plt.close("all")


def test_live_curve_headless_draws_once(monkeypatch):
    shown = []
    monkeypatch.setattr(plot.figures, "show", lambda fig, handle=None: shown.append(fig) or "h")
    chart = plot.LiveCurve()
    for i in range(5):
        chart.update(loss=1 / (i + 1))
    assert shown == []
    assert chart.close() == {"loss": [1, 0.5, 1 / 3, 0.25, 0.2]} and len(shown) == 1


def test_fit_learns_a_separable_problem(capsys):
    lbdl.setup("ci", seed=0, notebook="t", report=False)
    x, y = lbdl.data.toy_2d("blobs", 500, seed=0)
    model = nn.Sequential(nn.Linear(2, 32), nn.ReLU(), nn.Linear(32, 5))
    hist = lbdl.fit(model, x, y, epochs=15, lr=1e-2, val=(x, y), live=False)
    assert hist["train loss"][-1] < hist["train loss"][0] / 3
    assert hist["val accuracy"][-1] > 0.9
    assert "training: 15/15" in capsys.readouterr().out  # headless: one summary line
    with pytest.raises(ValueError, match="epochs must be a positive integer"):
        lbdl.fit(model, x, y, epochs=0)


def test_optimize_fits_least_squares_and_rejects_bad_steps(capsys):
    torch.manual_seed(0)
    x = torch.randn(256, 3)
    y = x @ torch.tensor([1.0, -2.0, 0.5]) + 0.3
    model = nn.Linear(3, 1)
    last = lbdl.train.optimize(model, lambda step: ((model(x)[:, 0] - y) ** 2).mean(), 300, 0.1, "lsq",
                               weight_decay=0)
    assert last < 1e-3  # the data are noiseless: the least-squares fit is exact
    torch.testing.assert_close(model.weight[0].detach(), torch.tensor([1.0, -2.0, 0.5]), atol=0.02, rtol=0)
    assert "lsq: 300/300" in capsys.readouterr().out
    with pytest.raises(ValueError, match="positive integer"):
        lbdl.train.optimize(model, lambda step: model(x).sum(), 0, 0.1)


def test_live_curve_rejects_non_numbers():
    with pytest.raises(TypeError, match="loss must be a number"):
        plot.LiveCurve().update(loss="low")


def test_evaluate_reports_loss_and_metric():
    model = nn.Linear(2, 3)
    x, y = torch.rand(10, 2), torch.randint(0, 3, (10,))
    loss, acc = lbdl.evaluate(model, x, y, nn.functional.cross_entropy)
    assert loss > 0 and 0 <= acc <= 1
    with pytest.raises(ValueError, match="same length"):
        lbdl.evaluate(model, x, y[:4], nn.functional.cross_entropy)


def test_batches_and_accuracy_errors():
    x, y = torch.rand(10, 2), torch.arange(10)
    assert sum(len(b[0]) for b in lbdl.batches(x, y, 3)) == 10
    with pytest.raises(ValueError, match="same length"):
        next(lbdl.batches(x, y[:5], 3))
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        next(lbdl.batches(x, y, 0))
    assert lbdl.accuracy(torch.eye(3), torch.tensor([0, 1, 0])) == pytest.approx(2 / 3)
    with pytest.raises(ValueError, match=r"logits \(N, C\) and labels \(N,\)"):
        lbdl.accuracy(torch.rand(3), torch.tensor([0, 1, 0]))


def test_progress_headless_summary(capsys):
    assert list(lbdl.progress(range(4), desc="steps")) == [0, 1, 2, 3]
    assert "steps: 4/4" in capsys.readouterr().out


def test_knobs_headless_draws_defaults_once(monkeypatch):
    shown, calls = [], []
    monkeypatch.setattr(lbdl.widgets, "show", lambda fig, handle=None: shown.append(fig))

    def draw(n, width, kind, log):
        calls.append((n, width, kind, log))
        return plt.figure()

    assert lbdl.knobs(draw, n=(10, 1, 40), width=(0.2, 0.01, 1.0), kind=["a", "b"], log=False) is None
    assert calls == [(10, 0.2, "a", False)] and len(shown) == 1
    plt.close("all")


def test_knobs_errors():
    fig = lambda **k: plt.figure()
    with pytest.raises(ValueError, match="at least one control"):
        lbdl.knobs(fig)
    with pytest.raises(ValueError, match="outside"):
        lbdl.knobs(fig, n=(50, 1, 40))
    with pytest.raises(ValueError, match=r"\(default, lo, hi\)"):
        lbdl.knobs(fig, n=(1, 2))
    with pytest.raises(ValueError, match="at least one option"):
        lbdl.knobs(fig, kind=[])
    with pytest.raises(TypeError, match="expected"):
        lbdl.knobs(fig, n={"a": 1})
    with pytest.raises(TypeError, match="must return a matplotlib Figure"):
        lbdl.knobs(lambda n: None, n=(1, 0, 2))
    with pytest.raises(TypeError, match="needs a function"):
        lbdl.knobs(3, n=(1, 0, 2))
    plt.close("all")


def test_knobs_live_builds_widgets(monkeypatch):
    """In a live notebook each knob becomes a widget and a change redraws in place."""
    import ipywidgets

    monkeypatch.setenv("LBDL_HEADLESS", "0")
    shown = []
    monkeypatch.setattr(lbdl.widgets, "show", lambda fig, handle=None: shown.append(handle) or "handle")
    boxes = []
    monkeypatch.setattr("IPython.display.display", lambda box: boxes.append(box))
    lbdl.knobs(lambda n, w: plt.figure(), n=(3, 1, 9), w=(0.5, 0.0, 1.0))
    sliders = boxes[0].children[0].children
    assert isinstance(sliders[0], ipywidgets.IntSlider) and isinstance(sliders[1], ipywidgets.FloatSlider)
    sliders[0].value = 5
    assert shown == [None, "handle"]  # first draw, then an in-place update
    plt.close("all")


def test_image_grid_symmetric_range_shows_sign():
    w = torch.tensor([[[-2.0, 1.0], [0.0, 0.5]], [[1.0, -1.0], [0.0, 0.0]]])
    fig = plot.image_grid(w, cmap="RdBu_r", symmetric=True)
    images = [ax.images[0] for ax in fig.axes if ax.images]
    assert all(im.get_clim() == (-2.0, 2.0) for im in images) and len(fig.axes) == 3  # two images, one colour bar
    plt.close("all")


def test_search_box_headless_shows_the_default_answer(monkeypatch, capsys):
    monkeypatch.setenv("LBDL_HEADLESS", "1")
    asked = []
    lbdl.widgets.search_box(lambda text: asked.append(text) or f"**{text}**", "dropout")
    assert asked == ["dropout"] and "Markdown" in capsys.readouterr().out
    with pytest.raises(TypeError, match="text -> Markdown"):
        lbdl.widgets.search_box("not a function", "x")
