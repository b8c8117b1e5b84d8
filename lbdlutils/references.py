"""The book's bibliography and index, tied to the companion's notebooks (chapters 10 and 11).

``lookup("dropout")`` resolves an index term (following its "see" references) to the notebook sections
that treat it, with links for GitHub and JupyterLab, and the smallest code cell that shows it;
``cited("kingma2014")`` lists the code cells that implement or check a work (cells tagged
``cite:KEY``). Everything reads package data, so it works from a plain ``pip install`` (Colab).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from . import book
from .env import REPO_URL


def github_anchor(heading: str) -> str:
    """The anchor GitHub gives a Markdown heading: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def lab_anchor(heading: str) -> str:
    """The anchor JupyterLab gives a Markdown heading: its text with spaces as hyphens."""
    return heading.strip().replace(" ", "-")


@dataclass(frozen=True)
class Place:
    """A section or a cell of a companion notebook, with links that open it."""

    notebook: str
    heading: str
    cell: str
    lines: int = 0

    @property
    def github(self) -> str:
        """The notebook on GitHub, scrolled to the section."""
        anchor = f"#{github_anchor(self.heading)}" if self.heading else ""
        return f"{REPO_URL}/blob/main/notebooks/{self.notebook}{anchor}"

    @property
    def lab(self) -> str:
        """A link that JupyterLab follows from another notebook of the same folder."""
        return self.notebook + (f"#{lab_anchor(self.heading)}" if self.heading else "")

    def markdown(self) -> str:
        """One line: the section, linked for JupyterLab and for GitHub."""
        where = f"{self.notebook[:-6]} · {self.heading or 'introduction'}"
        return f"[{where}]({self.lab}) ([GitHub]({self.github}))"


def _notebooks() -> list[dict[str, Any]]:
    return book.load("companion")["notebooks"]


def _section_place(nb: dict[str, Any], section: str) -> Place:
    cell = next((h["cell"] for h in nb["headings"] if h["text"] == section), nb["cells"][0]["id"])
    return Place(nb["file"], section, cell)


def _closest(query: str, names: list[str], what: str) -> ValueError:
    by_fold = {n.casefold(): n for n in names}
    close = [by_fold[m] for m in difflib.get_close_matches(query.casefold(), list(by_fold), n=5, cutoff=0.5)]
    close += [n for n in names if query.casefold() in n.casefold() and n not in close][: 5 - len(close)]
    hint = f"closest: {', '.join(repr(c) for c in close)}" if close else f"none is close; {len(names)} exist"
    return ValueError(f"{query!r} is not {what} ({hint})")


# The index --------------------------------------------------------------------------------------

@cache
def terms() -> dict[str, dict[str, Any]]:
    """Every index term (subentries as "term sub") with its pages and "see" references (shared: do not modify)."""
    out = {}
    for entry in book.load("index")["entries"]:
        out[entry["term"]] = {"pages": entry["pages"], "see": entry["see"]}
        for sub in entry["subentries"]:
            out[f"{entry['term']} {sub['term']}"] = {"pages": sub["pages"], "see": sub.get("see", [])}
    return out


@dataclass
class Found:
    """What ``lookup`` returns: the term, its pages, the sections that treat it and the smallest demo."""

    term: str
    pages: list[int]
    see: list[str] = field(default_factory=list)
    places: list[Place] = field(default_factory=list)
    demo: Place | None = None

    def _repr_markdown_(self) -> str:
        pages = ", ".join(map(str, self.pages)) or "none"
        see = f", see also {', '.join(self.see)}" if self.see else ""
        lines = [f"**{self.term}** (book pages {pages}){see}"]
        lines += [f"- {p.markdown()}" for p in self.places] or ["- no notebook treats it yet"]
        if self.demo:
            demo = self.demo
            lines.append(f"\nSmallest demo: cell `{demo.cell}` ({demo.lines} lines) in {demo.markdown()}")
        return "\n".join(lines)


@cache
def _spellings() -> dict[str, str]:
    """Every way a term may be asked (case folded) -> the term: "attention layer" or "layer, attention"."""
    by_fold = {t.casefold(): t for t in terms()}
    for entry in book.load("index")["entries"]:
        for sub in entry["subentries"]:
            name = f"{entry['term']} {sub['term']}"
            for form in (f"{sub['term']} {entry['term']}", f"{entry['term']}, {sub['term']}"):
                by_fold.setdefault(form.casefold(), name)
    return by_fold


def _resolve(query: str) -> str:
    if query.strip() in terms():  # exact first: the index has both "Transformer" and "transformer"
        return query.strip()
    key, by_fold = query.strip().casefold(), _spellings()
    american = re.sub(r"is(ation|ing|e|ed)\b", r"iz\1", key).replace("modelling", "modeling")  # normalisation
    # "see" references write "Markovian, Decision Process" and "parallelism, pipeline" too
    for form in (key, key.replace(",", ""), " ".join(reversed(key.split(", ", 1))), american):
        if form in by_fold:
            return by_fold[form]
    raise _closest(query, list(terms()), "a term of the book's index")


def lookup(query: str) -> Found:
    """Resolve an index term to the notebook sections that treat it, following "see" references."""
    if not isinstance(query, str) or not query.strip():
        raise ValueError(f"lookup needs a term of the book's index, e.g. 'dropout'; got {query!r}")
    term = _resolve(query)
    info, followed, todo = terms()[term], [], [term]
    while todo:  # the term and everything its "see" references lead to, each once
        t = todo.pop(0)
        if t not in followed:
            followed.append(t)
            todo += [_resolve(s) for s in terms()[t]["see"]]
    places: list[Place] = []
    cells: list[Place] = []
    for nb in _notebooks():
        for cell in nb["cells"]:
            if set(cell.get("terms", [])) & set(followed):
                place = _section_place(nb, cell["section"])
                if place not in places:
                    places.append(place)
                if cell["type"] == "code":
                    cells.append(Place(nb["file"], cell["section"], cell["id"], cell.get("lines", 0)))
    demo = min(cells, key=lambda p: p.lines) if cells else None
    return Found(term, info["pages"], followed[1:], places, demo)


# The bibliography -------------------------------------------------------------------------------

def works() -> dict[str, dict[str, Any]]:
    """Every work the book cites, by key."""
    return {e["key"]: e for e in book.load("bibliography")["entries"]}


def work(key: str) -> dict[str, Any]:
    """One work of the bibliography; a clear error with the closest keys otherwise."""
    if key not in works():
        raise _closest(str(key), list(works()), "a key of the book's bibliography")
    return works()[key]


def cited(key: str) -> list[Place]:
    """The code cells that implement or check the work ``key`` (tagged ``cite:KEY``)."""
    work(key)
    return [Place(nb["file"], c["section"], c["id"], c.get("lines", 0)) for nb in _notebooks()
            for c in nb["cells"] if f"cite:{key}" in c["tags"]]


def coverage() -> tuple[list[str], list[str]]:
    """(keys tied to at least one code cell, keys tied to none)."""
    tied = {t[5:] for nb in _notebooks() for c in nb["cells"] if c["type"] == "code"
            for t in c["tags"] if t.startswith("cite:")}
    return [k for k in works() if k in tied], [k for k in works() if k not in tied]


def find_works(text: str) -> list[str]:
    """Keys of the works whose key, authors, title or year contain every word of ``text`` (any case)."""
    words = text.casefold().split()
    def haystack(e: dict[str, Any]) -> str:
        return " ".join(str(e.get(f) or "") for f in ("key", "authors", "title", "year", "venue")).casefold()
    return [k for k, e in works().items() if words and all(w in haystack(e) for w in words)]


def arxiv_url(key: str) -> str | None:
    """The work's arXiv page, if it has one."""
    number = work(key).get("arxiv")
    return f"https://arxiv.org/abs/{number}" if number else None


def describe(key: str) -> str:
    """One work as Markdown: the reference, where the book cites it, and the cells that run it."""
    e, places, link = work(key), cited(key), arxiv_url(key)
    venue = ", ".join(x for x in (e.get("venue"), e.get("details")) if x)
    lines = [f"**{key}** · {e['authors']} ({e['year']}). *{e['title']}*. {venue}"
             + (f" [arXiv:{e['arxiv']}]({link})" if link else ""),
             "", f"Cited on book page(s) {', '.join(map(str, e['cited_on_pages']))}; run in:", ""]
    lines += [f"- cell `{p.cell}` in {p.markdown()}" for p in places] or ["- no cell runs it (see the list of why)"]
    return "\n".join(lines)
