"""Train/validation/test splits, and the argument checks every data generator shares."""

from __future__ import annotations

import math
from typing import NamedTuple

import torch


class Split(NamedTuple):
    """Train, validation and test parts, each an (x, y) pair of tensors."""

    train: tuple[torch.Tensor, torch.Tensor]
    val: tuple[torch.Tensor, torch.Tensor]
    test: tuple[torch.Tensor, torch.Tensor]


def check_n(n: int, name: str = "n", minimum: int = 1) -> None:
    """Raise a ValueError unless ``n`` is an integer >= ``minimum``."""
    if not isinstance(n, int) or isinstance(n, bool) or n < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {n!r}")


def split(x: torch.Tensor, y: torch.Tensor, fractions: tuple[float, float, float] = (0.6, 0.2, 0.2),
          seed: int = 0) -> Split:
    """Shuffle (x, y) along the first dimension and cut it into train/val/test by ``fractions``."""
    if len(x) != len(y):
        raise ValueError(f"x and y must have the same length, got {len(x)} and {len(y)}")
    if len(fractions) != 3 or any(f < 0 for f in fractions) or not math.isclose(sum(fractions), 1):
        raise ValueError(f"fractions must be three non-negative numbers summing to 1, got {fractions}")
    order = torch.randperm(len(x), generator=torch.Generator().manual_seed(seed))
    n_train = round(fractions[0] * len(x))
    n_val = round(fractions[1] * len(x))
    parts = order[:n_train], order[n_train:n_train + n_val], order[n_train + n_val:]
    return Split(*((x[i], y[i]) for i in parts))
