"""A GPT (LBDL §5.3, Fig. 5.8) in one readable file: token and position embeddings, a stack of
causal pre-norm blocks, and next-token logits, with key/value-cached generation.

Choices measured by ``make bench`` against a plain GPT of the same size: one projection for
queries, keys and values and PyTorch's fused causal attention (``is_causal=True``) rather than a
mask built at every call; no biases (fewer small operations: faster, and the loss is unchanged);
with :func:`lbdlutils.train.adamw`, a fused AdamW that does not decay norms. Two common choices are
options, off by default because at this size they made the loss worse: ``tie_weights`` (the output
layer shares the token embedding) and ``gpt2_init`` (N(0, 0.02), residual projections scaled by
1/√(2·layers)).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from ..device import multinomial


class CausalSelfAttention(nn.Module):
    """Multi-head self-attention where position t sees positions ≤ t; ``cache`` keeps past keys/values."""

    def __init__(self, dim: int, heads: int, bias: bool = False) -> None:
        super().__init__()
        if dim % heads:
            raise ValueError(f"dim ({dim}) must be divisible by heads ({heads})")
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim, bias=bias)  # one matrix product for q, k and v
        self.proj = nn.Linear(dim, dim, bias=bias)

    def forward(self, x: torch.Tensor, cache: dict[str, torch.Tensor] | None = None) -> torch.Tensor:
        """x: B×T×D -> B×T×D. With ``cache`` (a dict per layer), x continues the positions it holds."""
        B, T, D = x.shape
        q, k, v = self.qkv(x).view(B, T, 3, self.heads, D // self.heads).permute(2, 0, 3, 1, 4)
        past = 0
        if cache is not None:
            if "k" in cache:
                past = cache["k"].shape[2]
                k, v = torch.cat([cache["k"], k], 2), torch.cat([cache["v"], v], 2)
            cache["k"], cache["v"] = k, v
        if past == 0:
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        elif T == 1:  # the one new position may look at every key
            y = F.scaled_dot_product_attention(q, k, v)
        else:  # new positions past..past+T-1 see the cache and the new ones up to themselves
            mask = torch.ones(T, past + T, dtype=torch.bool, device=x.device).tril(past)
            y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        return self.proj(y.transpose(1, 2).reshape(B, T, D))


class Block(nn.Module):
    """Pre-norm transformer block: x + attention(LN(x)), then x + MLP(LN(x)), the MLP 4× wide."""

    def __init__(self, dim: int, heads: int, bias: bool = False) -> None:
        super().__init__()
        self.norm1, self.norm2 = nn.LayerNorm(dim, bias=bias), nn.LayerNorm(dim, bias=bias)
        self.attn = CausalSelfAttention(dim, heads, bias)
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim, bias=bias), nn.GELU(), nn.Linear(4 * dim, dim, bias=bias))

    def forward(self, x: torch.Tensor, cache: dict[str, torch.Tensor] | None = None) -> torch.Tensor:
        x = x + self.attn(self.norm1(x), cache)
        return x + self.mlp(self.norm2(x))


class GPT(nn.Module):
    """Decoder-only transformer: ids B×T -> next-token logits B×T×V, with cached sampling."""

    def __init__(self, vocab: int, dim: int = 128, heads: int = 4, layers: int = 4, context: int = 64,
                 bias: bool = False, tie_weights: bool = False, gpt2_init: bool = False) -> None:
        super().__init__()
        self.context = context
        self.tokens, self.positions = nn.Embedding(vocab, dim), nn.Embedding(context, dim)
        self.blocks = nn.ModuleList([Block(dim, heads, bias) for _ in range(layers)])
        self.norm, self.head = nn.LayerNorm(dim, bias=bias), nn.Linear(dim, vocab, bias=False)
        if gpt2_init:
            self.apply(_gpt2_init)
            for block in self.blocks:  # each residual branch adds to the stream: keep its sum's scale
                for proj in (block.attn.proj, block.mlp[2]):
                    nn.init.normal_(proj.weight, std=0.02 / math.sqrt(2 * layers))
        if tie_weights:  # the same vectors read tokens in and score them out
            self.head.weight = self.tokens.weight

    def forward(self, idx: torch.Tensor, caches: list[dict] | None = None) -> torch.Tensor:
        """Token ids B×T -> logits B×T×V. With ``caches`` (one dict per block), idx continues them."""
        past = caches[0]["k"].shape[2] if caches and "k" in caches[0] else 0
        T = idx.shape[1]
        if past + T > self.context:
            raise ValueError(f"{past + T} positions exceed the context of {self.context}")
        x = self.tokens(idx) + self.positions(torch.arange(past, past + T, device=idx.device))
        for i, block in enumerate(self.blocks):
            x = block(x, caches[i] if caches is not None else None)
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
            nxt = multinomial(logits.softmax(-1), 1, generator=generator)  # on the generator's device
            idx = torch.cat([idx, nxt], 1)
            if use_cache and caches[0]["k"].shape[2] < self.context:
                logits = self(nxt, caches)[:, -1]
            else:  # no cache, or the context is full: recompute on the last `context` tokens
                logits = self(idx[:, -self.context:])[:, -1]
        return idx


def _gpt2_init(module: nn.Module) -> None:
    if isinstance(module, nn.Linear | nn.Embedding):
        nn.init.normal_(module.weight, std=0.02)
    if isinstance(module, nn.Linear) and module.bias is not None:
        nn.init.zeros_(module.bias)
