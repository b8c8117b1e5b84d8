"""Residual networks (LBDL §5.2, Figs. 5.3–5.5): the bottleneck block, its downscaling variant,
ResNet-50 assembled from them, and a small ResNet of the same blocks for digits.
"""

from __future__ import annotations

import torch
from torch import nn


class Bottleneck(nn.Module):
    """ResNet bottleneck: 1×1 down to ``mid`` channels, 3×3 (with the stride), 1×1 up, plus the input.

    When the shape changes (stride or channels), the skip path is a strided 1×1 convolution: the
    *downscaling* block.
    """

    def __init__(self, in_ch: int, mid: int, out_ch: int, stride: int = 1) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(in_ch, mid, 1, bias=False), nn.BatchNorm2d(mid), nn.ReLU(inplace=True),
            nn.Conv2d(mid, mid, 3, stride=stride, padding=1, bias=False), nn.BatchNorm2d(mid), nn.ReLU(inplace=True),
            nn.Conv2d(mid, out_ch, 1, bias=False), nn.BatchNorm2d(out_ch))
        self.skip = nn.Identity() if stride == 1 and in_ch == out_ch else nn.Sequential(
            nn.Conv2d(in_ch, out_ch, 1, stride=stride, bias=False), nn.BatchNorm2d(out_ch))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.body(x) + self.skip(x))


def resnet_stage(in_ch: int, mid: int, blocks: int, stride: int) -> nn.Sequential:
    """One downscaling block (stride, 4·mid output channels) followed by ``blocks - 1`` plain ones."""
    layers = [Bottleneck(in_ch, mid, 4 * mid, stride)]
    layers += [Bottleneck(4 * mid, mid, 4 * mid) for _ in range(blocks - 1)]
    return nn.Sequential(*layers)


def resnet50(classes: int = 1000) -> nn.Sequential:
    """ResNet-50 for 3×224×224 images: a 7×7 stem, stages of 3, 4, 6 and 3 bottlenecks, a linear head."""
    stem = nn.Sequential(nn.Conv2d(3, 64, 7, stride=2, padding=3, bias=False), nn.BatchNorm2d(64),
                         nn.ReLU(inplace=True), nn.MaxPool2d(3, stride=2, padding=1))
    stages = [resnet_stage(64, 64, 3, 1), resnet_stage(256, 128, 4, 2), resnet_stage(512, 256, 6, 2),
              resnet_stage(1024, 512, 3, 2)]
    return nn.Sequential(stem, *stages, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(2048, classes))


def small_resnet(classes: int = 10, width: int = 16) -> nn.Sequential:
    """The same blocks at digit scale (1×8×8 or 1×16×16 inputs): a 3×3 stem and two stages."""
    return nn.Sequential(nn.Conv2d(1, 4 * width, 3, padding=1, bias=False), nn.BatchNorm2d(4 * width), nn.ReLU(),
                         resnet_stage(4 * width, width, 2, 1), resnet_stage(4 * width, 2 * width, 2, 2),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8 * width, classes))
