"""make hub-check: a class's JupyterHub for real, two students running a chapter that needs the zoo.

    python scripts/hub_check.py [--chapter 05_architectures.ipynb]

Starts JupyterHub on this machine with docs/hub/jupyterhub_config.py (the set-up docs/teaching.md
describes: the dummy authenticator, one local process per student, configurable-http-proxy from npm),
pre-trains the chapter's zoo models at ci into a shared folder (``make zoo``) and makes it read-only,
logs two students in, copies the chapter's student edition into each home, and runs it in each
student's kernel through the hub's REST and websocket API, both at once, at ci. Passes when every cell
of both runs succeeds, both loaded each model from the shared zoo (none trained), and the shared
folder is byte for byte and time for time as it was.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import shutil
import stat
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import nbtools as notebooks

ROOT = Path(__file__).resolve().parent.parent
STATE = ROOT / "build" / "hub"
STUDENTS = ("student1", "student2")
PORT = 8765


def proxy() -> Path:
    """configurable-http-proxy, installed from npm once (build/hub-npm)."""
    prefix = ROOT / "build" / "hub-npm"
    binary = prefix / "node_modules" / ".bin" / "configurable-http-proxy"
    if not binary.exists():
        subprocess.run(["npm", "install", "--silent", "--prefix", str(prefix), "configurable-http-proxy@4"],
                       check=True)
    return binary


def api(method: str, path: str, token: str, body: dict | None = None) -> dict:
    """One call to the hub's REST API."""
    request = urllib.request.Request(f"http://127.0.0.1:{PORT}/hub/api{path}", method=method,
                                     data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(request, timeout=30) as reply:
        text = reply.read()
    return json.loads(text) if text else {}


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file of ``folder`` with its size and modification time."""
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.rglob("*")}


async def run_notebook(student: str, path: Path, token: str) -> tuple[bool, str]:
    """Run every code cell of ``path`` in a new kernel of ``student``'s server; (all succeeded, what it printed)."""
    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    base = f"127.0.0.1:{PORT}/user/{student}/api"
    request = urllib.request.Request(f"http://{base}/kernels", method="POST", data=b"{}",
                                     headers={"Authorization": f"token {token}"})
    kernel = json.loads(urllib.request.urlopen(request, timeout=60).read())["id"]
    ws = await websocket_connect(HTTPRequest(f"ws://{base}/kernels/{kernel}/channels",
                                             headers={"Authorization": f"token {token}"}))
    session, printed = uuid.uuid4().hex, []
    first = "import os\nos.environ['LBDL_SCALE'] = 'ci'\nos.environ['LBDL_HEADLESS'] = '1'"
    cells = [first] + [notebooks.source(c) for c in notebooks.read(path)["cells"] if c["cell_type"] == "code"]
    for code in cells:
        msg_id = uuid.uuid4().hex
        await ws.write_message(json.dumps({
            "header": {"msg_id": msg_id, "username": student, "session": session, "msg_type": "execute_request",
                       "version": "5.3"}, "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
            "content": {"code": code, "silent": False, "store_history": True, "user_expressions": {},
                        "allow_stdin": False, "stop_on_error": True}}))
        while True:
            message = json.loads(await ws.read_message())
            if message.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind, content = message["msg_type"], message["content"]
            if kind == "stream":
                printed.append(content["text"])
            elif kind == "error":
                printed.append(f"ERROR {content['ename']}: {content['evalue']}")
                ws.close()
                return False, "".join(printed)
            elif kind == "status" and content["execution_state"] == "idle":
                break
    ws.close()
    return True, "".join(printed)


def main() -> int:
    global PORT
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--chapter", default="05_architectures.ipynb")
    p.add_argument("--port", type=int, default=PORT)
    args = p.parse_args()
    PORT = args.port
    from lbdlutils.classroom import student

    shutil.rmtree(STATE, ignore_errors=True)
    (STATE / "home").mkdir(parents=True)
    chapter = ROOT / "notebooks" / args.chapter
    names = sorted(set(__import__("re").findall(r'zoo\.load\(\\?"([\w-]+)', chapter.read_text())))
    zoo = STATE / "zoo"
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "lbdlutils.zoo", "--scale", "ci", "--out", str(zoo), *names], check=True)
    print(f"shared zoo: {names} at ci in {time.perf_counter() - start:.0f} s, made read-only")
    for path in [zoo, *zoo.rglob("*")]:
        path.chmod(path.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    before, token = snapshot(zoo), secrets.token_hex(24)
    env = {**os.environ, "LBDL_HUB_STATE": str(STATE), "LBDL_HUB_ZOO": str(zoo), "LBDL_HUB_PYTHON": sys.executable,
           "LBDL_HUB_PROXY": str(proxy()), "LBDL_HUB_TOKEN": token, "LBDL_HUB_PORT": str(PORT)}
    for var in ("LBDL_CACHE", "LBDL_ZOO_SHARED", "LBDL_SCALE", "LBDL_METRICS"):
        env.pop(var, None)
    log = open(STATE / "hub.log", "w")
    hub = subprocess.Popen([str(Path(sys.executable).parent / "jupyterhub"), "-f",
                            str(ROOT / "docs" / "hub" / "jupyterhub_config.py")], cwd=STATE, env=env,
                           stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        return check(hub, token, chapter, names, zoo, before, student)
    finally:
        for name in STUDENTS:
            try:
                api("DELETE", f"/users/{name}/server", token)
            except Exception:  # noqa: BLE001 - the hub may be gone already
                pass
        os.killpg(hub.pid, 15)
        hub.wait(timeout=30)
        for path in [zoo, *zoo.rglob("*")]:
            path.chmod(path.stat().st_mode | stat.S_IWUSR)


def check(hub: subprocess.Popen, token: str, chapter: Path, names: list[str], zoo: Path, before: dict,
          student) -> int:
    deadline = time.monotonic() + 120
    while True:
        try:
            api("GET", "/", token)
            break
        except Exception:  # noqa: BLE001 - not up yet
            if hub.poll() is not None or time.monotonic() > deadline:
                print(f"✗ the hub did not start: see {STATE / 'hub.log'}")
                return 1
            time.sleep(0.5)
    for name in STUDENTS:
        api("POST", f"/users/{name}", token)
        edition = student.edition(notebooks.read(chapter), source=chapter.name)
        home = STATE / "home" / name
        home.mkdir(parents=True, exist_ok=True)
        (home / chapter.name).write_text(json.dumps(edition), encoding="utf-8")
        api("POST", f"/users/{name}/server", token)
    deadline = time.monotonic() + 120
    while not all(api("GET", f"/users/{n}", token).get("servers", {}).get("", {}).get("ready") for n in STUDENTS):
        if time.monotonic() > deadline:
            print(f"✗ the students' servers did not start: see {STATE / 'hub.log'}")
            return 1
        time.sleep(1)
    start = time.perf_counter()

    async def both():
        return await asyncio.gather(*(run_notebook(n, STATE / "home" / n / chapter.name, token) for n in STUDENTS))

    results = asyncio.run(both())
    seconds, problems = time.perf_counter() - start, []
    for name, (ok, printed) in zip(STUDENTS, results):
        shared = printed.count("loaded from the shared zoo")
        print(f"{name}: {chapter.name} at ci {'ran' if ok else 'FAILED'}; {shared} of {len(names)} models from the "
              f"shared zoo; {printed.count('zoo: training')} trained")
        if not ok:
            problems.append(f"{name}'s run failed: {printed[-800:]}")
        if shared != len(names) or "zoo: training" in printed:
            problems.append(f"{name} did not load every model from the shared zoo")
    if snapshot(zoo) != before:
        problems.append("the shared zoo changed")
    print("\n".join(f"✗ {p}" for p in problems) or f"✓ two students on one JupyterHub ran {chapter.name} at ci side "
          f"by side in {seconds:.0f} s, from the shared zoo, which no one wrote to")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
