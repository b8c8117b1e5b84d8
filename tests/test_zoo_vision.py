"""The zoo's image recipes: held-out losses recorded as they train, reruns retrace them, no vocabulary."""

from __future__ import annotations

import matplotlib
import pytest
import torch
import torch.nn.functional as F

from lbdlutils import zoo
from lbdlutils.models import UNet
from lbdlutils.zoo import store, vision


def _pictures(scale: str) -> vision.Pictures:
    g = torch.Generator().manual_seed(0)
    clean = torch.rand(24, 3, 8, 8, generator=g)
    return vision.Pictures((clean[:16],), (clean[16:] + 0.1 * torch.randn(8, 3, 8, 8, generator=g), clean[16:]))


def _fit(model, data, scale, seed, stop=None):
    (clean,), g = data.train, torch.Generator().manual_seed(seed)

    def loss(step):
        x = clean[torch.randint(0, len(clean), (4,), generator=g)]
        noisy = x + 0.1 * torch.randn(x.shape, generator=g)
        return F.mse_loss(noisy - model(noisy), x)

    return vision.fit_images(model, loss, lambda: vision.denoiser_val_loss(model, data), steps=6, lr=1e-2,
                             every=2, stop=stop)


@pytest.fixture
def tiny_images(monkeypatch, tmp_path):
    monkeypatch.setenv("LBDL_CACHE", str(tmp_path / "zoo"))
    recipe = zoo.Recipe("a tiny denoiser for tests", _pictures, lambda d, scale: UNet(3, 3, width=4, depth=1,
                        norm=False), _fit, vision.denoiser_val_loss, "MSE", (vision,))
    monkeypatch.setitem(zoo.RECIPES, "tiny-images", recipe)
    return tmp_path


def test_history_starts_untrained_and_a_rerun_retraces_it(tiny_images, capsys):
    whole = zoo.load("tiny-images", scale="ci")
    h = whole.metrics["history"]
    assert h["step"] == [0, 2, 4, 6] and h["train loss"][0] is None and len(h["val loss"]) == 4
    assert h["val loss"][0] == pytest.approx(vision.denoiser_val_loss(
        zoo.RECIPES["tiny-images"].build(None, "ci").eval(), _pictures("ci")), rel=0.5)  # an untrained net's error
    part = zoo.first_steps("tiny-images", 4, scale="ci").metrics["history"]
    assert part["step"] == [0, 2, 4]
    gap, lag = zoo.replay_gap(h, part)
    assert gap < 1e-6 < lag, "the same seed, data and schedule: the same losses"
    assert "loaded from the cache" in (zoo.load("tiny-images", scale="ci"), capsys.readouterr().out)[1]
    with pytest.raises(ValueError, match="stop must be an integer from 1 to steps"):
        zoo.first_steps("tiny-images", 7, scale="ci")


def test_an_image_model_ships_without_a_vocabulary(tiny_images):
    metrics = zoo.ship("tiny-images", "ci", out=tiny_images / "weights")
    state = store.read(tiny_images / "weights" / store.shipped_name("tiny-images", "ci", 0))
    assert tuple(state["vocab"]) == () and state["code"] == store.code_hash("tiny-images")
    assert metrics["shipped val loss"] == pytest.approx(metrics["history"]["val loss"][-1], rel=0.05)
    assert zoo.key("tiny-images", "ci", 0) != zoo.key("tiny-images", "ci", 0, _pictures("ci")._replace(
        val=(torch.zeros(8, 3, 8, 8), torch.zeros(8, 3, 8, 8)))), "the key hashes the images"


def test_replay_gap_by_hand():
    recorded = {"step": [0, 100, 200, 300], "val loss": [2.0, 1.0, 0.6, 0.5]}
    here = {"step": [0, 100, 150, 200], "val loss": [2.0, 1.1, 0.8, 0.62]}  # 150 was not recorded: skipped
    gap, lag = zoo.replay_gap(recorded, here)
    assert gap == pytest.approx(0.1) and lag == pytest.approx(0.4)
    with pytest.raises(ValueError, match="share 1 evaluated steps"):
        zoo.replay_gap(recorded, {"step": [0, 50], "val loss": [2.0, 1.5]})


def test_show_history_draws_the_record_and_the_rerun():
    matplotlib.use("Agg")
    metrics = {"train_seconds": 12.0, "history": {"step": [0, 1, 2], "train loss": [None, 1.0, 0.5],
                                                  "val loss": [2.0, 1.2, 0.7]}}
    ax = zoo.show_history(metrics, "tiny", run_here={"step": [0, 1], "val loss": [2.0, 1.2]}, unit="MSE", log=True)
    assert [line.get_label() for line in ax.get_lines()] == ["train loss (recorded, mean since the last record)",
                                                            "val loss (recorded)",
                                                            "val loss (run here)"]
    assert ax.get_yscale() == "log" and ax.get_ylabel() == "MSE" and "12 s of training" in ax.get_title()
