"""Marking functions as graded exercises.

``@exercise(difficulty=2, importance=5, minutes=15, hints=(...))`` records the card
shown in the docs: difficulty and importance from 1 to 5, a time estimate, and one or
two hints that the page shows folded. The function itself is returned unchanged. The
same decorator sits on the reference in ``solutions/`` and on the stub in
``exercises/``, which is why it lives in the core package that both import.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import TypeVar

F = TypeVar("F", bound=Callable)


@dataclass(frozen=True)
class ExerciseInfo:
    difficulty: int  # 1–5
    importance: int  # 1–5
    minutes: int  # a time estimate
    hints: tuple[str, ...] = ()  # shown folded on the card, one click each

    @property
    def points(self) -> int:
        """Points are set by difficulty."""
        return self.difficulty


def exercise(
    difficulty: int, importance: int, minutes: int, hints: tuple[str, ...] = ()
) -> Callable[[F], F]:
    for name, value in (("difficulty", difficulty), ("importance", importance)):
        if not 1 <= value <= 5:
            raise ValueError(f"{name} must be between 1 and 5, got {value}")

    def mark(fn: F) -> F:
        fn.__exercise__ = ExerciseInfo(difficulty, importance, minutes, tuple(hints))
        return fn

    return mark


def exercises_in(module: ModuleType) -> dict[str, Callable]:
    """The module's exercises by name, in the order they are defined."""
    found = [
        (fn.__code__.co_firstlineno, name, fn)
        for name, fn in vars(module).items()
        if callable(fn) and hasattr(fn, "__exercise__") and getattr(fn, "__module__", None) == module.__name__
    ]
    return {name: fn for _, name, fn in sorted(found, key=lambda t: t[0])}
