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
