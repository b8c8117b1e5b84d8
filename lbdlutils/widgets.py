"""Knobs: sliders and dropdowns that redraw a figure live, and run once with defaults when headless.

Only widgets common to ipywidgets 7.7 (Colab) and 8 are used. The figure is an ordinary display
output updated in place, so a headless run (papermill, nbval) still saves it in the notebook.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .env import is_headless
from .plot import show

Spec = Any  # (default, lo, hi[, step]) | [options] | bool | an ipywidgets widget


def _default(name: str, spec: Spec) -> Any:
    if isinstance(spec, bool):
        return spec
    if isinstance(spec, tuple):
        if len(spec) not in (3, 4) or not all(isinstance(v, int | float) for v in spec):
            raise ValueError(f"knob {name!r}: a slider is (default, lo, hi) or (default, lo, hi, step) "
                             f"of numbers, got {spec!r}")
        default, lo, hi = spec[:3]
        if not lo <= default <= hi:
            raise ValueError(f"knob {name!r}: default {default} is outside [{lo}, {hi}]")
        return default
    if isinstance(spec, list):
        if not spec:
            raise ValueError(f"knob {name!r}: a dropdown needs at least one option")
        return spec[0]
    if hasattr(spec, "value") and hasattr(spec, "observe"):
        return spec.value
    raise TypeError(f"knob {name!r}: expected (default, lo, hi[, step]), a list of options, a bool "
                    f"or an ipywidgets widget, got {type(spec).__name__}")


def _widget(name: str, spec: Spec) -> Any:
    import ipywidgets as w

    style = {"description_width": "initial"}
    if isinstance(spec, bool):
        return w.Checkbox(value=spec, description=name)
    if isinstance(spec, list):
        return w.Dropdown(options=spec, value=spec[0], description=name, style=style)
    if isinstance(spec, tuple):
        default, lo, hi = spec[:3]
        if all(isinstance(v, int) for v in spec):
            return w.IntSlider(value=default, min=lo, max=hi, step=spec[3] if len(spec) == 4 else 1,
                               description=name, continuous_update=False, style=style)
        step = spec[3] if len(spec) == 4 else (hi - lo) / 100
        return w.FloatSlider(value=default, min=lo, max=hi, step=step, description=name,
                             continuous_update=False, style=style)
    return spec


def knobs(draw: Callable[..., Any], **controls: Spec) -> None:
    """Show ``draw(**values)`` (it returns a matplotlib Figure) with one control per keyword.

    Live, each change redraws the figure in place; headless, it is drawn once with the defaults.
    """
    if not callable(draw):
        raise TypeError(f"knobs needs a function that returns a figure, got {type(draw).__name__}")
    if not controls:
        raise ValueError("knobs needs at least one control, e.g. knobs(draw, n=(10, 1, 100))")
    defaults = {name: _default(name, spec) for name, spec in controls.items()}

    def render(values: dict[str, Any]) -> Any:
        fig = draw(**values)
        if not hasattr(fig, "savefig"):
            raise TypeError(f"the draw function must return a matplotlib Figure, got {type(fig).__name__}")
        return fig

    if is_headless():
        show(render(defaults))
        return

    import ipywidgets as w
    from IPython.display import display

    boxes = {name: _widget(name, spec) for name, spec in controls.items()}
    errors = w.Output()
    display(w.VBox([w.HBox(list(boxes.values())[i:i + 3]) for i in range(0, len(boxes), 3)] + [errors]))
    handle = show(render(defaults))

    def redraw(_change: object = None) -> None:
        errors.clear_output()
        try:
            show(render({name: box.value for name, box in boxes.items()}), handle)
        except Exception as err:  # a callback's exception would otherwise vanish into the log
            with errors:
                print(f"{type(err).__name__}: {err}")

    for box in boxes.values():
        box.observe(redraw, names="value")


def search_box(answer: Callable[[str], str], default: str, description: str = "search") -> None:
    """A text box whose Markdown answer (``answer(text)``) is shown below it; headless, the default's answer."""
    from IPython.display import Markdown, display

    if not callable(answer):
        raise TypeError(f"search_box needs a function text -> Markdown, got {type(answer).__name__}")
    if is_headless():
        display(Markdown(answer(default)))
        return

    import ipywidgets as w

    box, out = w.Text(value=default, description=description, continuous_update=False), w.Output()

    def update(_change: object = None) -> None:
        out.clear_output()
        with out:
            try:
                display(Markdown(answer(box.value)))
            except ValueError as err:  # an unknown term: its message names the closest ones
                print(err)

    box.observe(update, names="value")
    display(w.VBox([box, out]))
    update()
