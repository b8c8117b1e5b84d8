"""Submissions for the classroom tests: a chapter's student edition with some exercises solved."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

from lbdlutils.classroom import notebooks, student


def solved(chapter: int, which: set[str] | None = None, extra: dict[str, str] | None = None) -> dict[str, Any]:
    """The student edition of ``chapter`` with the teacher's solution of each exercise in ``which`` (default
    all) pasted under its name in a cell after the stub, as a student would; ``extra`` adds code after an
    exercise's cell, by exercise name."""
    path = notebooks.chapter_paths()[chapter - 1]
    teacher = notebooks.read(path)
    nb = student.edition(teacher, source=path.name)
    for ex in notebooks.exercises(teacher):
        code = ""
        if which is None or ex.name in which:
            solution = notebooks.source(teacher["cells"][ex.solution_cell]).split("lbdl.exercise(")[0]
            code = solution.replace(ex.solution, ex.answer).strip() + "\n"
        code += (extra or {}).get(ex.name, "")
        if not code:
            continue
        stub = next(k for k, c in enumerate(nb["cells"]) if c["cell_type"] == "code"
                    and re.search(rf"^def {ex.answer}\(", notebooks.source(c), re.M))
        nb["cells"].insert(stub + 1, {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
                                      "source": code, "id": f"answer-{stub}"})
    return nb


def write(folder: Path, name: str, nb: Any) -> Path:
    """Write a submission (a notebook, or any text) as ``folder/name.ipynb``."""
    path = folder / f"{name}.ipynb"
    path.write_text(nb if isinstance(nb, str) else json.dumps(copy.deepcopy(nb)), encoding="utf-8")
    return path
