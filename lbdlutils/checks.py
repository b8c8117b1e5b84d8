"""Learning checks that assert AND record: every trained model ends with one ``expect`` call."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from typing import Any

import torch

from . import device as _device
from . import env
from . import scale as _scale
from . import session as _session

METRICS_ENV = env.METRICS
Threshold = float | int | Mapping[str, float] | None

records: list[dict[str, Any]] = []


def _for_scale(threshold: Threshold, which: str) -> float | None:
    """A threshold is one number for every scale, or ``{"ci": ..., "small": ..., "full": ...}`` naming all three."""
    if threshold is None or isinstance(threshold, int | float):
        return None if threshold is None else float(threshold)
    if not isinstance(threshold, Mapping):
        raise TypeError(f"{which} must be a number or a mapping scale -> number, got {threshold!r}")
    unknown = set(threshold) - set(_scale.SCALES)
    if unknown:
        raise ValueError(f"{which} has unknown scale(s) {sorted(unknown)}: valid are {_scale.SCALES}")
    missing = [s for s in _scale.SCALES if s not in threshold]
    if missing:  # every scale names its bound, full included: no silent fallback from one to another
        raise ValueError(f"{which} gives no value for scale(s) {missing}: {dict(threshold)}; a threshold per "
                         f"scale names all of {', '.join(_scale.SCALES)} (or is one number for every scale)")
    return float(threshold[_scale.get_scale()])


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
    path = env.get(METRICS_ENV)
    if path:
        with open(path, "a", encoding="utf-8") as f:
            f.write(json.dumps(rec) + "\n")


def expect(name: str, value: Any, *, at_least: Threshold = None, at_most: Threshold = None,
           unit: str = "", baseline: tuple[str, float] | None = None) -> None:
    """Record ``value`` and assert it lies within the bounds for the current scale.

    ``baseline`` (what, value), e.g. ``("chance", 0.1)``, is the trivial baseline printed beside it.
    Returns nothing, so that a check ending a notebook cell prints one line and no ``Out[n]``;
    the value is in ``lbdl.records[-1]``.
    """
    lo, hi = _for_scale(at_least, "at_least"), _for_scale(at_most, "at_most")
    if lo is None and hi is None:
        raise ValueError(f"expect({name!r}) needs at_least and/or at_most: a check must be able to fail")
    v = _as_float(value, name)
    ok = _within(v, lo, hi)
    extra = ({"unit": unit} if unit else {}) | ({"baseline": _as_float(baseline[1], name),
                                                 "baseline_name": str(baseline[0])} if baseline else {})
    record(name, v, at_least=lo, at_most=hi, passed=ok, **extra)
    bounds = _bounds(lo, hi) + (f"; baseline, {baseline[0]}: {_number(extra['baseline'])}" if baseline else "")
    shown = f"{_number(v)}{unit}"
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


def machine_notes() -> list[str]:
    """Why a speed measured here can differ from a typical machine's: quota, sharing, no GPU."""
    notes = []
    quota, cores = _device.cpu_quota(), os.cpu_count() or 1
    if quota is not None:
        notes.append(f"a container quota of {quota:g} CPU(s) on a {cores}-core machine (Binder gives 1)")
    elif _device.available_cpus() < cores:
        notes.append(f"{_device.available_cpus()} of {cores} cores usable by this process")
    if hasattr(os, "getloadavg"):
        load = os.getloadavg()[0]
        if load > 0.5 * _device.available_cpus() + 0.5:
            notes.append(f"a shared CPU (load average {load:.1f}: other work is running)")
    if not torch.cuda.is_available():
        notes.append("no GPU (the figure is this CPU's)")
    return notes or ["no known constraint, but timings vary from run to run (caches, clock speed, other programs)"]


def machine_check(name: str, value: Any, *, at_least: float | None = None, at_most: float | None = None,
                  unit: str = "") -> None:
    """Record a machine-dependent measurement (a speed-up, a bandwidth) and say whether it is typical.

    Prints ✓, or ✗ with why it can differ on this machine; never raises, at any scale: a time is a
    measurement of the machine, not a pass/fail test (a reader's notebook must not stop because
    their CPU is slow or shared, and CI machines of one kind differ more than 2× in speed). The
    record's ``typical`` field says which it was; ``make budgets`` is where times are compared.
    """
    if at_least is None and at_most is None:
        raise ValueError(f"machine_check({name!r}) needs at_least and/or at_most: the typical range")
    v = _as_float(value, name)
    ok, bounds = _within(v, at_least, at_most), _bounds(at_least, at_most)
    record(name, v, typical_at_least=at_least, typical_at_most=at_most, typical=ok, machine_dependent=True,
           **({"unit": unit} if unit else {}))
    shown = f"{_number(v)}{unit}"
    if ok:
        print(f"✓ {name} = {shown} (typical: {bounds})")
    else:  # stays a printed line: the notebook goes on
        print(f"✗ {name} = {shown}, while a typical machine gives {bounds}. Not an error: this measures "
              f"your machine, which has {'; '.join(machine_notes())}.")


def _within(v: float, lo: float | None, hi: float | None) -> bool:
    """A finite value inside the bounds that are given."""
    return math.isfinite(v) and (lo is None or v >= lo) and (hi is None or v <= hi)


def _number(v: float) -> str:
    """Large integers exactly, with thousands separators (25,557,032); others to 4 significant digits."""
    return f"{int(v):,}" if math.isfinite(v) and v == int(v) and abs(v) >= 1e4 else f"{v:.4g}"


def _bounds(lo: float | None, hi: float | None, prefix: str = "") -> str:
    if lo is not None and lo == hi:
        return f"{prefix}= {_number(lo)}"
    parts = [f">= {_number(lo)}" if lo is not None else "", f"<= {_number(hi)}" if hi is not None else ""]
    return prefix + " and ".join(p for p in parts if p)


def summary() -> None:
    """Print every check of the notebook as a table: metric, value, threshold, unit, ✓/✗.

    A check run again (a cell re-run) shows once, with its latest value, where it first appeared.
    """
    latest: dict[tuple, dict] = {}
    for r in records:
        latest[(r["name"], r.get("role"))] = r
    rows = []
    for r in latest.values():
        if "exercise" in r:
            want = "accepted" if r["role"] == "solution" else "your answer"
            rows.append((r["name"], "correct" if r["value"] else "not yet", want, "", "✓" if r["value"] else "·"))
        elif r.get("machine_dependent"):
            rows.append((r["name"], _number(r["value"]), _bounds(r["typical_at_least"], r["typical_at_most"],
                                                                  "typical "), r.get("unit", ""),
                         "✓" if r["typical"] else "✗ (this machine)"))
        elif "atol" in r:
            tol = "PyTorch's default" if r["atol"] is None else f"atol {r['atol']:g}, rtol {r['rtol']:g}"
            rows.append((r["name"], f"{r['value']:.2e}", f"max |difference| within {tol}", "",
                         "✓" if r["passed"] else "✗"))
        elif "passed" in r:
            base = f" (baseline {_number(r['baseline'])})" if "baseline" in r else ""
            rows.append((r["name"], _number(r["value"]), _bounds(r["at_least"], r["at_most"]) + base,
                         r.get("unit", ""), "✓" if r["passed"] else "✗"))
        else:
            rows.append((r["name"], _number(r["value"]), "measured", "", "·"))
    if not rows:
        print("no checks recorded yet")
        return
    width = min(70, max(len(row[0]) for row in rows))
    tw = max(len(row[2]) for row in rows)
    print(f"{'metric':<{width}} {'value':>12}  {'threshold':<{tw}} {'unit':<5} ok")
    for name, value, threshold, unit, mark in rows:
        print(f"{name[:width]:<{width}} {value:>12}  {threshold:<{tw}} {unit:<5} {mark}")
