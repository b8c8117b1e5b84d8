"""The teacher's notebooks read as data: where they are, their exercises, and the cells a checker needs.

An exercise is a code cell tagged ``exercise`` that ends with ``lbdl.exercise("name", answer, check)``
and a cell tagged ``solution`` with ``lbdl.exercise("name", solution, check, solution=True)``. The
grader needs, of each chapter, the cells that build its checkers (:func:`checker_cells`), not the
whole chapter: a slice by names, which runs in seconds where the chapter takes a minute.
"""

from __future__ import annotations

import ast
import builtins
import json
import re
import symtable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import lbdlutils

CHAPTER_FILE = re.compile(r"^(\d\d)_\w+\.ipynb$")
MAGIC = re.compile(r"^\s*[%!].*$", re.M)


def teacher_folder() -> Path:
    """The notebooks with their solutions: shipped inside the package, or beside it in a clone."""
    here = Path(lbdlutils.__file__).resolve().parent
    for folder in (here / "notebooks", here.parent / "notebooks"):
        if any(folder.glob("[0-9][0-9]_*.ipynb")):
            return folder
    raise FileNotFoundError(f"no chapter notebooks in {here / 'notebooks'} nor {here.parent / 'notebooks'}")


def chapter_paths(folder: Path | None = None) -> list[Path]:
    """Every chapter notebook, in order."""
    return sorted(p for p in (folder or teacher_folder()).glob("*.ipynb") if CHAPTER_FILE.match(p.name))


def read(path: Path) -> dict[str, Any]:
    """A notebook as a dict (nbformat 4)."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


def source(cell: dict[str, Any]) -> str:
    """A cell's source as one string (any malformed source, as in a student's file, is read as empty)."""
    text = cell.get("source", "")
    if isinstance(text, list) and all(isinstance(t, str) for t in text):
        return "".join(text)
    return text if isinstance(text, str) else ""


def tags(cell: dict[str, Any]) -> list[str]:
    """A cell's tags (none where the metadata is malformed)."""
    meta = cell.get("metadata", {})
    found = meta.get("tags", []) if isinstance(meta, dict) else []
    return [t for t in found if isinstance(t, str)] if isinstance(found, list) else []


def python(cell: dict[str, Any]) -> str:
    """A code cell's source as plain Python: IPython's ``%`` and ``!`` lines become ``pass``."""
    return MAGIC.sub(lambda m: m.group(0)[: len(m.group(0)) - len(m.group(0).lstrip())] + "pass", source(cell))


@dataclass
class Exercise:
    """One checked exercise: its name, the name the reader's answer has, and where it sits."""

    name: str
    answer: str
    check: str  # the expression, as the exercise cell passes it to lbdl.exercise
    cells: list[int] = field(default_factory=list)  # the exercise's code cells
    solution_cell: int | None = None
    solution: str | None = None  # the solution's own name


def _exercise_calls(code: str) -> list[tuple[str, ast.Call]]:
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    out = []
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "exercise"
                and len(node.args) >= 3 and isinstance(node.args[0], ast.Constant)):
            out.append((str(node.args[0].value), node))
    return out


def exercises(nb: dict[str, Any]) -> list[Exercise]:
    """The notebook's exercises, in order, read from its ``lbdl.exercise`` calls."""
    found: dict[str, Exercise] = {}
    for index, cell in enumerate(nb["cells"]):
        if cell.get("cell_type") != "code" or not {"exercise", "solution"} & set(tags(cell)):
            continue
        for name, call in _exercise_calls(python(cell)):
            is_solution = any(k.arg == "solution" for k in call.keywords)
            value = ast.unparse(call.args[1])
            if is_solution:
                found[name].solution_cell, found[name].solution = index, value
            else:
                found[name] = Exercise(name, value, ast.unparse(call.args[2]), [index])
    return list(found.values())


def _globals_read(table: symtable.SymbolTable) -> set[str]:
    """Global names read inside the functions, lambdas and comprehensions of ``table``, at any depth."""
    out: set[str] = set()
    for child in table.get_children():
        if isinstance(child, symtable.Function):
            out |= set(child.get_globals())
        out |= _globals_read(child)
    return out


def names(code: str) -> tuple[set[str], set[str], set[str]]:
    """What a cell binds at top level; the globals it reads at top level; and those read anywhere in it."""
    table = symtable.symtable(code, "cell", "exec")
    symbols = table.get_symbols()
    bound = {s.get_name() for s in symbols if s.is_assigned() or s.is_imported() or s.is_namespace()}
    top = {s.get_name() for s in symbols if s.is_referenced()}
    skip = set(dir(builtins))
    return bound, top - skip, (top | _globals_read(table)) - skip


def statements(code: str) -> list[str]:
    """The top-level statements of a cell, each as its own source (decorators included)."""
    tree, lines = ast.parse(code), code.splitlines(keepends=True)
    out = []
    for node in tree.body:
        first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
        out.append("".join(lines[first - 1:node.end_lineno]).rstrip("\n") + "\n")
    return out


def checker_code(nb: dict[str, Any]) -> list[tuple[int, str]]:
    """The code to run, in order, to rebuild every exercise's checkers: a backward slice by names.

    The slice is over top-level statements: from the exercise cells back, a statement is kept where it
    gives the latest value of a global that a kept statement reads (in its own lines or in the
    functions it defines); the set-up and parameter cells are kept whole, solutions never. The
    checkers' inputs may then differ from the chapter's own (a random generator drawn fewer times):
    the grader checks that every solution still passes. Returns (cell index, kept code) pairs.
    """
    whole = {i for ex in exercises(nb) for i in ex.cells}
    last = max(whole, default=-1)
    units = []  # (cell, statement, source)
    for i, cell in enumerate(nb["cells"][:last + 1]):
        if cell.get("cell_type") != "code" or "solution" in tags(cell):
            continue
        code = python(cell)
        if "parameters" in tags(cell) or "lbdl.setup(" in code:
            whole.add(i)
        units += [(i, k, src) for k, src in enumerate(statements(code))]
    # the solutions run after the slice, in its namespace (the grader checks them): what they read is needed
    needed: set[str] = set().union(set(), *(names(python(c))[2] for c in nb["cells"] if "solution" in tags(c)))
    kept = []
    for i, k, src in reversed(units):
        bound, _, anywhere = names(src)
        if i in whole or bound & needed:
            kept.append((i, k, src))
            needed = (needed - bound) | anywhere
    cells: dict[int, list[str]] = {}
    for i, _, src in reversed(kept):
        cells.setdefault(i, []).append(src)
    return [(i, "".join(parts)) for i, parts in cells.items()]


def setup_code(nb: dict[str, Any], scale: str = "ci") -> list[str]:
    """The chapter's first code cells, through its ``lbdl.setup`` call, with ``SCALE`` set as papermill would."""
    out = []
    for cell in nb["cells"]:
        if cell.get("cell_type") != "code" or "solution" in tags(cell):
            continue
        code = python(cell)
        out.append(code + (f"\nSCALE = {scale!r}\n" if "parameters" in tags(cell) else ""))
        if "lbdl.setup(" in code:
            break
    return out


def given_code(nb: dict[str, Any]) -> set[str]:
    """The statements the exercise cells hand the student (checkers, their references, data), stubs aside."""
    answers = {ex.answer for ex in exercises(nb)}
    out = set()
    for ex in exercises(nb):
        for index in ex.cells:
            out |= {s.strip() for s in statements(python(nb["cells"][index]))
                    if not names(s)[0] & answers}
    return out


def answer_cells(nb: dict[str, Any], answers: set[str], given: set[str] = frozenset()) -> list[str]:
    """A submission's code cells that hold its answers: tagged ``exercise``, or binding an answer's name.

    Read as data, never run here. The statements the teacher's exercise cells gave (``given``: the
    checkers and their reference functions) are left out: an answer must not lean on them. A cell
    that does not parse is kept whole if it names an answer: the student's process then reports its
    syntax error.
    """
    out = []
    for cell in nb.get("cells", []):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        code = python(cell)
        try:
            kept = [s for s in statements(code) if s.strip() not in given]
            bound = set().union(set(), *(names(s)[0] for s in kept))
        except (SyntaxError, ValueError):
            kept, bound = [code], {a for a in answers if re.search(rf"\b{re.escape(a)}\b", code)}
        if "exercise" in tags(cell) or bound & answers:
            out.append("".join(kept))
    return out
