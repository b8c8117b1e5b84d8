"""Images that ship with scikit-learn: the 1,797 handwritten digits and two sample photos."""

from __future__ import annotations

from functools import cache

import torch

from .splits import Split, check_n, split

PHOTOS = ("china.jpg", "flower.jpg")


def digits(size: int = 8, fractions: tuple[float, float, float] = (0.6, 0.2, 0.2), seed: int = 0) -> Split:
    """scikit-learn's bundled 1,797 handwritten digits: x (N, 1, size, size) in [0, 1], y (N,) in 0..9.

    ``size`` > 8 upsamples bilinearly (e.g. 16 or 28 for architectures that need more pixels).
    """
    check_n(size, "size", 8)
    x, y = _bundled_digits()
    if size != 8:
        x = torch.nn.functional.interpolate(x, size=(size, size), mode="bilinear", align_corners=False)
    return split(x, y, fractions, seed)  # split indexes, so callers get copies, never the cache


@cache
def _bundled_digits() -> tuple[torch.Tensor, torch.Tensor]:
    """Read scikit-learn's digits file once per process (about a second each time otherwise)."""
    from sklearn.datasets import load_digits

    raw = load_digits()
    return torch.tensor(raw.images, dtype=torch.float32).unsqueeze(1) / 16.0, torch.tensor(raw.target)


def photo(name: str = "china.jpg", size: int | None = None) -> torch.Tensor:
    """One of scikit-learn's sample photos as 1×3×H×W in [0, 1] (427×640), resized to size×size if asked."""
    if name not in PHOTOS:
        raise ValueError(f"unknown photo {name!r}: scikit-learn ships {', '.join(PHOTOS)}")
    from sklearn.datasets import load_sample_image

    x = torch.tensor(load_sample_image(name), dtype=torch.float32).permute(2, 0, 1)[None] / 255
    if size is not None:
        check_n(size, "size", 1)
        x = torch.nn.functional.interpolate(x, size=(size, size), mode="bilinear", antialias=True)
    return x
