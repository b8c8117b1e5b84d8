"""lbdlutils: what the notebooks of the LBDL companion share.

Import it as ``import lbdlutils as lbdl`` and start each notebook with ``lbdl.setup(SCALE, SEED, ...)``.
"""

from . import bench, book, data, distributed, layers, models, notebooks, plot, text, widgets
from .checks import check_close, expect, record, records
from .device import available_cpus, configure_threads, cpu_capability, cpu_quota, device_reason, get_device
from .plot import LiveCurve, show
from .scale import SCALES, check_scale, get_scale, pick, resolve_scale, set_scale
from .session import Session, env_report, is_headless, seed_everything, setup, where
from .trace import shape_trace
from .train import accuracy, batches, evaluate, fit, progress
from .widgets import knobs

__version__ = "0.1.0"
# Where Colab installs this package from, and where the badges point (one place to change it).
REPO_URL = "https://github.com/lbdl-companion/lbdl-notebooks"

__all__ = [
    "distributed", "layers", "models", "shape_trace", "text",
    "cpu_capability", "device_reason",
    "bench",
    "accuracy", "available_cpus", "batches", "book", "check_close", "check_scale",
    "configure_threads", "cpu_quota", "data", "env_report", "evaluate", "expect", "fit",
    "get_device", "get_scale", "is_headless", "knobs", "LiveCurve", "notebooks", "pick", "plot",
    "progress", "record", "records", "REPO_URL", "resolve_scale", "SCALES", "seed_everything",
    "Session", "set_scale", "setup", "show", "where", "widgets",
]
