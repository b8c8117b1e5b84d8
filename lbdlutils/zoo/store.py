"""The zoo's files: named by what made them, written atomically, checked by SHA-256 when read."""

from __future__ import annotations

import hashlib
import inspect
import io
import json
import marshal
import os
import tempfile
from pathlib import Path
from typing import Any

import torch

from .recipes import Corpus, _recipe, corpus
from .vision import Pictures

SUFFIX = ".lbdlzoo"
MAGIC = b"lbdlzoo 1\n"


def _code_bytes(obj: Any) -> bytes:
    """The source of a function or module, or its compiled code when no source file exists (exec)."""
    try:
        return inspect.getsource(obj).encode()
    except (OSError, TypeError):
        return marshal.dumps(obj.__code__)


def code_hash(name: str) -> str:
    """SHA-256 (16 hex digits) of the code that makes zoo model ``name``: its recipe and the code it relies on."""
    recipe, h = _recipe(name), hashlib.sha256()
    for part in (recipe.corpus, recipe.build, recipe.fit, *recipe.code):
        h.update(_code_bytes(part))
    return h.hexdigest()[:16]


def key(name: str, scale: str, seed: int, data: Corpus | Pictures | None = None) -> str:
    """File name of a zoo model: name, scale, seed, and a hash of its training code, data and torch version."""
    h = hashlib.sha256(code_hash(name).encode())
    data = data if data is not None else corpus(name, scale)
    for t in data.tensors():
        h.update(t.numpy().tobytes())
    h.update("".join(data.chars).encode() + torch.__version__.split("+")[0].encode())
    return f"{name}-{scale}-seed{seed}-{h.hexdigest()[:16]}{SUFFIX}"


def shipped_name(name: str, scale: str, seed: int) -> str:
    """File name of a model shipped in the package: its code and vocabulary are checked inside, not named."""
    return f"{name}-{scale}-seed{seed}{SUFFIX}"


def write(path: Path, state: dict[str, Any]) -> None:
    """Header line with the payload's SHA-256, then the payload; temporary file, then rename."""
    buffer = io.BytesIO()
    torch.save(state, buffer)
    payload = buffer.getvalue()
    header = json.dumps({"sha256": hashlib.sha256(payload).hexdigest(), "bytes": len(payload)}).encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(MAGIC + header + b"\n" + payload)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)  # mkstemp's 0600 would hide a class's shared models from its students
        os.replace(tmp, path)  # atomic: a reader sees the old file or the new one, never half of one
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def read(path: Path) -> dict[str, Any]:
    """The stored state, or ValueError saying why the file cannot be trusted."""
    raw = path.read_bytes()
    if not raw.startswith(MAGIC):
        raise ValueError("not a zoo file")
    header, _, payload = raw[len(MAGIC):].partition(b"\n")
    try:
        meta = json.loads(header)
    except json.JSONDecodeError:
        raise ValueError("unreadable header") from None
    if len(payload) != meta.get("bytes") or hashlib.sha256(payload).hexdigest() != meta.get("sha256"):
        raise ValueError(f"checksum mismatch ({len(payload):,} of {meta.get('bytes', 0):,} bytes: truncated "
                         "or altered)")
    return torch.load(io.BytesIO(payload), weights_only=True)
