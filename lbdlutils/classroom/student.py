"""The student edition of a chapter: no solution left anywhere, each exercise waiting for its answer.

Removed: every cell tagged ``solution`` (source, outputs, metadata and attachments go with it), the
lines of other outputs that report a solution, the solutions' metrics in the notebook's metadata,
and the badges that open the teacher's edition. Kept: the exercise stubs and their checkers, and by
default every other output (a student still sees the figures). Each exercise cell shows what the
stub prints. A student's edited copy is never overwritten: see :func:`write`.
"""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

from ..exercises import NOT_DONE
from . import notebooks

NOTE = """**Student edition.** The solutions are not in this copy. Run an exercise cell to see whether
your answer is right: its checker says what is still wrong. If your teacher grades this notebook, only
your exercise cells are run, on their own, after the chapter's first cells (its imports and set-up),
and without the checker code that comes with each exercise: everything your answer uses must be
defined or imported in its exercise cell (or in a cell of your own that defines the function). Keep
the function's name, and save the notebook before you hand it in."""
BADGES = ("colab.research.google.com", "mybinder.org")


def _digest(nb: dict[str, Any]) -> str:
    """A fingerprint of what a student could change: the cells' sources and outputs."""
    cells = [[c.get("source"), c.get("outputs")] for c in nb["cells"]]
    return hashlib.sha256(json.dumps(cells, sort_keys=True).encode()).hexdigest()


def _without_solution_lines(output: dict[str, Any]) -> dict[str, Any]:
    def keep(text: Any) -> Any:
        lines = "".join(text) if isinstance(text, list) else text
        return "".join(line for line in lines.splitlines(keepends=True) if "(solution)" not in line)

    out = dict(output)
    if "text" in out:
        out["text"] = keep(out["text"])
    if "traceback" in out:
        out["traceback"] = [line for line in out["traceback"] if "(solution)" not in line]
    if "data" in out:
        out["data"] = {k: keep(v) if k.startswith("text/") else v for k, v in out["data"].items()}
    return out


def edition(nb: dict[str, Any], *, clear_outputs: bool = False, source: str = "") -> dict[str, Any]:
    """The student edition of notebook ``nb`` (a dict, left unchanged)."""
    nb = copy.deepcopy(nb)
    found = notebooks.exercises(nb)
    by_cell = {ex.cells[-1]: ex for ex in found}
    # every name a solution cell binds, unless another cell binds it too: no later cell may lean on it
    solution_names = set().union(set(), *(notebooks.names(notebooks.python(c))[0] for c in nb["cells"]
                                          if "solution" in notebooks.tags(c)))
    solution_names -= set().union(set(), *(notebooks.names(notebooks.python(c))[0] for c in nb["cells"]
                                           if c.get("cell_type") == "code" and "solution" not in notebooks.tags(c)))
    cells = []
    for index, cell in enumerate(nb["cells"]):
        if "solution" in notebooks.tags(cell):
            continue
        if cell.get("cell_type") == "markdown" and not cells:
            text = notebooks.source(cell)
            cell["source"] = "".join(ln for ln in text.splitlines(keepends=True) if not any(b in ln for b in BADGES))
        if cell.get("cell_type") == "code":
            if index in by_cell:
                cell["outputs"] = [{"output_type": "stream", "name": "stdout",
                                    "text": f"✗ {by_cell[index].name}: {NOT_DONE}\n"}]
                cell["execution_count"] = None
            elif clear_outputs:
                cell["outputs"], cell["execution_count"] = [], None
            else:
                cell["outputs"] = [_without_solution_lines(o) for o in cell.get("outputs", [])]
            left = solution_names & notebooks.names(notebooks.python(cell))[2]
            if left:
                raise ValueError(f"{source or 'notebook'} cell {index} uses {sorted(left)}, defined in a solution: "
                                 "the student edition would fail there")
        cells.append(cell)
    note = {"cell_type": "markdown", "id": "student-edition", "metadata": {"tags": ["student-note"]}, "source": NOTE}
    if found:
        nb["cells"] = [cells[0], note, *cells[1:]] if cells else [note]
    else:
        nb["cells"] = cells
    stamp = nb.get("metadata", {}).get("lbdl", {})
    if isinstance(stamp.get("metrics"), dict):
        stamp["metrics"] = {k: v for k, v in stamp["metrics"].items() if "(solution)" not in k}
    here = {c.get("id") for c in nb["cells"]}
    if isinstance(stamp.get("long_cells_s"), dict):  # cells that took long, by id: only those still here
        stamp["long_cells_s"] = {k: v for k, v in stamp["long_cells_s"].items() if k in here}
    stamp.pop("code_sha256", None)  # a fingerprint of the teacher's code, solutions included
    chapter = notebooks.CHAPTER_FILE.match(source)
    nb["metadata"]["lbdl_classroom"] = {
        "edition": "student", "source": source, "chapter": int(chapter.group(1)) if chapter else None,
        "exercises": [{"name": ex.name, "answer": ex.answer} for ex in found]}
    nb["metadata"]["lbdl_classroom"]["digest"] = _digest(nb)
    return nb


def untouched(path: Path) -> bool:
    """Whether ``path`` is absent, or a student edition exactly as written (no student's work in it)."""
    if not path.exists():
        return True
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
        return nb["metadata"]["lbdl_classroom"]["digest"] == _digest(nb)
    except (ValueError, KeyError, TypeError):
        return False


def write(out: Path, paths: list[Path] | None = None, *, clear_outputs: bool = False,
          force: bool = False) -> tuple[list[Path], list[Path]]:
    """Write the student edition of each chapter into ``out``; returns (written, kept).

    A file in ``out`` that a student has changed since it was written is kept as it is, and
    listed, unless ``force``.
    """
    out.mkdir(parents=True, exist_ok=True)
    written, kept = [], []
    for path in paths or notebooks.chapter_paths():
        target = out / path.name
        if not force and not untouched(target):
            kept.append(target)
            continue
        nb = edition(notebooks.read(path), clear_outputs=clear_outputs, source=path.name)
        target.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        written.append(target)
    return written, kept
