"""``LBDL_DEVICE=check``: the CPU, refusing what CUDA or Apple's MPS would refuse.

A notebook is device-correct when it keeps every tensor where its model lives, brings results back
with ``.cpu()`` before NumPy, and asks the accelerator for nothing it lacks. Most machines that run
the tests have no GPU, so this mode plays one on the CPU. :func:`enable` returns a device,
``cpu:0``, that computes on the CPU but is told apart from plain ``cpu``: a tensor made there, moved
there (``.to(device)``, ``Module.to(device)``) or computed from one is *on the device*, and a
:class:`~torch.overrides.TorchFunctionMode` refuses, with the operation's name and what to do:

* an operation that mixes tensors on the device with tensors of more than 0 dimensions on the CPU
  (CUDA and MPS accept a 0-dimensional CPU tensor as a scalar, and CPU index tensors);
* ``.numpy()`` (so ``np.asarray`` and matplotlib too) on a tensor on the device;
* float64 or complex128 on the device (MPS has neither);
* an operator MPS has no kernel for (:data:`MPS_MISSING`); :func:`has_kernel` says where it runs.

``.cpu()``, ``.to("cpu")``, ``.item()``, ``.tolist()`` and ``copy_`` across devices are allowed, as
on a GPU, and so is a random draw with a generator made for the device where the draw runs
(``torch.Generator`` is replaced by a subclass that remembers its device). What it cannot see:
tensors that C++ makes without passing through Python (a loaded checkpoint's), and generators made
before the check began.
"""

from __future__ import annotations

import functools
import weakref
from typing import Any

import torch
from torch import nn
from torch.overrides import TorchFunctionMode

DEVICE = torch.device("cpu", 0)  # computes on the CPU; equal to no other device a notebook names
MPS_MISSING = frozenset({"ctc_loss"})  # operators without an MPS kernel in released torch versions
WIDE = (torch.float64, torch.complex128)
_T = torch.Tensor
_FREE = {_T.copy_, _T.item, _T.tolist, _T.__len__, _T.dim, _T.size, _T.numel,
         _T.__repr__, _T.__format__, _T.data_ptr}  # device-agnostic, or moves data as a GPU allows
_MOVES = {_T.to, _T.cpu, _T.cuda, _T.type_as}
_GETTERS = {_T.device.__get__, _T.is_cpu.__get__}
_DATA_SET = _T.data.__set__
_NUMPY_FUNCS = {_T.numpy, _T.__array__}
_on: dict[int, weakref.ref] = {}  # id -> the tensor on the device (no attribute: pickles stay plain)


class DeviceError(RuntimeError):
    """What CUDA or MPS would have refused, found on the CPU."""


def on_device(t: Any) -> bool:
    """Whether ``t`` is a tensor that lives on the checked device."""
    ref = _on.get(id(t))
    return ref is not None and ref() is t


_made = [0]


def _tag(out: Any, value: bool = True) -> Any:
    if isinstance(out, torch.Tensor):
        if value:
            _on[id(out)] = weakref.ref(out)
            _made[0] += 1
            if _made[0] % 200_000 == 0:  # forget tensors that are gone (a stale id is never trusted anyway)
                for key in [k for k, r in _on.items() if r() is None]:
                    del _on[key]
        else:
            _on.pop(id(out), None)
    elif isinstance(out, (tuple, list)):
        for o in out:
            _tag(o, value)
    return out


def _tensors(args: tuple, kwargs: dict) -> list[torch.Tensor]:
    found = []
    for a in (*args, *kwargs.values()):
        if isinstance(a, torch.Tensor):
            found.append(a)
        elif isinstance(a, (tuple, list)):
            found += [b for b in a if isinstance(b, torch.Tensor)]
    return found


def _name(func: Any) -> str:
    return getattr(func, "__qualname__", None) or getattr(func, "__name__", None) or repr(func)


def _is_device(value: Any) -> bool:
    return value is not None and torch.device(value) == DEVICE


def _refuse(message: str) -> None:
    raise DeviceError(f"{message}. On CUDA or MPS this fails; LBDL_DEVICE=check plays such a device on the "
                      "CPU (unset it for a plain CPU run)")


def _check_out(func: Any, out: Any) -> None:
    outs = out if isinstance(out, (tuple, list)) else (out,)
    for o in outs:
        if isinstance(o, torch.Tensor) and o.dtype in WIDE:
            _refuse(f"{_name(func)} made a {o.dtype} tensor on the device: MPS has no 64-bit floats. Compute "
                    "in float32 there, or move to the CPU first (x.cpu().double())")


_PLAIN, _GETTER, _TO_NUMPY, _MISSING, _MOVE, _DATA, _INDEX, _SETITEM, _FREE_KIND = (
    "plain", "getter", "numpy", "missing", "move", "data", "index", "setitem", "free")
_KINDS: dict[Any, str] = {}


def _classify(func: Any) -> str:
    """What kind of call ``func`` is, decided once per function."""
    if func in _GETTERS:
        kind = _GETTER
    elif func in _NUMPY_FUNCS:
        kind = _TO_NUMPY
    elif _name(func).rsplit(".", 1)[-1] in MPS_MISSING:
        kind = _MISSING
    elif func in _MOVES:
        kind = _MOVE
    elif func == _DATA_SET:
        kind = _DATA
    elif func is _T.__getitem__:
        kind = _INDEX
    elif func is _T.__setitem__:
        kind = _SETITEM
    elif func in _FREE:
        kind = _FREE_KIND
    else:
        kind = _PLAIN
    try:
        _KINDS[func] = kind
    except TypeError:  # an unhashable callable: classified again next time
        pass
    return kind


class Generator(torch._C.Generator):
    """``torch.Generator`` under the check: it knows whether it was made for the device."""

    def __new__(cls, device: Any = "cpu") -> Generator:
        gen = super().__new__(cls, device)
        gen._on_device = _is_device(device)
        return gen

    @property
    def device(self) -> torch.device:
        return DEVICE if self._on_device else super().device


def _settle(func: Any, out: Any, inputs: list, kwargs: dict | None) -> Any:
    """Refuse a mix of devices; tag (and check the dtype of) what was computed on the device."""
    device_in = False
    host = None
    for t in inputs:
        if on_device(t):
            device_in = True
        elif host is None and t.dim() > 0:
            host = t
    if device_in and host is not None:
        _refuse(f"{_name(func)} mixes tensors on the device with a CPU tensor of shape {tuple(host.shape)}: "
                "make it on the device (device=x.device) or move it (.to(device))")
    here = device_in or bool(kwargs and _is_device(kwargs.get("device")))
    gen = kwargs.get("generator") if kwargs else None
    if gen is not None and getattr(gen, "_on_device", False) != here:
        _refuse(f"{_name(func)} draws on the {'device' if here else 'CPU'} with a generator made for the "
                f"{'CPU' if here else 'device'}: make it with torch.Generator(device=...) where the draw runs, "
                "or draw on the generator's device and move the result")
    if here:
        _check_out(func, out)
        return _tag(out)
    return out


class DeviceCheck(TorchFunctionMode):
    """Tags tensors on :data:`DEVICE` and refuses what an accelerator would (module docstring)."""

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kind = _KINDS.get(func) or _classify(func)
        if kind is _PLAIN:  # the hot path: most calls are plain kernels
            out = func(*args, **kwargs) if kwargs else func(*args)
            if type(out) is not torch.Tensor and not isinstance(out, (torch.Tensor, tuple, list)):
                return out  # metadata and Python numbers: no kernel ran on data
            return _settle(func, out, _tensors(args, kwargs or {}), kwargs)
        kwargs = kwargs or {}
        if kind is _GETTER:
            if on_device(args[0]):
                return DEVICE if func == _T.device.__get__ else False
            return func(*args, **kwargs)
        if kind is _TO_NUMPY and on_device(args[0]):
            _refuse("Tensor.numpy() on a tensor on the device: call .cpu() first (x.detach().cpu().numpy())")
        if kind is _MISSING and any(on_device(t) for t in _tensors(args, kwargs)):
            name = _name(func).rsplit(".", 1)[-1]
            _refuse(f"{name} on the device: MPS has no kernel for it. Run it on the CPU where "
                    f"lbdl.device.has_kernel(device, {name!r}) is False")
        if kind is _MOVE:
            return self._move(func, args, kwargs)
        out = func(*args, **kwargs)
        if kind is _DATA:  # param.data = t: the parameter now lives where t does
            return _tag(out, on_device(args[1])) and None
        if kind is _INDEX:
            return _tag(out, on_device(args[0]))
        if kind is _SETITEM:  # CPU index tensors are fine; the value must be on the device
            return _settle(func, out, _tensors((args[0], args[2]), {}), {})
        return out if kind is _FREE_KIND else _settle(func, out, _tensors(args, kwargs), kwargs)

    @staticmethod
    def _move(func: Any, args: tuple, kwargs: dict) -> Any:
        self_t, rest = args[0], args[1:]
        if func is _T.cuda:
            _refuse("Tensor.cuda(): use .to(device) with the device lbdl.setup chose")
        if func is _T.cpu:
            target = False
        elif func is _T.type_as:
            target = on_device(rest[0])
        elif rest and isinstance(rest[0], torch.Tensor):
            target = on_device(rest[0])
        else:
            device = torch._C._nn._parse_to(*rest, **kwargs)[0]
            target = on_device(self_t) if device is None else device == DEVICE
        out = func(*args, **kwargs)
        if target and not on_device(self_t) and out is self_t:
            out = out.clone()  # a move makes a copy, as it would between two devices
        if not target and on_device(self_t) and out is self_t:
            out = out.view_as(out)  # .to("cpu"): a new tensor object, on the CPU
        if target:
            _check_out(func, out)
        return _tag(out, target)


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


def _module_to_target(*args: Any, **kwargs: Any) -> bool | None:
    if args and isinstance(args[0], torch.Tensor):
        return on_device(args[0])
    device = torch._C._nn._parse_to(*args, **kwargs)[0]
    return None if device is None else device == DEVICE


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
        nn.Module.to = _module_move(nn.Module.to, _module_to_target)
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
