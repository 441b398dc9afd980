"""Which backends the command line uses: Google when configured, else the offline pair."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, TypeAlias

from ._errors import ConfigurationError
from ._google._settings import SETUP_HINT, configured
from ._pipeline import Pipeline
from ._retry import RetryPolicy

Backend: TypeAlias = Literal["auto", "google", "offline"]
BACKENDS: tuple[Backend, ...] = ("auto", "google", "offline")

OFFLINE_NOTICE = (
    "no Google credentials found, so using the offline backends (RuleEnhancer and "
    "PreviewGenerator: labelled preview cards, not real images); for real images, " + SETUP_HINT
)


def build_pipeline(
    backend: Backend,
    notice: Callable[[str], None],
    *,
    timeout: float | None = None,
    retries: int | None = None,
) -> Pipeline:
    """The pipeline for ``--backend``; ``notice`` receives the one-line auto-fallback note.
    ``timeout`` (``--timeout``) and ``retries`` (``--retries``) replace the defaults.

    Raises:
        ConfigurationError: ``google`` without credentials or without the Google backends.
    """
    retry = retry_policy(timeout=timeout, retries=retries)
    if backend == "offline":
        return offline_pipeline(retry)
    if backend == "google":
        return google_pipeline(retry, timeout=timeout)
    if not configured():
        notice(OFFLINE_NOTICE)
        return offline_pipeline(retry)
    return google_pipeline(retry, timeout=timeout)  # credentials set: Google, errors and all


def retry_policy(*, timeout: float | None, retries: int | None) -> RetryPolicy:
    """The default policy with ``retries`` retries; its deadline never cuts a request short
    of ``timeout``."""
    default = RetryPolicy()
    attempts = default.max_attempts if retries is None else retries + 1
    deadline = default.deadline
    if timeout is not None and deadline is not None:
        deadline = max(deadline, timeout)
    return RetryPolicy(max_attempts=attempts, deadline=deadline)


def offline_pipeline(retry: RetryPolicy | None = None) -> Pipeline:
    """``RuleEnhancer`` + ``PreviewGenerator``: no network, no credentials, deterministic."""
    from .enhancers import RuleEnhancer
    from .generators import PreviewGenerator

    return Pipeline(enhancer=RuleEnhancer(), generator=PreviewGenerator(), retry=retry)


def google_pipeline(retry: RetryPolicy | None = None, *, timeout: float | None = None) -> Pipeline:
    """``GeminiEnhancer`` + ``GeminiImageGenerator``, configured from the environment;
    ``timeout`` (seconds per request) replaces both backends' defaults.

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
    enhancer = GeminiEnhancer() if timeout is None else GeminiEnhancer(timeout=timeout)
    generator = GeminiImageGenerator() if timeout is None else GeminiImageGenerator(timeout=timeout)
    return Pipeline(enhancer=enhancer, generator=generator, retry=retry)
