"""The package's layout is a table of contents: no import cycle, short modules, a sorted __all__."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import nbtools as notebooks

import lbdlutils as lbdl

PACKAGE = Path(lbdl.__file__).resolve().parent
MAX_LINES = 250


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """Modules of the package that ``name`` imports, at top level or inside functions."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name in known}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:  # `from . import x` imports the module x if there is one
                target = f"{base}.{alias.name}"
                found.add(target if target in known else base)
    return {m for m in found if m in known and m != name}


def test_no_import_cycle_in_lbdlutils():
    mods = modules()
    graph = {name: imports_of(name, path, set(mods)) for name, path in mods.items()}
    # A package's __init__ importing its own submodules is how packages work, not a cycle.
    graph = {n: {m for m in deps if not (n.startswith(m + ".") and m in mods)} for n, deps in graph.items()}
    state: dict[str, int] = {}

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycle = stack[stack.index(nxt):] + [nxt]
                raise AssertionError(f"import cycle: {' -> '.join(cycle)}")
            if nxt not in state:
                visit(nxt, stack + [nxt])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])


def test_the_cycle_finder_finds_a_cycle(tmp_path):
    (tmp_path / "a.py").write_text("from . import b\n")
    (tmp_path / "b.py").write_text("def f():\n    from .a import x\n")
    known = {"lbdlutils.a", "lbdlutils.b"}
    a = imports_of("lbdlutils.a", tmp_path / "a.py", known)
    b = imports_of("lbdlutils.b", tmp_path / "b.py", known)
    assert a == {"lbdlutils.b"} and b == {"lbdlutils.a"}


def test_modules_stay_short():
    long = {name: n for name, path in modules().items()
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long, f"modules over {MAX_LINES} lines (split them by family): {long}"


def test_all_is_sorted_and_lists_what_notebooks_use():
    assert lbdl.__all__ == sorted(lbdl.__all__)
    assert all(hasattr(lbdl, name) for name in lbdl.__all__)
    used = set()
    for path in notebooks.paths():
        for cell in notebooks.read(path)["cells"]:
            if cell["cell_type"] == "code":
                used |= set(re.findall(r"\blbdl\.([A-Za-z_]\w*)", notebooks.source(cell)))
    assert used, "no lbdl.* use found in the notebooks"
    assert not used - set(lbdl.__all__), f"used by notebooks but not in __all__: {sorted(used - set(lbdl.__all__))}"


def test_subpackages_are_tables_of_contents():
    import lbdlutils.classroom

    for sub in (lbdl.models, lbdl.data, lbdl.plot, lbdl.zoo, lbdlutils.classroom):
        assert sub.__all__ == sorted(sub.__all__) and sub.__doc__
        assert all(hasattr(sub, name) for name in sub.__all__)
