"""A stored model's record beside a rerun of its first steps: the curve, and how far the rerun strays."""

from __future__ import annotations

from typing import Any


def replay_gap(recorded: dict[str, list], here: dict[str, list], key: str = "val loss") -> tuple[float, float]:
    """How far a rerun of the first steps strays from the recorded run, and what lagging one record behind costs.

    Returns (largest |here − recorded| over the steps both evaluated, |recorded change over the
    rerun's last interval|): the second is the baseline a faithful rerun must stay well below.
    """
    at = dict(zip(recorded["step"], recorded[key]))
    shared = [(step, value) for step, value in zip(here["step"], here[key]) if step in at]
    if len(shared) < 2:
        raise ValueError(f"the rerun and the record share {len(shared)} evaluated steps; two are needed")
    gap = max(abs(value - at[step]) for step, value in shared)
    return gap, abs(at[shared[-1][0]] - at[shared[-2][0]])


def show_history(metrics: dict[str, Any], title: str, run_here: dict[str, list] | None = None,
                 unit: str = "nats/char", log: bool = False, ax: Any = None) -> Any:
    """The training curve the zoo recorded and, if given, the held-out loss of a rerun made here; the axes."""
    import matplotlib.pyplot as plt

    h = metrics["history"]
    ax = ax if ax is not None else plt.subplots(figsize=(6.4, 3))[1]
    labels = {"train loss": "train loss (recorded, mean since the last record)", "val loss": "val loss (recorded)"}
    for name in ("train loss", "val loss"):  # None (no training loss before the first step) is left out
        ax.plot(h["step"], [float("nan") if v is None else v for v in h[name]], "o-", ms=3, label=labels[name])
    if run_here is not None:
        ax.plot(run_here["step"], run_here["val loss"], "x", ms=9, mew=2, color="k", label="val loss (run here)")
    ax.set(xlabel="step", ylabel=unit, yscale="log" if log else "linear",
           title=f"{title}: {metrics['train_seconds']:.0f} s of training")
    ax.legend(fontsize=8)
    return ax
