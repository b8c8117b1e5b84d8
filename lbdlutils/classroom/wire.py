"""Plain data across the wall: what the grader and a submission's process send each other.

Only data crosses, never code or objects: None, booleans, numbers, strings, lists, tuples, sets,
dicts, tensors and arrays (their bytes, dtype and shape). So an answer whose ``__eq__`` always says
yes, or a tensor subclass that lies, arrives on the grader's side as the plain values it holds. The
reader refuses anything else, anything too deep or too large, in words. Messages are JSON framed
by their length.
"""

from __future__ import annotations

import base64
import json
import math
import numbers
import os
import select
import struct
import time
from collections import abc
from collections.abc import Callable
from typing import Any, BinaryIO

import numpy as np
import torch

MAX_BYTES = 256 << 20  # one message from the grader: far above any exercise's inputs
REPLY_BYTES = 4 << 20  # one answer: far above any exercise's, far below what would strain the grader
MAX_DEPTH = 32
MAX_ITEMS = 1_000_000  # of a list made from an iterator: a generator that never ends stops here
_DTYPES = {str(d).removeprefix("torch."): d for d in (
    torch.float64, torch.float32, torch.float16, torch.bfloat16, torch.int64, torch.int32, torch.int16,
    torch.int8, torch.uint8, torch.bool, torch.complex64, torch.complex128)}


class WireError(ValueError):
    """A value that cannot cross, or a message that is not one of ours."""


def encode(value: Any, depth: int = 0) -> Any:
    """``value`` as JSON-ready data, or WireError naming what cannot cross."""
    if depth > MAX_DEPTH:
        raise WireError(f"nested deeper than {MAX_DEPTH} levels")
    if value is None or type(value) in (bool, str):
        return value
    if isinstance(value, str):
        return str(value)
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        x = float(value)
        return x if math.isfinite(x) else {"float": repr(x)}
    if isinstance(value, torch.Tensor):
        with torch._C.DisableTorchFunction():
            plain = torch.Tensor.contiguous(torch.Tensor.cpu(torch.Tensor.detach(value)))
        if str(plain.dtype).removeprefix("torch.") not in _DTYPES:
            raise WireError(f"a tensor of dtype {plain.dtype}")
        raw = plain.reshape(-1).view(torch.uint8).numpy().tobytes() if plain.numel() else b""
        return {"tensor": str(plain.dtype).removeprefix("torch."), "shape": list(plain.shape),
                "data": base64.b64encode(raw).decode()}
    if isinstance(value, np.ndarray):
        return {"ndarray": encode(torch.from_numpy(np.ascontiguousarray(value)), depth + 1)}
    if isinstance(value, numbers.Real):  # Fraction, Decimal: numbers a checker compares as floats
        return encode(float(value), depth + 1)
    if isinstance(value, tuple):
        return {"tuple": [encode(v, depth + 1) for v in value]}
    if isinstance(value, abc.Set):  # set, frozenset, dict.keys()
        return {"set": [encode(v, depth + 1) for v in sorted(value, key=repr)]}
    if isinstance(value, abc.Mapping):
        return {"dict": [[encode(k, depth + 1), encode(v, depth + 1)] for k, v in value.items()]}
    if isinstance(value, abc.Iterable) and not isinstance(value, bytes | bytearray):  # list, range, deque, …
        return [encode(v, depth + 1) for _, v in zip(range(MAX_ITEMS + 1), value)][:MAX_ITEMS]
    raise WireError(f"an object of type {type(value).__name__}, which the grader does not read (it reads "
                    "numbers, strings, tensors, arrays, and lists, tuples, sets and dicts of them)")


def decode(data: Any, depth: int = 0) -> Any:
    """The plain value that ``data`` (from :func:`encode`, or from anyone) describes; WireError if none."""
    if depth > MAX_DEPTH:
        raise WireError(f"nested deeper than {MAX_DEPTH} levels")
    if data is None or type(data) in (bool, int, float, str):
        return data
    if type(data) is list:
        return [decode(v, depth + 1) for v in data]
    if type(data) is dict and "tensor" in data:
        return _tensor(data)
    if type(data) is not dict or len(data) != 1:
        raise WireError(f"unexpected data: {type(data).__name__}")
    (kind, inner), = data.items()
    if kind == "float" and inner in ("nan", "inf", "-inf"):
        return float(inner)
    if kind == "ndarray":
        return _tensor(inner).numpy()
    if kind in ("tuple", "set") and type(inner) is list:
        items = [decode(v, depth + 1) for v in inner]
        try:
            return tuple(items) if kind == "tuple" else set(items)
        except TypeError as err:
            raise WireError(f"a set of unhashable items: {err}") from None
    if kind == "dict" and type(inner) is list and all(type(p) is list and len(p) == 2 for p in inner):
        try:
            return {decode(k, depth + 1): decode(v, depth + 1) for k, v in inner}
        except TypeError as err:
            raise WireError(f"a dict with unhashable keys: {err}") from None
    raise WireError(f"unexpected data: {kind}")


def _tensor(data: Any) -> torch.Tensor:
    if type(data) is not dict or set(data) != {"tensor", "shape", "data"} or data["tensor"] not in _DTYPES:
        raise WireError("a malformed tensor")
    dtype, shape = _DTYPES[data["tensor"]], data["shape"]
    if type(shape) is not list or not all(type(n) is int and n >= 0 for n in shape) or type(data["data"]) is not str:
        raise WireError("a malformed tensor shape")
    raw = base64.b64decode(data["data"], validate=True)
    if len(raw) != math.prod(shape) * dtype.itemsize:
        raise WireError(f"a tensor of shape {shape} with {len(raw)} bytes")
    flat = torch.frombuffer(bytearray(raw), dtype=dtype) if raw else torch.empty(0, dtype=dtype)
    return flat.reshape(shape).clone()


def frame(message: dict[str, Any], limit: int = MAX_BYTES) -> bytes:
    """One message as bytes: its length, then its JSON."""
    body = json.dumps(message).encode()
    if len(body) > limit:
        raise WireError(f"a message of {len(body) >> 20} MB, above the {limit >> 20} MB allowed")
    return struct.pack(">Q", len(body)) + body


def send(stream: BinaryIO, message: dict[str, Any], limit: int = MAX_BYTES) -> None:
    """Write one message to ``stream``."""
    stream.write(frame(message, limit))
    stream.flush()


def reader(fd: int, deadline: float, limit: int = MAX_BYTES) -> Callable[[int], bytes]:
    """``read(n)`` on file descriptor ``fd``: TimeoutError past ``deadline`` (time.monotonic), fewer bytes at EOF."""
    def read(n: int) -> bytes:
        if n > limit:
            raise WireError(f"an answer of {n >> 20} MB, above the {limit >> 20} MB allowed")
        buf = bytearray()
        while len(buf) < n:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise TimeoutError
            chunk = os.read(fd, n - len(buf))
            if not chunk:
                break
            buf += chunk
        return bytes(buf)

    return read


def receive(read: Callable[[int], bytes]) -> dict[str, Any]:
    """Read one message with ``read(n)``; EOFError when the other side has gone, WireError when it is no message."""
    head = read(8)
    if len(head) < 8:
        raise EOFError("the other process closed the pipe")
    (size,) = struct.unpack(">Q", head)
    if size > MAX_BYTES:
        raise WireError(f"a message announced at {size} bytes, above the {MAX_BYTES} allowed")
    body = read(size)
    if len(body) < size:
        raise EOFError("the other process closed the pipe in the middle of a message")
    try:
        message = json.loads(body)
    except (ValueError, RecursionError) as err:  # not UTF-8, not JSON, nested too deep, an int of 5000 digits
        raise WireError(f"not readable JSON: {str(err)[:200]}") from None
    if type(message) is not dict:
        raise WireError("a message that is not a JSON object")
    return message
