"""Pieces the chapters derive and later chapters import: Adam written out, DDPM's forward process."""

from __future__ import annotations

import math

import pytest
import torch

import lbdlutils as lbdl


def test_scratch_adam_follows_torch_adam():
    torch.manual_seed(0)
    start = torch.randn(10, dtype=torch.float64)
    paths = []
    for make in (lbdl.optim.ScratchAdam, torch.optim.Adam):
        w = start.clone().requires_grad_()
        opt = make([w], lr=0.05)
        for _ in range(15):
            w.grad = None
            (w.sin() * w).sum().backward()
            opt.step()
        paths.append(w.detach())
    torch.testing.assert_close(paths[0], paths[1], rtol=1e-10, atol=1e-12)


def test_cosine_schedule_and_noise_in_one_go():
    betas, alpha_bar = lbdl.diffusion.cosine_schedule(100)
    assert betas.dtype == torch.float64 and betas.shape == alpha_bar.shape == (100,)
    assert (alpha_bar.diff() < 0).all() and alpha_bar[0] > 0.99 and alpha_bar[-1] < 1e-3
    # the product of the (1 - β) telescopes to f(t) / f(0), f the squared cosine, until β is capped
    t = torch.arange(1, 91, dtype=torch.float64) / 100
    f = torch.cos((t + 0.008) / 1.008 * math.pi / 2) ** 2 / math.cos(0.008 / 1.008 * math.pi / 2) ** 2
    torch.testing.assert_close(alpha_bar[:90], f)
    x0, eps = torch.ones(3), torch.zeros(3)
    torch.testing.assert_close(lbdl.diffusion.noised(x0, alpha_bar[9], eps), alpha_bar[9].sqrt() * x0)
    with pytest.raises(ValueError, match="positive integer"):
        lbdl.diffusion.cosine_schedule(0)
