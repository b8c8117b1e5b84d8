"""Optimisers written out (chapter 3 derives Adam and checks it against ``torch.optim.Adam``)."""

from __future__ import annotations

from collections.abc import Iterable

import torch


class ScratchAdam:
    """Adam (Kingma and Ba): running means of the gradient and of its square, bias-corrected."""

    def __init__(self, params: Iterable[torch.Tensor], lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8) -> None:
        self.params, self.lr, self.betas, self.eps, self.n = list(params), lr, betas, eps, 0
        self.m = [torch.zeros_like(p) for p in self.params]
        self.v = [torch.zeros_like(p) for p in self.params]

    @torch.no_grad()
    def step(self) -> None:
        """One update of every parameter from its ``.grad``."""
        self.n += 1
        b1, b2 = self.betas
        for p, m, v in zip(self.params, self.m, self.v):
            m.mul_(b1).add_((1 - b1) * p.grad)
            v.mul_(b2).add_((1 - b2) * p.grad**2)
            p -= self.lr * (m / (1 - b1**self.n)) / ((v / (1 - b2**self.n)).sqrt() + self.eps)
