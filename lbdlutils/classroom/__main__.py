"""``python -m lbdlutils.classroom student|grade``: the classroom's two commands from any install.

    python -m lbdlutils.classroom student [--out student] [--clear-outputs] [--force] [NOTEBOOK ...]
    python -m lbdlutils.classroom grade FILE... --out DIR        (the same as lbdl-grade)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import grader, notebooks, student


def student_command(argv: list[str]) -> int:
    """Write the student edition of every chapter (or of the notebooks named)."""
    p = argparse.ArgumentParser(prog="python -m lbdlutils.classroom student",
                                description="Write each chapter's student edition: no solution, exercises as stubs.")
    p.add_argument("notebooks", nargs="*", type=Path, help="teacher notebooks (default: every chapter in the package)")
    p.add_argument("--out", type=Path, default=Path("student"), help="folder to write to (default: student/)")
    p.add_argument("--clear-outputs", action="store_true", help="clear every output, figures included")
    p.add_argument("--force", action="store_true", help="replace files a student has changed")
    args = p.parse_args(argv)
    written, kept = student.write(args.out, args.notebooks or notebooks.chapter_paths(),
                                  clear_outputs=args.clear_outputs, force=args.force)
    print(f"wrote {len(written)} student notebooks to {args.out}/")
    for path in kept:
        print(f"kept {path}: changed since it was written (a student's work?); --force replaces it", file=sys.stderr)
    return 1 if kept else 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["student"]:
        return student_command(argv[1:])
    if argv[:1] == ["grade"]:
        return grader.main(argv[1:])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
