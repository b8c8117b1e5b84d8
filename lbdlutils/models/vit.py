"""The vision transformer (LBDL §5.3, Fig. 5.9): patches embedded as tokens, a class token, and
pre-norm transformer blocks.
"""

from __future__ import annotations

import torch
from torch import nn

from ..layers import TransformerBlock


class ViT(nn.Module):
    """Vision transformer: non-overlapping patches, linear embedding, a class token, pre-norm blocks."""

    def __init__(self, image: int = 8, patch: int = 2, channels: int = 1, dim: int = 64, heads: int = 4,
                 layers: int = 4, classes: int = 10) -> None:
        super().__init__()
        if image % patch:
            raise ValueError(f"image size {image} must be a multiple of the patch size {patch}")
        self.patch = patch
        self.embed = nn.Linear(channels * patch * patch, dim)
        self.cls = nn.Parameter(torch.zeros(1, 1, dim))
        self.positions = nn.Parameter(0.02 * torch.randn(1, (image // patch) ** 2 + 1, dim))
        self.blocks = nn.ModuleList([TransformerBlock(dim, heads) for _ in range(layers)])
        self.norm, self.head = nn.LayerNorm(dim), nn.Linear(dim, classes)

    def patches(self, x: torch.Tensor) -> torch.Tensor:
        """B×C×H×W -> B×(number of patches)×(C·patch²), row by row."""
        return nn.functional.unfold(x, self.patch, stride=self.patch).transpose(1, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.embed(self.patches(x))
        h = torch.cat([self.cls.expand(len(h), -1, -1), h], 1) + self.positions
        for block in self.blocks:
            h = block(h)
        return self.head(self.norm(h[:, 0]))  # the class token's final state
