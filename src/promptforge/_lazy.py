"""Names a package exports but imports only when first used (PEP 562), so that
``import promptforge`` stays cheap.

A package lists ``{name: submodule}`` and delegates its module ``__getattr__`` here; it
also imports the names under ``if TYPE_CHECKING:`` so type checkers and IDEs see them.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Mapping


def load(package: str, lazy: Mapping[str, str], name: str, *, rehome: bool = False) -> object:
    """``name`` from its submodule of ``package``, kept in the package's namespace so the
    next lookup is a plain attribute. With ``rehome`` a class shows the package as its
    ``__module__`` (tracebacks and reprs name its public home, not its private module).

    Raises:
        AttributeError: ``package`` has no such name.
    """
    if name not in lazy:
        raise AttributeError(f"module {package!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(lazy[name], package), name)
    if rehome and isinstance(value, type):
        value.__module__ = package
    setattr(sys.modules[package], name, value)
    return value


def names(namespace: Mapping[str, object], exported: list[str]) -> list[str]:
    """What ``dir(package)`` lists: what is loaded so far and every exported name."""
    return sorted(set(namespace) | set(exported))
