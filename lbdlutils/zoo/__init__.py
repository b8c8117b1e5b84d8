"""The model zoo: train once, load afterwards. Models that several chapters use are trained by a
recipe (``recipes``) the first time they are asked for, then loaded.

``zoo.load(name, scale=..., seed=...)`` returns ``(model, metrics)``. It looks first in the shared
folders, read-only (``LBDL_ZOO_SHARED``: a class's pre-trained models, see ``make zoo``), then in the
reader's own cache (``LBDL_CACHE``, else the user cache folder), the only place it writes. Each file
is keyed by name, scale, seed and a hash of the training code and data (``store``), so changed code
never loads stale weights; it is written atomically, carries a SHA-256 of its contents, and is loaded
with ``weights_only=True``: a damaged one is reported in one line and passed over (retrained, in the
reader's own cache).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import torch

from .. import env, session
from .. import scale as _scale
from . import recipes, store
from .recipes import RECIPES, Corpus, Recipe, Trained, corpus
from .store import SUFFIX, key

_read, _write = store.read, store.write  # the file format's two halves (tests race them)

__all__ = ["Corpus", "RECIPES", "Recipe", "SUFFIX", "Trained", "build", "clear", "corpus", "folder", "key", "load",
           "recipes", "shared_folders", "store"]


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


def _from_file(path: Path, recipe: Recipe, data: Corpus, scale: str) -> tuple[torch.nn.Module, dict]:
    state = store.read(path)
    model = recipe.build(data, scale)
    model.load_state_dict(state["state_dict"])
    return model, state["metrics"]


def load(name: str, scale: str | None = None, seed: int = 0, device: torch.device | str | None = None,
         retrain: bool = False) -> Trained:
    """The zoo model ``name`` at ``scale`` (default: the current one) trained with ``seed``.

    Loaded from a shared folder or the reader's cache when there; else trained now (with a progress
    bar) and stored in the reader's cache. ``retrain=True`` trains it again whatever is stored.
    """
    start = time.perf_counter()
    scale = _scale.check_scale(scale) if scale else _scale.get_scale()
    if not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    recipe = recipes._recipe(name)
    data = recipe.corpus(scale)
    filename = key(name, scale, seed, data)
    current = session.current()
    dev = torch.device(device) if device else (current.device if current else torch.device("cpu"))
    label = f"{name} ({scale}, seed {seed})"
    places = [*((d, "the shared zoo") for d in shared_folders()), (folder(), "the cache")]
    for where, called in places if not retrain else []:
        path = where / filename
        if not path.is_file():
            continue
        try:
            model, metrics = _from_file(path, recipe, data, scale)
        except Exception as err:  # any damage: say so in one line and go on, never crash
            action = "looking further" if called == "the shared zoo" else "training it again"
            print(f"zoo: the {label} in {called} ({path.name}) cannot be used ({err}); {action}")
            continue
        forget = "; lbdl.zoo.clear() forgets it" if called == "the cache" else f", {where}"
        print(f"zoo: {label} loaded from {called} in {time.perf_counter() - start:.2f} s (trained in "
              f"{metrics['train_seconds']:.0f} s earlier{forget})")
        return Trained(model.to(dev).eval(), metrics)
    print(f"zoo: training {label}: {recipe.description}")
    torch.manual_seed(seed)
    model = recipe.build(data, scale).to(dev)
    start = time.perf_counter()
    history = recipe.fit(model, data, scale, seed)
    metrics = {"train_seconds": time.perf_counter() - start, "history": history, "scale": scale, "seed": seed,
               "parameters": sum(p.numel() for p in model.parameters())}
    state_dict = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    store.write(folder() / filename, {"state_dict": state_dict, "metrics": metrics})
    return Trained(model.eval(), metrics)


def build(out: Path, scale: str, seed: int = 0, names: list[str] | None = None) -> dict[str, float]:
    """Train every recipe (or ``names``) at ``scale`` into ``out``, a class's shared folder; seconds per model."""
    previous = os.environ.get(env.CACHE)
    os.environ[env.CACHE] = str(out)
    seconds = {}
    try:
        for name in names or sorted(RECIPES):
            start = time.perf_counter()
            load(name, scale=scale, seed=seed, device="cpu")
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
