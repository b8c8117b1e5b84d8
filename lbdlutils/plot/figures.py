"""One plotting style, and the figures several chapters draw: curves, image grids, decision regions."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import torch

from ..env import is_headless

STYLE = {
    "figure.figsize": (6.4, 3.6),
    "figure.dpi": 80,  # keeps committed notebooks small; figures stay sharp enough on GitHub
    "savefig.dpi": 80,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "font.size": 10,
    "legend.frameon": False,
    "image.cmap": "viridis",
}


def use_style() -> None:
    """Apply the companion's matplotlib style; in a live kernel, figures drawn at twice the pixels.

    High-density screens blur 1× images. Headless runs (``make render``, tests) keep 1× PNGs, so the
    committed notebooks stay small.
    """
    mpl.rcParams.update(STYLE)
    if not is_headless():
        try:
            from matplotlib_inline.backend_inline import set_matplotlib_formats

            set_matplotlib_formats("retina")
        except Exception:  # noqa: BLE001 (no inline backend here: nothing to sharpen)
            pass


def show(fig: mpl.figure.Figure, handle: object | None = None) -> object:
    """Display ``fig`` once (or replace the output behind ``handle``) and close it; return the handle."""
    from IPython.display import display

    if handle is None:
        handle = display(fig, display_id=True)
    else:
        handle.update(fig)
    plt.close(fig)
    return handle


def _numpy(x: torch.Tensor | np.ndarray | Sequence[float]) -> np.ndarray:
    return x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)


def curves(history: Mapping[str, Sequence[float]], ax: plt.Axes | None = None, logy: bool = False,
           xlabel: str = "epoch", title: str | None = None, x_every: float = 1) -> plt.Axes:
    """Plot each named series of ``history`` (e.g. ``{"train loss": [...], "val loss": [...]}``)
    against 1, 2, 3… times ``x_every`` (the steps between two values)."""
    if not isinstance(history, Mapping) or not history:
        raise ValueError("curves needs a non-empty mapping name -> list of values")
    ax = ax or plt.subplots()[1]
    for name, values in history.items():
        values = _numpy(values)
        if values.ndim != 1:
            raise ValueError(f"series {name!r} must be 1-D, got shape {values.shape}")
        ax.plot(x_every * np.arange(1, len(values) + 1), values, label=name)
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.legend()
    if title:
        ax.set_title(title)
    return ax


def image_grid(images: torch.Tensor | np.ndarray, labels: Sequence[object] | None = None,
               ncols: int = 10, size: float = 0.8, cmap: str = "gray_r", symmetric: bool = False,
               title: str | None = None) -> plt.Figure:
    """Show N images, shaped (N, H, W) or (N, C, H, W) with C in {1, 3}, with optional titles.

    ``symmetric`` puts 0 at the middle of one colour range shared by all images, with a colour bar,
    so that colour shows sign (weights, differences). ``title`` goes above them all, with room kept
    for it (a ``suptitle`` added afterwards would overlap the first row).
    """
    imgs = _numpy(images)
    if imgs.ndim == 4:
        if imgs.shape[1] not in (1, 3):
            raise ValueError(f"images of shape {imgs.shape}: channels must be 1 or 3 (N, C, H, W)")
        imgs = imgs[:, 0] if imgs.shape[1] == 1 else imgs.transpose(0, 2, 3, 1)
    elif imgs.ndim != 3:
        raise ValueError(f"images must be (N, H, W) or (N, C, H, W), got shape {imgs.shape}")
    if labels is not None and len(labels) != len(imgs):
        raise ValueError(f"{len(labels)} labels for {len(imgs)} images")
    n = len(imgs)
    ncols = max(1, min(ncols, n))
    nrows = max(1, -(-n // ncols))
    height = nrows * (size + (0.25 if labels is not None else 0.05)) + (0.3 if title else 0)  # room for the text
    # constrained layout keeps every label and the title clear of the images (tight_layout let them overlap)
    fig, axes = plt.subplots(nrows, ncols, figsize=(ncols * size, height), squeeze=False, layout="constrained")
    fig.get_layout_engine().set(w_pad=0.01, h_pad=0.01, wspace=0.02, hspace=0.02)
    limit = float(np.abs(imgs).max()) if symmetric else None  # one range shared by every image
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < n:
            shown = ax.imshow(imgs[i], cmap=cmap if imgs[i].ndim == 2 else None,
                              vmin=-limit if symmetric else None, vmax=limit)
            if labels is not None:
                ax.set_title(str(labels[i]), fontsize=8)
    if title:
        fig.suptitle(title, fontsize=9)
    if symmetric and n:
        fig.colorbar(shown, ax=axes.ravel().tolist(), shrink=0.8, pad=0.01)
    return fig


def decision_regions(predict: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, y: torch.Tensor,
                     ax: plt.Axes | None = None, resolution: int = 200, margin: float = 0.5) -> plt.Axes:
    """Colour the plane by ``predict`` (N×2 points -> N labels) and scatter the points ``x`` (N×2)."""
    if x.ndim != 2 or x.shape[1] != 2:
        raise ValueError(f"decision_regions needs 2-D points of shape (N, 2), got {tuple(x.shape)}")
    ax = ax or plt.subplots(figsize=(4, 4))[1]
    lo, hi = x.min(0).values - margin, x.max(0).values + margin
    g0, g1 = torch.meshgrid(torch.linspace(lo[0], hi[0], resolution),
                            torch.linspace(lo[1], hi[1], resolution), indexing="xy")
    with torch.no_grad():
        z = predict(torch.stack([g0.flatten(), g1.flatten()], 1).to(x.dtype)).reshape(g0.shape)
    classes = int(max(int(y.max()), int(z.max())) + 1)
    ax.contourf(_numpy(g0), _numpy(g1), _numpy(z), levels=np.arange(classes + 1) - 0.5, cmap="tab10",
                alpha=0.25, vmin=0, vmax=9)
    ax.scatter(*_numpy(x).T, c=_numpy(y), cmap="tab10", vmin=0, vmax=9, s=10)
    ax.set_aspect("equal")
    return ax


class LiveCurve:
    """Training curves redrawn in place while a person watches; one static figure when headless."""

    def __init__(self, logy: bool = False, every_s: float = 1.0, title: str | None = None,
                 xlabel: str = "epoch", x_every: float = 1) -> None:
        self.history: dict[str, list[float]] = {}
        self.logy, self.every_s, self.title = logy, every_s, title
        self.xlabel, self.x_every = xlabel, x_every
        self.live = not is_headless()
        self._handle: object | None = None
        self._last = 0.0

    def update(self, **values: float) -> None:
        """Append one value per named series; redraw at most every ``every_s`` seconds."""
        for name, v in values.items():
            if not isinstance(v, int | float) and not (isinstance(v, torch.Tensor) and v.numel() == 1):
                raise TypeError(f"{name} must be a number, got {type(v).__name__}")
            self.history.setdefault(name, []).append(float(v))
        if self.live and time.monotonic() - self._last >= self.every_s:
            self._draw()

    def _draw(self) -> None:
        fig, ax = plt.subplots()
        curves(self.history, ax=ax, logy=self.logy, title=self.title, xlabel=self.xlabel, x_every=self.x_every)
        self._handle = show(fig, self._handle)
        self._last = time.monotonic()

    def close(self) -> dict[str, list[float]]:
        """Draw the final figure and return the history."""
        if self.history:
            self._draw()
        return self.history
