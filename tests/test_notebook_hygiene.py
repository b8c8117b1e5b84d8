"""Kernel-free checks of the committed notebooks: structure, conventions and fresh outputs."""

from __future__ import annotations

import ast
import json
import re

import nbformat
import nbtools as notebooks
import pytest

import lbdlutils as lbdl

PATHS = notebooks.paths()
IDS = [p.name for p in PATHS]
CHAPTERS = {1: "01_machine_learning", 2: "02_efficient_computation", 3: "03_training", 4: "04_model_components",
            5: "05_architectures", 6: "06_prediction", 7: "07_synthesis", 8: "08_the_compute_schism",
            9: "09_missing_bits", 10: "10_bibliography", 11: "11_index"}


def test_there_are_notebooks_and_names_follow_chapters():
    assert PATHS, "no notebooks found in notebooks/"
    for p in PATHS:
        number = int(p.name[:2])
        assert p.stem == CHAPTERS.get(number), f"{p.name}: chapter {number} should be {CHAPTERS.get(number)}.ipynb"


def test_readme_table_has_every_notebook_with_its_rendered_costs():
    readme = (notebooks.notebook_dir().parent / "README.md").read_text(encoding="utf-8")
    rows = [m["file"] for m in notebooks.README_ROW.finditer(readme)]
    assert rows == [p.name for p in PATHS], f"README's table of notebooks lists {rows}"
    assert all(m["shows"].strip() for m in notebooks.README_ROW.finditer(readme)), "a row says nothing it shows"
    assert notebooks.readme_with_costs(readme) == readme, \
        "README's times and memory differ from the rendered notebooks': run make render (or scripts/render.py)"
    assert (notebooks.notebook_dir().parent / "docs" / "jupyterlab.png").is_file(), "README's screenshot is missing"


@pytest.fixture(params=PATHS, ids=IDS)
def nb(request):
    return request.param, notebooks.read(request.param)


def test_valid_nbformat(nb):
    path, _ = nb
    nbformat.validate(nbformat.read(path, as_version=4))


def test_one_clean_top_to_bottom_run(nb):
    path, data = nb
    code = [c for c in data["cells"] if c["cell_type"] == "code"]
    assert [c["execution_count"] for c in code] == list(range(1, len(code) + 1)), \
        f"{path.name}: execution counts are not 1..n: re-render with make render"
    outputs = [o for c in code for o in c.get("outputs", [])]
    assert outputs, f"{path.name}: no outputs committed: make render"
    assert not [o for o in outputs if o["output_type"] == "error"], f"{path.name}: an error output is committed"
    text = json.dumps(outputs)
    assert not re.search(r"/(root|tmp|home|work|Users)/", text), f"{path.name}: a machine path is in the outputs"
    assert "application/vnd.jupyter.widget-state+json" not in json.dumps(data["metadata"])
    assert data["metadata"]["kernelspec"]["name"] == "python3"
    assert path.stat().st_size < 2_000_000, f"{path.name} is over 2 MB"


def test_outputs_are_not_stale(nb):
    path, data = nb
    stamp = data["metadata"].get("lbdl", {})
    assert stamp.get("scale") == "small", f"{path.name}: not rendered by make render at small scale"
    assert stamp.get("code_sha256") == notebooks.code_hash(data), \
        f"{path.name}: code changed since its outputs were rendered: run make render NB={path}"


def test_conventions_first_cells(nb):
    path, data = nb
    cells = data["cells"]
    title = notebooks.source(cells[0])
    assert cells[0]["cell_type"] == "markdown" and title.startswith("# ")
    assert "colab.research.google.com" in title and "mybinder.org" in title, f"{path.name}: badges missing"
    assert path.name in title, f"{path.name}: the badges must link to this notebook"
    code = [c for c in cells if c["cell_type"] == "code"]
    assert "google.colab" in notebooks.source(code[0]) and lbdl.REPO_URL in notebooks.source(code[0])
    params = [c for c in code if "parameters" in c["metadata"].get("tags", [])]
    assert len(params) == 1, f"{path.name}: exactly one cell must be tagged 'parameters'"
    src = notebooks.source(params[0])
    assert 'SCALE: str = "small"' in src and "SEED: int = 0" in src
    after = code[code.index(params[0]) + 1]
    assert "lbdl.setup(SCALE, SEED" in notebooks.source(after), f"{path.name}: setup must follow parameters"
    assert f'notebook="{path.stem}"' in notebooks.source(after)


def test_headings_follow_the_book(nb):
    path, data = nb
    number = int(path.name[:2])
    if number > 9:
        return
    heads = notebooks.headings(data)
    if number == 9:  # the book's unnumbered last chapter: one heading per topic, with its page
        for title, page in lbdl.book.topics():
            assert any(h.startswith(f"{title} (p. {page})") for h in heads), f"{path.name}: no '## {title} (p. {page})'"
        return
    for sec, title, _ in lbdl.book.sections(number):
        assert any(h.startswith(f"{sec} {title}") for h in heads), f"{path.name}: no heading '## {sec} {title}'"


def test_every_expect_has_a_threshold(nb):
    """expect() raises without a bound; here we also forbid disabling checks with bare asserts on True."""
    path, data = nb
    src = "\n".join(notebooks.source(c) for c in data["cells"] if c["cell_type"] == "code")
    assert "lbdl.expect(" in src, f"{path.name}: no learning check"
    assert not re.search(r"assert\s+True\b", src)


def test_every_model_class_is_shown_where_introduced():
    """Each class of lbdlutils.models appears in an lbdl.show_source call of some notebook."""
    import inspect

    from torch import nn

    classes = {name for name, obj in vars(lbdl.models).items()
               if inspect.isclass(obj) and issubclass(obj, nn.Module)}
    for sub in (m for m in vars(lbdl.models).values() if inspect.ismodule(m)):
        classes |= {name for name, obj in vars(sub).items() if inspect.isclass(obj) and issubclass(obj, nn.Module)
                    and obj.__module__ == sub.__name__}
    shown = set()
    for path in PATHS:
        src = "\n".join(notebooks.source(c) for c in notebooks.read(path)["cells"] if c["cell_type"] == "code")
        shown |= set(re.findall(r"lbdl\.show_source\(lbdl\.models\.(?:\w+\.)?(\w+)\)", src))
    assert classes, "no model classes found"
    assert not classes - shown, f"model classes whose code no notebook shows: {sorted(classes - shown)}"


def test_exercises_have_collapsed_solutions(nb):
    """exercise cell (stub, checked) -> next code cell tagged solution, collapsed, checked with solution=True."""
    path, data = nb
    code = [c for c in data["cells"] if c["cell_type"] == "code"]
    for i, cell in enumerate(code):
        tags = cell["metadata"].get("tags", [])
        if "exercise" in tags:
            name = re.search(r"""lbdl\.exercise\(\s*(["'])(.+?)\1""", notebooks.source(cell))
            assert name and "solution=True" not in notebooks.source(cell), f"{path.name}: exercise cell {i}"
            nxt = code[i + 1]
            assert "solution" in nxt["metadata"].get("tags", []), f"{path.name}: exercise {name[2]} has no solution"
            assert nxt["metadata"].get("jupyter", {}).get("source_hidden") is True, f"{path.name}: solution shown"
            assert re.search(rf"""lbdl\.exercise\(\s*["']{re.escape(name[2])}["'].*solution=True""",
                             notebooks.source(nxt), re.S), f"{path.name}: solution of {name[2]} is not checked"


def test_only_machine_dependent_cells_escape_make_reproduce(nb):
    """make reproduce compares every output except cells tagged nbval-ignore-output, each with its why."""
    path, data = nb
    for i, cell in enumerate(c for c in data["cells"] if c["cell_type"] == "code"):
        tags = cell["metadata"].get("tags", [])
        assert not {"nbval-skip", "nbval-raises-exception", "raises-exception"} & set(tags), \
            f"{path.name} code cell {i + 1}: every cell must run and succeed"
        assert "NBVAL_" not in notebooks.source(cell), f"{path.name} code cell {i + 1}: use tags, not comments"
        if "nbval-ignore-output" in tags:
            why = cell["metadata"].get("lbdl", {}).get("why", "")
            assert len(why) > 10, f"{path.name} code cell {i + 1}: an excluded cell says why (metadata.lbdl.why)"


def test_cited_works_exist(nb):
    """A code cell tagged cite:KEY implements or checks that work of the book's bibliography (chapter 10 lists them)."""
    path, data = nb
    keys = {e["key"] for e in lbdl.book.load("bibliography")["entries"]}
    for i, cell in enumerate(data["cells"]):
        for tag in cell["metadata"].get("tags", []):
            if tag.startswith("cite:"):
                assert cell["cell_type"] == "code", f"{path.name} cell {i}: {tag} on a markdown cell"
                assert tag[5:] in keys, f"{path.name} cell {i}: {tag} is not a key of the bibliography"


def test_slide_metadata_follows_the_rule(nb):
    """A slide per book section, a sub-slide per idea, set-up and solutions skipped (scripts/slides.py)."""
    import slides

    path, data = nb
    kinds = [c.get("metadata", {}).get("slideshow", {}).get("slide_type") for c in data["cells"]]
    assert kinds == [slides.slide_type(data, i) for i in range(len(data["cells"]))], \
        f"{path.name}: slide metadata is stale: run python scripts/slides.py tag"
    assert kinds[0] == "slide" and "skip" in kinds[:6] and kinds.count("slide") >= 2


MATH = re.compile(r"\$\$(.+?)\$\$|(?<![\\$])\$(?!\$)(.+?)(?<!\\)\$", re.S)


def math_problems(markdown: str) -> list[str]:
    """What would break a formula in markdown: control characters (a lost backslash: \\t, \\f, \\b),
    unbalanced braces, or \\begin without its \\end. A structural check, not a full TeX parser."""
    problems = []
    code_free = re.sub(r"`[^`]*`", "", markdown)  # inline code holds dollars that are not math
    for m in MATH.finditer(code_free):
        formula = m[1] or m[2]
        if any(ord(c) < 32 and c != "\n" for c in formula):
            problems.append(f"control character in ${formula!r}$ (a backslash lost to a Python escape?)")
        depth = 0
        for c in re.sub(r"\\[{}]", "", formula):
            depth += (c == "{") - (c == "}")
            if depth < 0:
                break
        if depth:
            problems.append(f"unbalanced braces in ${formula}$")
        if re.findall(r"\\begin\{(\w+\*?)\}", formula) != re.findall(r"\\end\{(\w+\*?)\}", formula):
            problems.append(f"\\begin and \\end do not match in ${formula}$")
    return problems


def test_math_problems_are_found():
    assert math_problems("a $x^\\top y$ b") == []
    assert math_problems("a $x^\top y$ b")  # the tab of a lost backslash: chapter 10's old bug
    assert math_problems("$\\frac{a}{b$") and math_problems("$$\\begin{aligned} x \\end{align}$$")
    assert math_problems("costs `$5` and `$6`") == []


def test_markdown_math_is_well_formed(nb):
    path, data = nb
    found = [f"cell {i}: {p}" for i, c in enumerate(data["cells"]) if c["cell_type"] == "markdown"
             for p in math_problems(notebooks.source(c))]
    assert not found, f"{path.name}:\n" + "\n".join(found[:10])


MAX_CELL_LINES = 25  # CONTRIBUTING: about 15 lines a cell, never over 25


def test_no_code_cell_over_25_lines(nb):
    """CONTRIBUTING's rhythm: a reader meets short cells; a long one is split where a figure or a check ends."""
    path, data = nb
    long = {c["id"]: len(notebooks.source(c).rstrip("\n").split("\n")) for c in data["cells"]
            if c["cell_type"] == "code" and len(notebooks.source(c).rstrip("\n").split("\n")) > MAX_CELL_LINES}
    assert not long, f"{path.name}: code cells over {MAX_CELL_LINES} lines (id: lines), split them: {long}"


def _bound_names(code: str) -> list[tuple[str, str]]:
    """(name, kind) for each name a cell binds at its top level; kind: function, class, import or value."""
    code = re.sub(r"(?m)^(\s*)[%!].*$", r"\1pass", code)  # IPython magics and shell lines
    found: list[tuple[str, str]] = []

    def names(t: ast.AST) -> list[str]:
        if isinstance(t, ast.Name):
            return [t.id]
        if isinstance(t, (ast.Tuple, ast.List)):
            return [n for e in t.elts for n in names(e)]
        return names(t.value) if isinstance(t, ast.Starred) else []

    for node in ast.parse(code).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            found.append((node.name, "class" if isinstance(node, ast.ClassDef) else "function"))
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            found += [((a.asname or a.name).split(".")[0], "import") for a in node.names]
        elif isinstance(node, ast.Assign):
            kind = "function" if isinstance(node.value, ast.Lambda) else "value"
            found += [(n, kind) for t in node.targets for n in names(t)]
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign, ast.For)):
            found += [(n, "value") for n in names(node.target)]
    return found


def test_a_name_means_one_kind_of_thing(nb):
    """Re-running an earlier cell, then a later one, must not find a name turned into another kind of thing
    (chapter 6 once had `targets` a list, then a function): no name is both a function, a class, a module
    or a value across a notebook's cells."""
    path, data = nb
    kinds: dict[str, dict[str, list[int]]] = {}
    for i, cell in enumerate(data["cells"]):
        if cell["cell_type"] == "code":
            for name, kind in _bound_names(notebooks.source(cell)):
                kinds.setdefault(name, {}).setdefault(kind, []).append(i)
    mixed = {name: where for name, where in kinds.items() if len(where) > 1}
    assert not mixed, f"{path.name}: names bound to different kinds of thing (kind: cells): {mixed}"
