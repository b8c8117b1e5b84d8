"""Figures: one plotting style, the plots several chapters draw, and architecture diagrams.

* :mod:`.figures`: ``use_style``, ``show``, ``curves``, ``image_grid``, ``decision_regions``, ``LiveCurve``;
* :mod:`.diagrams`: ``architecture``, a model drawn as the book draws them, from its shape trace.
"""

from .diagrams import architecture
from .figures import STYLE, LiveCurve, curves, decision_regions, image_grid, show, use_style

__all__ = [
    "LiveCurve", "STYLE", "architecture", "curves", "decision_regions", "image_grid", "show", "use_style",
]
