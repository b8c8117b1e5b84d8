import pytest
import torch

from lbdlutils import models


def test_resnet50_has_the_published_parameter_count():
    net = models.resnet50()
    assert sum(p.numel() for p in net.parameters()) == 25_557_032
    assert net.eval()(torch.zeros(1, 3, 64, 64)).shape == (1, 1000)


def test_gpt_cached_generation_equals_recomputation():
    torch.manual_seed(0)
    gpt = models.GPT(vocab=11, dim=32, heads=4, layers=2, context=16).eval()
    start = torch.randint(0, 11, (2, 3))
    a = gpt.generate(start, 20, generator=torch.Generator().manual_seed(5))
    b = gpt.generate(start, 20, use_cache=False, generator=torch.Generator().manual_seed(5))
    assert torch.equal(a, b) and a.shape == (2, 23)
    with pytest.raises(ValueError, match="exceed the context"):
        gpt(torch.zeros(1, 17, dtype=torch.long))
    with pytest.raises(ValueError, match="temperature must be > 0"):
        gpt.generate(start, 1, temperature=0)


def test_vit_seq2seq_small_resnet_shapes():
    assert models.ViT()(torch.zeros(3, 1, 8, 8)).shape == (3, 10)
    with pytest.raises(ValueError, match="multiple of the patch size"):
        models.ViT(image=8, patch=3)
    s2s = models.Seq2Seq(vocab=12)
    assert s2s(torch.zeros(2, 5, dtype=torch.long), torch.zeros(2, 4, dtype=torch.long)).shape == (2, 4, 12)
    assert s2s.greedy(torch.zeros(2, 5, dtype=torch.long), 0, 6).shape == (2, 6)
    assert models.small_resnet()(torch.zeros(2, 1, 8, 8)).shape == (2, 10)


def test_shape_trace_follows_execution_order_and_depth(capsys):
    from lbdlutils.trace import shape_trace

    gpt = models.GPT(vocab=11, dim=32, heads=4, layers=2, context=16)
    assert shape_trace(gpt, torch.zeros(2, 5, dtype=torch.long)) is None  # printed
    rows = shape_trace(gpt, torch.zeros(2, 5, dtype=torch.long), show=False)
    names = [r[0] for r in rows]
    assert names == ["tokens", "positions", "blocks.0", "blocks.1", "norm", "head"]
    assert rows[-1][2] == (2, 5, 11) and "parameters in all" in capsys.readouterr().out
    deeper = shape_trace(gpt, torch.zeros(1, 3, dtype=torch.long), depth=2, show=False)
    assert "blocks.0.attn" in [r[0] for r in deeper]
    with pytest.raises(TypeError, match="needs an nn.Module"):
        shape_trace(lambda x: x, torch.zeros(1))
    with pytest.raises(ValueError, match="depth must be a positive integer"):
        shape_trace(gpt, torch.zeros(1, 3, dtype=torch.long), depth=0)


def test_gpt_cache_in_chunks_equals_one_full_pass():
    """Prefill 5 positions, then 3 at once (the masked branch), then 1: logits of the full pass."""
    torch.manual_seed(1)
    gpt = models.GPT(vocab=13, dim=32, heads=4, layers=2, context=16).eval()
    idx = torch.randint(0, 13, (2, 9))
    with torch.no_grad():
        full = gpt(idx)
        caches = [{} for _ in gpt.blocks]
        parts = [gpt(idx[:, :5], caches), gpt(idx[:, 5:8], caches), gpt(idx[:, 8:], caches)]
    torch.testing.assert_close(torch.cat(parts, 1), full, rtol=1e-5, atol=1e-5)
    broken = [{} for _ in gpt.blocks]  # a property a wrong mask breaks: the chunk must not see the future
    with torch.no_grad():
        gpt(idx[:, :5], broken)
        ahead = gpt(torch.cat([idx[:, 5:6], (idx[:, 6:8] + 1) % 13], 1), broken)[:, 0]
    torch.testing.assert_close(ahead, full[:, 5], rtol=1e-5, atol=1e-5)


def test_unet_shapes_skips_pyramid_and_errors():
    x = torch.randn(2, 3, 32, 32)
    for kw in ({}, {"skips": False}, {"pyramid": True}, {"norm": False, "depth": 3}):
        assert models.UNet(3, 5, width=8, **kw)(x).shape == (2, 5, 32, 32)
    pp = models.PyramidPooling(16, bins=(1, 2, 4))
    h = torch.randn(1, 16, 8, 8)
    pooled = pp.pooled(h)
    assert pp(h).shape == (1, pp.out_channels, 8, 8) and len(pooled) == 3
    assert torch.allclose(pooled[0][..., 0, 0], pooled[0][..., 7, 7])  # the 1×1 summary is the same everywhere
    with pytest.raises(ValueError, match="multiples of 4"):
        models.UNet(3, 3, depth=2)(torch.randn(1, 3, 30, 30))
