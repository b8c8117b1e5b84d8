"""Progress bars and short training loops, for the cells where the loop itself is not the lesson: ``fit``
for classifiers and regressors, ``train_lm`` for token streams, ``optimize`` for any loss computed step by step."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import torch
from torch import nn

from .device import check as device_check
from .env import is_headless
from .plot import LiveCurve


class _Summary:
    """Headless stand-in for tqdm: one line at the end instead of hundreds of redraws in the file."""

    def __init__(self, iterable: Iterable[Any] | None, total: int | None, desc: str) -> None:
        self.iterable, self.total, self.desc = iterable, total, desc
        self.n, self.postfix, self.start = 0, "", time.perf_counter()

    def __iter__(self) -> Iterator[Any]:
        for item in device_check.first_steps(self.iterable or ()):  # LBDL_DEVICE=check: the first steps only
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
        dt, total = time.perf_counter() - self.start, f"/{self.total}" if self.total else ""
        rate, tail = f", {self.n / dt:.1f} it/s" if dt > 0 else "", f" [{self.postfix}]" if self.postfix else ""
        print(f"{self.desc}: {self.n}{total} in {dt:.1f} s{rate}{tail}")


def progress(iterable: Iterable[Any] | None = None, total: int | None = None, desc: str = "progress") -> Any:
    """A tqdm progress bar when a person watches; a one-line summary when run headless."""
    if total is None and iterable is not None and hasattr(iterable, "__len__"):
        total = len(iterable)  # type: ignore[arg-type]
    if is_headless():
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
        raise ValueError(f"accuracy needs logits (N, C) and labels (N,), got {tuple(logits.shape)}, {tuple(y.shape)}")
    return (logits.argmax(1) == y).float().mean().item()


@torch.no_grad()
def evaluate(model: nn.Module, x: torch.Tensor, y: torch.Tensor, loss_fn: Callable[..., torch.Tensor],
             metric: Callable[[torch.Tensor, torch.Tensor], float] | None = accuracy,
             batch_size: int = 1024) -> tuple[float, float | None]:
    """Mean loss and metric of ``model`` on (x, y), in eval mode, batched to bound memory."""
    was_training, device = model.training, next(model.parameters()).device
    model.eval()
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
    device, gen = next(model.parameters()).device, torch.Generator().manual_seed(seed)
    opt = optimizer or torch.optim.Adam(model.parameters(), lr=lr)
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


def optimize(model: nn.Module, loss_of_step: Callable[[int], torch.Tensor], steps: int, lr: float,
             desc: str = "training", weight_decay: float = 1e-4, stop: int | None = None,
             after_step: Callable[[int, float], None] | None = None) -> float:
    """AdamW, one-cycle schedule, ``steps`` calls of ``loss_of_step(step)`` (it draws its own batch); last loss.
    ``stop`` ends after that many steps, on the whole run's schedule; ``after_step(step, loss)`` follows each."""
    if not isinstance(steps, int) or steps < 1 or not (stop is None or isinstance(stop, int) and 1 <= stop <= steps):
        raise ValueError(f"steps must be a positive integer, stop must be an integer from 1 to steps: {steps}, {stop}")
    opt = torch.optim.AdamW(model.parameters(), lr, weight_decay=weight_decay)
    schedule = torch.optim.lr_scheduler.OneCycleLR(opt, lr, total_steps=steps, pct_start=0.15)
    bar = progress(range(stop or steps), desc=desc)
    for step in bar:
        loss = loss_of_step(step)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        schedule.step()
        if step % 50 == 0 or step == steps - 1:
            bar.set_postfix(loss=round(loss.item(), 4))
        if after_step is not None:
            after_step(step, loss.item())
    return loss.item()


# Language models: windows of one long token stream, each target the window shifted by one.

def lm_batch(ids: torch.Tensor, batch: int, context: int, generator: torch.Generator | None = None,
             device: torch.device | str | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """``batch`` random windows of ``context`` tokens of the 1-D stream ``ids``, and the next tokens."""
    if ids.ndim != 1 or len(ids) < context + 2:
        raise ValueError(f"ids must be a 1-D token stream longer than context + 1 = {context + 1}, "
                         f"got shape {tuple(ids.shape)}")
    starts = torch.randint(0, len(ids) - context - 1, (batch,), generator=generator)
    offsets = starts[:, None] + torch.arange(context)
    return ids[offsets].to(device), ids[offsets + 1].to(device)


@torch.no_grad()
def lm_loss(model: nn.Module, ids: torch.Tensor, context: int | None = None, max_windows: int = 640,
            batch_size: int = 64) -> float:
    """Mean next-token cross-entropy (nats/token) over evenly spaced windows of the held-out stream ``ids``."""
    context = context or model.context
    n = min(max_windows, (len(ids) - 1) // context)
    if n < 1:
        raise ValueError(f"{len(ids)} held-out tokens make no window of {context + 1}")
    starts = torch.linspace(0, len(ids) - context - 1, n).long()
    device, was_training, total = next(model.parameters()).device, model.training, 0.0
    model.eval()
    for chunk in starts.split(batch_size):
        offsets = chunk[:, None] + torch.arange(context)
        total += nn.functional.cross_entropy(model(ids[offsets].to(device)).flatten(0, 1),
                                             ids[offsets + 1].to(device).flatten(), reduction="sum").item()
    model.train(was_training)
    return total / (n * context)


def warmup_cosine(step: int, total: int, warmup: int, floor: float = 0.1) -> float:
    """Learning-rate factor: linear from 0 to 1 over ``warmup`` steps, then a cosine down to ``floor``."""
    if step < warmup:
        return (step + 1) / warmup
    progress_ = min(1.0, (step - warmup) / max(1, total - warmup))
    return floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * progress_))


def adamw(model: nn.Module, lr: float, weight_decay: float = 0.1, betas: tuple[float, float] = (0.9, 0.95),
          fused: bool | None = None) -> torch.optim.AdamW:
    """AdamW that decays only matrices (not norms, biases), fused into one kernel where supported."""
    params = [p for p in model.parameters() if p.requires_grad]
    groups = [{"params": [p for p in params if p.ndim >= 2], "weight_decay": weight_decay},
              {"params": [p for p in params if p.ndim < 2], "weight_decay": 0.0}]
    if fused is None:  # fused AdamW runs on CPU and CUDA tensors in torch >= 2.4; MPS differs by version
        fused = all(p.device.type in ("cpu", "cuda") for p in params)
    return torch.optim.AdamW(groups, lr=lr, betas=betas, fused=fused)


def train_lm(model: nn.Module, ids: torch.Tensor, *, steps: int, batch: int, lr: float, warmup: int | None = None,
             clip: float | None = 1.0, weight_decay: float = 0.1, val_ids: torch.Tensor | None = None,
             evals: int = 10, seed: int = 0, live: bool = True, desc: str = "language model",
             stop: int | None = None) -> dict[str, list]:
    """Train a next-token model on the stream ``ids`` with AdamW, warm-up plus cosine and clipping.

    Returns the history: ``step`` and ``train loss`` (mean over each stretch between evaluations),
    and ``val loss`` on ``val_ids`` at the same steps when given. ``stop`` ends the run after that
    many of the ``steps`` (the schedule stays that of the whole run): the first part of a recipe.
    """
    if not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps must be a positive integer, got {steps!r}")
    if stop is not None and not (isinstance(stop, int) and 1 <= stop <= steps):
        raise ValueError(f"stop must be an integer from 1 to steps ({steps}), got {stop!r}")
    device, context = next(model.parameters()).device, model.context
    opt = adamw(model, lr, weight_decay)
    warmup = max(1, steps // 20) if warmup is None else warmup
    schedule = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: warmup_cosine(s, steps, warmup))
    gen = torch.Generator().manual_seed(seed)
    every, running = max(1, steps // evals), []
    chart = LiveCurve(title=desc, xlabel="step", x_every=every) if live else None
    history: dict[str, list] = {"step": [], "train loss": []} | ({"val loss": []} if val_ids is not None else {})
    bar = progress(range(stop or steps), desc=desc)
    model.train()
    for step in bar:
        x, y = lm_batch(ids, batch, context, gen, device)
        loss = nn.functional.cross_entropy(model(x).flatten(0, 1), y.flatten())
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if clip is not None:
            nn.utils.clip_grad_norm_(model.parameters(), clip)
        opt.step()
        schedule.step()
        running.append(loss.item())
        if (step + 1) % every == 0 or step + 1 == (stop or steps):
            row = {"train loss": sum(running) / len(running)}
            if val_ids is not None:
                row["val loss"] = lm_loss(model, val_ids, context, max_windows=128)
            history["step"].append(step + 1)
            for k, v in row.items():
                history[k].append(v)
            bar.set_postfix({k: round(v, 3) for k, v in row.items()})
            if chart is not None:
                chart.update(**row)
            running = []
    if chart is not None:
        chart.close()
    return history
