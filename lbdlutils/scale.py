"""The one scale knob shared by readers and CI: ``ci``, ``small`` (default) or ``full``."""

from __future__ import annotations

from typing import Any, TypeVar

from . import env

SCALES: tuple[str, ...] = ("ci", "small", "full")
DEFAULT_SCALE = "small"
ENV_VAR = env.SCALE

T = TypeVar("T")
_current: str | None = None


def check_scale(scale: str) -> str:
    """Return ``scale`` if it is valid, else raise a ValueError that lists the valid ones."""
    if not isinstance(scale, str) or scale.strip().lower() not in SCALES:
        raise ValueError(f"unknown scale {scale!r}: valid scales are {', '.join(SCALES)} "
                         f"(ci = seconds, small = minutes on a laptop CPU, full = a GPU)")
    return scale.strip().lower()


def resolve_scale(requested: str | None = None) -> tuple[str, str]:
    """Return (scale, source): ``LBDL_SCALE`` wins over ``requested`` (the rule of :mod:`lbdlutils.env`)."""
    value = env.get(ENV_VAR)
    if value is not None:
        try:
            return check_scale(value), f"environment variable {ENV_VAR}"
        except ValueError as err:
            raise ValueError(f"{ENV_VAR}={value!r} is not a scale: {err}") from None
    if requested is None:
        return DEFAULT_SCALE, "default"
    return check_scale(requested), "notebook parameter"


def set_scale(scale: str) -> str:
    """Make ``scale`` the current one for :func:`pick` and the learning checks."""
    global _current
    _current = check_scale(scale)
    return _current


def get_scale() -> str:
    """The current scale: the one set by ``setup``, else the environment, else ``small``."""
    return _current if _current is not None else resolve_scale(None)[0]


def pick(*, ci: T, small: T, full: T | None = None, scale: str | None = None) -> T:
    """Choose a value for the current scale, e.g. ``epochs = pick(ci=2, small=30, full=100)``.

    ``full`` defaults to ``small`` so a value that need not grow on a GPU is written once.
    """
    s = check_scale(scale) if scale is not None else get_scale()
    values: dict[str, Any] = {"ci": ci, "small": small, "full": small if full is None else full}
    return values[s]


def steps(*, ci: int, small: int, scale: str | None = None) -> int:
    """Training steps for the current scale: a GPU (``full``) affords four times ``small``'s."""
    return pick(ci=ci, small=small, full=4 * small, scale=scale)
