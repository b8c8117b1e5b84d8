"""``lbdl-grade``: grade students' notebooks, exercise by exercise, with the teacher's checkers.

    lbdl-grade submissions/*.ipynb --out grades/

Each file is one student (its stem names the student). Writes ``grades.csv`` (a column per exercise
with its points, and the total), ``results/STUDENT.json`` (Gradescope's format) and
``feedback/STUDENT.md`` (each exercise's checker sentence). A student's code runs only in a walled
process of its own (:mod:`.sandbox`); the checkers run in another (:mod:`.chapter`), on what that
process returned. A submission that does not run, runs too long or takes too much memory loses
the points of what it did not answer, and the run goes on.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import lbdlutils

from . import notebooks, sandbox

MAX_SUBMISSION_BYTES = 50 << 20


def read_submission(path: Path) -> tuple[dict[str, Any] | None, str | None]:
    """(the notebook, None), or (None, why it cannot be graded). Read as data: nothing in it runs here."""
    try:
        if path.stat().st_size > MAX_SUBMISSION_BYTES:
            return None, f"the file is larger than {MAX_SUBMISSION_BYTES >> 20} MB"
        nb = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as err:
        return None, f"the file is not a notebook that can be read ({type(err).__name__}: {str(err)[:120]})"
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        return None, "the file is JSON but not a notebook (no list of cells)"
    return nb, None


def chapter_of(nb: dict[str, Any] | None, path: Path) -> int | None:
    """The chapter a submission says it belongs to: its student edition's metadata, else its file name.

    A student could change either: to grade an assignment, pass ``--chapter``.
    """
    meta = (nb or {}).get("metadata", {})
    classroom = meta.get("lbdl_classroom", {}) if isinstance(meta, dict) else {}
    chapter = classroom.get("chapter") if isinstance(classroom, dict) else None
    if isinstance(chapter, int):
        return chapter
    match = notebooks.CHAPTER_FILE.match(path.name)
    return int(match.group(1)) if match else None


def library_copy(folder: Path) -> Path:
    """lbdlutils copied without the notebooks (and their solutions): what a student's process imports."""
    source = Path(lbdlutils.__file__).resolve().parent
    shutil.copytree(source, folder / "lbdlutils", ignore=shutil.ignore_patterns("notebooks", "__pycache__"))
    return folder


def grade_chapters(parts: list[dict[str, Any]], work: Path, lib: Path, args: Any) -> list[dict[str, Any]]:
    """Run the grading process over every chapter and read its results."""
    job = {"chapters": parts, "work": str(work), "lib": str(lib), "jobs": args.jobs,
           "limits": {"exercise": args.time_limit, "setup": args.setup_limit, "memory": args.memory_gb * 2**30}}
    (work / "job.json").write_text(json.dumps(job), encoding="utf-8")
    env = {**os.environ, "MPLBACKEND": "Agg", "LBDL_THREADS": "1", "LBDL_HEADLESS": "1",
           "LBDL_CACHE": str(work / "zoo")}
    env.pop("LBDL_METRICS", None)
    done = subprocess.run([sys.executable, "-m", "lbdlutils.classroom.chapter", str(work / "job.json"),
                           str(work / "results.json")], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"lbdl-grade: the teacher's process failed (not a student's fault):\n{done.stderr[-3000:]}")
    return json.loads((work / "results.json").read_text(encoding="utf-8"))


def write_outputs(out: Path, results: dict[str, dict[str, list]], columns: list[str]) -> None:
    """grades.csv, results/STUDENT.json and feedback/STUDENT.md."""
    (out / "results").mkdir(parents=True, exist_ok=True)
    (out / "feedback").mkdir(exist_ok=True)
    with open(out / "grades.csv", "w", newline="", encoding="utf-8") as f:
        rows = csv.writer(f)
        rows.writerow(["student", *columns, "total"])
        for student, graded in results.items():
            points = [graded[c][0] if c in graded else "" for c in columns]
            rows.writerow([student, *points, sum(p for p in points if p != "")])
    for student, graded in results.items():
        tests = [{"name": name, "score": p, "max_score": 1, "status": "passed" if p else "failed", "output": said}
                 for name, (p, said) in graded.items()]
        report = {"score": sum(t["score"] for t in tests), "max_score": len(tests), "tests": tests}
        (out / "results" / f"{student}.json").write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n",
                                                         encoding="utf-8")
        lines = [f"# {student}: {report['score']} / {report['max_score']}", ""]
        lines += [f"- {'✓' if p else '✗'} **{name}**: {said}" for name, (p, said) in graded.items()]
        if not graded:
            lines.append("Not graded: its chapter could not be told (the teacher can pass --chapter).")
        (out / "feedback" / f"{student}.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="lbdl-grade", description=__doc__.split("\n\n")[0])
    p.add_argument("files", nargs="+", type=Path, help="submitted notebooks, one per student (the stem names them)")
    p.add_argument("--out", type=Path, required=True, help="folder for grades.csv, results/ and feedback/")
    p.add_argument("--chapter", type=int, help="grade every file as this chapter (do, for an assignment: "
                   "without it, each file says its own chapter)")
    p.add_argument("--notebooks", type=Path, help="the teacher's notebooks (default: the package's own)")
    p.add_argument("--time-limit", type=float, default=20.0, help="seconds per exercise (default 20)")
    p.add_argument("--setup-limit", type=float, default=120.0, help="seconds to run the exercise cells (default 120)")
    p.add_argument("--memory-gb", type=float, default=4.0, help="address space per submission (default 4)")
    p.add_argument("--jobs", type=int, default=max(1, len(os.sched_getaffinity(0))), help="submissions at once")
    p.add_argument("--force", action="store_true", help="replace an existing grades.csv in --out")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """The console script."""
    args = parse(argv)
    if why := sandbox.can_isolate():
        print(f"lbdl-grade: {why}. Grade on a Linux machine with Landlock (for instance the class's hub).",
              file=sys.stderr)
        return 2
    if (args.out / "grades.csv").exists() and not args.force:
        print(f"lbdl-grade: {args.out / 'grades.csv'} exists: pass --force to replace it, or choose another --out",
              file=sys.stderr)
        return 2
    stems = [f.stem for f in args.files]
    if len(set(stems)) < len(stems):
        print(f"lbdl-grade: two files name the same student: {sorted({s for s in stems if stems.count(s) > 1})}",
              file=sys.stderr)
        return 2
    teacher = {int(p.name[:2]): p for p in notebooks.chapter_paths(args.notebooks)}
    groups: dict[int, list[dict[str, Any]]] = {}
    results: dict[str, dict[str, list]] = {}
    for k, path in enumerate(args.files):
        nb, problem = read_submission(path)
        chapter = args.chapter or chapter_of(nb, path)
        if chapter not in teacher:
            results[path.stem] = {}
            print(f"lbdl-grade: {path}: cannot tell its chapter (pass --chapter): not graded", file=sys.stderr)
            continue
        reference = notebooks.read(teacher[chapter])
        answers, given = {ex.answer for ex in notebooks.exercises(reference)}, notebooks.given_code(reference)
        try:
            cells = notebooks.answer_cells(nb, answers, given) if nb else []
        except Exception as err:  # noqa: BLE001 - any malformed notebook is the student's file, not the run
            nb, cells, problem = None, [], f"the notebook is malformed ({type(err).__name__}: {str(err)[:100]})"
        if nb is not None and not cells:
            problem = "no exercise cell found in the notebook (is it the student edition, saved?)"
        groups.setdefault(chapter, []).append({"student": path.stem, "folder": f"s{k}", "cells": cells,
                                               "problem": problem})
    columns = []
    with tempfile.TemporaryDirectory(prefix="lbdl-grade-", ignore_cleanup_errors=True) as tmp:
        lib = library_copy(Path(tmp) / "lib")
        parts = [{"notebook": str(teacher[c]), "submissions": subs} for c, subs in sorted(groups.items())]
        for graded in grade_chapters(parts, Path(tmp), lib, args):
            columns += graded["exercises"]
            results |= graded["students"]
    args.out.mkdir(parents=True, exist_ok=True)
    write_outputs(args.out, {s: results.get(s, {}) for s in stems}, columns)
    print(f"graded {len(stems)} submissions: {args.out / 'grades.csv'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
