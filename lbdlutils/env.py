"""The environment variables of the companion, and the one rule for every knob.

**Precedence, for every knob: an ``LBDL_*`` environment variable, when set, wins over the value
written in the code (a notebook's parameter or a function's argument), which wins over the
automatic default.** So a teacher or CI can force a whole session, e.g. ``LBDL_SCALE=ci
LBDL_DEVICE=cpu jupyter lab``, without editing a notebook.

| variable | knob | default |
| --- | --- | --- |
| ``LBDL_SCALE`` | ``ci``, ``small`` or ``full`` | ``small`` |
| ``LBDL_DEVICE`` | ``cpu``, ``cuda``, ``cuda:1``, ``mps``, ``check`` (device.check) | the best available |
| ``LBDL_THREADS`` | torch's intra-op threads | ``OMP_NUM_THREADS``, else the usable CPUs |
| ``LBDL_HEADLESS`` | ``1``: progress as one line, knobs drawn once | whether a kernel with a front end runs |
| ``LBDL_CACHE`` | folder of the model zoo, where it writes | the user cache folder (platformdirs) |
| ``LBDL_ZOO_SHARED`` | folders (``:``-separated) of pre-trained models, read first, never written | none |
| ``LBDL_METRICS`` | append every check as one JSON line to this file | unset: records kept in memory only |

This module imports nothing else of ``lbdlutils``, so any module may import it.
"""

from __future__ import annotations

import os

# Where Colab installs this package from, and where the badges and source links point.
REPO_URL = "https://github.com/lbdl-companion/lbdl-notebooks"

SCALE, DEVICE, THREADS = "LBDL_SCALE", "LBDL_DEVICE", "LBDL_THREADS"
HEADLESS, CACHE, METRICS, ZOO_SHARED = "LBDL_HEADLESS", "LBDL_CACHE", "LBDL_METRICS", "LBDL_ZOO_SHARED"
VARIABLES: tuple[str, ...] = (SCALE, DEVICE, THREADS, HEADLESS, CACHE, METRICS, ZOO_SHARED)


def get(variable: str) -> str | None:
    """The value of an ``LBDL_*`` variable, stripped, or None when unset or empty."""
    if variable not in VARIABLES:
        raise ValueError(f"unknown companion variable {variable!r}: valid are {', '.join(VARIABLES)}")
    value = os.environ.get(variable, "").strip()
    return value or None


def resolve(variable: str, argument: object = None, default: object = None) -> tuple[object, str]:
    """(value, where it came from) by the one rule: environment, then argument, then default."""
    value = get(variable)
    if value is not None:
        return value, f"environment variable {variable}"
    if argument is not None:
        return argument, "argument"
    return default, "default"


def is_headless() -> bool:
    """True when no person is watching: ``LBDL_HEADLESS=1`` (set by make test/render) or no kernel."""
    flag = get(HEADLESS)
    if flag is not None:
        return flag.lower() not in ("0", "false", "no")
    try:
        from IPython import get_ipython
    except ImportError:
        return True
    shell = get_ipython()
    return shell is None or not hasattr(shell, "kernel")
