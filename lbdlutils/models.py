"""The architectures of chapter 5, once, for every chapter that trains them: ResNet blocks and
ResNet-50, a GPT with key/value-cached generation, a ViT, and a transformer encoder–decoder.
"""

from __future__ import annotations

import torch
from torch import nn

from .layers import TransformerBlock, causal_mask, sinusoidal_positions


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


class GPT(nn.Module):
    """A decoder-only transformer: token and learned position embeddings, causal pre-norm blocks."""

    def __init__(self, vocab: int, dim: int = 128, heads: int = 4, layers: int = 4, context: int = 64,
                 dropout: float = 0.0) -> None:
        super().__init__()
        self.context = context
        self.tokens, self.positions = nn.Embedding(vocab, dim), nn.Embedding(context, dim)
        self.blocks = nn.ModuleList([TransformerBlock(dim, heads, dropout) for _ in range(layers)])
        self.norm, self.head = nn.LayerNorm(dim), nn.Linear(dim, vocab, bias=False)

    def forward(self, idx: torch.Tensor, caches: list[dict] | None = None) -> torch.Tensor:
        """Token ids B×T -> next-token logits B×T×V. With ``caches``, idx continues what they hold."""
        past = caches[0]["k"].shape[2] if caches and "k" in caches[0] else 0
        T = idx.shape[1]
        if past + T > self.context:
            raise ValueError(f"{past + T} positions exceed the context of {self.context}")
        x = self.tokens(idx) + self.positions(torch.arange(past, past + T, device=idx.device))
        mask = torch.ones(T, past + T, dtype=torch.bool, device=idx.device).tril(past) if T > 1 else None
        for i, block in enumerate(self.blocks):
            x = block(x, mask, cache=caches[i] if caches is not None else None)
        return self.head(self.norm(x))

    @torch.no_grad()
    def generate(self, idx: torch.Tensor, steps: int, temperature: float = 1.0, top_k: int | None = None,
                 use_cache: bool = True, generator: torch.Generator | None = None) -> torch.Tensor:
        """Sample ``steps`` more tokens after ``idx`` (B×T); with ``use_cache`` each step costs one position."""
        if temperature <= 0:
            raise ValueError(f"temperature must be > 0, got {temperature}")
        caches = [{} for _ in self.blocks] if use_cache else None
        logits = self(idx[:, -self.context:], caches)[:, -1]
        for _ in range(steps):
            logits = logits / temperature
            if top_k is not None:
                kth = logits.topk(min(top_k, logits.shape[-1])).values[:, -1:]
                logits = logits.masked_fill(logits < kth, float("-inf"))
            nxt = torch.multinomial(logits.softmax(-1), 1, generator=generator)
            idx = torch.cat([idx, nxt], 1)
            if use_cache and caches[0]["k"].shape[2] < self.context:
                logits = self(nxt, caches)[:, -1]
            else:  # no cache, or the context is full: recompute on the last `context` tokens
                logits = self(idx[:, -self.context:])[:, -1]
        return idx


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


class Seq2Seq(nn.Module):
    """Transformer encoder–decoder: the decoder attends causally to itself and fully to the encoder."""

    def __init__(self, vocab: int, dim: int = 64, heads: int = 4, layers: int = 2, max_len: int = 64) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.register_buffer("positions", sinusoidal_positions(max_len, dim), persistent=False)
        self.encoder = nn.ModuleList([TransformerBlock(dim, heads) for _ in range(layers)])
        self.decoder = nn.ModuleList([TransformerBlock(dim, heads, cross=True) for _ in range(layers)])
        self.norm_enc, self.norm_dec, self.head = nn.LayerNorm(dim), nn.LayerNorm(dim), nn.Linear(dim, vocab)

    def encode(self, src: torch.Tensor) -> torch.Tensor:
        h = self.embed(src) + self.positions[: src.shape[1]]
        for block in self.encoder:
            h = block(h)
        return self.norm_enc(h)

    def forward(self, src: torch.Tensor, tgt_in: torch.Tensor) -> torch.Tensor:
        """Teacher forcing: logits for every target position from the true previous target tokens."""
        memory, T = self.encode(src), tgt_in.shape[1]
        h = self.embed(tgt_in) + self.positions[:T]
        for block in self.decoder:
            h = block(h, causal_mask(T, src.device), context=memory)
        return self.head(self.norm_dec(h))

    @torch.no_grad()
    def greedy(self, src: torch.Tensor, start: int, length: int) -> torch.Tensor:
        """Decode ``length`` tokens, each the most likely given the source and the tokens so far."""
        out = torch.full((src.shape[0], 1), start, dtype=torch.long, device=src.device)
        for _ in range(length):
            out = torch.cat([out, self(src, out)[:, -1].argmax(-1, keepdim=True)], 1)
        return out[:, 1:]
