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


def exercise(difficulty: int, importance: int, minutes: int, hints: tuple[str, ...] = ()) -> Callable[[F], F]:
    for name, value in (("difficulty", difficulty), ("importance", importance)):
        if not 1 <= value <= 5:
            raise ValueError(f"{name} must be between 1 and 5, got {value}")

    def mark(fn: F) -> F:
        fn.__exercise__ = ExerciseInfo(difficulty, importance, minutes, tuple(hints))
        return fn

    return mark


def exercises_in(module: ModuleType) -> dict[str, Callable]:
    """The module's exercises by name, in the order they are defined: functions by
    their name, methods (and properties) of its classes as ``Class.method``."""
    found = []
    for name, obj in vars(module).items():
        if getattr(obj, "__module__", None) != module.__name__:
            continue
        if isinstance(obj, type):
            for attr, member in vars(obj).items():
                fn = member.fget if isinstance(member, property) else member
                if callable(fn) and hasattr(fn, "__exercise__"):
                    found.append((fn.__code__.co_firstlineno, f"{name}.{attr}", fn))
        elif callable(obj) and hasattr(obj, "__exercise__"):
            found.append((obj.__code__.co_firstlineno, name, obj))
    return {name: fn for _, name, fn in sorted(found, key=lambda t: t[0])}


def anchor(name: str) -> str:
    """The exercise's section id on its chapter page: ``FactoredMatrix.svd`` becomes
    ``FactoredMatrix-svd``, since a dot in a heading's ``{#id}`` would read as a class."""
    return name.replace(".", "-")
