"""`make browser`: every notebook run in JupyterLab in headless Chromium, as a reader runs it, at ci scale.

    python scripts/browser_check.py [NOTEBOOK ...] [--out browser-check] [--scale ci]

Needs `pip install playwright` and a Chromium (Debian: apt-get install chromium; never
`playwright install`, it downloads a browser). Starts one JupyterLab (`make lab`) on a free port and,
for each notebook: empties the model zoo (a first visit), opens it, clears the saved outputs, runs all
cells, and checks that every code cell ran with no error output and that each cell whose committed run
printed a progress summary shows a live progress bar; then moves every widget once (a slider one
step, a dropdown to its next option, a checkbox, a search box) and checks that its figure or answer
changed. One line per
notebook; screenshots under --out; exits non-zero if any notebook fails.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import nbtools  # noqa: E402  (scripts/ is on sys.path when the script runs)

ERROR_OUTPUT = ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']:has-text('Traceback'), " \
    ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.error']"
PROGRESS_BAR = ".widget-hprogress, .widget-progress, progress"  # tqdm.notebook's bar in ipywidgets 7 and 8
CONTROLS = ".widget-hslider, .widget-dropdown, .widget-checkbox, .widget-text"
# What a widget must change: the cell's figures, or the text of its Output widgets (not the slider's readout).
SNAPSHOT = """cell => [...cell.querySelectorAll('.jp-OutputArea-output img')].map(i => i.src).join('|') + '#' +
    [...cell.querySelectorAll('.widget-output')].map(o => o.innerText).join('|')"""


def http(url: str, seconds: float, method: str = "GET") -> bytes:
    """The body at ``url``, retried until it answers or ``seconds`` pass."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(urllib.request.Request(url, method=method), timeout=5) as r:
                return r.read()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(1)


def run_all(page, n_code: int, timeout: float) -> float:
    """Clear the saved outputs, Run All, and wait until every code cell shown has its execution count.

    ``n_code`` counts the code cells whose input is shown: a collapsed cell (a solution) has no prompt.
    """
    def menu(top: str, item: str) -> None:
        page.get_by_role("menubar").get_by_role("menuitem", name=top, exact=True).click()
        page.get_by_role("menuitem", name=item).first.click()

    menu("Edit", "Clear Outputs of All Cells")  # so that saved outputs cannot pass for new ones
    page.wait_for_function("document.querySelectorAll('.jp-OutputArea-output').length === 0", timeout=30_000)
    menu("Run", "Run All Cells")
    start, stopped = time.monotonic(), 0
    while True:
        time.sleep(2)
        prompts = page.eval_on_selector_all(".jp-CodeCell .jp-InputPrompt", "els => els.map(e => e.textContent.trim())")
        done = sum(p not in ("[ ]:", "[*]:", "") for p in prompts)
        if done == n_code and not {"[*]:", "[ ]:"} & set(prompts):
            return time.monotonic() - start
        if done and "[*]:" not in prompts and "[ ]:" in prompts:  # nothing queued any more: Run All stopped
            stopped += 1
            if stopped >= 3:
                error = page.locator(ERROR_OUTPUT).first
                why = error.inner_text().strip().splitlines()[-1] if error.count() else "no error shown"
                raise RuntimeError(f"Run All stopped after {done} of {n_code} code cells: {why}")
        if time.monotonic() - start > timeout:
            raise TimeoutError(f"only {done} of {n_code} code cells ran in {timeout:.0f} s: {prompts}")


def move(control) -> tuple[str, Callable[[], None]]:
    """Change one widget the way a reader would; (what was done, how to put it back)."""
    kind = control.get_attribute("class") or ""
    control.scroll_into_view_if_needed()
    if "widget-hslider" in kind:
        readout = control.locator(".widget-readout")
        before = readout.inner_text()
        handle = control.locator(".ui-slider-handle, .noUi-handle").first
        handle.focus()
        handle.press("ArrowRight")
        time.sleep(0.5)
        step, back = ("ArrowRight", "ArrowLeft") if readout.inner_text() != before else ("ArrowLeft", "ArrowRight")
        if step == "ArrowLeft":  # already at its maximum
            handle.press("ArrowLeft")
        return f"slider {before} -> {readout.inner_text()}", lambda: (handle.focus(), handle.press(back))
    if "widget-dropdown" in kind:
        select = control.locator("select")
        options = select.locator("option").all_inner_texts()
        current = select.evaluate("s => s.selectedIndex")
        select.select_option(index=(current + 1) % len(options))
        return f"dropdown -> {options[(current + 1) % len(options)]}", lambda: select.select_option(index=current)
    if "widget-checkbox" in kind:
        box = control.locator("input")
        box.click()
        return "checkbox toggled", box.click
    box = control.locator("input")
    before = box.input_value()
    box.fill("gradient")
    box.press("Enter")
    return "text -> 'gradient'", lambda: (box.fill(before), box.press("Enter"))


def check_widgets(page, shots: Path, stem: str, wait: float) -> tuple[int, list[str]]:
    """Move every widget once from the defaults, then put it back; (widgets moved, problems)."""
    problems, moved = [], 0
    cells = page.locator(".jp-CodeCell").filter(has=page.locator(CONTROLS))

    def redrawn(cell, before: str) -> bool:
        deadline = time.monotonic() + wait
        while cell.evaluate(SNAPSHOT) == before and time.monotonic() < deadline:
            time.sleep(0.5)
        page.wait_for_timeout(500)
        return cell.evaluate(SNAPSHOT) != before

    for i in range(cells.count()):
        cell = cells.nth(i)
        controls = cell.locator(CONTROLS)
        for j in range(controls.count()):
            before = cell.evaluate(SNAPSHOT)
            what, undo = move(controls.nth(j))
            changed = redrawn(cell, before)
            moved += 1
            errors = [t for t in cell.locator(".widget-output").all_inner_texts() if "Error:" in t]
            if not changed or errors:
                why = errors[0] if errors else f"nothing redrawn in {wait:.0f} s"
                problems.append(f"widget {moved} ({what}): {why}")
            if j == controls.count() - 1:
                cell.screenshot(path=str(shots / f"{stem}-widget{i + 1}.png"))
            moved_state = cell.evaluate(SNAPSHOT)
            undo()  # the next widget moves from the defaults, as a reader's first try would
            redrawn(cell, moved_state)
    return moved, problems


def check_notebook(page, base: str, token: str, name: str, shots: Path, timeout: float) -> tuple[bool, str]:
    """Run one notebook in the open JupyterLab; (passed, one line)."""
    model = json.loads(http(f"{base}/api/contents/{name}?token={token}", 30))
    code = [c for c in model["content"]["cells"] if c["cell_type"] == "code"]
    n_code = sum(not c["metadata"].get("jupyter", {}).get("source_hidden") for c in code)
    page.goto(f"{base}/lab/tree/{name}?reset&token={token}")  # reset: no workspace from a past run
    page.wait_for_selector(".jp-Notebook .jp-Cell", state="attached", timeout=120_000)
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=120_000)
    print(f"  {name}: opened, running {len(code)} code cells", flush=True)
    seconds = run_all(page, n_code, timeout)
    print(f"  {name}: ran in {seconds:.0f} s; moving widgets", flush=True)
    page.screenshot(path=str(shots / f"{Path(name).stem}.png"))
    errors = page.locator(ERROR_OUTPUT).count()
    images = page.locator(".jp-OutputArea-output img").count()
    # the cells whose committed (headless) run printed a progress summary must show a live bar here
    looped = nbtools.looping_code_cells(model["content"])
    shown = page.locator(".jp-CodeCell")
    no_bar = [k for k in looped if not shown.nth(k).locator(PROGRESS_BAR).count()]
    moved, problems = check_widgets(page, shots, Path(name).stem, wait=60)
    problems = ([f"{errors} error output(s)"] if errors else []) + problems
    problems += [f"no progress bar in code cell {k + 1}: {nbtools.source(code[k]).strip().splitlines()[0][:60]}"
                 for k in no_bar]
    line = (f"{name}: {len(code)} code cells ran in {seconds:.0f} s, {images} figures, "
            f"{len(looped) - len(no_bar)}/{len(looped)} progress bars, {moved} widgets moved"
            + (" and redrawn" if moved and not problems else ""))
    return not problems, line + "".join(f"\n    ✗ {p}" for p in problems)


README_SHOT = ("06_prediction.ipynb", "def draw_detections")  # the notebook, and text of the cell shown on top


def readme_shot(page, base: str, token: str, path: Path) -> None:
    """README's screenshot: a committed notebook as a reader first opens it (its rendered outputs)."""
    name, text = README_SHOT
    page.goto(f"{base}/lab/tree/{name}?reset&token={token}")
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=120_000)
    page.locator(".jp-SideBar.jp-mod-left .lm-TabBar-tab.lm-mod-current").click()  # fold the file browser
    page.locator(".jp-Cell", has_text=text).first.evaluate("c => c.scrollIntoView({block: 'start'})")
    page.wait_for_timeout(1500)  # images decoded, scrollbars settled
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("notebooks", nargs="*", type=Path, help="default: every notebook")
    ap.add_argument("--out", type=Path, default=ROOT / "browser-check", help="screenshots go here")
    ap.add_argument("--scale", default="ci", choices=["ci", "small", "full"])
    ap.add_argument("--chromium", default="/usr/bin/chromium")
    ap.add_argument("--timeout", type=float, default=900, help="seconds allowed for Run All, per notebook")
    ap.add_argument("--readme-shot", type=Path, help="only save README's screenshot here (docs/jupyterlab.png)")
    args = ap.parse_args()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("make browser needs the playwright package: pip install playwright (and apt-get install chromium)")
        return 2
    if not Path(args.chromium).exists():
        print(f"no Chromium at {args.chromium}: apt-get install chromium (never `playwright install`)")
        return 2
    from lbdlutils.distributed import free_port

    known = sorted(p.name for p in (ROOT / "notebooks").glob("[0-9]*.ipynb"))
    names = [p.name for p in args.notebooks] or known
    if unknown := [n for n in names if n not in known]:
        print(f"not notebooks of notebooks/: {', '.join(unknown)} (valid: {', '.join(known)})")
        return 2
    port, token, tmp = free_port(), secrets.token_hex(16), Path(tempfile.mkdtemp(prefix="lbdl-browser-"))
    zoo = tmp / "zoo"  # emptied before each notebook: a first visit trains, with its progress bars
    env = {k: v for k, v in os.environ.items() if k not in ("LBDL_HEADLESS", "MPLBACKEND")}
    env |= {"LBDL_SCALE": args.scale, "LBDL_CACHE": str(zoo)}
    # Chromium and the server share the cores with the kernel: a two-thread OpenMP kernel then stalls
    # (measured 50x slower matmuls on 2 cores), so the kernel keeps one core free for them.
    env.setdefault("LBDL_THREADS", str(max(1, (os.cpu_count() or 2) - 1)))
    # JupyterLab renders only the cells near the viewport by default; every cell must be in the page here
    settings = tmp / "lab-settings" / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True)
    (settings / "tracker.jupyterlab-settings").write_text('{"windowingMode": "none"}')
    docmanager = tmp / "lab-settings" / "@jupyterlab" / "docmanager-extension"
    docmanager.mkdir(parents=True)  # never save: the committed notebooks keep their small-scale outputs
    (docmanager / "plugin.jupyterlab-settings").write_text('{"autosave": false}')
    env["JUPYTERLAB_SETTINGS_DIR"] = str(tmp / "lab-settings")
    lab = subprocess.Popen(["make", "lab", f"LAB_ARGS=--no-browser --port={port} --ServerApp.token={token} "
                            "--ServerApp.ip=127.0.0.1"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, start_new_session=True)
    base, failed = f"http://127.0.0.1:{port}", []
    args.out.mkdir(parents=True, exist_ok=True)
    try:
        http(f"{base}/api/status?token={token}", 600)  # the first `make lab` also installs
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=args.chromium, args=[
                "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run"])
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            if args.readme_shot:
                readme_shot(page, base, token, args.readme_shot)
                names = []
            for name in names:
                shutil.rmtree(zoo, ignore_errors=True)
                try:
                    ok, line = check_notebook(page, base, token, name, args.out, args.timeout)
                except Exception as err:  # one notebook's failure must not hide the others' results
                    ok, line = False, f"{name}: {type(err).__name__}: {str(err).splitlines()[0]}"
                    page.screenshot(path=str(args.out / f"{Path(name).stem}-failed.png"))
                print(("PASS " if ok else "FAIL ") + line, flush=True)
                if not ok:
                    failed.append(name)
                for session in json.loads(http(f"{base}/api/sessions?token={token}", 30)):  # free the kernel
                    http(f"{base}/api/sessions/{session['id']}?token={token}", 30, method="DELETE")
            browser.close()
    finally:
        os.killpg(lab.pid, 15)
        lab.wait(timeout=30)
    if args.readme_shot:
        print(f"saved {args.readme_shot}")
        return 0
    print(f"{len(names) - len(failed)} of {len(names)} notebooks passed in JupyterLab (Chromium, scale {args.scale});"
          f" screenshots in {args.out}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
