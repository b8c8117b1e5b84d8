"""Procedural scenes of coloured shapes on a cluttered background, each with its boxes, classes and a
per-pixel mask: the ground truth that detection, segmentation and text–image models learn from.
"""

from __future__ import annotations

from typing import NamedTuple

import torch

from .splits import check_n

SHAPES = ("disc", "square", "triangle")
COLOURS = {"red": (0.9, 0.15, 0.1), "green": (0.1, 0.75, 0.2), "blue": (0.15, 0.3, 0.95),
           "yellow": (0.95, 0.85, 0.1), "magenta": (0.85, 0.2, 0.85), "cyan": (0.1, 0.8, 0.85),
           "orange": (0.95, 0.5, 0.05), "white": (0.95, 0.95, 0.95)}


class Scenes(NamedTuple):
    """Images and their ground truth; objects are padded to the largest count with -1.

    images (N, 3, S, S) in [0, 1]; masks (N, S, S) int64, 0 for background and 1 + shape index on
    the pixels where an object is visible; boxes (N, K, 4) float (x0, y0, x1, y1) in pixels, the whole
    object even where another covers it; labels and colours (N, K) int64, indexes into ``SHAPES`` and
    ``COLOURS``; sizes (N, K) the side of each object's box in pixels.
    """

    images: torch.Tensor
    masks: torch.Tensor
    boxes: torch.Tensor
    labels: torch.Tensor
    colours: torch.Tensor
    sizes: torch.Tensor


def _shape_mask(shape: int, x0: float, y0: float, side: float, yy: torch.Tensor, xx: torch.Tensor) -> torch.Tensor:
    """Boolean S×S mask of one shape whose bounding box has corner (x0, y0) and the given side."""
    u, v = (xx - x0) / side, (yy - y0) / side  # coordinates in the box, 0..1 inside it
    inside = (u >= 0) & (u < 1) & (v >= 0) & (v < 1)
    if SHAPES[shape] == "disc":
        return (u - 0.5) ** 2 + (v - 0.5) ** 2 < 0.25
    if SHAPES[shape] == "square":
        return inside
    return inside & ((u - 0.5).abs() * 2 <= v)  # triangle: apex at the top, base at the bottom


def _box_iou(a: list[float], b: list[float]) -> float:
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = w * h
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def scenes(n: int, size: int = 32, objects: tuple[int, int] = (1, 3), sides: tuple[int, int] = (7, 14),
           clutter: bool = True, combos: list[tuple[int, int]] | None = None, seed: int = 0) -> Scenes:
    """``n`` scenes of ``objects`` (min, max) shapes with box sides in ``sides`` (pixels).

    Shapes may overlap (box IoU up to 0.3, the later one drawn on top) but stay at least half
    visible. ``clutter`` adds a textured background and small specks that are not objects.
    ``combos`` restricts the (shape, colour) pairs drawn, e.g. to hold some out of training.
    """
    check_n(n)
    check_n(size, "size", 8)
    if not (1 <= objects[0] <= objects[1]) or not (3 <= sides[0] <= sides[1] <= size):
        raise ValueError(f"need 1 <= objects[0] <= objects[1] and 3 <= sides[0] <= sides[1] <= size, "
                         f"got objects={objects}, sides={sides}, size={size}")
    pairs = combos or [(s, c) for s in range(len(SHAPES)) for c in range(len(COLOURS))]
    if any(not (0 <= s < len(SHAPES) and 0 <= c < len(COLOURS)) for s, c in pairs):
        raise ValueError(f"combos are (shape, colour) index pairs below ({len(SHAPES)}, {len(COLOURS)}), "
                         f"got {pairs}")
    g = torch.Generator().manual_seed(seed)
    rgb = torch.tensor(list(COLOURS.values()))
    yy, xx = torch.meshgrid(torch.arange(size) + 0.5, torch.arange(size) + 0.5, indexing="ij")
    images, masks = torch.empty(n, 3, size, size), torch.zeros(n, size, size, dtype=torch.long)
    K = objects[1]
    boxes, labels = torch.full((n, K, 4), -1.0), torch.full((n, K), -1, dtype=torch.long)
    colours, sizes = labels.clone(), labels.clone()
    rand = lambda: torch.rand((), generator=g).item()
    for i in range(n):
        # A smooth random background (upsampled noise), a little darker than the objects.
        base = torch.rand(1, 3, 4, 4, generator=g) * (0.35 if clutter else 0.0) + 0.05
        img = torch.nn.functional.interpolate(base, size=(size, size), mode="bilinear", align_corners=False)[0]
        if clutter:
            for _ in range(int(rand() * 6)):  # specks: 1-2 pixel squares of any colour, not objects
                x, y, w = int(rand() * (size - 2)), int(rand() * (size - 2)), 1 + int(rand() * 2)
                img[:, y:y + w, x:x + w] = torch.rand(3, 1, 1, generator=g)
        mask, owner, placed = masks[i], torch.full((size, size), -1), []
        count = objects[0] + int(rand() * (objects[1] - objects[0] + 1))
        for _ in range(20 * count):
            if len(placed) == count:
                break
            side = sides[0] + rand() * (sides[1] - sides[0])
            x0, y0 = rand() * (size - side), rand() * (size - side)
            box = [x0, y0, x0 + side, y0 + side]
            if any(_box_iou(box, b) > 0.3 for b, *_ in placed):
                continue
            shape, colour = pairs[int(rand() * len(pairs))]
            m = _shape_mask(shape, x0, y0, side, yy, xx)
            # Each earlier object must stay at least half visible once this one covers it.
            if any(((owner == k) & ~m).sum() < 0.5 * pm.sum() for k, (*_, pm) in enumerate(placed)):
                continue
            shade = (rgb[colour] * (0.8 + 0.2 * rand()) + 0.05 * torch.randn(3, generator=g)).clamp(0, 1)
            img[:, m] = shade[:, None]
            mask[m], owner[m] = 1 + shape, len(placed)
            placed.append((box, shape, colour, m))
        for k, (box, shape, colour, _) in enumerate(placed):
            boxes[i, k], labels[i, k], colours[i, k] = torch.tensor(box), shape, colour
            sizes[i, k] = round(box[2] - box[0])
        noise = 0.03 * torch.randn(3, size, size, generator=g) if clutter else 0
        images[i] = (img + noise).clamp(0, 1)
    return Scenes(images, masks, boxes, labels, colours, sizes)
