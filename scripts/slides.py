"""Lecture slides from the notebooks: slide metadata in each notebook, and one offline reveal.js deck per chapter.

    python scripts/slides.py tag [NOTEBOOK ...]     write each cell's slide type into the notebooks
    python scripts/slides.py build OUT [NOTEBOOK ...]  one deck per chapter, from the committed outputs
    python scripts/slides.py check CHROMIUM OUT [NOTEBOOK ...]  each deck in Chromium, the network cut

The rule (:func:`slide_type`): the title and each book section (``##``) open a slide; every other
markdown cell (an idea: a ``###`` heading, an explanation, an exercise) opens a sub-slide below it;
code and its outputs follow on the same one; the set-up cells before the first section, and the
solutions, are skipped. JupyterLab's RISE (``jupyterlab-rise``, in the ``lab`` extra) presents the
same metadata live. A deck loads nothing from the network: reveal.js, MathJax 2, require.js and
jQuery come from npm at build time (cached under ``build/slides-npm``) and sit beside the decks.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any

import nbtools as notebooks

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = Path(__file__).resolve().parent / "slides_template"
NPM = {"reveal.js": "reveal.js@4.6.1", "mathjax": "mathjax@2.7.9", "requirejs": "requirejs@2.3.7",
       "jquery": "jquery@2.2.4"}
# what each package needs beside the decks, relative to its folder
KEEP = {"reveal.js": ["dist", "plugin/notes"], "requirejs": ["require.js"], "jquery": ["dist/jquery.min.js"],
        "mathjax": ["MathJax.js", "config", "extensions", "jax/input/TeX", "jax/output/CommonHTML", "jax/element",
                    "fonts/HTML-CSS/TeX/woff", "localization/en"]}


def slide_type(nb: dict[str, Any], index: int) -> str:
    """The slide type of cell ``index``: slide, subslide, ``-`` (same slide) or skip."""
    cells = nb["cells"]
    cell = cells[index]
    text = notebooks.source(cell).lstrip()
    first_section = next((i for i, c in enumerate(cells) if c["cell_type"] == "markdown"
                          and notebooks.source(c).lstrip().startswith("## ")), len(cells))
    if "solution" in cell.get("metadata", {}).get("tags", []):
        return "skip"
    if cell["cell_type"] == "markdown":
        return "slide" if index == 0 or text.startswith("## ") else "subslide"
    return "skip" if index < first_section else "-"


def tag(path: Path) -> bool:
    """Write the slide types into the notebook at ``path``; whether anything changed."""
    nb = notebooks.read(path)
    changed = False
    for index, cell in enumerate(nb["cells"]):
        want = {"slide_type": slide_type(nb, index)}
        if cell.setdefault("metadata", {}).get("slideshow") != want:
            cell["metadata"]["slideshow"] = want
            changed = True
    if changed:
        path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return changed


def vendor(out: Path) -> Path:
    """The scripts a deck needs, from npm (cached under build/), copied into ``out/vendor``."""
    cache = ROOT / "build" / "slides-npm"
    cache.mkdir(parents=True, exist_ok=True)
    target = out / "vendor"
    for name, spec in NPM.items():
        tarballs = sorted(cache.glob(f"{name.replace('.', '.')}-*.tgz"))
        if not tarballs:
            subprocess.run(["npm", "pack", "--silent", spec], cwd=cache, check=True, capture_output=True)
            tarballs = sorted(cache.glob(f"{name}-*.tgz"))
        unpacked = cache / name
        if not unpacked.exists():
            with tarfile.open(tarballs[-1]) as tar:
                tar.extractall(cache / f"{name}.tmp", filter="data")
            (cache / f"{name}.tmp" / "package").rename(unpacked)
            shutil.rmtree(cache / f"{name}.tmp")
        for part in KEEP[name]:
            source, dest = unpacked / part, target / name / part
            dest.parent.mkdir(parents=True, exist_ok=True)
            if source.is_dir():
                shutil.copytree(source, dest, dirs_exist_ok=True)
            else:
                shutil.copy2(source, dest)
    return target


def build(out: Path, paths: list[Path]) -> list[Path]:
    """One deck per notebook in ``out``, with every script it loads beside it."""
    import nbformat
    from nbconvert import SlidesExporter

    out.mkdir(parents=True, exist_ok=True)
    vendor(out)
    exporter = SlidesExporter(
        template_name="lbdl-reveal", extra_template_basedirs=[str(TEMPLATES)], reveal_url_prefix="vendor/reveal.js",
        reveal_scroll=True, reveal_theme="white", reveal_width="1500", reveal_height="950",
        reveal_number="c/t", mathjax_url="vendor/mathjax/MathJax.js?config=TeX-AMS_CHTML-full,Safe",
        require_js_url="vendor/requirejs/require.js", jquery_url="vendor/jquery/dist/jquery.min.js")
    written = []
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        title = nb.cells[0]
        title.source = "".join(ln for ln in title.source.splitlines(keepends=True)  # the badges load from the web
                               if "colab-badge" not in ln and "badge_logo" not in ln)
        body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": path.stem}})
        deck = out / f"{path.stem}.slides.html"
        deck.write_text(body, encoding="utf-8")
        written.append(deck)
    return written


CHECK_JS = """() => ({
  slides: Reveal.getTotalSlides(),
  images: Array.from(document.images).map(i => [i.complete && i.naturalWidth > 0, i.src.slice(0, 40)]),
  math: document.querySelectorAll('.MathJax_CHTML').length,
  mathErrors: document.querySelectorAll('.MathJax_Error, merror').length,
  texLeft: Array.from(document.querySelectorAll('.jp-MarkdownOutput, .text_cell_render'))
             .filter(e => /\\$[^$\\s][^$]*\\$/.test(e.innerText)).length,
})"""


def check(decks: list[Path], chromium: str) -> list[str]:
    """Open each deck in Chromium with the network cut; what is wrong (an empty list when nothing is)."""
    from playwright.sync_api import sync_playwright

    problems = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--allow-file-access-from-files"])
        for deck in decks:
            page, outside = browser.new_page(), []

            def cut(route, request, outside=outside):  # the network is cut: any request for it is noted, refused
                if request.url.startswith(("file:", "data:")):
                    return route.continue_()
                outside.append(request.url)
                return route.abort()

            page.route("**/*", cut)
            page.goto(deck.resolve().as_uri())
            page.wait_for_function("window.Reveal && Reveal.isReady()", timeout=60_000)
            page.wait_for_function("window.MathJax && MathJax.Hub && MathJax.Hub.queue.pending === 0 "
                                   "&& !MathJax.Hub.queue.running", timeout=60_000)
            seen = page.evaluate(CHECK_JS)
            source = ROOT / "notebooks" / deck.name.replace(".slides.html", ".ipynb")
            want, broken = expected_slides(source), [src for ok, src in seen["images"] if not ok]
            figures = expected_figures(source)
            print(f"{deck.name}: {seen['slides']} slides (metadata: {want}), {len(seen['images']) - len(broken)} of "
                  f"{figures} figures shown, {seen['math']} formulas rendered, {len(outside)} requests outside")
            if len(seen["images"]) != figures:
                problems.append(f"{deck.name}: {len(seen['images'])} images, the shown cells have {figures} figures")
            if seen["slides"] != want:
                problems.append(f"{deck.name}: {seen['slides']} slides, the metadata makes {want}")
            if broken:
                problems.append(f"{deck.name}: {len(broken)} figures not shown, e.g. {broken[0]}")
            if seen["mathErrors"] or seen["texLeft"] or (seen["math"] == 0 and "$" in source.read_text()):
                problems.append(f"{deck.name}: math not rendered ({seen['mathErrors']} errors, "
                                f"{seen['texLeft']} cells with raw TeX left)")
            if outside:
                problems.append(f"{deck.name}: asked the network for {outside[:3]}")
            page.close()
        browser.close()
    return problems


def expected_figures(path: Path) -> int:
    """How many figures the cells a deck shows carry (image outputs)."""
    nb = notebooks.read(path)
    return sum(any(k.startswith("image/") for k in o.get("data", {})) for i, c in enumerate(nb["cells"])
               if slide_type(nb, i) != "skip" for o in c.get("outputs", []))


def expected_slides(path: Path) -> int:
    """How many slides and sub-slides the deck of ``path`` has: what reveal.js must count."""
    nb = notebooks.read(path)
    return sum(slide_type(nb, i) in ("slide", "subslide") for i in range(len(nb["cells"])))


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("tag", "build", "check"):
        print(__doc__, file=sys.stderr)
        return 2
    if argv[0] == "tag":
        paths = [Path(p) for p in argv[1:]] or notebooks.paths()
        changed = [p.name for p in paths if tag(p)]
        print(f"slide metadata written in {len(changed)} notebook(s): {', '.join(changed) or 'none changed'}")
        return 0
    if argv[0] == "check":
        chromium, out, names = argv[1], Path(argv[2]), [Path(p) for p in argv[3:]] or notebooks.paths()
        problems = check([out / f"{p.stem}.slides.html" for p in names], chromium)
        print("\n".join(f"✗ {p}" for p in problems) or f"✓ {len(names)} decks: slide counts, figures, math, offline")
        return 1 if problems else 0
    out, paths = Path(argv[1]), [Path(p) for p in argv[2:]] or notebooks.paths()
    for deck in build(out, paths):
        print(f"{deck}: {expected_slides(ROOT / 'notebooks' / deck.name.replace('.slides.html', '.ipynb'))} slides")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
