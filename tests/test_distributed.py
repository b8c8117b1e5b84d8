import os

import pytest
import torch

from lbdlutils import distributed


def test_ddp_gradients_equal_the_full_batch():
    grads = distributed.run(distributed.ddp_gradients, 2, 64, 0)
    full = distributed.full_batch_gradients(64, 0)
    for g in grads:  # every rank ends with the same, averaged gradient
        torch.testing.assert_close(g, full)


def test_tensor_parallel_product_equals_the_full_one():
    out = distributed.run(distributed.tensor_parallel_linear, 2, 0)
    g = torch.Generator().manual_seed(0)
    x, W = torch.randn(16, 32, generator=g), torch.randn(32, 16, generator=g)
    torch.testing.assert_close(out[0], x @ W)
    torch.testing.assert_close(out[1], x @ W)


def test_run_rejects_what_cannot_be_sent():
    def local(rank, world):
        return rank

    with pytest.raises(ValueError, match="module-level function"):
        distributed.run(local, 2)
    with pytest.raises(ValueError, match="world_size must be a positive integer"):
        distributed.run(distributed.ddp_gradients, 0)


def test_failing_worker_is_reported():
    with pytest.raises(RuntimeError, match=r"2 worker\(s\) of tensor_parallel_linear failed"):
        distributed.run(distributed.tensor_parallel_linear, 2, "not a seed", timeout=60)


def test_ring_all_reduce_by_hand_equals_ddp():
    """Two processes; chapter 3 runs three at ci (under make test too)."""
    ring, ddp = zip(*distributed.run(distributed.ring_and_ddp_gradients, 2, 60, 0))
    for r, d in zip(ring, ddp):
        torch.testing.assert_close(r, d)
    torch.testing.assert_close(ring[0], distributed.full_batch_gradients(60, 0))


def test_run_leaves_the_callers_environment_as_it_was(monkeypatch):
    monkeypatch.delenv("TORCH_CPP_LOG_LEVEL", raising=False)
    distributed.run(distributed.tensor_parallel_linear, 2, 0)
    assert "TORCH_CPP_LOG_LEVEL" not in os.environ  # set for the workers only
    monkeypatch.setenv("TORCH_CPP_LOG_LEVEL", "INFO")
    distributed.run(distributed.tensor_parallel_linear, 2, 0)
    assert os.environ["TORCH_CPP_LOG_LEVEL"] == "INFO"
