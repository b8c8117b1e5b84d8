"""The book's bibliography and index, tied to the companion's notebooks (chapters 10 and 11).

``lookup("dropout")`` resolves an index term (following its "see" references) to the notebook sections
that treat it, with links for GitHub and JupyterLab, and a code cell that shows it (the first the reviewers tied);
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
    """What ``lookup`` returns: the term, its pages, the sections that treat it and a demo cell."""

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
            lines.append(f"\nDemo: cell `{demo.cell}` ({demo.lines} lines) in {demo.markdown()}")
        return "\n".join(lines)


@cache
def _spellings() -> dict[str, str]:
    """Every way a term may be asked (case folded) -> the term: "attention layer" or "layer, attention"."""
    tied = set(book.load("ties")["ties"])
    by_fold: dict[str, str] = {}
    for t in terms():  # "Transformer" and "transformer" fold alike: the one a cell treats answers
        if t.casefold() not in by_fold or (t in tied and by_fold[t.casefold()] not in tied):
            by_fold[t.casefold()] = t
    for entry in book.load("index")["entries"]:
        for sub in entry["subentries"]:
            name = f"{entry['term']} {sub['term']}"
            for form in (f"{sub['term']} {entry['term']}", f"{entry['term']}, {sub['term']}"):
                by_fold.setdefault(form.casefold(), name)
    return by_fold


def _compact(text: str) -> str:
    return re.sub(r"[\s,-]", "", text)


def _resolve(query: str) -> str:
    if query.strip() in terms():  # exact first: the index has both "Transformer" and "transformer"
        return query.strip()
    key, by_fold = query.strip().casefold(), _spellings()
    american = re.sub(r"is(ation|ing|e|ed|er|ers)\b", r"iz\1", key).replace("modelling", "modeling")  # optimiser
    # "see" references write "Markovian, Decision Process" and "parallelism, pipeline" too
    forms = [key, key.replace(",", ""), " ".join(reversed(key.split(", ", 1))), american]
    forms += [f[:-1] for f in forms if f.endswith("s")]  # "GPUs", "Transformers"
    compact = {_compact(k): v for k, v in by_fold.items()}  # "hyperparameter", "cross entropy", "fine tuning"
    for form in forms:
        if form in by_fold or _compact(form) in compact:
            return by_fold.get(form) or compact[_compact(form)]
    raise _closest(query, list(terms()), "a term of the book's index")


def _demo(followed: list[str], rows: dict[tuple[str, str], tuple[str, dict[str, Any]]]) -> Place | None:
    """The first code cell the ties name for these terms, chapter by chapter, in the reviewers' order, passing
    over exercises (a stub until solved) and cells that only show a helper's source; else the smallest."""
    ties, found = book.load("ties")["ties"], []
    for t in followed:
        for file in sorted(ties.get(t, {})):
            for cid in ties[t][file]:
                if (file, cid) in rows and rows[file, cid][1]["type"] == "code":
                    section, cell = rows[file, cid]
                    found.append((Place(file, section, cid, cell.get("lines", 0)), cell))
    good = [p for p, c in found if "exercise" not in c["tags"]
            and not ("show_source" in c.get("uses", []) and c.get("lines", 0) <= 4)]
    return good[0] if good else min((p for p, _ in found), key=lambda p: p.lines, default=None)


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
    if not info["pages"] and not info["see"]:  # a heading only ("residual"): its subentries answer
        followed += [t for t in terms() if t.startswith(term + " ")]
    places: list[Place] = []
    rows: dict[tuple[str, str], tuple[str, dict[str, Any]]] = {}
    for nb in _notebooks():
        for cell in nb["cells"]:
            rows[nb["file"], cell["id"]] = (cell["section"], cell)
            if set(cell.get("terms", [])) & set(followed):
                place = _section_place(nb, cell["section"])
                if place not in places:
                    places.append(place)
    pages = info["pages"] or sorted({p for t in followed for p in terms()[t]["pages"]})
    return Found(term, pages, followed[1:], places, _demo(followed, rows))


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
