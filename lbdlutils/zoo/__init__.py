"""The model zoo: train once, load afterwards. Models that several chapters use are trained by a
recipe (``recipes``) the first time they are asked for, then loaded.

``zoo.load(name, scale=..., seed=...)`` returns ``(model, metrics)``. It looks, in this order, in the
shared folders, read-only (``LBDL_ZOO_SHARED``: a class's pre-trained models, see ``make zoo``), in
the reader's own cache (``LBDL_CACHE``, else the user cache folder), the only place it writes, and
last in the package's own folder (``weights/``: models trained once by their recipe and shipped, see
``ship``). Each cached file is keyed by name, scale, seed and a hash of the training code and data
(``store``), so changed code never loads stale weights; a shipped file carries the hash of its code
and its vocabulary, both checked. Files are written atomically, carry a SHA-256 of their contents,
and are loaded with ``weights_only=True``: a damaged one is reported in one line and passed over.
"""

from __future__ import annotations

import os
import platform
import time
from pathlib import Path

import torch

from .. import env, session
from .. import scale as _scale
from . import recipes, store, vision
from .recipes import RECIPES, Corpus, Recipe, Trained, corpus
from .replay import replay_gap, show_history
from .store import SUFFIX, key
from .vision import Pictures

_read, _write = store.read, store.write  # the file format's two halves (tests race them)
PACKAGE = Path(__file__).resolve().parent / "weights"  # the shipped models (python -m lbdlutils.zoo --ship)

__all__ = ["Corpus", "PACKAGE", "Pictures", "RECIPES", "Recipe", "SUFFIX", "Trained", "build", "clear", "corpus",
           "first_steps", "folder", "key", "load", "recipes", "replay_gap", "shared_folders", "ship", "show_history",
           "store", "vision"]


def folder() -> Path:
    """Where the zoo writes: ``LBDL_CACHE`` if set, else the user cache folder."""
    chosen = env.get(env.CACHE)
    if chosen is None:
        import platformdirs

        chosen = os.path.join(platformdirs.user_cache_dir("lbdlutils"), "zoo")
    return Path(chosen).expanduser()


def shared_folders() -> list[Path]:
    """Where the zoo looks first, never writing: the folders of ``LBDL_ZOO_SHARED`` (separated by ``:``)."""
    chosen = env.get(env.ZOO_SHARED)
    return [Path(p).expanduser() for p in chosen.split(os.pathsep) if p.strip()] if chosen else []


def _device(device: torch.device | str | None) -> torch.device:
    """The device asked for, else the session's, else the CPU."""
    current = session.current()
    return torch.device(device) if device else (current.device if current else torch.device("cpu"))


def _from_file(path: Path, name: str, data: Corpus | Pictures, scale: str) -> tuple[torch.nn.Module, dict]:
    state = store.read(path)
    if state.get("code", store.code_hash(name)) != store.code_hash(name):
        raise ValueError("it was trained by another version of the code")
    if tuple(state.get("vocab", data.chars)) != data.chars:
        raise ValueError("its vocabulary is not this corpus's")
    model = RECIPES[name].build(data, scale)
    model.load_state_dict(state["state_dict"])  # copies into the model's float32 (a shipped file is float16)
    return model, state["metrics"]


def _trained(name: str, scale: str, seed: int, data: Corpus | Pictures, dev: torch.device,
             stop: int | None = None) -> tuple[torch.nn.Module, dict]:
    recipe = RECIPES[name]
    part = f" (its first {stop} steps)" if stop else ""
    print(f"zoo: training {name} ({scale}, seed {seed}){part}: {recipe.description}")
    torch.manual_seed(seed)
    model = recipe.build(data, scale).to(dev)
    start = time.perf_counter()
    history = recipe.fit(model, data, scale, seed, stop=stop)
    metrics = {"train_seconds": time.perf_counter() - start, "history": history, "scale": scale, "seed": seed,
               "parameters": sum(p.numel() for p in model.parameters())}
    return model, metrics


def load(name: str, scale: str | None = None, seed: int = 0, device: torch.device | str | None = None,
         retrain: bool = False, shipped: bool = True) -> Trained:
    """The zoo model ``name`` at ``scale`` (default: the current one) trained with ``seed``.

    Loaded from a shared folder, the reader's cache or the package when there; else trained now
    (with a progress bar) and stored in the reader's cache. ``retrain=True`` trains it again whatever
    is stored; ``shipped=False`` passes over the package's copy (a chapter that trains it in front of
    the reader).
    """
    start = time.perf_counter()
    scale = _scale.check_scale(scale) if scale else _scale.get_scale()
    if not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    recipes._recipe(name)
    data = corpus(name, scale)
    filename = key(name, scale, seed, data)
    dev = _device(device)
    label = f"{name} ({scale}, seed {seed})"
    places = [*((d / filename, "the shared zoo") for d in shared_folders()), (folder() / filename, "the cache")]
    if shipped:
        places.append((PACKAGE / store.shipped_name(name, scale, seed), "the package"))
    for i, (path, called) in enumerate(places if not retrain else []):
        if not path.is_file():
            continue
        try:
            model, metrics = _from_file(path, name, data, scale)
        except Exception as err:  # any damage: say so in one line and go on, never crash
            further = any(p.is_file() for p, _ in places[i + 1 :])
            print(f"zoo: the {label} in {called} ({path.name}) cannot be used ({err}); "
                  f"{'looking further' if further else 'training it again'}")
            continue
        where = {"the cache": "; lbdl.zoo.clear() forgets it", "the package": "; retrain=True trains it here"}
        print(f"zoo: {label} loaded from {called} in {time.perf_counter() - start:.2f} s (trained in "
              f"{metrics['train_seconds']:.0f} s earlier{where.get(called, ', ' + str(path.parent))})")
        if metrics.get("data", filename) != filename:  # a shipped model, trained on another Python's source
            print(f"zoo: it was trained with Python {metrics['python']} and torch {metrics['torch']}, whose data or "
                  "versions differ from yours: its held-out numbers here may differ a little from the book's")
        return Trained(model.to(dev).eval(), metrics)
    model, metrics = _trained(name, scale, seed, data, dev)
    state_dict = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    state = {"state_dict": state_dict, "metrics": metrics, "code": store.code_hash(name), "vocab": data.chars}
    store.write(folder() / filename, state)
    return Trained(model.eval(), metrics)


def first_steps(name: str, steps: int, scale: str | None = None, seed: int = 0,
                device: torch.device | str | None = None) -> Trained:
    """The recipe of ``name`` run here for its first ``steps`` steps only (same seed, data and schedule), never stored.

    Its history can be laid over the stored model's: the two agree step for step up to ``steps``.
    """
    scale = _scale.check_scale(scale) if scale else _scale.get_scale()
    model, metrics = _trained(name, scale, seed, corpus(name, scale), _device(device), stop=steps)
    return Trained(model.eval(), metrics)


def ship(name: str, scale: str, seed: int = 0, out: Path = PACKAGE) -> dict:
    """Train ``name`` by its recipe and store it, float16, as the package's copy in ``out``; its metrics."""
    data = corpus(name, scale)
    model, metrics = _trained(name, scale, seed, data, torch.device("cpu"))
    half = {k: v.detach().half() if v.is_floating_point() else v.detach() for k, v in model.state_dict().items()}
    model.load_state_dict(half)  # what a reader will load: the held-out loss is measured on it
    metrics |= {"shipped val loss": RECIPES[name].evaluate(model.eval(), data), "python": platform.python_version(),
                "torch": str(torch.__version__), "data": key(name, scale, seed, data)}
    state = {"state_dict": half, "metrics": metrics, "code": store.code_hash(name), "vocab": data.chars}
    store.write(Path(out) / store.shipped_name(name, scale, seed), state)
    return metrics


def build(out: Path, scale: str, seed: int = 0, names: list[str] | None = None) -> dict[str, float]:
    """Train every recipe (or ``names``) at ``scale`` into ``out``, a class's shared folder; seconds per model."""
    previous = os.environ.get(env.CACHE)
    os.environ[env.CACHE] = str(out)
    seconds = {}
    try:
        for name in names or sorted(RECIPES):
            start = time.perf_counter()
            load(name, scale=scale, seed=seed, device="cpu", shipped=False)
            seconds[name] = time.perf_counter() - start
    finally:
        if previous is None:
            os.environ.pop(env.CACHE, None)
        else:
            os.environ[env.CACHE] = previous
    return seconds


def clear(name: str | None = None) -> None:
    """Delete the zoo's files (all, or those of model ``name``) from the reader's cache; never a shared one."""
    if name is not None:
        recipes._recipe(name)
    where = folder()
    removed = 0
    for path in sorted(where.glob(f"{name or '*'}-*{SUFFIX}*")) if where.is_dir() else []:
        if path.suffix in (SUFFIX, ".tmp") and path.is_file():
            path.unlink()
            removed += 1
    print(f"zoo: removed {removed} file(s)")
