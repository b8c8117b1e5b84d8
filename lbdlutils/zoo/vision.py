"""The zoo's image recipes: chapter 6's denoiser and segmenters, trained once for longer than a reader waits."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from .. import scale as _scale
from .. import train
from ..data import images, shapes
from ..models import unet

SIGMA = 0.15  # the noise the denoiser learns to remove (chapter 6, §6.1)


class Pictures(NamedTuple):
    """Training and held-out tensors of an image recipe (inputs first, then targets if any)."""

    train: tuple[torch.Tensor, ...]
    val: tuple[torch.Tensor, ...]
    chars: tuple[str, ...] = ()  # no vocabulary: the zoo's text recipes keep theirs here

    def tensors(self) -> tuple[torch.Tensor, ...]:
        """Every tensor, in a fixed order: what a zoo file's key hashes."""
        return (*self.train, *self.val)


def fit_images(model: nn.Module, loss_of_step: Callable[[int], torch.Tensor], evaluate: Callable[[], float],
               steps: int, lr: float, every: int, stop: int | None = None, weight_decay: float = 0.0,
               desc: str = "training") -> dict[str, list]:
    """``lbdl.train.optimize`` (AdamW, one-cycle schedule) with the held-out loss recorded every ``every`` steps.

    The history has ``step`` (0: before training), ``train loss`` (mean since the previous record; None
    at step 0) and ``val loss``. ``stop`` ends the run after that many steps, keeping the whole run's schedule.
    """
    history: dict[str, list] = {"step": [0], "train loss": [None], "val loss": [evaluate()]}  # None: JSON-safe
    running: list[float] = []

    def record(step: int, loss: float) -> None:
        running.append(loss)
        if (step + 1) % every == 0 or step + 1 == (stop or steps):
            history["step"].append(step + 1)
            history["train loss"].append(sum(running) / len(running))
            history["val loss"].append(evaluate())
            running.clear()
        model.train()  # evaluate may leave it in eval mode

    model.train()
    train.optimize(model, loss_of_step, steps, lr, desc, weight_decay, stop=stop, after_step=record)
    model.eval()
    return history


@torch.no_grad()
def batched(model: nn.Module, x: torch.Tensor, size: int = 100) -> torch.Tensor:
    """``model`` applied to ``x`` in chunks of ``size`` on the model's device; the result on the CPU."""
    where = next(model.parameters()).device
    return torch.cat([model(x[i:i + size].to(where)).cpu() for i in range(0, len(x), size)])


def denoiser_data(scale: str) -> Pictures:
    """3,000 clean 32-pixel crops of the sample photos, and 300 held-out ones with their noise (every scale)."""
    clean = images.photo_crops(3000, part="train", seed=0)
    held_out = images.photo_crops(300, part="test", seed=1)
    noise = SIGMA * torch.randn(held_out.shape, generator=torch.Generator().manual_seed(0))
    return Pictures((clean,), (held_out + noise, held_out))


def build_denoiser(data: Pictures, scale: str) -> nn.Module:
    """A U-Net with one halving, width 32 and no normalisation, which predicts the noise."""
    return unet.UNet(3, 3, width=32, depth=1, norm=False)


def denoiser_val_loss(model: nn.Module, data: Pictures) -> float:
    """Mean squared error of noisy − model(noisy) against the clean held-out crops."""
    noisy, clean = data.val
    return F.mse_loss(noisy - batched(model, noisy), clean).item()


def fit_denoiser(model: nn.Module, data: Pictures, scale: str, seed: int, stop: int | None = None) -> dict[str, Any]:
    """Batches of 16 noisy crops, the squared error of the residual prediction, 2,400 steps (ci: 800)."""
    steps, every = _scale.pick(ci=(800, 50), small=(2400, 100), full=(2400, 100), scale=scale)
    lr = 3e-3
    (clean,), where, g = data.train, next(model.parameters()).device, torch.Generator().manual_seed(seed)

    def loss(step: int) -> torch.Tensor:
        x = clean[torch.randint(0, len(clean), (16,), generator=g)]
        noisy = (x + SIGMA * torch.randn(x.shape, generator=g)).to(where)
        return F.mse_loss(noisy - model(noisy), x.to(where))

    return fit_images(model, loss, lambda: denoiser_val_loss(model, data), steps, lr, every, stop,
                      desc="denoiser")


def segmentation_data(scale: str) -> Pictures:
    """2,000 scenes of one to three shapes and their masks (full: 4,000), and 300 held-out ones."""
    n = _scale.pick(ci=2000, small=2000, full=4000, scale=scale)
    parts = [shapes.scenes(m, objects=(1, 3), seed=seed) for m, seed in ((n, 0), (300, 1))]
    return Pictures(*((s.images, s.masks) for s in parts))


def segmenter(skips: bool) -> Callable[[Pictures, str], nn.Module]:
    """The builder of chapter 6's segmenting U-Net (two halvings, pyramid pooling), with or without skips."""
    return lambda data, scale: unet.UNet(3, 1 + len(shapes.SHAPES), width=16, depth=2, skips=skips, pyramid=True)


def segmentation_val_loss(model: nn.Module, data: Pictures) -> float:
    """Per-pixel cross-entropy on the held-out scenes."""
    scenes, masks = data.val
    return F.cross_entropy(batched(model.eval(), scenes), masks).item()


def fit_segmenter(model: nn.Module, data: Pictures, scale: str, seed: int, stop: int | None = None) -> dict[str, Any]:
    """Batches of 16 scenes, per-pixel cross-entropy, 1,200 steps (ci: 400)."""
    steps, every = _scale.pick(ci=(400, 50), small=(1200, 100), full=(1200, 100), scale=scale)
    lr = 5e-3
    (scenes, masks), where, g = data.train, next(model.parameters()).device, torch.Generator().manual_seed(seed)

    def loss(step: int) -> torch.Tensor:
        i = torch.randint(0, len(scenes), (16,), generator=g)
        return F.cross_entropy(model(scenes[i].to(where)), masks[i].to(where))

    return fit_images(model, loss, lambda: segmentation_val_loss(model, data), steps, lr, every, stop,
                      weight_decay=1e-4, desc=f"U-Net {'with' if model.skips else 'without'} skips")
