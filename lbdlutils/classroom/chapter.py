"""One chapter's grading run, in a process of its own: the teacher's checkers, every submission of it.

    python -m lbdlutils.classroom.chapter JOB.json RESULTS.json

The job (written by :mod:`.grader`) names, per chapter, the teacher's notebook and the submissions'
answer cells, with the limits and the work folder. For each chapter this process rebuilds the
checkers from the teacher's notebook, runs each solution through them (a solution rejected stops
the run: the grader itself is wrong), then grades every submission, a few side by side, each in a
walled process of its own forked by :mod:`.runner`'s server.
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
from .forks import Zygote
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


def run(job: dict[str, Any]) -> list[dict[str, Any]]:
    """Grade every submission of every chapter of the job: per chapter, per student, per exercise, (points, said)."""
    work = Path(job["work"])
    zygote = Zygote(Path(job["lib"]), work / "fork-server.log", job["limits"]["setup"])  # imports meanwhile
    try:
        return [chapter(part, zygote, work, job) for part in job["chapters"]]
    finally:
        zygote.close()


def chapter(part: dict[str, Any], zygote: Zygote, work: Path, job: dict[str, Any]) -> dict[str, Any]:
    """One chapter's checkers, then its submissions, a few side by side."""
    nb = notebooks.read(Path(part["notebook"]))
    namespace = checkers(nb, work / "teacher.log")
    found = notebooks.exercises(nb)
    setup = notebooks.setup_code(nb)
    hide = sorted({str(Path(part["notebook"]).resolve().parent), str(notebooks.teacher_folder())})
    limits = {**job["limits"], "exercises": len(found)}

    def one(sub: dict[str, Any]) -> dict[str, Any]:
        if sub.get("problem"):
            return {ex.name: [0, sub["problem"]] for ex in found}
        student = Student(work / sub["folder"], zygote, setup, sub["cells"], limits, hide)
        try:
            return {ex.name: [int(ok), said] for ex in found
                    for ok, said in [grade(student, ex.answer, eval(ex.check, namespace), limits["exercise"])]}
        finally:
            student.stop()

    with ThreadPoolExecutor(max_workers=max(1, int(job.get("jobs", 1)))) as pool:
        graded = list(pool.map(one, part["submissions"]))
    return {"exercises": [ex.name for ex in found],
            "students": {sub["student"]: g for sub, g in zip(part["submissions"], graded)}}


if __name__ == "__main__":
    job_path, results_path = map(Path, sys.argv[1:3])
    results = run(json.loads(job_path.read_text(encoding="utf-8")))
    results_path.write_text(json.dumps(results, indent=1, ensure_ascii=False), encoding="utf-8")
