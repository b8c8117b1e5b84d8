"""DDPM's forward process (chapter 7 derives it and trains denoisers on it; chapter 10 reuses it)."""

from __future__ import annotations

import math

import torch


def cosine_schedule(steps: int, offset: float = 0.008) -> tuple[torch.Tensor, torch.Tensor]:
    """(β_1…β_T, ᾱ_1…ᾱ_T) in float64 for the cosine schedule, ᾱ_t ∝ cos²((t/T + s)/(1 + s) · π/2)."""
    if not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps must be a positive integer, got {steps!r}")
    s = torch.arange(steps + 1, dtype=torch.float64) / steps
    f = torch.cos((s + offset) / (1 + offset) * math.pi / 2) ** 2
    betas = (1 - f[1:] / f[:-1]).clamp(max=0.999)  # capped: the last steps would otherwise destroy all
    return betas, torch.cumprod(1 - betas, 0)


def noised(x0: torch.Tensor, alpha_bar_t: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
    """x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε: t steps of noise in one go (``alpha_bar_t`` broadcasts against x_0)."""
    return alpha_bar_t.sqrt() * x0 + (1 - alpha_bar_t).sqrt() * eps
