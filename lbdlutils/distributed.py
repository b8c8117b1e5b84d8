"""Parallel training for real on one machine: worker processes joined by torch.distributed (gloo).

Workers must be importable functions (they are pickled by name into fresh processes), which is why
they live here rather than in a notebook. Each worker uses one thread, so that two workers on two
cores do not oversubscribe them (see chapter 2).
"""

from __future__ import annotations

import gc
import io
import os
import socket
from collections.abc import Callable
from typing import Any

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch import nn


def free_port() -> int:
    """A TCP port on the loopback interface that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _entry(rank: int, world_size: int, port: int, fn: Callable[..., Any], args: tuple, results: Any) -> None:
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    torch.set_num_threads(1)
    dist.init_process_group("gloo", rank=rank, world_size=world_size)
    try:
        buffer = io.BytesIO()  # by value: tensors shared by file descriptor would die with this process
        torch.save(fn(rank, world_size, *args), buffer)
        gc.collect()  # free a DDP model's reducer (in reference cycles) while its process group still lives
        results.put((rank, buffer.getvalue()))
        dist.barrier()  # no rank tears gloo down while another still talks to it (that aborts the process)
    finally:
        dist.destroy_process_group()
    os._exit(0)  # skip interpreter teardown, where leftover gloo threads can abort ("terminate called …")


def run(fn: Callable[..., Any], world_size: int = 2, *args: Any, timeout: float = 120) -> list[Any]:
    """Run ``fn(rank, world_size, *args)`` in ``world_size`` joined processes; return results by rank."""
    if not isinstance(world_size, int) or world_size < 1:
        raise ValueError(f"world_size must be a positive integer, got {world_size!r}")
    if getattr(fn, "__module__", "__main__") == "__main__" or "<locals>" in getattr(fn, "__qualname__", ""):
        raise ValueError(f"{getattr(fn, '__name__', fn)!r} must be a module-level function of an importable "
                         f"module (functions defined in a notebook cannot be sent to worker processes)")
    ctx = mp.get_context("spawn")
    results = ctx.SimpleQueue()
    port = free_port()
    workers = [ctx.Process(target=_entry, args=(r, world_size, port, fn, args, results)) for r in range(world_size)]
    # The workers inherit the environment: keep c10d's warnings (such as a hostname it cannot look up
    # on a machine without network) out of the reader's output; errors still show.
    level = os.environ.get("TORCH_CPP_LOG_LEVEL")
    os.environ["TORCH_CPP_LOG_LEVEL"] = level or "ERROR"
    try:
        for w in workers:
            w.start()
    finally:
        if level is None:
            del os.environ["TORCH_CPP_LOG_LEVEL"]
    try:
        for w in workers:
            w.join(timeout)
        failed = [w.exitcode for w in workers if w.exitcode != 0]
        if failed:
            raise RuntimeError(f"{len(failed)} worker(s) of {getattr(fn, '__name__', fn)} failed, exit codes {failed}")
        out = {rank: torch.load(io.BytesIO(data)) for rank, data in (results.get() for _ in workers)}
    finally:
        for w in workers:
            if w.is_alive():
                w.kill()
    return [out[r] for r in range(world_size)]


def toy_model(seed: int = 0) -> nn.Module:
    """The small MLP the data-parallel demos train (the same weights in every process)."""
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(8, 32), nn.Tanh(), nn.Linear(32, 1))


def toy_batch(n: int = 64, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """A regression batch for :func:`toy_model`: x (n, 8), y (n, 1)."""
    g = torch.Generator().manual_seed(seed + 1)
    x = torch.randn(n, 8, generator=g)
    return x, x[:, :1] * x[:, 1:2] + 0.1 * torch.randn(n, 1, generator=g)


def _shard_backward(model: nn.Module, rank: int, world_size: int, n: int, seed: int) -> torch.Tensor:
    """Backward of the loss on this rank's shard of the toy batch; return the model's flat gradient."""
    x, y = toy_batch(n, seed)
    shard = slice(rank * n // world_size, (rank + 1) * n // world_size)
    nn.functional.mse_loss(model(x[shard]), y[shard]).backward()
    return torch.cat([p.grad.flatten() for p in model.parameters()])


def ddp_gradients(rank: int, world_size: int, n: int = 64, seed: int = 0) -> torch.Tensor:
    """Worker: DistributedDataParallel on this rank's shard of the batch; return the averaged gradient."""
    model = nn.parallel.DistributedDataParallel(toy_model(seed))  # its backward all-reduces (averages) the grads
    return _shard_backward(model, rank, world_size, n, seed)


def ring_all_reduce(tensor: torch.Tensor) -> torch.Tensor:
    """Sum ``tensor`` over all ranks with a ring of sends and receives only (no collective call).

    The flat tensor is cut into one chunk per rank. Reduce-scatter: for world_size - 1 steps each rank
    sends one chunk to its right neighbour and adds the chunk arriving from its left, so that each
    chunk ends up summed on one rank. All-gather: world_size - 1 more steps pass the summed chunks
    around the ring. Each rank sends 2 (world_size - 1) / world_size of the tensor, whatever the world size.
    """
    rank, world = dist.get_rank(), dist.get_world_size()
    chunks = list(tensor.detach().flatten().clone().tensor_split(world))
    right, left = (rank + 1) % world, (rank - 1) % world
    for phase in ("reduce-scatter", "all-gather"):
        for step in range(world - 1):
            send_i = (rank - step + (1 if phase == "all-gather" else 0)) % world
            recv_i = (send_i - 1) % world
            incoming = torch.empty_like(chunks[recv_i])
            request = dist.isend(chunks[send_i].contiguous(), right)  # send while receiving: no deadlock
            dist.recv(incoming, left)
            request.wait()
            chunks[recv_i] = chunks[recv_i] + incoming if phase == "reduce-scatter" else incoming
    return torch.cat(chunks).view_as(tensor)


def ring_gradients(rank: int, world_size: int, n: int = 64, seed: int = 0) -> torch.Tensor:
    """Worker: plain backward on this rank's shard, then gradients averaged by :func:`ring_all_reduce`."""
    return ring_all_reduce(_shard_backward(toy_model(seed), rank, world_size, n, seed)) / world_size


def ring_and_ddp_gradients(rank: int, world_size: int, n: int = 64, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Worker: :func:`ring_gradients`, then :func:`ddp_gradients`, in the same processes (one start for both)."""
    return ring_gradients(rank, world_size, n, seed), ddp_gradients(rank, world_size, n, seed)


def full_batch_gradients(n: int = 64, seed: int = 0) -> torch.Tensor:
    """The same gradient computed in one process on the whole batch, for comparison."""
    return _shard_backward(toy_model(seed), 0, 1, n, seed)


def tensor_parallel_linear(rank: int, world_size: int, seed: int = 0) -> torch.Tensor:
    """Worker: each rank holds a column block of W, computes its slice of x W, and all-gathers."""
    g = torch.Generator().manual_seed(seed)
    x, W = torch.randn(16, 32, generator=g), torch.randn(32, 8 * world_size, generator=g)
    local = x @ W.chunk(world_size, dim=1)[rank]
    pieces = [torch.empty_like(local) for _ in range(world_size)]
    dist.all_gather(pieces, local)
    return torch.cat(pieces, dim=1)
