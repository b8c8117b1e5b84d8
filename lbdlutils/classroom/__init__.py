"""The classroom: student editions without solutions, and a grader that a student's code cannot fool.

* ``student``: :func:`student.edition` of a notebook, :func:`student.write` of every chapter
  (``make student``, or ``python -m lbdlutils.classroom student``);
* ``grader``: ``lbdl-grade FILE... --out DIR`` (or ``python -m lbdlutils.classroom grade``);
* how it holds: ``notebooks`` (the teacher's notebooks read as data, the slice that rebuilds their
  checkers), ``chapter`` and ``reference`` (the grader's process: checkers run there, never a
  student's code), ``runner`` (the student's process, forked per submission), ``sandbox`` (its
  walls: Landlock, no network, limits), ``wire`` (only plain data crosses).
"""

from . import chapter, grader, notebooks, reference, runner, sandbox, student, wire

__all__ = ["chapter", "grader", "notebooks", "reference", "runner", "sandbox", "student", "wire"]
