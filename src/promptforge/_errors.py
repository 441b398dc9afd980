"""The one error tree every promptforge call raises from.

::

    PromptforgeError                 base of everything below
    ├── ConfigurationError           missing credentials or extra; says what to set or install
    ├── InvalidRequestError          bad input, raised before any request; .field, .allowed
    │   └── BudgetExceededError      a batch item not started: it would pass the budget
    ├── ContentBlockedError          withheld by a safety filter; .reasons, .stage, .backend
    └── BackendError                 the backend failed; .status, .stage, .backend, .retryable
        ├── RateLimitedError         429 or quota; .retry_after (seconds, from the server's hint)
        └── TransientError           5xx, timeouts, connection resets; worth retrying

Misuse (``ConfigurationError``, ``InvalidRequestError``) is kept apart from what a backend
did (``ContentBlockedError``, ``BackendError``), so apps can branch on "fix your input",
"the content was refused" and "try again later". ``stage`` (``"enhance"``, ``"generate"``,
``"edit"``, ``"judge"``) and ``backend`` are filled in by the pipeline when a backend raises.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal, TypeAlias

Stage: TypeAlias = Literal["enhance", "generate", "edit", "judge"]

__all__ = [
    "BackendError",
    "BudgetExceededError",
    "ConfigurationError",
    "ContentBlockedError",
    "InvalidRequestError",
    "PromptforgeError",
    "RateLimitedError",
    "Stage",
    "TransientError",
]


class PromptforgeError(Exception):
    """Base class of every error promptforge raises on purpose."""

    stage: Stage | None
    """Which pipeline stage raised it, when a backend did."""
    backend: str | None
    """The backend's name (e.g. ``"ImagenGenerator"``), when a backend raised it."""

    def __init__(
        self, message: str, *, stage: Stage | None = None, backend: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.stage = stage
        self.backend = backend

    @property
    def retryable(self) -> bool:
        """Whether trying the same call again may succeed."""
        return False

    def __str__(self) -> str:
        return self.message


class ConfigurationError(PromptforgeError):
    """promptforge is not set up for this call: a credential, setting or extra is missing."""


class InvalidRequestError(PromptforgeError):
    """The request is invalid; raised before anything is sent to a backend."""

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        allowed: Iterable[str] | None = None,
        stage: Stage | None = None,
        backend: str | None = None,
    ) -> None:
        super().__init__(message, stage=stage, backend=backend)
        self.field = field
        """The name of the offending argument or option."""
        self.allowed = tuple(allowed) if allowed is not None else None
        """The values that would have been accepted, where there is a closed set."""


class BudgetExceededError(InvalidRequestError):
    """A batch item was not started because its estimated cost would pass the ``budget``
    given to ``run_many`` / ``stream``; nothing was sent for it. Raise the budget (or run
    the rest later: a batch with ``out_dir`` resumes) to make it."""

    def __init__(
        self,
        message: str,
        *,
        field: str | None = "budget",
        allowed: Iterable[str] | None = None,
        stage: Stage | None = None,
        backend: str | None = None,
    ) -> None:
        super().__init__(message, field=field, allowed=allowed, stage=stage, backend=backend)


class ContentBlockedError(PromptforgeError):
    """A safety filter withheld the output (or refused the prompt). Retrying will not help."""

    def __init__(
        self,
        message: str,
        *,
        reasons: Iterable[str] = (),
        stage: Stage | None = None,
        backend: str | None = None,
    ) -> None:
        super().__init__(message, stage=stage, backend=backend)
        self.reasons = tuple(reasons)
        """What the backend said, one entry per filter reason."""


class BackendError(PromptforgeError):
    """A backend call failed. ``retryable`` says whether the retry policy may try again."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        retryable: bool = False,
        stage: Stage | None = None,
        backend: str | None = None,
    ) -> None:
        super().__init__(message, stage=stage, backend=backend)
        self.status = status
        """The HTTP status the backend answered with, when there was one."""
        self._retryable = retryable

    @property
    def retryable(self) -> bool:
        return self._retryable


class RateLimitedError(BackendError):
    """The backend refused for quota (HTTP 429). Retried, waiting ``retry_after`` when known."""

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        status: int | None = 429,
        stage: Stage | None = None,
        backend: str | None = None,
    ) -> None:
        super().__init__(message, status=status, retryable=True, stage=stage, backend=backend)
        self.retry_after = retry_after
        """Seconds the server asked us to wait (Retry-After or ``RetryInfo.retryDelay``)."""


class TransientError(BackendError):
    """A failure that usually passes: 5xx, a timeout, a reset connection. Retried."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        stage: Stage | None = None,
        backend: str | None = None,
    ) -> None:
        super().__init__(message, status=status, retryable=True, stage=stage, backend=backend)
