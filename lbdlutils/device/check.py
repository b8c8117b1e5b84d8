"""``LBDL_DEVICE=check``: the CPU, refusing what CUDA or Apple's MPS would refuse.

Most machines that run the tests have no GPU, so this mode plays one on the CPU. :func:`enable`
returns ``cpu:0``, a device that computes on the CPU but is told apart from ``cpu``: a tensor made
there, moved there (``.to(device)``, ``Module.to(device)``) or computed from one is *on the device*,
and a :class:`~torch.overrides.TorchFunctionMode` refuses, naming the operation and what to do:

* an operation mixing tensors on the device with CPU tensors of 1 or more dimensions (a 0-dimensional
  one is a scalar, and CPU index tensors are fine, as on a GPU);
* ``.numpy()`` (so ``np.asarray`` and matplotlib too) on the device;
* float64 or complex128 on the device (MPS has neither);
* an operator MPS lacks (:data:`MPS_MISSING`; ``lbdl.device.has_kernel`` says where to run it);
* a random draw whose generator was made for the other device (``torch.Generator`` is replaced by
  a subclass that remembers its device).

``.cpu()``, ``.item()``, ``.tolist()`` and ``copy_`` across devices pass, as on a GPU. Unseen: tensors
that C++ makes without passing through Python (a loaded checkpoint's), generators made before.
A loop under ``lbdl.progress`` (headless) is checked for its first :data:`FIRST_STEPS` steps only.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from typing import Any

import torch
from torch import nn

from .mode import DEVICE, MPS_MISSING, DeviceCheck, DeviceError, _check_out, _is_device, _tag, move_target, on_device

__all__ = ["DEVICE", "MPS_MISSING", "DeviceError", "Generator", "enable", "enabled", "first_steps", "on_device",
           "pause", "resume"]


class Generator(torch._C.Generator):
    """``torch.Generator`` under the check: it knows whether it was made for the device."""

    def __new__(cls, device: Any = "cpu") -> Generator:
        gen = super().__new__(cls, device)
        gen._on_device = _is_device(device)
        return gen

    @property
    def device(self) -> torch.device:
        return DEVICE if self._on_device else super().device


def _module_move(original: Any, to_device: Any) -> Any:
    @functools.wraps(original)
    def moved(module: nn.Module, *args: Any, **kwargs: Any) -> nn.Module:
        out = original(module, *args, **kwargs)
        target = to_device(*args, **kwargs)
        if target is not None:
            for t in (*module.parameters(), *module.buffers()):
                if target:
                    _check_out(original, t)
                _tag(t, target)
        return out
    return moved


def _parameter_new(original: Any) -> Any:
    def new(cls: type, data: torch.Tensor | None = None, requires_grad: bool = True) -> nn.Parameter:
        return _tag(original(cls, data, requires_grad), on_device(data))
    return staticmethod(new)


def _autograd_grad(original: Any) -> Any:
    @functools.wraps(original)
    def grad(outputs: Any, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        result = original(outputs, inputs, *args, **kwargs)
        sources = [inputs] if isinstance(inputs, torch.Tensor) else list(inputs)
        for r, s in zip(result, sources):
            _tag(r, on_device(s))
        return result
    return grad


_mode: DeviceCheck | None = None


def enable() -> torch.device:
    """Start checking (once per process) and return the device to put models and data on."""
    global _mode
    if _mode is None:
        nn.Module.to = _module_move(nn.Module.to, move_target)
        nn.Module.cpu = _module_move(nn.Module.cpu, lambda *a, **k: False)
        nn.Parameter.__new__ = _parameter_new(nn.Parameter.__new__)
        torch.autograd.grad = _autograd_grad(torch.autograd.grad)
        torch.Generator = Generator  # torch._C.Generator stays the type torch checks
        _mode = DeviceCheck()
        _mode.__enter__()  # for the rest of the process: the notebook's kernel
    return DEVICE


def enabled() -> bool:
    """Whether this process runs under the device check."""
    return _mode is not None


FIRST_STEPS = 3  # of a loop under lbdl.progress: a device error shows at the first step
_paused = [0]


def pause() -> None:
    """Stop checking until :func:`resume` (nested pauses count); a no-op when the check is off."""
    if _mode is not None:
        if _paused[0] == 0:
            _mode.__exit__(None, None, None)
        _paused[0] += 1


def resume() -> None:
    """Check again once every :func:`pause` has been resumed."""
    if _mode is not None and _paused[0] > 0:
        _paused[0] -= 1
        if _paused[0] == 0:
            _mode.__enter__()


def first_steps(iterable: Iterable[Any]) -> Iterator[Any]:
    """The items of ``iterable``; under the check, the loop's body runs unchecked after ``FIRST_STEPS``
    of them (a loop repeats itself: a device error shows at its first step), checked again at its end."""
    paused = False
    try:
        for k, item in enumerate(iterable):
            if k == FIRST_STEPS and _mode is not None:
                pause()
                paused = True
            yield item
    finally:
        if paused:
            resume()
