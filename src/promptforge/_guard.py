"""The switch that keeps real (networked) backends out of tests."""

from __future__ import annotations

from ._errors import ConfigurationError

_allowed = True


def allow_real_backends(allowed: bool) -> bool:
    """Allow or forbid backends with ``requires_network``; return the previous setting."""
    global _allowed
    previous, _allowed = _allowed, allowed
    return previous


def check_backend(backend: object) -> None:
    """Refuse a networked backend while real backends are forbidden."""
    if not _allowed and getattr(backend, "requires_network", False):
        raise ConfigurationError(
            f"{type(backend).__name__} calls a real service, and real backends are forbidden "
            "here (promptforge.testing.forbid_real_backends); use promptforge.testing fakes"
        )
