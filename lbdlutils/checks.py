"""Learning checks that assert AND record: every trained model ends with one ``expect`` call."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from typing import Any

import torch

from . import scale as _scale
from . import session as _session

METRICS_ENV = "LBDL_METRICS"
Threshold = float | int | Mapping[str, float] | None

records: list[dict[str, Any]] = []


def _for_scale(threshold: Threshold, which: str) -> float | None:
    """A threshold may be one number or ``{"ci": ..., "small": ..., "full": ...}``."""
    if threshold is None or isinstance(threshold, int | float):
        return None if threshold is None else float(threshold)
    if not isinstance(threshold, Mapping):
        raise TypeError(f"{which} must be a number or a mapping scale -> number, got {threshold!r}")
    unknown = set(threshold) - set(_scale.SCALES)
    if unknown:
        raise ValueError(f"{which} has unknown scale(s) {sorted(unknown)}: valid are {_scale.SCALES}")
    s = _scale.get_scale()
    if s == "full" and "full" not in threshold:
        s = "small"
    if s not in threshold:
        raise ValueError(f"{which} gives no value for scale {s!r}: {dict(threshold)}")
    return float(threshold[s])


def _as_float(value: Any, name: str) -> float:
    if isinstance(value, torch.Tensor):
        if value.numel() != 1:
            raise ValueError(f"{name}: expected one number, got a tensor of shape {tuple(value.shape)}")
        value = value.item()
    try:
        return float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{name}: expected a number, got {type(value).__name__}") from None


def record(name: str, value: Any, **extra: Any) -> None:
    """Store a metric in ``lbdl.records`` (and append it to ``$LBDL_METRICS`` as one JSON line when set)."""
    if not isinstance(name, str) or not name:
        raise ValueError(f"a metric needs a non-empty name, got {name!r}")
    sess = _session.current()
    rec = {"notebook": sess.notebook if sess else None, "name": name, "value": _as_float(value, name),
           "scale": _scale.get_scale(), "seed": sess.seed if sess else None, **extra}
    records.append(rec)
    path = os.environ.get(METRICS_ENV, "").strip()
    if path:
        with open(path, "a", encoding="utf-8") as f:
            f.write(json.dumps(rec) + "\n")


def expect(name: str, value: Any, *, at_least: Threshold = None, at_most: Threshold = None,
           unit: str = "") -> None:
    """Record ``value`` and assert it lies within the bounds for the current scale.

    Returns nothing, so that a check ending a notebook cell prints one line and no ``Out[n]``;
    the value is in ``lbdl.records[-1]``.
    """
    lo, hi = _for_scale(at_least, "at_least"), _for_scale(at_most, "at_most")
    if lo is None and hi is None:
        raise ValueError(f"expect({name!r}) needs at_least and/or at_most: a check must be able to fail")
    v = _as_float(value, name)
    ok = math.isfinite(v) and (lo is None or v >= lo) and (hi is None or v <= hi)
    record(name, v, at_least=lo, at_most=hi, passed=ok)
    bounds = " and ".join(b for b in (lo is not None and f">= {lo:g}", hi is not None and f"<= {hi:g}") if b)
    shown = f"{v:.4g}{unit}"
    if not ok:
        raise AssertionError(f"{name} = {shown}, expected {bounds} at scale {_scale.get_scale()!r}")
    print(f"✓ {name} = {shown} (expected {bounds})")


def check_close(name: str, actual: torch.Tensor, expected: torch.Tensor, *,
                rtol: float | None = None, atol: float | None = None) -> None:
    """``torch.testing.assert_close`` that also records and prints the largest absolute error."""
    if not isinstance(actual, torch.Tensor) or not isinstance(expected, torch.Tensor):
        raise TypeError(f"{name}: check_close compares tensors, got {type(actual).__name__} "
                        f"and {type(expected).__name__}")
    if actual.shape != expected.shape:
        raise ValueError(f"{name}: shapes differ, {tuple(actual.shape)} vs {tuple(expected.shape)}")
    err = (actual.detach() - expected.detach()).abs().max().item() if actual.numel() else 0.0
    try:
        torch.testing.assert_close(actual, expected, rtol=rtol, atol=atol,
                                   msg=lambda m: f"{name}: from-scratch and reference differ.\n{m}")
    except AssertionError:
        record(name, err, atol=atol, rtol=rtol, passed=False)
        raise
    record(name, err, atol=atol, rtol=rtol, passed=True)
    print(f"✓ {name}: max |difference| = {err:.2e}")
