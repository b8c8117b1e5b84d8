"""Checked exercises: the reader completes a stub, a checker says in words what is still wrong.

In a notebook, a cell tagged ``exercise`` holds the stub and ends with
``lbdl.exercise("name", answer, check)``; the next cell, tagged ``solution`` and collapsed, holds a
solution and ends with ``lbdl.exercise("name", solution, check, solution=True)``. A reader's
attempt never stops the notebook; a solution the checker rejects raises (it is our bug).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Sequence
from typing import Any

import torch

from .checks import record

Check = Callable[[Any], "str | None"]  # None when right, else what is wrong, in words
NOT_DONE = "not done yet: replace the line that raises NotImplementedError with your code"


class ReturnedNaN(Exception):
    """An answer gave NaN: wrong for every exercise, whatever a checker's comparisons would say."""


def nan_in(value: Any, depth: int = 0) -> str | None:
    """Where ``value`` holds a NaN (" at index …"), "" for a NaN number, None when it holds none."""
    if isinstance(value, float) and math.isnan(value):
        return ""
    if isinstance(value, torch.Tensor) and value.is_floating_point() and bool(value.isnan().any()):
        return f" at index {tuple(int(i) for i in value.isnan().nonzero()[0])}"
    if depth < 8 and isinstance(value, list | tuple | set | dict):
        for item in (value.values() if isinstance(value, dict) else value):
            if (where := nan_in(item, depth + 1)) is not None:
                return where
    return None


def refusing_nan(answer: Callable[..., Any]) -> Callable[..., Any]:
    """``answer``, raising ReturnedNaN where it returns a NaN (a check written ``error > tol`` lets NaN pass)."""
    def checked(*args: Any, **kwargs: Any) -> Any:
        value = answer(*args, **kwargs)
        if (where := nan_in(value)) is not None:
            raise ReturnedNaN(f"your function returned NaN (not a number){where}")
        return value

    return checked


def exercise(name: str, answer: Any, check: Check, *, solution: bool = False) -> None:
    """Run ``check(answer)``; print ✓ or what is wrong. With ``solution=True`` a rejection raises."""
    if not callable(check):
        raise TypeError(f"exercise {name!r}: check must be a function answer -> None or a message")
    stub = False
    try:
        problem = check(refusing_nan(answer) if callable(answer) else answer)
    except NotImplementedError:
        problem, stub = NOT_DONE, True
    except ReturnedNaN as err:
        problem = str(err)
    except Exception as err:  # the reader's code failed: say how, don't stop the notebook
        problem = f"your code raised {type(err).__name__}: {err}"
    ok = problem is None
    record(f"exercise: {name} ({'solution' if solution else 'your answer'})", float(ok), exercise=name,
           role="solution" if solution else "attempt", **({"passed": ok} if solution else {"stub": stub}))
    if solution and not ok:
        raise AssertionError(f"the solution of exercise {name!r} is rejected by its own checker: {problem}")
    print(f"✓ {name}: correct" if ok else f"✗ {name}: {problem}")


def _first_difference(got: torch.Tensor, want: torch.Tensor, rtol: float, atol: float) -> str:
    """Where ``got`` first parts from ``want``, in words; NaN and infinities named as such."""
    g, w = got.double(), want.double()
    wrong = ~torch.isclose(g, w, rtol=rtol, atol=atol)
    where = tuple(int(i) for i in torch.nonzero(wrong)[0]) if wrong.any() else tuple(0 for _ in g.shape)
    say = lambda x: "NaN" if math.isnan(x) else ("an infinity" if math.isinf(x) else f"{x:.4g}")  # noqa: E731
    return f"at index {where} you give {say(g[where].item())} where {say(w[where].item())} is right"


def same_as(reference: Callable[..., Any], inputs: Sequence[tuple], rtol: float = 1e-5,
            atol: float = 1e-6) -> Check:
    """A checker: the answer, a function, must give ``reference(*args)`` for every ``args`` in ``inputs``.

    The answer and the reference each get their own copy of the inputs: an answer that changes its
    inputs in place cannot make the reference agree with it.
    """
    def check(answer: Any) -> str | None:
        if not callable(answer):
            return f"expected a function, got {type(answer).__name__}"
        for args in inputs:
            shapes = ", ".join(str(tuple(a.shape)) if isinstance(a, torch.Tensor) else repr(a) for a in args)
            where = f"for inputs {shapes} " if args else ""
            got, want = answer(*copy.deepcopy(args)), reference(*copy.deepcopy(args))
            if got is None or got is Ellipsis:
                return "your function returns nothing: end it with return ..."
            if isinstance(want, torch.Tensor):
                if not isinstance(got, torch.Tensor):
                    return f"{where}you return a {type(got).__name__}, expected a tensor"
                if got.shape != want.shape:
                    return f"{where}your result has shape {tuple(got.shape)}, expected {tuple(want.shape)}"
                if not torch.allclose(got.double(), want.double(), rtol=rtol, atol=atol):
                    return f"{where}the values are wrong: {_first_difference(got, want, rtol, atol)}"
            elif isinstance(want, list | tuple) and type(got) is not type(want):
                return f"{where}you return a {type(got).__name__}, expected a {type(want).__name__}"
            elif got != want:  # say which way it is off, without giving the answer away
                way = f", which is too {'small' if got < want else 'large'}" if isinstance(got, int | float) else ""
                return f"{where}you give {got!r}{way}"
        return None

    return check
