"""Google SDK, google-auth and transport errors, mapped onto the promptforge tree.

Covers google-genai (``APIError``) and, for the legacy SDKs, ``google.api_core.exceptions``
(REST or gRPC); both go through the same status rules.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from .._errors import (
    BackendError,
    ConfigurationError,
    ContentBlockedError,
    PromptforgeError,
    RateLimitedError,
    TransientError,
)
from ._models import replacement_hint
from ._redact import redact, secret_forms
from ._settings import no_credentials

_TRANSPORT_NAMES = {
    "TimeoutException", "TransportError", "NetworkError", "ConnectError", "ReadError",
    "WriteError", "RemoteProtocolError", "ProtocolError", "PoolTimeout",
    # requests and urllib3, under the legacy SDKs' REST transport
    "ConnectionError", "Timeout", "ChunkedEncodingError",
}  # fmt: skip
_RESPONSIBLE_AI = re.compile(r"responsible ai|support codes?|violat|safety", re.IGNORECASE)
_DELAY = re.compile(r"^\s*(\d+(?:\.\d+)?)s\s*$")
_REST_PREFIX = re.compile(r"^[A-Z]+ \S+: ")  # api_core's "POST https://...: " before a REST message


@contextmanager
def translate(*, model: str, secrets: Sequence[str | None] = ()) -> Iterator[None]:
    """Re-raise what a Google call raises as a promptforge error (unknown errors pass).

    The error raised has every form of ``secrets`` (and any credential-shaped value) masked,
    and no ``__cause__`` or ``__context__``: the original exception, which may quote the key,
    is not reachable from it.
    """
    try:
        yield
        return
    except PromptforgeError:
        raise
    except Exception as exc:
        error = _translated(exc, model, secret_forms(secrets))
        if error is None:
            raise
    try:
        raise error from None
    finally:
        error.__context__ = None  # raised outside the handler, yet Python links it anyway


def _translated(exc: Exception, model: str, forms: Sequence[str]) -> PromptforgeError | None:
    """The mapped error with its text redacted; an unknown error only if it quotes a secret."""
    error = map_error(exc, model=model)
    if error is None:
        text = str(exc)
        if redact(text, forms) == text:
            return None  # nothing to hide: a bug surfaces as itself
        error = BackendError(f"{model}: {type(exc).__name__}: {text}")
    for name, value in vars(error).items():
        if isinstance(value, str):
            setattr(error, name, redact(value, forms))
        elif isinstance(value, tuple | list) and all(isinstance(v, str) for v in value):
            setattr(error, name, type(value)(redact(v, forms) for v in value))
    error.args = (error.message,)
    return error


def map_error(exc: BaseException, *, model: str) -> PromptforgeError | None:
    """The promptforge error for ``exc``, or None when it is not a Google/transport error."""
    names = {cls.__name__ for cls in type(exc).__mro__}
    module = type(exc).__module__
    if module.startswith("google.genai") and "APIError" in names:
        return _from_api_error(exc, model)
    if module.startswith("google.api_core"):
        if "GoogleAPICallError" in names:
            return _from_api_core(exc, model)
        if "RetryError" in names:
            return TransientError(f"{model}: gave up waiting ({exc})")
    if module.startswith(("httpx", "httpcore", "requests", "urllib3")) and names & _TRANSPORT_NAMES:
        return TransientError(f"{model}: connection failed ({type(exc).__name__}: {exc})")
    if isinstance(exc, TimeoutError | ConnectionError):
        return TransientError(f"{model}: connection failed ({type(exc).__name__}: {exc})")
    if module.startswith("google.auth"):
        if "DefaultCredentialsError" in names:
            return ConfigurationError(no_credentials(str(exc)))
        if "TransportError" in names:
            return TransientError(f"{model}: could not refresh credentials ({exc})")
        return BackendError(f"{model}: credentials were refused ({exc})", status=401)
    return None


def _from_api_error(exc: Any, model: str) -> PromptforgeError:
    details = exc.details if isinstance(exc.details, dict) else {}
    return _from_status(
        model,
        code=int(exc.code or 0),
        status=exc.status or "",
        message=exc.message or str(exc),
        retry_after=_retry_after(exc, details.get("error", details).get("details", [])),
        bad_key="API_KEY_INVALID" in str(exc.details),
    )


def _from_api_core(exc: Any, model: str) -> PromptforgeError:
    """``google.api_core.exceptions`` (raised by the legacy SDKs), REST or gRPC."""
    message = _REST_PREFIX.sub("", str(exc.message or "")) or type(exc).__name__
    return _from_status(
        model,
        code=int(exc.code or 0),
        status=str(getattr(exc.grpc_status_code, "name", "") or ""),
        message=message,
        retry_after=_retry_after(exc, exc.details),
        bad_key="API_KEY_INVALID" in str(exc.details),
    )


def _from_status(
    model: str,
    *,
    code: int,
    status: str,
    message: str,
    retry_after: float | None,
    bad_key: bool,
) -> PromptforgeError:
    label = f"{code} {status}".strip()  # api_core gives no status name for some codes
    text = f"{model}: {label}: {message}"
    if code == 429:
        return RateLimitedError(text, retry_after=retry_after)
    if code >= 500 or code == 408:
        return TransientError(text, status=code)
    if code == 400 and _RESPONSIBLE_AI.search(message):
        return ContentBlockedError(text, reasons=[message])
    if code == 400 and bad_key:
        text += " (check GOOGLE_API_KEY / GEMINI_API_KEY or the api_key argument)"
    if code == 404:
        text += replacement_hint(model)
    return BackendError(text, status=code, retryable=False)


def _retry_after(exc: Any, details: Any) -> float | None:
    """The server's hint: the Retry-After header, else ``RetryInfo.retryDelay``."""
    headers = getattr(getattr(exc, "response", None), "headers", None)
    header = headers.get("retry-after") if headers is not None else None
    if header:
        try:
            return float(header)
        except ValueError:
            pass
    for item in details or []:
        if isinstance(item, dict) and str(item.get("@type", "")).endswith("RetryInfo"):
            match = _DELAY.match(str(item.get("retryDelay", "")))
            if match:
                return float(match.group(1))
        delay = getattr(item, "retry_delay", None)  # a gRPC RetryInfo message
        if delay is not None:
            return float(delay.seconds) + float(delay.nanos) / 1e9
    return None
