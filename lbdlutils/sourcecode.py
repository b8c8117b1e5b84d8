"""Show the code of shared models where a chapter introduces them, highlighted in every client; and
``add_to_class``, which lets a notebook define a class over several short cells."""

from __future__ import annotations

import inspect
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .env import REPO_URL

PACKAGE_ROOT = Path(__file__).resolve().parent.parent


def source_of(obj: Any) -> tuple[str, str, int]:
    """(source, file path inside the repository, first line) of a class, function or method."""
    try:
        lines, first = inspect.getsourcelines(obj)
        path = Path(inspect.getsourcefile(obj) or "")
    except (TypeError, OSError):
        raise TypeError(f"no Python source for {obj!r}: show_source takes a class, function or method "
                        "written in Python (e.g. lbdl.models.GPT)") from None
    try:
        where = path.resolve().relative_to(PACKAGE_ROOT).as_posix()
    except ValueError:
        where = path.name
    return textwrap.dedent("".join(lines)).rstrip(), where, first


def show_source(obj: Any) -> None:
    """Display ``obj``'s source as a highlighted Python block, with a link to the file on GitHub.

    Markdown output, so JupyterLab, Colab and GitHub's notebook viewer all colour it; plain-text
    clients get the code itself.
    """
    src, where, first = source_of(obj)
    name = f"{getattr(obj, '__module__', '')}.{getattr(obj, '__qualname__', getattr(obj, '__name__', ''))}"
    last = first + src.count("\n")
    link = f"{REPO_URL}/blob/main/{where}#L{first}-L{last}" if where.startswith("lbdlutils/") else None
    title = f"`{name}`" + (f" ([{where}, lines {first}–{last}]({link}))" if link else "")
    from IPython.display import display

    display({"text/markdown": f"{title}\n\n```python\n{src}\n```", "text/plain": src}, raw=True)


def add_to_class(cls: type, name: str | None = None) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator: attach the function below to ``cls`` as method ``name`` (default: its own), over several cells."""
    def attach(method: Callable[..., Any]) -> Callable[..., Any]:
        setattr(cls, name or method.__name__, method)
        return method
    return attach
