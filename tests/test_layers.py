import pytest
import torch
from torch import nn

from lbdlutils import layers


def test_multi_head_attention_equals_torch_with_copied_weights():
    torch.manual_seed(0)
    ours, theirs = layers.MultiHeadAttention(16, 4), nn.MultiheadAttention(16, 4, batch_first=True)
    with torch.no_grad():
        theirs.in_proj_weight.copy_(ours.qkv.weight)
        theirs.in_proj_bias.copy_(ours.qkv.bias)
        theirs.out_proj.weight.copy_(ours.out.weight)
        theirs.out_proj.bias.copy_(ours.out.bias)
    x = torch.randn(2, 7, 16)
    mask = layers.causal_mask(7)
    expected, _ = theirs(x, x, x, attn_mask=~mask, need_weights=False)
    torch.testing.assert_close(ours(x, mask), expected, rtol=1e-5, atol=1e-6)


def test_attention_masks_and_errors():
    q = k = v = torch.randn(1, 5, 8)
    out, w = layers.attention(q, k, v, layers.causal_mask(5))
    assert torch.all(w.triu(1) == 0) and torch.allclose(w.sum(-1), torch.ones(1, 5))
    with pytest.raises(ValueError, match="attention shapes do not match"):
        layers.attention(q, torch.randn(1, 5, 4), v)
    with pytest.raises(ValueError, match="divisible by heads"):
        layers.MultiHeadAttention(10, 3)
    with pytest.raises(ValueError, match="B×T×D"):
        layers.MultiHeadAttention(8, 2)(torch.randn(5, 8))


def test_positions_and_block_shapes():
    pe = layers.sinusoidal_positions(50, 16)
    assert pe.shape == (50, 16) and torch.allclose(pe[0, 1::2], torch.ones(8))
    with pytest.raises(ValueError, match="even"):
        layers.sinusoidal_positions(4, 5)
    block = layers.TransformerBlock(16, 4)
    assert block(torch.randn(3, 9, 16), layers.causal_mask(9)).shape == (3, 9, 16)


def test_fused_and_explicit_paths_agree_and_cross_attention():
    torch.manual_seed(1)
    fused = layers.MultiHeadAttention(16, 4)
    explicit = layers.MultiHeadAttention(16, 4, keep_weights=True)
    explicit.load_state_dict(fused.state_dict())
    x, ctx, mask = torch.randn(2, 6, 16), torch.randn(2, 9, 16), layers.causal_mask(6)
    torch.testing.assert_close(fused(x, mask), explicit(x, mask))
    torch.testing.assert_close(fused(x, context=ctx), explicit(x, context=ctx))
    assert explicit.weights.shape == (2, 4, 6, 9)
    with pytest.raises(ValueError, match="needs the encoder's output"):
        layers.TransformerBlock(16, 4, cross=True)(x)


def test_kv_cache_gives_the_same_outputs():
    torch.manual_seed(2)
    block = layers.TransformerBlock(16, 4).eval()
    x = torch.randn(1, 7, 16)
    full = block(x, layers.causal_mask(7))
    cache: dict = {}
    steps = [block(x[:, t:t + 1], cache=cache) for t in range(7)]  # one new token at a time, no mask needed
    torch.testing.assert_close(torch.cat(steps, 1), full, rtol=1e-5, atol=1e-6)
