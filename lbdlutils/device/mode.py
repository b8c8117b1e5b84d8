"""The mode behind ``LBDL_DEVICE=check`` (see :mod:`.check`): which tensors are on the device, and
what an accelerator would refuse."""

from __future__ import annotations

import weakref
from typing import Any

import torch
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
_SEQUENCES = (tuple, list)
_on: dict[int, weakref.ref] = {}  # id -> the tensor on the device (no attribute: pickles stay plain)


class DeviceError(RuntimeError):
    """What CUDA or MPS would have refused, found on the CPU."""


def on_device(t: Any) -> bool:
    """Whether ``t`` is a tensor that lives on the checked device."""
    ref = _on.get(id(t))
    return ref is not None and ref() is t


_sweep_at = [100_000]


def _forget_dead() -> None:
    """Drop the entries of tensors that are gone (a stale id is never trusted anyway), once in a while."""
    if len(_on) > _sweep_at[0]:
        for key in [k for k, r in _on.items() if r() is None]:
            del _on[key]
        _sweep_at[0] = max(100_000, 2 * len(_on))


def _tag(out: Any, value: bool = True) -> Any:
    if isinstance(out, torch.Tensor):
        if value:
            _on[id(out)] = weakref.ref(out)
            _forget_dead()
        else:
            _on.pop(id(out), None)
    elif isinstance(out, (tuple, list)):
        for o in out:
            _tag(o, value)
    return out


def _tensors(args: tuple, kwargs: dict) -> list[torch.Tensor]:
    flat = [b for a in (*args, *kwargs.values()) for b in (a if isinstance(a, (tuple, list)) else (a,))]
    return [t for t in flat if isinstance(t, torch.Tensor)]


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


_PLAIN, _GETTER, _TO_NUMPY, _MISSING, _MOVE, _DATA, _INDEX, _SETITEM, _FREE_KIND = range(9)
_KINDS: dict[Any, int] = {**dict.fromkeys(_GETTERS, _GETTER), **dict.fromkeys(_NUMPY_FUNCS, _TO_NUMPY),
                          **dict.fromkeys(_MOVES, _MOVE), **dict.fromkeys(_FREE, _FREE_KIND), _DATA_SET: _DATA,
                          _T.__getitem__: _INDEX, _T.__setitem__: _SETITEM}  # the rest: plain, or missing on MPS


def _kind(func: Any) -> int:
    """What kind of call ``func`` is, decided once per function."""
    try:
        return _KINDS[func]
    except KeyError:
        kind = _MISSING if _name(func).rsplit(".", 1)[-1] in MPS_MISSING else _PLAIN
        _KINDS[func] = kind
        return kind
    except TypeError:  # an unhashable callable
        return _MISSING if _name(func).rsplit(".", 1)[-1] in MPS_MISSING else _PLAIN


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


def move_target(*args: Any, **kwargs: Any) -> bool | None:
    """Whether ``.to(*args, **kwargs)`` (or ``type_as``) moves to the device, to the CPU, or neither (None)."""
    if args and isinstance(args[0], torch.Tensor):
        return on_device(args[0])
    device = torch._C._nn._parse_to(*args, **kwargs)[0]
    return None if device is None else device == DEVICE


class DeviceCheck(TorchFunctionMode):
    """Tags tensors on :data:`DEVICE` and refuses what an accelerator would (module docstring)."""

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kind = _kind(func)
        if kind == _PLAIN:  # the hot path, most calls: plain kernels on positional tensors
            out = func(*args, **kwargs) if kwargs else func(*args)
            if type(out) is not _T and not isinstance(out, (_T, tuple, list)):
                return out  # metadata and Python numbers: no kernel ran on data
            if kwargs:
                return _settle(func, out, _tensors(args, kwargs), kwargs)
            on, device_in, host = _on.get, False, None
            for a in args:
                if isinstance(a, _T):
                    ref = on(id(a))
                    if ref is not None and ref() is a:
                        device_in = True
                    elif host is None and a.dim() > 0:
                        host = a
                elif type(a) in _SEQUENCES:  # tensors inside a list (torch.cat, torch.stack): the general path
                    return _settle(func, out, _tensors(args, {}), None)
            if host is not None and device_in:
                return _settle(func, out, _tensors(args, {}), None)  # refuses, with the message
            if device_in:
                if type(out) is _T:
                    if out.dtype in WIDE:
                        _check_out(func, out)
                    _on[id(out)] = weakref.ref(out)
                    if len(_on) > _sweep_at[0]:
                        _forget_dead()
                    return out
                _check_out(func, out)
                return _tag(out)
            return out
        kwargs = kwargs or {}
        if kind == _GETTER:
            if on_device(args[0]):
                return DEVICE if func == _T.device.__get__ else False
            return func(*args, **kwargs)
        if kind == _TO_NUMPY and on_device(args[0]):
            _refuse("Tensor.numpy() on a tensor on the device: call .cpu() first (x.detach().cpu().numpy())")
        if kind == _MISSING and any(on_device(t) for t in _tensors(args, kwargs)):
            name = _name(func).rsplit(".", 1)[-1]
            _refuse(f"{name} on the device: MPS has no kernel for it. Run it on the CPU where "
                    f"lbdl.device.has_kernel(device, {name!r}) is False")
        if kind == _MOVE:
            return self._move(func, args, kwargs)
        out = func(*args, **kwargs)
        if kind == _DATA:  # param.data = t: the parameter now lives where t does
            return _tag(out, on_device(args[1])) and None
        if kind == _INDEX:
            return _tag(out, on_device(args[0]))
        if kind == _SETITEM:  # CPU index tensors are fine; the value must be on the device
            return _settle(func, out, _tensors((args[0], args[2]), {}), {})
        return out if kind == _FREE_KIND else _settle(func, out, _tensors(args, kwargs), kwargs)

    @staticmethod
    def _move(func: Any, args: tuple, kwargs: dict) -> Any:
        self_t, rest = args[0], args[1:]
        if func is _T.cuda:
            _refuse("Tensor.cuda(): use .to(device) with the device lbdl.setup chose")
        target = False if func is _T.cpu else move_target(*rest, **kwargs)
        target = on_device(self_t) if target is None else target  # .to(dtype): it stays where it is
        out = func(*args, **kwargs)
        if target and not on_device(self_t) and out is self_t:
            out = out.clone()  # a move makes a copy, as it would between two devices
        if not target and on_device(self_t) and out is self_t:
            out = out.view_as(out)  # .to("cpu"): a new tensor object, on the CPU
        if target:
            _check_out(func, out)
        return _tag(out, target)
