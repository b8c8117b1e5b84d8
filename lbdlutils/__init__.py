"""lbdlutils: what the notebooks of the LBDL companion share.

Import it as ``import lbdlutils as lbdl`` and start each notebook with ``lbdl.setup(SCALE, SEED, ...)``.
"""

from . import data, plot, widgets
from .checks import check_close, expect, record, records
from .device import available_cpus, configure_threads, cpu_quota, get_device
from .scale import SCALES, check_scale, get_scale, pick, resolve_scale, set_scale
from .widgets import knobs
from .session import Session, env_report, is_headless, seed_everything, setup, where
from .plot import LiveCurve, show
from .train import accuracy, batches, evaluate, fit, progress

__version__ = "0.1.0"

__all__ = [
    "LiveCurve", "SCALES", "Session", "accuracy", "available_cpus", "batches", "check_close", "check_scale",
    "configure_threads", "cpu_quota", "data", "env_report", "evaluate", "expect", "fit",
    "get_device", "get_scale", "is_headless", "knobs", "pick", "plot", "progress", "record", "records",
    "resolve_scale", "seed_everything", "set_scale", "setup", "show", "where", "widgets",
]
