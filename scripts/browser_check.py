"""Smoke test of `make lab` as a reader sees it: JupyterLab in headless Chromium runs a notebook.

    python scripts/browser_check.py [notebooks/01_machine_learning.ipynb] [--screenshots DIR]

Needs `pip install playwright` and a Chromium (Debian: apt-get install chromium; never
`playwright install`, it downloads a browser). Starts `make lab` on a free port, fetches the
notebook over HTTP, opens it, runs all cells, then checks: every code cell executed, no error
output, figures shown, sliders present, and moving a slider redraws its figure.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def wait_http(url: str, seconds: float) -> bytes:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                return r.read()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(1)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("notebook", nargs="?", default="notebooks/01_machine_learning.ipynb", type=Path)
    ap.add_argument("--screenshots", type=Path, default=Path("browser-check"))
    ap.add_argument("--chromium", default="/usr/bin/chromium")
    ap.add_argument("--timeout", type=float, default=600, help="seconds allowed for Run All")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    from lbdlutils.distributed import free_port

    port, token = free_port(), secrets.token_hex(16)
    env = {k: v for k, v in os.environ.items() if k not in ("LBDL_HEADLESS", "LBDL_SCALE", "MPLBACKEND")}
    lab = subprocess.Popen(["make", "lab", f"LAB_ARGS=--no-browser --port={port} --ServerApp.token={token} "
                            "--ServerApp.ip=127.0.0.1"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, start_new_session=True)
    base, name = f"http://127.0.0.1:{port}", args.notebook.name
    args.screenshots.mkdir(parents=True, exist_ok=True)
    try:
        wait_http(f"{base}/api/status?token={token}", 600)  # the first `make lab` also installs
        model = json.loads(wait_http(f"{base}/api/contents/{name}?token={token}", 30))
        print(f"served over HTTP: {name}, {len(model['content']['cells'])} cells")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=args.chromium, args=[
                "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run"])
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"{base}/lab/tree/{name}?reset&token={token}")  # reset: no workspace from a past run
            page.wait_for_selector(".jp-Notebook .jp-Cell", state="attached", timeout=120_000)
            page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=120_000)
            def menu(top: str, item: str) -> None:
                page.get_by_role("menubar").get_by_role("menuitem", name=top, exact=True).click()
                page.get_by_role("menuitem", name=item).first.click()

            menu("Edit", "Clear Outputs of All Cells")  # so that saved outputs cannot pass for new ones
            page.wait_for_function("document.querySelectorAll('.jp-OutputArea-output').length === 0",
                                   timeout=30_000)
            menu("Run", "Run All Cells")
            start = time.monotonic()
            n_code = sum(c["cell_type"] == "code" for c in model["content"]["cells"])
            while True:
                prompts = page.eval_on_selector_all(".jp-CodeCell .jp-InputPrompt",
                                                    "els => els.map(e => e.textContent.trim())")
                done = sum(p not in ("[ ]:", "[*]:", "") for p in prompts)
                if time.monotonic() - start < 3:  # give the queued cells time to show [*]
                    done = 0
                if done == n_code and "[*]:" not in prompts:
                    break
                if time.monotonic() - start > args.timeout:
                    raise TimeoutError(f"only {done}/{n_code} cells ran in {args.timeout} s")
                time.sleep(2)
            print(f"ran all {n_code} code cells in {time.monotonic() - start:.0f} s")
            errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']"
                                  ":has-text('Traceback')").count()
            images = page.locator(".jp-OutputArea-output img").count()
            sliders = page.locator(".widget-slider, .jupyter-widgets.widget-hslider").count()
            print(f"error outputs: {errors}, images: {images}, sliders: {sliders}")
            page.screenshot(path=str(args.screenshots / "after-run-all.png"))
            if errors or not images or not sliders:
                return 1
            slider = page.locator(".widget-hslider").first
            slider.scroll_into_view_if_needed()
            area = slider.locator("xpath=ancestor::div[contains(@class,'jp-OutputArea')]").first
            before = area.locator("img").first.get_attribute("src")
            slider.locator(".ui-slider-handle, .noUi-handle").first.focus()
            page.keyboard.press("ArrowRight")
            page.wait_for_timeout(4000)
            after = area.locator("img").first.get_attribute("src")
            page.screenshot(path=str(args.screenshots / "after-slider.png"))
            print("slider redraws the figure:", before != after)
            browser.close()
            return 0 if before != after else 1
    finally:
        os.killpg(lab.pid, 15)
        lab.wait(timeout=30)


if __name__ == "__main__":
    sys.exit(main())
