"""Device detection (CUDA, then MPS, then CPU), a thread policy that avoids oversubscription, and
(:mod:`.check`) a device check that plays a GPU on the CPU."""

from __future__ import annotations

import math
import os
from pathlib import Path

import torch

from .. import env

DEVICE_ENV = env.DEVICE
VALID_DEVICES = ("cuda", "mps", "cpu", "check")  # check: the CPU, refusing what CUDA/MPS would (device.check)


def _mps_available() -> bool:
    mps = getattr(torch.backends, "mps", None)
    return bool(mps is not None and mps.is_available())


def get_device(requested: str | None = None) -> torch.device:
    """The best available device; ``LBDL_DEVICE`` if set, else ``requested`` (e.g. ``cpu``, ``cuda:1``)."""
    name = env.get(DEVICE_ENV) or requested or None
    if name is None:
        if torch.cuda.is_available():
            return torch.device("cuda")
        return torch.device("mps") if _mps_available() else torch.device("cpu")
    kind = name.split(":")[0].lower()
    if kind == "check":
        from . import check

        return check.enable()
    if kind not in VALID_DEVICES:
        raise ValueError(f"unknown device {name!r}: valid devices are {', '.join(VALID_DEVICES)} "
                         f"(optionally with an index, e.g. cuda:1)")
    if kind == "cuda" and not torch.cuda.is_available():
        raise RuntimeError(f"device {name!r} was asked for but CUDA is not available here; "
                           f"unset {DEVICE_ENV} or use cpu")
    if kind == "mps" and not _mps_available():
        raise RuntimeError(f"device {name!r} was asked for but MPS is not available here; "
                           f"unset {DEVICE_ENV} or use cpu")
    return torch.device(name)


def has_kernel(device: torch.device | str, op: str) -> bool:
    """Whether ``device`` has a kernel for operator ``op`` (MPS lacks a few, e.g. ``ctc_loss``)."""
    from . import check

    dev = torch.device(device)
    mps_like = dev.type == "mps" or (check.enabled() and dev == check.DEVICE)
    return not (mps_like and op in check.MPS_MISSING)


def multinomial(probs: torch.Tensor, num_samples: int, replacement: bool = False,
                generator: torch.Generator | None = None) -> torch.Tensor:
    """``torch.multinomial`` drawn on the generator's device, returned on ``probs``' device.

    A seeded CPU generator then gives the same samples whatever device the model is on (CUDA refuses
    a CPU generator for a draw on the GPU).
    """
    where = probs.device if generator is None else generator.device
    if where == probs.device:
        return torch.multinomial(probs, num_samples, replacement, generator=generator)
    return torch.multinomial(probs.to(where), num_samples, replacement, generator=generator).to(probs.device)


def device_reason() -> str:
    """One sentence saying why :func:`get_device` picks what it picks on this machine."""
    asked = env.get(DEVICE_ENV)
    if asked:
        if asked.lower() == "check":
            return f"{DEVICE_ENV}=check: the CPU, refusing what CUDA or MPS would refuse (a device check)"
        return f"{DEVICE_ENV}={asked} asks for it"
    if torch.cuda.is_available():
        return f"CUDA finds {torch.cuda.device_count()} GPU(s), the first is {torch.cuda.get_device_name(0)}"
    if _mps_available():
        return "no CUDA GPU, but Apple's Metal (MPS) is available"
    return "no CUDA GPU and no Apple MPS: the CPU it is"


def cpu_capability() -> str:
    """The vector instruction set torch's CPU kernels use here (e.g. AVX2, AVX512), if torch says."""
    get = getattr(getattr(torch.backends, "cpu", None), "get_cpu_capability", None)
    return str(get()) if get else "unknown"


def cpu_quota(cgroup_root: str | Path = "/sys/fs/cgroup") -> float | None:
    """CPUs allowed by a container quota (cgroup v2 ``cpu.max`` or v1 CFS), or None if unlimited."""
    root = Path(cgroup_root)
    try:
        quota, period = (root / "cpu.max").read_text().split()[:2]
        return None if quota == "max" else int(quota) / int(period)
    except (OSError, ValueError):
        pass
    try:
        quota_us = int((root / "cpu" / "cpu.cfs_quota_us").read_text())
        period_us = int((root / "cpu" / "cpu.cfs_period_us").read_text())
        return None if quota_us <= 0 else quota_us / period_us
    except (OSError, ValueError):
        return None


def available_cpus() -> int:
    """CPUs this process may really use: affinity mask and container quota, at least 1."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # macOS and Windows have no affinity mask
        cpus = os.cpu_count() or 1
    quota = cpu_quota()
    if quota is not None:
        cpus = min(cpus, max(1, math.floor(quota)))
    return max(1, cpus)


def _int_variable(name: str, value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{name}={value!r} is not a positive integer") from None


def configure_threads(threads: int | None = None) -> int:
    """Set torch's intra-op threads: ``LBDL_THREADS``, else ``threads``, else ``OMP_NUM_THREADS``,
    else the usable CPUs.
    """
    forced = env.get(env.THREADS)
    if forced is not None:
        threads = _int_variable(env.THREADS, forced)
    elif threads is None:
        omp = os.environ.get("OMP_NUM_THREADS", "").strip()
        threads = _int_variable("OMP_NUM_THREADS", omp) if omp else available_cpus()
    if not isinstance(threads, int) or threads < 1:
        raise ValueError(f"threads must be a positive integer, got {threads!r}")
    torch.set_num_threads(threads)
    return threads
