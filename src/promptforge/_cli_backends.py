"""Which backends the command line uses: Google when configured, else the offline pair."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, TypeAlias

from ._errors import ConfigurationError
from ._google._settings import SETUP_HINT, configured
from ._pipeline import Pipeline

Backend: TypeAlias = Literal["auto", "google", "offline"]
BACKENDS: tuple[Backend, ...] = ("auto", "google", "offline")

OFFLINE_NOTICE = (
    "no Google credentials found, so using the offline backends (RuleEnhancer and "
    "PreviewGenerator: labelled preview cards, not real images); for real images, " + SETUP_HINT
)


def build_pipeline(backend: Backend, notice: Callable[[str], None]) -> Pipeline:
    """The pipeline for ``--backend``; ``notice`` receives the one-line auto-fallback note.

    Raises:
        ConfigurationError: ``google`` without credentials or without the Google backends.
    """
    if backend == "offline":
        return offline_pipeline()
    if backend == "google":
        return google_pipeline()
    if not configured():
        notice(OFFLINE_NOTICE)
        return offline_pipeline()
    return google_pipeline()  # credentials are set: the user wants Google, errors and all


def offline_pipeline() -> Pipeline:
    """``RuleEnhancer`` + ``PreviewGenerator``: no network, no credentials, deterministic."""
    from .enhancers import RuleEnhancer
    from .generators import PreviewGenerator

    return Pipeline(enhancer=RuleEnhancer(), generator=PreviewGenerator())


def google_pipeline() -> Pipeline:
    """``GeminiEnhancer`` + ``GeminiImageGenerator``, configured from the environment.

    Raises:
        ConfigurationError: no credentials in the environment (says what to set), or the
            Google backends cannot be loaded in this installation.
    """
    if not configured():
        raise ConfigurationError(f"no Google credentials found; {SETUP_HINT}")
    try:
        from .enhancers import GeminiEnhancer
        from .generators import GeminiImageGenerator
    except ImportError as exc:  # pragma: no cover - only in a broken or partial install
        raise ConfigurationError(
            f"the Google backends cannot be loaded ({exc}); reinstall promptforge with its "
            "google-genai dependency, or use --backend offline"
        ) from exc
    return Pipeline(enhancer=GeminiEnhancer(), generator=GeminiImageGenerator())
