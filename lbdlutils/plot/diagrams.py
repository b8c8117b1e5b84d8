"""A model drawn the way the book draws its architectures: one box per layer, the tensor shape on
each arrow, repeated blocks folded as ×N, and residual connections as arcs ending in ⊕. Drawn from
the model's real shape trace, so the figure cannot disagree with the code.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
from torch import nn

from ..trace import shape_trace

COLOURS = {"conv": "#cfe2f3", "linear": "#fce5cd", "norm": "#d9ead3", "act": "#fff2cc", "attn": "#f4cccc",
           "block": "#d9d2e9", "embed": "#ead1dc", "pool": "#d0e0e3", "other": "#eeeeee"}
ACTIVATIONS = (nn.ReLU, nn.GELU, nn.Tanh, nn.Sigmoid, nn.SiLU, nn.LeakyReLU, nn.Softmax)


def describe(module: nn.Module) -> tuple[str, str]:
    """(label, colour family) of one layer, with the hyper-parameters the book's figures show."""
    name = type(module).__name__
    if isinstance(module, nn.Conv2d | nn.Conv1d):
        k = "×".join(map(str, module.kernel_size))
        stride = f", stride {module.stride[0]}" if module.stride[0] > 1 else ""
        return f"{name} {k}, {module.in_channels}→{module.out_channels}{stride}", "conv"
    if isinstance(module, nn.Linear):
        return f"Linear {module.in_features}→{module.out_features}", "linear"
    if isinstance(module, nn.Embedding):
        return f"Embedding {module.num_embeddings}×{module.embedding_dim}", "embed"
    if isinstance(module, nn.BatchNorm2d | nn.BatchNorm1d | nn.LayerNorm):
        return name, "norm"
    if isinstance(module, ACTIVATIONS):
        return name, "act"
    if isinstance(module, nn.MaxPool2d | nn.AvgPool2d | nn.AdaptiveAvgPool2d):
        k = getattr(module, "kernel_size", None) or getattr(module, "output_size", "")
        return f"{name} {k}", "pool"
    if "Attention" in name:
        return f"{name}, {getattr(module, 'heads', '?')} heads", "attn"
    if name == "Bottleneck":
        convs = [m for m in module.modules() if isinstance(m, nn.Conv2d)]
        kind = "Downscaling block" if not isinstance(module.skip, nn.Identity) else "Bottleneck"
        stride = f", stride {convs[1].stride[0]}" if convs[1].stride[0] > 1 else ""
        return f"{kind} {convs[0].in_channels}→{convs[0].out_channels}→{convs[2].out_channels}{stride}", "block"
    if "Block" in name:
        return f"{name} ({'cross-attention' if getattr(module, 'cross', None) else 'self-attention'})", "block"
    if isinstance(module, nn.Sequential) and all(isinstance(m, (nn.Linear, nn.Dropout, *ACTIVATIONS)) for m in module):
        linears = [m for m in module if isinstance(m, nn.Linear)]
        dims = [m.in_features for m in linears] + [linears[-1].out_features]
        return "MLP " + "→".join(map(str, dims)), "linear"
    return name, "other"


def _rows(model: nn.Module, inputs: tuple, depth: int) -> list[dict[str, Any]]:
    """Leaf rows of the shape trace at ``depth`` (a container whose children are shown is dropped)."""
    rows = shape_trace(model, *inputs, depth=depth, show=False)
    names = {r[0] for r in rows}
    out = []
    for name, _kind, shape, params in rows:
        if any(other.startswith(name + ".") for other in names):
            continue
        label, family = describe(model.get_submodule(name))
        out.append({"name": name, "label": label, "family": family, "shape": shape, "params": params, "n": 1})
    return out


def _fold(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Consecutive identical layers (same label, same output shape) become one row ×N."""
    folded: list[dict[str, Any]] = []
    for r in rows:
        last = folded[-1] if folded else None
        if last and last["label"] == r["label"] and last["shape"] == r["shape"] and last["family"] == "block":
            last["n"] += 1
            last["params"] += r["params"]
            last["last"] = r["name"]
        else:
            folded.append(dict(r, last=r["name"]))
    return folded


def _shape(s: Any) -> str:
    return "×".join(map(str, s)) if isinstance(s, tuple) else str(s)


def architecture(model: nn.Module, *inputs: Any, depth: int = 1, title: str | None = None,
                 residual: Sequence[tuple[str, str]] = (), side: str = "skip", split_after: str | None = None,
                 fold: bool = True, width: float = 4.2) -> plt.Figure:
    """Draw ``model`` run on ``inputs``: layers top to bottom, the tensor shape after each.

    ``residual`` lists (first, last) layer names that a skip connection spans; layers named
    ``side``… (a block's skip path) are written beside that arc. ``split_after`` starts a second
    column after the named layer (an encoder beside its decoder). Returns the figure.
    """
    rows = _rows(model, inputs, depth)
    skips = [r for r in rows if r["name"].split(".")[0] == side]
    rows = [r for r in rows if r["name"].split(".")[0] != side]
    rows = _fold(rows) if fold else [dict(r, last=r["name"]) for r in rows]
    columns = [rows]
    if split_after is not None:
        cut = next((i for i, r in enumerate(rows) if r["last"] == split_after), None)
        if cut is None:
            raise ValueError(f"split_after={split_after!r} names no layer; layers are {[r['name'] for r in rows]}")
        columns = [rows[:cut + 1], rows[cut + 1:]]
    height = max(len(c) for c in columns) + 2
    fig, ax = plt.subplots(figsize=(width * len(columns), 0.52 * height + 0.4))
    ax.set(xlim=(0, len(columns)), ylim=(-height + 0.4, 1.1))
    ax.axis("off")
    y_of: dict[str, float] = {}
    heads = ["input"] if len(columns) == 1 else ["source", "target"]
    for c, col in enumerate(columns):
        x = c + 0.42
        given = inputs[min(c, len(inputs) - 1)] if inputs else None
        shape_in = _shape(tuple(given.shape)) if hasattr(given, "shape") else ""
        ax.text(x, 0.5, f"{heads[c]} {shape_in}", ha="center", fontsize=8, style="italic")
        for i, r in enumerate(col):
            y = -i - 0.3
            y_of[r["name"]], y_of[r["last"]] = y, y
            ax.annotate("", xy=(x, y + 0.22), xytext=(x, y + 0.82),
                        arrowprops={"arrowstyle": "->", "color": "0.4", "lw": 0.8})
            text = r["label"] + (f"  ×{r['n']}" if r["n"] > 1 else "")
            ax.text(x, y, text, ha="center", va="center", fontsize=8,
                    bbox={"boxstyle": "round,pad=0.3", "fc": COLOURS[r["family"]], "ec": "0.5", "lw": 0.6})
            ax.text(x + 0.05, y - 0.5, _shape(r["shape"]), fontsize=7, color="0.3", va="center")
            if r["params"]:
                ax.text(c + 0.97, y, f"{r['params']:,}", ha="right", va="center", fontsize=6.5, color="0.5")
        if c == 1:
            ax.annotate("memory (keys, values of cross-attention)", xy=(x - 0.22, -1.3),
                        xytext=(0.6, y_of[split_after] - 0.5), fontsize=7, color="tab:red",
                        arrowprops={"arrowstyle": "->", "color": "tab:red", "lw": 0.8})
    for first_name, last_name in residual:
        if first_name not in y_of or last_name not in y_of:
            raise ValueError(f"residual ({first_name!r}, {last_name!r}): names must be drawn layers, "
                             f"got {sorted(y_of)}")
        top, bottom, x = y_of[first_name] + 0.6, y_of[last_name] - 0.62, 0.42
        ax.plot([x, x + 0.36, x + 0.36, x + 0.03], [top, top, bottom, bottom], color="tab:purple", lw=0.9)
        ax.text(x, bottom, "⊕", ha="center", va="center", fontsize=11, color="tab:purple")
        if skips:
            ax.text(x + 0.38, (top + bottom) / 2, "skip: " + ", ".join(s["label"] for s in skips), fontsize=7,
                    color="tab:purple", rotation=90, va="center")
    total = sum(p.numel() for p in model.parameters())
    ax.set_title(f"{title or type(model).__name__}  ({total:,} parameters)", fontsize=9)
    fig.tight_layout(pad=0.3)
    return fig
