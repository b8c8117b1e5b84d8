"""Shape traces: every layer a model runs, in order, with its output shape and parameter count."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn


def shape_trace(model: nn.Module, *inputs: Any, depth: int = 1, show: bool = True,
                **kwargs: Any) -> list[tuple] | None:
    """Run ``model(*inputs)`` once and print (name, layer, output shape, parameters) of each submodule
    down to ``depth`` levels (containers such as ``nn.ModuleList`` do not count as a level); with
    ``show=False`` return those rows instead of printing them.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"shape_trace needs an nn.Module, got {type(model).__name__}")
    if not isinstance(depth, int) or depth < 1:
        raise ValueError(f"depth must be a positive integer, got {depth!r}")
    rows: list[tuple] = []
    hooks = []

    def level(name: str) -> int:
        parts = name.split(".")
        return sum(1 for i in range(len(parts))
                   if not isinstance(model.get_submodule(".".join(parts[:i + 1])), nn.ModuleList | nn.ModuleDict))

    for name, module in model.named_modules():
        if name and not isinstance(module, nn.ModuleList | nn.ModuleDict) and level(name) <= depth:
            def hook(mod: nn.Module, _inp: Any, out: Any, name: str = name) -> None:
                shape = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
                rows.append((name, type(mod).__name__, shape, sum(p.numel() for p in mod.parameters())))
            hooks.append(module.register_forward_hook(hook))
    try:
        with torch.no_grad():
            out = model(*inputs, **kwargs)
    finally:
        for h in hooks:
            h.remove()
    if not show:
        return rows
    first = inputs[0] if inputs else None
    print(f"{'input':<34} {'':<20} {str(tuple(first.shape)) if isinstance(first, torch.Tensor) else '':<22}")
    for name, kind, shape, n in rows:
        print(f"{name:<34} {kind:<20} {str(shape):<22} {n:>10,}")
    total = sum(p.numel() for p in model.parameters())
    print(f"{'output':<34} {'':<20} {str(tuple(out.shape)) if isinstance(out, torch.Tensor) else '':<22} "
          f"{total:>10,} parameters in all")
    return None
