"""The first cell of every notebook: scale, seed, device, threads, plot style, and a report."""

from __future__ import annotations

import os
import platform
import random
import sys
from dataclasses import dataclass
from importlib import metadata

import numpy as np
import torch

from . import device as _device
from . import env
from . import scale as _scale
from .plot import use_style

HEADLESS_ENV = env.HEADLESS
_REPORTED = ("torch", "numpy", "matplotlib", "scikit-learn", "ipywidgets", "tqdm")


@dataclass(frozen=True)
class Session:
    """What ``setup`` decided; notebooks read ``SCALE``-dependent values through ``pick``."""

    notebook: str
    scale: str
    scale_source: str
    seed: int
    device: torch.device
    threads: int

    def __str__(self) -> str:
        return env_report(self)


_session: Session | None = None


def seed_everything(seed: int) -> torch.Generator:
    """Seed Python, NumPy and torch; return a torch generator seeded the same way."""
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    random.seed(seed)
    np.random.seed(seed % 2**32)  # noqa: NPY002 (readers' own code may use the legacy global RNG)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


def where() -> str:
    """Colab, Binder or local: the setup cell reports it, and Colab needs a pip install first."""
    if "google.colab" in sys.modules or os.environ.get("COLAB_RELEASE_TAG"):
        return "Colab"
    if os.environ.get("BINDER_SERVICE_HOST") or os.environ.get("BINDER_REQUEST"):
        return "Binder"
    return "local"


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def setup(scale: str | None = None, seed: int = 0, notebook: str = "notebook",
          device: str | None = None, threads: int | None = None, report: bool = True) -> Session:
    """Fix scale, seed, device, threads and plot style for a notebook and print the environment."""
    global _session
    chosen, source = _scale.resolve_scale(scale)
    _scale.set_scale(chosen)
    seed_everything(seed)
    n_threads = _device.configure_threads(threads)
    dev = _device.get_device(device)
    use_style()
    _session = Session(notebook, chosen, source, seed, dev, n_threads)
    if report:
        print(env_report(_session))
    return _session


def current() -> Session | None:
    """The session made by the last ``setup`` call, if any."""
    return _session


def env_report(session: Session | None = None) -> str:
    """Versions, device, threads, scale and seed as a few printable lines."""
    s = session or _session
    lines = [f"Python {platform.python_version()} on {platform.system()} {platform.machine()} ({where()})",
             " · ".join(f"{name} {_version(name)}" for name in _REPORTED)]
    if s is not None:
        dev = str(s.device)
        if s.device.type == "cuda":
            dev += f" ({torch.cuda.get_device_name(s.device)})"
        lines += [f"device {dev} · threads {s.threads} of {_device.available_cpus()} usable CPUs",
                  f"scale {s.scale} ({s.scale_source}) · seed {s.seed} · notebook {s.notebook}"]
    return "\n".join(lines)
