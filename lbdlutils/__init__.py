"""lbdlutils: what the notebooks of the LBDL companion share.

Import it as ``import lbdlutils as lbdl`` and start each notebook with ``lbdl.setup(SCALE, SEED, ...)``.
Table of contents:

* set-up: ``env`` (the ``LBDL_*`` variables and their precedence), ``scale`` (``pick``, ``steps``), ``device``
  (``device.check``: ``LBDL_DEVICE=check`` plays a GPU on the CPU), ``session``;
* checks: ``expect`` and ``check_close`` (raise), ``machine_check`` (never raises for a reader),
  ``record``; ``exercise`` and ``same_as`` for checked exercises;
* data: ``data`` (toys, images, text, splits); models: ``layers``, ``models``, ``zoo`` (train once,
  then load); pieces the chapters derive and later ones reuse: ``optim`` (Adam), ``diffusion`` (DDPM's noise);
* training: ``train`` (``fit``, ``train_lm``, ``progress``…); figures: ``plot``, ``knobs``,
  ``show_source``, ``add_to_class``, ``shape_trace``; measuring: ``bench``, ``distributed``; the book: ``book``,
  ``references`` (``lookup`` of index terms, the works cited).
"""

from . import (
    bench,
    book,
    data,
    device,
    diffusion,
    distributed,
    env,
    layers,
    models,
    optim,
    plot,
    references,
    train,
    widgets,
    zoo,
)
from .checks import check_close, expect, machine_check, record, records, summary
from .device import available_cpus, configure_threads, cpu_capability, cpu_quota, device_reason, get_device
from .env import REPO_URL, is_headless
from .exercises import exercise, same_as
from .plot import LiveCurve, show
from .references import lookup
from .scale import SCALES, check_scale, get_scale, pick, resolve_scale, set_scale, steps
from .session import Session, env_report, seed_everything, setup, where
from .sourcecode import add_to_class, show_source
from .trace import shape_trace
from .train import accuracy, batches, evaluate, fit, progress
from .widgets import knobs

__version__ = "0.1.0"

__all__ = [
    "LiveCurve", "REPO_URL", "SCALES", "Session", "accuracy", "add_to_class", "available_cpus", "batches", "bench",
    "book",
    "check_close", "check_scale", "configure_threads", "cpu_capability", "cpu_quota", "data", "device", "device_reason",
    "diffusion", "distributed", "env", "env_report", "evaluate", "exercise", "expect", "fit", "get_device",
    "get_scale", "is_headless", "knobs", "layers", "lookup", "machine_check", "models", "optim", "pick", "plot",
    "progress", "record", "records", "references", "resolve_scale", "same_as", "seed_everything", "set_scale",
    "setup", "shape_trace", "show", "show_source", "steps", "summary", "train", "where", "widgets", "zoo",
]
