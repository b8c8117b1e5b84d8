"""One chapter's grading run, in a process of its own: the teacher's checkers, every submission of it.

    python -m lbdlutils.classroom.chapter JOB.json RESULTS.json

The job (written by :mod:`.grader`) names the teacher's notebook, the submissions' answer cells,
the limits and the work folder. This process rebuilds the checkers from the teacher's notebook,
runs each solution through them (a solution rejected stops the run: the grader itself is wrong),
then grades every submission, a few side by side, each in its own walled process.
"""

from __future__ import annotations

import contextlib
import json
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import lbdlutils

from . import notebooks
from .reference import Student, grade


def checkers(nb: dict[str, Any], log: Path) -> dict[str, Any]:
    """The namespace in which the chapter's checkers live, each solution having passed its checker."""
    namespace: dict[str, Any] = {"__name__": "__main__"}
    exercise = lbdlutils.exercise
    with open(log, "a", encoding="utf-8") as out, contextlib.redirect_stdout(out):
        lbdlutils.exercise = lambda *args, **kwargs: None  # the stubs' calls, while the slice runs
        try:
            for index, code in notebooks.checker_code(nb):
                cell = nb["cells"][index]
                exec(compile(code + ("\nSCALE = 'ci'\n" if "parameters" in notebooks.tags(cell) else ""),
                             f"<teacher cell {index}>", "exec"), namespace)
        finally:
            lbdlutils.exercise = exercise
        for ex in notebooks.exercises(nb):
            if ex.solution_cell is None:
                raise ValueError(f"exercise {ex.name!r} has no solution cell")
            exec(compile(notebooks.python(nb["cells"][ex.solution_cell]), f"<solution {ex.name}>", "exec"),
                 namespace)  # lbdl.exercise(..., solution=True) raises if the checker rejects it
    return namespace


def run(job: dict[str, Any]) -> dict[str, Any]:
    """Grade every submission of the job; per student, per exercise, (points, feedback)."""
    nb = notebooks.read(Path(job["notebook"]))
    work = Path(job["work"])
    namespace = checkers(nb, work / "teacher.log")
    found = notebooks.exercises(nb)
    setup = notebooks.setup_code(nb)
    limits = {**job["limits"], "exercises": len(found)}

    def one(sub: dict[str, Any]) -> dict[str, Any]:
        if sub.get("problem"):
            return {ex.name: [0, sub["problem"]] for ex in found}
        student = Student(work / sub["folder"], Path(job["lib"]), setup, sub["cells"], limits)
        try:
            out = {}
            for ex in found:
                ok, said = grade(student, ex.name, ex.answer, eval(ex.check, namespace), limits["exercise"])
                out[ex.name] = [1 if ok else 0, said]
            return out
        finally:
            student.stop()

    with ThreadPoolExecutor(max_workers=max(1, int(job.get("jobs", 1)))) as pool:
        graded = list(pool.map(one, job["submissions"]))
    return {"exercises": [ex.name for ex in found],
            "students": {sub["student"]: g for sub, g in zip(job["submissions"], graded)}}


if __name__ == "__main__":
    job_path, results_path = map(Path, sys.argv[1:3])
    results = run(json.loads(job_path.read_text(encoding="utf-8")))
    results_path.write_text(json.dumps(results, indent=1, ensure_ascii=False), encoding="utf-8")
