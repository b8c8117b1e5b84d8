"""Canonical compact layers that several chapters reuse: attention, multi-head attention, positional
encoding and a pre-norm transformer block. Chapter 4 derives each and checks it against these.
"""

from __future__ import annotations

import math

import torch
from torch import nn


def attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor,
              mask: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """softmax(q kᵀ / √d) v over the last two dimensions (…×T×d, …×S×d, …×S×d'); also the weights.

    ``mask`` (broadcastable to …×T×S) is True where a query may look at a key.
    """
    if q.shape[-1] != k.shape[-1] or k.shape[-2] != v.shape[-2]:
        raise ValueError(f"attention shapes do not match: q {tuple(q.shape)}, k {tuple(k.shape)}, v {tuple(v.shape)}"
                         " (need q …×T×d, k …×S×d, v …×S×d')")
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = scores.softmax(-1)
    return weights @ v, weights


def causal_mask(T: int, device: torch.device | str | None = None) -> torch.Tensor:
    """T×T boolean mask, True on and below the diagonal: position t sees positions ≤ t."""
    return torch.ones(T, T, dtype=torch.bool, device=device).tril()


class MultiHeadAttention(nn.Module):
    """Multi-head attention with one Linear for q, k, v (the layout of ``nn.MultiheadAttention``).

    ``context`` makes it cross-attention (keys and values from another sequence); ``cache`` (a dict,
    one per layer) keeps the keys and values of earlier calls for step-by-step generation. With
    ``keep_weights`` the attention maps are kept in ``.weights``; otherwise PyTorch's fused kernel runs.
    """

    def __init__(self, dim: int, heads: int, bias: bool = True, keep_weights: bool = False) -> None:
        super().__init__()
        if dim % heads:
            raise ValueError(f"dim ({dim}) must be divisible by heads ({heads})")
        self.heads, self.keep_weights = heads, keep_weights
        self.qkv = nn.Linear(dim, 3 * dim, bias=bias)
        self.out = nn.Linear(dim, dim, bias=bias)
        self.weights: torch.Tensor | None = None  # the last attention maps, B×H×T×S, for plots

    def _split(self, t: torch.Tensor) -> torch.Tensor:  # B×T×D -> B×H×T×D/H
        return t.view(t.shape[0], t.shape[1], self.heads, -1).transpose(1, 2)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None, context: torch.Tensor | None = None,
                cache: dict[str, torch.Tensor] | None = None) -> torch.Tensor:
        """x: B×T×D -> B×T×D; ``mask`` T×S, True where a query may attend (S = keys seen)."""
        if x.ndim != 3:
            raise ValueError(f"MultiHeadAttention expects B×T×D input, got shape {tuple(x.shape)}")
        B, T, D = x.shape
        W_q, W_kv = self.qkv.weight.split([D, 2 * D])
        b_q, b_kv = self.qkv.bias.split([D, 2 * D]) if self.qkv.bias is not None else (None, None)
        q = self._split(nn.functional.linear(x, W_q, b_q))
        source = x if context is None else context
        k, v = (self._split(t) for t in nn.functional.linear(source, W_kv, b_kv).chunk(2, -1))
        if cache is not None:
            if "k" in cache:
                k, v = torch.cat([cache["k"], k], 2), torch.cat([cache["v"], v], 2)
            cache["k"], cache["v"] = k, v
        if self.keep_weights:
            y, self.weights = attention(q, k, v, mask)
        else:
            y = nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        return self.out(y.transpose(1, 2).reshape(B, T, D))


def sinusoidal_positions(T: int, dim: int, base: float = 10_000.0) -> torch.Tensor:
    """T×dim positional encoding: sin and cos of t / base^(2i/dim) in even and odd columns."""
    if dim % 2:
        raise ValueError(f"dim must be even for sin/cos pairs, got {dim}")
    t = torch.arange(T, dtype=torch.float32)[:, None]
    freq = base ** (-torch.arange(0, dim, 2, dtype=torch.float32) / dim)
    pe = torch.zeros(T, dim)
    pe[:, 0::2], pe[:, 1::2] = torch.sin(t * freq), torch.cos(t * freq)
    return pe


class TransformerBlock(nn.Module):
    """Pre-norm block: x + MHA(LN(x)), [x + cross-MHA(LN(x), context)], then x + MLP(LN(x)).

    The MLP is 4× wide with a GELU. ``cross=True`` adds the cross-attention of a decoder block.
    """

    def __init__(self, dim: int, heads: int, dropout: float = 0.0, cross: bool = False) -> None:
        super().__init__()
        self.norm1, self.norm2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.attn = MultiHeadAttention(dim, heads)
        self.cross = MultiHeadAttention(dim, heads) if cross else None
        self.norm_cross = nn.LayerNorm(dim) if cross else None
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim), nn.Dropout(dropout))

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None, context: torch.Tensor | None = None,
                cache: dict[str, torch.Tensor] | None = None) -> torch.Tensor:
        x = x + self.attn(self.norm1(x), mask, cache=cache)
        if self.cross is not None:
            if context is None:
                raise ValueError("a decoder block (cross=True) needs the encoder's output as context")
            x = x + self.cross(self.norm_cross(x), context=context)
        return x + self.mlp(self.norm2(x))
