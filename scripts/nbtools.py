"""Reading the companion's own notebooks as data: paths, cells, headings, figures and the code hash.

Used by the render script (which writes what chapters 10–11 need into the package's
``bookdata/companion.json``) and by the tests. Plain JSON, so no Jupyter package is needed.
"""

from __future__ import annotations

import hashlib
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

NAME = re.compile(r"^(\d\d)_[a-z0-9_]+\.ipynb$")


def notebook_dir(start: str | Path | None = None) -> Path:
    """The ``notebooks/`` folder of the repository that holds ``start`` (default: this script's)."""
    here = Path(start) if start is not None else Path(__file__).resolve().parent.parent
    for folder in [here, *here.parents]:
        if (folder / "notebooks").is_dir():
            return folder / "notebooks"
    raise FileNotFoundError(f"no notebooks/ folder found above {here}: run from a clone of the repository")


def paths(folder: str | Path | None = None) -> list[Path]:
    """The chapter notebooks (``NN_title.ipynb``), in chapter order."""
    folder = Path(folder) if folder is not None else notebook_dir()
    return sorted(p for p in folder.glob("*.ipynb") if NAME.match(p.name))


def read(path: str | Path) -> dict[str, Any]:
    """A notebook as a dict, with a clear error if it is missing or not valid notebook JSON."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no notebook at {path}")
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise ValueError(f"{path} is not valid JSON (line {err.lineno}): {err.msg}") from None
    if not isinstance(nb, dict) or "cells" not in nb:
        raise ValueError(f"{path} is JSON but not a notebook (no 'cells')")
    return nb


def source(cell: dict[str, Any]) -> str:
    """A cell's source as one string (notebooks store it as a string or a list of lines)."""
    src = cell.get("source", "")
    return src if isinstance(src, str) else "".join(src)


def code_hash(nb: dict[str, Any]) -> str:
    """SHA-256 of the code cells' sources, ignoring papermill's injected-parameters cell."""
    h = hashlib.sha256()
    for cell in nb["cells"]:
        if cell.get("cell_type") == "code" and "injected-parameters" not in cell.get("metadata", {}).get("tags", []):
            h.update(source(cell).strip().encode("utf-8") + b"\n\x00")
    return h.hexdigest()


def headings(nb: dict[str, Any], level: int = 2) -> list[str]:
    """The text of every markdown heading of the given level (``##`` by default)."""
    mark = "#" * level + " "
    return [line[len(mark):].strip() for cell in nb["cells"] if cell.get("cell_type") == "markdown"
            for line in source(cell).splitlines() if line.startswith(mark)]


FIGURE = re.compile(r"""Fig\. (\d+\.\d+)\s*·\s*([^"'\n]+)""")
HEADING = re.compile(r"^(#{1,4}) (.+)$", re.M)


@cache
def index_ties() -> dict[tuple[str, str], list[str]]:
    """(notebook file, cell id) -> the book's index terms that cell treats, as reviewers tied them.

    Read from ``lbdlutils/bookdata/index-ties.json`` (term -> notebook -> cell ids), which people edit:
    a term is tied to a cell because someone read the cell, never because a word matched.
    """
    data = json.loads((Path(__file__).resolve().parent.parent / "lbdlutils" / "bookdata" / "index-ties.json")
                      .read_text(encoding="utf-8"))
    out: dict[tuple[str, str], list[str]] = {}
    for term, by_notebook in data["ties"].items():
        for file, ids in by_notebook.items():
            for cid in ids:
                out.setdefault((file, cid), []).append(term)
    return out


def companion_entry(path: Path) -> dict[str, Any]:
    """What chapters 10–11 need of one notebook: headings, cells, drawn figures, metrics (no outputs)."""
    nb = read(path)
    entry: dict[str, Any] = {"file": path.name, "chapter": int(path.name[:2]), "title": "", "headings": [],
                             "cells": [], "figures": []}
    section = ""
    for index, cell in enumerate(nb["cells"]):
        if "solution" in cell.get("metadata", {}).get("tags", []):
            continue  # the package ships this index to students: nothing of a solution in it
        text, cid = source(cell), cell.get("id", str(index))
        if cell.get("cell_type") == "markdown":
            for hashes, title in HEADING.findall(text):
                if len(hashes) == 1 and not entry["title"]:
                    entry["title"] = title.strip()
                else:
                    entry["headings"].append({"level": len(hashes), "text": title.strip(), "cell": cid})
                    section = title.strip() if len(hashes) == 2 else section
        row = {"id": cid, "index": index, "type": cell.get("cell_type"), "section": section,
               "tags": cell.get("metadata", {}).get("tags", [])}
        terms = index_ties().get((path.name, cid), [])
        if terms:
            row["terms"] = terms
        if cell.get("cell_type") == "code":
            row["lines"] = len(text.strip().splitlines())
            row["uses"] = sorted(set(re.findall(r"\blbdl\.([A-Za-z_][\w.]*[A-Za-z_0-9])", text)))
            for number, caption in FIGURE.findall(text):
                entry["figures"].append({"number": number, "caption": caption.strip(), "cell": cid})
        entry["cells"].append(row)
    stamp = nb.get("metadata", {}).get("lbdl", {})
    entry |= {k: stamp.get(k) for k in ("seconds", "peak_rss_mb", "metrics")}
    return entry


def companion_index(folder: str | Path | None = None) -> dict[str, Any]:
    """The companion's own index over every chapter notebook, as written to bookdata/companion.json."""
    return {"about": "Headings, cells, figures and metrics of the companion's notebooks, written by make render.",
            "notebooks": [companion_entry(p) for p in paths(folder)]}


# What lbdlutils.train.progress prints when run headless: "desc: 300/300 in 12.5 s, 24.0 it/s [...]".
PROGRESS_LINE = re.compile(r"^(?P<desc>[^\n]+?): (?P<n>\d+)(?:/\d+)? in (?P<s>\d+(?:\.\d+)?) s\b", re.M)
SILENCE_LIMIT_S = 10.0  # the longest a reader should wait without seeing a cell move


def progress_loops(cell: dict[str, Any]) -> list[tuple[str, int, float]]:
    """(description, steps, seconds) of each progress bar a cell showed, read from its headless summaries."""
    text = "".join("".join(o.get("text", "")) for o in cell.get("outputs", []) if o.get("output_type") == "stream")
    return [(m["desc"], int(m["n"]), float(m["s"])) for m in PROGRESS_LINE.finditer(text)]


def looping_code_cells(nb: dict[str, Any]) -> list[int]:
    """Positions, among the code cells, of those whose outputs show a progress summary."""
    code = [c for c in nb["cells"] if c.get("cell_type") == "code"]
    return [k for k, c in enumerate(code) if progress_loops(c)]


def longest_silence(cell: dict[str, Any], seconds: float) -> float:
    """An upper bound on the longest wait without progress in a cell that ran ``seconds``.

    Outside its progress bars the cell is taken as silent throughout (the time before, between and
    after them, added up); inside a bar the wait is one step.
    """
    loops = progress_loops(cell)
    outside = max(seconds - sum(s for _, _, s in loops), 0.0)
    return outside + max((s / max(n, 1) for _, n, s in loops), default=0.0)


def cell_seconds(nb: dict[str, Any], at_least: float = 0.0) -> dict[str, float]:
    """Each code cell's run time in an executed notebook (papermill's metadata), by cell id."""
    out = {}
    for index, cell in enumerate(nb["cells"]):
        seconds = cell.get("metadata", {}).get("papermill", {}).get("duration")
        if cell.get("cell_type") == "code" and seconds is not None and seconds >= at_least:
            out[cell.get("id", str(index))] = round(seconds, 1)
    return out


def silences(nb: dict[str, Any], seconds: dict[str, float], limit: float = SILENCE_LIMIT_S) -> list[dict[str, Any]]:
    """Cells that may leave a reader waiting more than ``limit`` seconds, given their run ``seconds`` by id."""
    out = []
    for index, cell in enumerate(nb["cells"]):
        cid = cell.get("id", str(index))
        if cid in seconds and (wait := longest_silence(cell, seconds[cid])) > limit:
            first = source(cell).strip().splitlines()[0] if source(cell).strip() else ""
            out.append({"cell": index, "id": cid, "seconds": seconds[cid], "silent_s": round(wait, 1),
                        "first_line": first[:70]})
    return out


# README's table of notebooks: "| [05](notebooks/05_x.ipynb) | what it shows | 111 s | 150 s | 718 MB |"
README_ROW = re.compile(r"^\| \[(?P<nn>\d\d)\]\(notebooks/(?P<file>[\w.]+\.ipynb)\) \| (?P<shows>.+?) \|"
                        r" *(?P<time>[^|]*?) *\| *(?P<one_cpu>[^|]*?) *\| *(?P<memory>[^|]*?) *\|$", re.M)


REFERENCE_GFLOPS = 157.0  # float32 matmul 1024, 2 threads, best of 10: the slowest machine of our kind seen
BINDER = Path(__file__).resolve().parent.parent / "benchmarks" / "binder-small.json"  # make binder-check's times


def readme_costs(stamp: dict[str, Any]) -> tuple[str, str]:
    """A rendered notebook's time (and, when its speed was stamped, on the reference machine) and peak memory."""
    time = f"{stamp['seconds']:.0f} s"
    if stamp.get("matmul_gflops"):
        time += f" ({stamp['seconds'] * stamp['matmul_gflops'] / REFERENCE_GFLOPS:.0f} s)"
    return time, f"{stamp['peak_rss_mb']:.0f} MB"


def one_cpu_cost(result: dict[str, Any] | None) -> str:
    """make binder-check's time for one notebook (one CPU, 2 GB), and in brackets on the reference machine."""
    if not result or "error" in result:
        return "–"
    return f"{result['seconds']:.0f} s ({result['seconds'] * result['gflops'] / REFERENCE_GFLOPS:.0f} s)"


def readme_with_costs(readme: str, folder: str | Path | None = None, binder: Path = BINDER) -> str:
    """README's text with each notebook's row given the time and memory stamped by its last render."""
    stamps = {p.name: read(p)["metadata"].get("lbdl", {}) for p in paths(folder)}
    one_cpu = json.loads(binder.read_text()) if binder.is_file() else {}

    def row(m: re.Match[str]) -> str:
        stamp = stamps.get(m["file"])
        if not stamp or "seconds" not in stamp:
            return m[0]
        time, memory = readme_costs(stamp)
        return (f"| [{m['nn']}](notebooks/{m['file']}) | {m['shows']} | {time} | {one_cpu_cost(one_cpu.get(m['file']))}"
                f" | {memory} |")

    return README_ROW.sub(row, readme)
