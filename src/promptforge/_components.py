"""The parts a ``Pipeline`` is built from, checked when it is built (not on its first run).

A class where an instance belongs (``enhancer=RuleEnhancer``), ``None``, or a generator in
the enhancer's place fails here with a ``TypeError`` that names the fix, instead of a
cryptic error on every run (or on every item of a batch).
"""

from __future__ import annotations

from typing import TypeVar

from .enhancers import EnhanceFunction, Enhancer, FunctionEnhancer
from .generators import Generator

T = TypeVar("T")


def check_enhancer(enhancer: object) -> Enhancer:
    """``enhancer`` as an ``Enhancer``: an instance as is, a plain function wrapped."""
    if enhancer is None:
        raise TypeError(
            "enhancer: required; pass an Enhancer such as RuleEnhancer() or GeminiEnhancer(), "
            "or a function that takes an EnhanceRequest"
        )
    _not_a_class("enhancer", enhancer, Enhancer)
    if isinstance(enhancer, Enhancer):
        return enhancer
    if isinstance(enhancer, Generator):
        raise TypeError(
            f"enhancer: got a Generator ({type(enhancer).__name__}); "
            "did you swap enhancer= and generator=?"
        )
    if not callable(enhancer):
        raise TypeError(
            f"enhancer: expected an Enhancer or a function, got {type(enhancer).__name__}"
        )
    function: EnhanceFunction = enhancer
    return FunctionEnhancer(function)


def check_generator(generator: object) -> Generator:
    """``generator`` if it is a ``Generator`` instance."""
    if generator is None:
        raise TypeError(
            "generator: required; pass a Generator such as PreviewGenerator() or ImagenGenerator()"
        )
    _not_a_class("generator", generator, Generator)
    if not isinstance(generator, Generator):
        raise TypeError(f"generator: expected a Generator, got {type(generator).__name__}")
    return generator


def check_optional(name: str, value: object, kind: type[T]) -> T | None:
    """``value`` if it is ``None`` or an instance of ``kind``."""
    _not_a_class(name, value, kind)
    if value is not None and not isinstance(value, kind):
        raise TypeError(f"{name}: expected a {kind.__name__} or None, got {type(value).__name__}")
    return value


def check_bool(name: str, value: object) -> bool:
    """``value`` if it is a bool."""
    if not isinstance(value, bool):
        raise TypeError(f"{name}: expected a bool, got {type(value).__name__}")
    return value


def _not_a_class(name: str, value: object, kind: type) -> None:
    """Refuse a class passed where an instance belongs, naming the call that makes one."""
    if not isinstance(value, type):
        return
    fix = (
        f"pass an instance: {value.__name__}()"
        if issubclass(value, kind)
        else f"pass an instance of {kind.__name__}"
    )
    raise TypeError(f"{name}: got the class {value.__name__}, not an instance; {fix}")
