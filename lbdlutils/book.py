"""The book's facts as data (edition V1.3): contents, figures, bibliography and index terms; and the
companion's own index of its notebooks (headings, cells, figures, metrics), written by ``make render``.

Only titles, numbers, pages, names and terms: no prose from the book (CC BY-NC-SA 4.0). All of it is
package data, so it loads from a plain ``pip install`` with no clone around (Colab).
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

_FILES = {"toc": "lbdl-toc.json", "bibliography": "lbdl-bibliography.json", "index": "lbdl-index.json",
          "companion": "companion.json", "ties": "index-ties.json"}


@cache
def load(name: str) -> dict[str, Any]:
    """One of the bundled JSON files: ``toc``, ``bibliography``, ``index``, ``companion`` or ``ties``.

    ``ties`` holds which cells treat each index term, as people chose them by reading the cells.
    """
    if name not in _FILES:
        raise ValueError(f"unknown book data {name!r}: valid are {', '.join(_FILES)}")
    text = resources.files("lbdlutils").joinpath("bookdata", _FILES[name]).read_text(encoding="utf-8")
    return json.loads(text)


def chapter(number: int) -> dict[str, Any]:
    """The table-of-contents entry of chapter ``number`` (1..8), with its sections."""
    chapters = {c["number"]: c for c in load("toc")["chapters"] if c["number"] is not None}
    if number not in chapters:
        raise ValueError(f"no chapter {number!r} in the book: chapters are numbered {min(chapters)}..{max(chapters)}")
    return chapters[number]


def sections(number: int) -> list[tuple[str, str, int]]:
    """(number, title, page) of every section of chapter ``number``, e.g. ("1.2", "Basis ...", 14)."""
    return [(s["number"], s["title"], s["page"]) for s in chapter(number)["sections"]]


def topics() -> list[tuple[str, int]]:
    """(title, page) of each topic of the book's unnumbered last chapter, "The missing bits"."""
    last = [c for c in load("toc")["chapters"] if c["number"] is None and c["title"] == "The missing bits"]
    return [(t["title"], t["page"]) for t in last[0]["subheadings"]]


def figures(number: int | None = None) -> list[dict[str, Any]]:
    """The book's figures (number, title, page, chapter), all or those of chapter ``number``."""
    figs = load("toc")["figures"]
    if number is None:
        return figs
    chapter(number)  # raises a clear error for a chapter the book does not have
    return [f for f in figs if f["chapter"] == number]


def companion(notebook: str | None = None) -> list[dict[str, Any]] | dict[str, Any]:
    """The companion's index: every notebook's entry, or the one whose file name starts with ``notebook``."""
    entries = load("companion")["notebooks"]
    if notebook is None:
        return entries
    hits = [e for e in entries if e["file"].startswith(notebook)]
    if len(hits) != 1:
        raise ValueError(f"{notebook!r} names {len(hits)} notebooks: valid are {', '.join(e['file'] for e in entries)}")
    return hits[0]
