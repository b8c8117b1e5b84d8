"""An encoder–decoder for dense prediction (LBDL §6.1, §6.4, Fig. 6.3): the image is downscaled
into features, then upscaled back, each level joined to the decoder by a skip connection; an
optional pyramid pooling module gives every pixel a summary of the whole image at several scales.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


def conv_block(c_in: int, c_out: int, norm: bool = True) -> nn.Sequential:
    """Two 3×3 convolutions, each followed by a group normalisation (if ``norm``) and a ReLU."""
    layers: list[nn.Module] = []
    for a in (c_in, c_out):
        layers += [nn.Conv2d(a, c_out, 3, padding=1), nn.GroupNorm(min(8, c_out), c_out) if norm else nn.Identity(),
                   nn.ReLU()]
    return nn.Sequential(*layers)


class PyramidPooling(nn.Module):
    """PSP's module: average-pool to bins×bins grids, project, upsample, and concatenate to the input."""

    def __init__(self, channels: int, bins: tuple[int, ...] = (1, 2, 4)) -> None:
        super().__init__()
        self.bins = bins
        self.project = nn.ModuleList([nn.Conv2d(channels, channels // len(bins), 1) for _ in bins])
        self.out_channels = channels + len(bins) * (channels // len(bins))

    def pooled(self, x: torch.Tensor) -> list[torch.Tensor]:
        """The summaries, one per bin size, each upsampled back to x's height and width."""
        return [F.interpolate(conv(F.adaptive_avg_pool2d(x, b)), size=x.shape[-2:], mode="bilinear",
                              align_corners=False) for b, conv in zip(self.bins, self.project)]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([x, *self.pooled(x)], 1)


class UNet(nn.Module):
    """Encoder–decoder with ``depth`` halvings of the resolution, channels doubling at each.

    ``skips=False`` drops the skip connections (the decoder sees only the bottleneck);
    ``pyramid=True`` adds pyramid pooling at the bottleneck; ``norm=False`` removes the group
    normalisations (chapter 6's denoiser, for one noise level, does without them; chapter 7's keeps them).
    """

    def __init__(self, c_in: int = 3, c_out: int = 3, width: int = 16, depth: int = 2, skips: bool = True,
                 pyramid: bool = False, norm: bool = True) -> None:
        super().__init__()
        widths = [width * 2**i for i in range(depth + 1)]
        self.skips = skips
        self.down = nn.ModuleList([conv_block(a, b, norm) for a, b in zip([c_in, *widths[:-2]], widths[:-1])])
        self.pool = nn.MaxPool2d(2)
        self.middle = conv_block(widths[-2], widths[-1], norm)
        self.pyramid = PyramidPooling(widths[-1]) if pyramid else None
        bottom = self.pyramid.out_channels if pyramid else widths[-1]
        ups = [bottom, *widths[-2:0:-1]]
        self.up = nn.ModuleList([nn.ConvTranspose2d(a, b, 2, stride=2) for a, b in zip(ups, widths[-2::-1])])
        self.merge = nn.ModuleList([conv_block(2 * b if skips else b, b, norm) for b in widths[-2::-1]])
        self.head = nn.Conv2d(width, c_out, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-1] % 2 ** len(self.down) or x.shape[-2] % 2 ** len(self.down):
            raise ValueError(f"height and width must be multiples of {2 ** len(self.down)}, got {tuple(x.shape)}")
        kept = []
        for block in self.down:
            x = block(x)
            kept.append(x)
            x = self.pool(x)
        x = self.middle(x)
        if self.pyramid is not None:
            x = self.pyramid(x)
        for up, merge, skip in zip(self.up, self.merge, reversed(kept)):
            x = up(x)
            x = merge(torch.cat([x, skip], 1) if self.skips else x)
        return self.head(x)
