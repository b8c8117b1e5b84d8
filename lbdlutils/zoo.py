"""The model zoo: train once, load afterwards. Models that several chapters use are trained by a
recipe here the first time they are asked for, then loaded from the reader's cache.

``zoo.load(name, scale=..., seed=...)`` returns ``(model, metrics)``. Files live in the user cache
folder (``platformdirs``), or ``LBDL_CACHE``; each is keyed by name, scale, seed and a hash of the
training code and data, so changed code never loads stale weights. A file is written atomically
(temporary file, then rename), carries a SHA-256 of its contents, and is loaded with
``weights_only=True``: a truncated or corrupt one is reported in one line and retrained.
"""

from __future__ import annotations

import hashlib
import inspect
import io
import json
import marshal
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import torch
from torch import nn

from . import env, session, train
from . import scale as _scale
from .data import text
from .models import gpt

SUFFIX = ".lbdlzoo"
MAGIC = b"lbdlzoo 1\n"


class Corpus(NamedTuple):
    """A character corpus cut into training and held-out token streams."""

    vocab: text.CharVocab
    train_ids: torch.Tensor
    val_ids: torch.Tensor


class Trained(NamedTuple):
    """What :func:`load` returns: the model (in eval mode, on the session's device) and its metrics."""

    model: nn.Module
    metrics: dict[str, Any]


@dataclass(frozen=True)
class Recipe:
    """How to make one zoo model: its data, its untrained model, and its training (which returns metrics)."""

    description: str
    corpus: Callable[[str], Corpus]
    build: Callable[[Corpus, str], nn.Module]  # (data, scale) -> the untrained model
    fit: Callable[[nn.Module, Corpus, str, int], dict[str, Any]]


def _python_corpus(scale: str) -> Corpus:
    chars = _scale.pick(ci=300_000, small=1_000_000, full=2_000_000, scale=scale)
    corpus = text.python_corpus(chars)
    vocab = text.CharVocab.from_text(corpus)
    ids = vocab.encode(corpus)
    cut = int(0.9 * len(ids))
    return Corpus(vocab, ids[:cut], ids[cut:])


def _grammar_corpus(scale: str) -> Corpus:
    n = _scale.pick(ci=100_000, small=300_000, full=1_000_000, scale=scale)
    train_text, val_text = text.grammar_corpus(n, seed=0), text.grammar_corpus(30_000, seed=1)
    vocab = text.CharVocab.from_text(train_text + val_text)
    return Corpus(vocab, vocab.encode(train_text), vocab.encode(val_text))


def _fit_python(model: nn.Module, c: Corpus, scale: str, seed: int) -> dict[str, Any]:
    steps = _scale.pick(ci=200, small=2500, full=10_000, scale=scale)
    return train.train_lm(model, c.train_ids, steps=steps, batch=12, lr=3e-3, val_ids=c.val_ids, seed=seed,
                          live=False, desc="GPT on Python source")


def _fit_grammar(model: nn.Module, c: Corpus, scale: str, seed: int) -> dict[str, Any]:
    steps = _scale.pick(ci=300, small=1000, full=3000, scale=scale)
    return train.train_lm(model, c.train_ids, steps=steps, batch=32, lr=3e-3, val_ids=c.val_ids, seed=seed,
                          live=False, desc="GPT on the grammar")


def _build_python_large(c: Corpus, scale: str) -> nn.Module:
    # ci: narrower and shallower, quick on one thread; the context stays 128 for chapter 7's samples
    width, layers = _scale.pick(ci=(64, 4), small=(128, 6), full=(128, 6), scale=scale)
    return gpt.GPT(len(c.vocab), width, 4, layers, 128)


def _fit_python_large(model: nn.Module, c: Corpus, scale: str, seed: int) -> dict[str, Any]:
    steps = _scale.pick(ci=200, small=2000, full=8000, scale=scale)
    lr = _scale.pick(ci=6e-3, small=2e-3, full=2e-3, scale=scale)  # ci: the small model takes a larger step
    evals = _scale.pick(ci=2, small=10, full=10, scale=scale)  # each one a pass over held-out text: few at ci
    return train.train_lm(model, c.train_ids, steps=steps, batch=16, lr=lr, val_ids=c.val_ids, evals=evals,
                          seed=seed, live=False, desc="larger GPT on Python source")


RECIPES: dict[str, Recipe] = {
    "gpt-python": Recipe("character GPT (4 layers, 4 heads, width 128, context 64) on Python's own source",
                         _python_corpus, lambda c, scale: gpt.GPT(len(c.vocab), 128, 4, 4, 64), _fit_python),
    "gpt-python-large": Recipe("character GPT (6 layers, 4 heads, width 128, context 128; at ci 4 layers of "
                               "width 64) on Python's own source", _python_corpus, _build_python_large,
                               _fit_python_large),
    "gpt-grammar": Recipe("character GPT (2 layers, 4 heads, width 64, context 64) on the grammar corpus",
                          _grammar_corpus, lambda c, scale: gpt.GPT(len(c.vocab), 64, 4, 2, 64), _fit_grammar),
}


def _recipe(name: str) -> Recipe:
    if name not in RECIPES:
        raise ValueError(f"no model {name!r} in the zoo: it has {', '.join(sorted(RECIPES))}")
    return RECIPES[name]


def folder() -> Path:
    """Where the zoo keeps its files: ``LBDL_CACHE`` if set, else the user cache folder."""
    chosen = env.get(env.CACHE)
    if chosen is None:
        import platformdirs

        chosen = os.path.join(platformdirs.user_cache_dir("lbdlutils"), "zoo")
    return Path(chosen).expanduser()


def corpus(name: str, scale: str | None = None) -> Corpus:
    """The data a zoo model is trained on (vocabulary, training and held-out token streams)."""
    return _recipe(name).corpus(_scale.check_scale(scale) if scale else _scale.get_scale())


def _code_bytes(obj: Any) -> bytes:
    """The source of a function or module, or its compiled code when no source file exists (exec)."""
    try:
        return inspect.getsource(obj).encode()
    except (OSError, TypeError):
        return marshal.dumps(obj.__code__)


def key(name: str, scale: str, seed: int, data: Corpus | None = None) -> str:
    """File name of a zoo model: name, scale, seed, and a hash of its training code and data."""
    recipe, h = _recipe(name), hashlib.sha256()
    for part in (recipe.corpus, recipe.build, recipe.fit, gpt, train.train_lm, train.lm_batch, train.adamw,
                 train.warmup_cosine):
        h.update(_code_bytes(part))
    data = data if data is not None else recipe.corpus(scale)
    for t in (data.train_ids, data.val_ids):
        h.update(t.numpy().tobytes())
    h.update("".join(data.vocab.chars).encode() + torch.__version__.split("+")[0].encode())
    return f"{name}-{scale}-seed{seed}-{h.hexdigest()[:16]}{SUFFIX}"


def _write(path: Path, state: dict[str, Any]) -> None:
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
        os.replace(tmp, path)  # atomic: a reader sees the old file or the new one, never half of one
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _read(path: Path) -> dict[str, Any]:
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


def load(name: str, scale: str | None = None, seed: int = 0, device: torch.device | str | None = None,
         retrain: bool = False) -> Trained:
    """The zoo model ``name`` at ``scale`` (default: the current one) trained with ``seed``.

    Loaded from the cache when there; else trained now (with a progress bar) and stored.
    """
    start = time.perf_counter()
    scale = _scale.check_scale(scale) if scale else _scale.get_scale()
    if not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    recipe = _recipe(name)
    data = recipe.corpus(scale)
    path = folder() / key(name, scale, seed, data)
    current = session.current()
    dev = torch.device(device) if device else (current.device if current else torch.device("cpu"))
    label = f"{name} ({scale}, seed {seed})"
    if path.exists() and not retrain:
        try:
            state = _read(path)
            model = recipe.build(data, scale)
            model.load_state_dict(state["state_dict"])
            print(f"zoo: {label} loaded from the cache in {time.perf_counter() - start:.2f} s (trained in "
                  f"{state['metrics']['train_seconds']:.0f} s earlier; lbdl.zoo.clear() forgets it)")
            return Trained(model.to(dev).eval(), state["metrics"])
        except Exception as err:  # any damage: say so in one line and rebuild, never crash
            print(f"zoo: the cached {label} ({path.name}) cannot be used ({err}); training it again")
    print(f"zoo: training {label}: {recipe.description}")
    torch.manual_seed(seed)
    model = recipe.build(data, scale).to(dev)
    start = time.perf_counter()
    history = recipe.fit(model, data, scale, seed)
    metrics = {"train_seconds": time.perf_counter() - start, "history": history, "scale": scale, "seed": seed,
               "parameters": sum(p.numel() for p in model.parameters())}
    state_dict = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    _write(path, {"state_dict": state_dict, "metrics": metrics})
    return Trained(model.eval(), metrics)


def clear(name: str | None = None) -> None:
    """Delete the zoo's files (all, or those of model ``name``) and say how many; other files are left."""
    if name is not None:
        _recipe(name)
    where = folder()
    removed = 0
    for path in sorted(where.glob(f"{name or '*'}-*{SUFFIX}*")) if where.is_dir() else []:
        if path.suffix in (SUFFIX, ".tmp") and path.is_file():
            path.unlink()
            removed += 1
    print(f"zoo: removed {removed} file(s)")
