"""The original transformer (LBDL §5.3, Figs. 5.6–5.7): an encoder–decoder whose decoder attends
causally to itself and fully to the encoder's output, trained with teacher forcing.
"""

from __future__ import annotations

import torch
from torch import nn

from ..layers import TransformerBlock, causal_mask, sinusoidal_positions


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

    def decode(self, memory: torch.Tensor, tgt_in: torch.Tensor) -> torch.Tensor:
        """Logits for every target position, given the encoder's output ``memory``."""
        T = tgt_in.shape[1]
        h = self.embed(tgt_in) + self.positions[:T]
        for block in self.decoder:
            h = block(h, causal_mask(T, tgt_in.device), context=memory)
        return self.head(self.norm_dec(h))

    def forward(self, src: torch.Tensor, tgt_in: torch.Tensor) -> torch.Tensor:
        """Teacher forcing: logits for every target position from the true previous target tokens."""
        return self.decode(self.encode(src), tgt_in)

    @torch.no_grad()
    def greedy(self, src: torch.Tensor, start: int, length: int) -> torch.Tensor:
        """Decode ``length`` tokens, each the most likely given the source and the tokens so far."""
        memory = self.encode(src)  # once: the source does not change while the target grows
        out = torch.full((src.shape[0], 1), start, dtype=torch.long, device=src.device)
        for _ in range(length):
            out = torch.cat([out, self.decode(memory, out)[:, -1].argmax(-1, keepdim=True)], 1)
        return out[:, 1:]
