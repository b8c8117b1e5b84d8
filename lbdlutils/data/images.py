"""Images that ship with scikit-learn: the 1,797 handwritten digits and two sample photos."""

from __future__ import annotations

from functools import cache

import torch

from .splits import Split, check_n, split

PHOTOS = ("china.jpg", "flower.jpg")


def digits(size: int = 8, fractions: tuple[float, float, float] = (0.6, 0.2, 0.2), seed: int = 0,
           canvas: int | None = None) -> Split:
    """scikit-learn's bundled 1,797 handwritten digits: x (N, 1, size, size) in [0, 1], y (N,) in 0..9.

    ``size`` > 8 upsamples bilinearly (e.g. 16 or 28 for architectures that need more pixels).
    ``canvas`` > ``size`` pastes each digit at a random position (drawn from ``seed``) on a black
    canvas×canvas image: the same digits, now anywhere, where looking up the nearest one does much worse.
    """
    check_n(size, "size", 8)
    x, y = _bundled_digits()
    if size != 8:
        x = torch.nn.functional.interpolate(x, size=(size, size), mode="bilinear", align_corners=False)
    if canvas is not None:
        check_n(canvas, "canvas", size)
        corners = torch.randint(0, canvas - size + 1, (len(x), 2), generator=torch.Generator().manual_seed(seed))
        placed = x.new_zeros(len(x), 1, canvas, canvas)
        for image, digit, (top, left) in zip(placed, x, corners.tolist()):
            image[:, top:top + size, left:left + size] = digit
        x = placed
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


def photo_crops(n: int, size: int = 32, part: str = "train", seed: int = 0) -> torch.Tensor:
    """``n`` random size×size crops (n×3×size×size in [0, 1]) of both sample photos.

    Each photo is cut into tiles of 2·size pixels; one tile in four (a fixed diagonal pattern) is
    for ``part="test"``, the others for ``"train"``; a crop lies inside one tile, so test crops never
    share a pixel with training ones, yet both come from every region of the photos.
    """
    check_n(n)
    check_n(size, "size", 4)
    if part not in ("train", "test"):
        raise ValueError(f"part must be 'train' or 'test', got {part!r}")
    g = torch.Generator().manual_seed(seed)
    tiles = [(name, r, c) for name in PHOTOS for r in range(213 // (2 * size)) for c in range(320 // (2 * size))
             if ((r + 2 * c) % 4 == 0) == (part == "test")]
    crops = []
    for i in torch.randint(0, len(tiles), (n,), generator=g).tolist():
        name, r, c = tiles[i]
        y, x = (torch.randint(0, size + 1, (2,), generator=g) + torch.tensor([r, c]) * 2 * size).tolist()
        crops.append(_photo(name)[:, y:y + size, x:x + size])
    return torch.stack(crops)


@cache
def _photo(name: str) -> torch.Tensor:
    return photo(name)[0, :, ::2, ::2].contiguous()
