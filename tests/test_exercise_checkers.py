"""Every exercise's checker, rebuilt as the grader rebuilds it: it rejects the stub and each named mistake,
and accepts the solution (the mistakes: tests/exercise_mistakes.py)."""

from __future__ import annotations

import pytest
from exercise_mistakes import MISTAKES  # noqa: I001 - tests/ is on the path

import lbdlutils as lbdl
from lbdlutils.classroom import chapter, notebooks

FOUND = {ex.name: (path, ex) for path in notebooks.chapter_paths()
         for ex in notebooks.exercises(notebooks.read(path))}
CASES = [(name, mistake) for name, mistakes in MISTAKES.items() for mistake in mistakes]
_NAMESPACES: dict = {}


def checker_of(name: str, tmp_path_factory: pytest.TempPathFactory):
    """The exercise's checker and its chapter's namespace (each chapter rebuilt once per session)."""
    path, ex = FOUND[name]
    if path not in _NAMESPACES:
        _NAMESPACES[path] = chapter.checkers(notebooks.read(path), tmp_path_factory.mktemp("teacher") / "log")
    namespace = _NAMESPACES[path]
    return eval(ex.check, namespace), namespace, ex


def verdict(check, answer) -> str | None:
    """What the student would read, as lbdl.exercise words it: None when the answer passes."""
    try:
        return check(lbdl.exercises.refusing_nan(answer))
    except NotImplementedError:
        return "not done yet"
    except Exception as err:  # noqa: BLE001 - the reader's code failed: a rejection, said in words
        return f"your code raised {type(err).__name__}: {err}"


def test_every_exercise_has_at_least_three_named_mistakes():
    assert sorted(MISTAKES) == sorted(FOUND)
    assert all(len(m) >= 3 for m in MISTAKES.values()), {k: len(v) for k, v in MISTAKES.items() if len(v) < 3}


@pytest.mark.parametrize("name", sorted(FOUND))
def test_stub_rejected_solution_accepted(name, tmp_path_factory):
    check, namespace, ex = checker_of(name, tmp_path_factory)
    assert verdict(check, namespace[ex.answer]) == "not done yet"
    assert verdict(check, namespace[ex.solution]) is None


@pytest.mark.parametrize("name, mistake", CASES, ids=[f"{n[:3]}-{m[:30]}" for n, m in CASES])
def test_each_named_mistake_is_rejected(name, mistake, tmp_path_factory):
    check, namespace, ex = checker_of(name, tmp_path_factory)
    scope = dict(namespace)
    exec(MISTAKES[name][mistake], scope)
    said = verdict(check, scope[ex.answer])
    assert said is not None and said != "not done yet", f"{name}: the mistake '{mistake}' passes its checker"
