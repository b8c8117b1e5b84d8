"""Progress bars and a short training loop, for the cells where the loop itself is not the lesson."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import torch
from torch import nn

from . import session as _session
from .plot import LiveCurve


class _Summary:
    """Headless stand-in for tqdm: one line at the end instead of hundreds of redraws in the file."""

    def __init__(self, iterable: Iterable[Any] | None, total: int | None, desc: str) -> None:
        self.iterable, self.total, self.desc = iterable, total, desc
        self.n, self.postfix, self.start = 0, "", time.perf_counter()

    def __iter__(self) -> Iterator[Any]:
        for item in self.iterable or ():
            yield item
            self.n += 1
        self.close()

    def update(self, n: int = 1) -> None:
        self.n += n

    def set_postfix(self, ordered_dict: dict[str, Any] | None = None, **kwargs: Any) -> None:
        items = {**(ordered_dict or {}), **kwargs}
        self.postfix = ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                                 for k, v in items.items())

    def close(self) -> None:
        dt = time.perf_counter() - self.start
        total = f"/{self.total}" if self.total else ""
        rate = f", {self.n / dt:.1f} it/s" if dt > 0 else ""
        tail = f" [{self.postfix}]" if self.postfix else ""
        print(f"{self.desc}: {self.n}{total} in {dt:.1f} s{rate}{tail}")


def progress(iterable: Iterable[Any] | None = None, total: int | None = None, desc: str = "progress") -> Any:
    """A tqdm progress bar when a person watches; a one-line summary when run headless."""
    if total is None and iterable is not None and hasattr(iterable, "__len__"):
        total = len(iterable)  # type: ignore[arg-type]
    if _session.is_headless():
        return _Summary(iterable, total, desc)
    from tqdm.auto import tqdm

    return tqdm(iterable, total=total, desc=desc)


def batches(x: torch.Tensor, y: torch.Tensor, batch_size: int, shuffle: bool = True,
            generator: torch.Generator | None = None) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """Mini-batches of (x, y) along the first dimension, shuffled with ``generator`` if asked."""
    if len(x) != len(y):
        raise ValueError(f"x and y must have the same length, got {len(x)} and {len(y)}")
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    order = torch.randperm(len(x), generator=generator) if shuffle else torch.arange(len(x))
    for i in range(0, len(x), batch_size):
        idx = order[i:i + batch_size]
        yield x[idx], y[idx]


def accuracy(logits: torch.Tensor, y: torch.Tensor) -> float:
    """Fraction of rows of ``logits`` (N×C) whose arg-max equals the label ``y`` (N)."""
    if logits.ndim != 2 or y.ndim != 1 or len(logits) != len(y):
        raise ValueError(f"accuracy needs logits (N, C) and labels (N,), got {tuple(logits.shape)} "
                         f"and {tuple(y.shape)}")
    return (logits.argmax(1) == y).float().mean().item()


@torch.no_grad()
def evaluate(model: nn.Module, x: torch.Tensor, y: torch.Tensor, loss_fn: Callable[..., torch.Tensor],
             metric: Callable[[torch.Tensor, torch.Tensor], float] | None = accuracy,
             batch_size: int = 1024) -> tuple[float, float | None]:
    """Mean loss and metric of ``model`` on (x, y), in eval mode, batched to bound memory."""
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    outs = [model(xb.to(device)) for xb, _ in batches(x, y, batch_size, shuffle=False)]
    model.train(was_training)
    out, y = torch.cat(outs), y.to(device)
    return loss_fn(out, y).item(), (metric(out, y) if metric else None)


def fit(model: nn.Module, x: torch.Tensor, y: torch.Tensor, *, epochs: int, lr: float = 1e-3,
        batch_size: int = 64, loss_fn: Callable[..., torch.Tensor] = nn.functional.cross_entropy,
        optimizer: torch.optim.Optimizer | None = None,
        val: tuple[torch.Tensor, torch.Tensor] | None = None,
        metric: Callable[[torch.Tensor, torch.Tensor], float] | None = accuracy,
        seed: int = 0, live: bool = True, desc: str = "training") -> dict[str, list[float]]:
    """Train with mini-batches for ``epochs``; return the per-epoch history (and draw it if ``live``)."""
    if not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be a positive integer, got {epochs!r}")
    device = next(model.parameters()).device
    opt = optimizer or torch.optim.Adam(model.parameters(), lr=lr)
    gen = torch.Generator().manual_seed(seed)
    chart = LiveCurve(logy=True, title=desc) if live else None
    history: dict[str, list[float]] = {}
    bar = progress(range(epochs), desc=desc)
    for _ in bar:
        model.train()
        total, count = 0.0, 0
        for xb, yb in batches(x, y, batch_size, generator=gen):
            xb, yb = xb.to(device), yb.to(device)
            loss = loss_fn(model(xb), yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total, count = total + loss.item() * len(xb), count + len(xb)
        row = {"train loss": total / count}
        if val is not None:
            row["val loss"], m = evaluate(model, *val, loss_fn=loss_fn, metric=metric)
            if m is not None:
                row[f"val {getattr(metric, '__name__', 'metric')}"] = m
        for k, v in row.items():
            history.setdefault(k, []).append(v)
        bar.set_postfix({k: round(v, 4) for k, v in row.items()})
        if chart is not None:
            chart.update(**{k: v for k, v in row.items() if "loss" in k})
    if chart is not None:
        chart.close()
    return history
