"""Google SDK, google-auth and transport errors, mapped onto the promptforge tree.

Covers google-genai (``APIError``) and, for the legacy SDKs, ``google.api_core.exceptions``
(REST or gRPC); both go through the same status rules.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

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

_TRANSPORT_MODULES = ("httpx", "httpcore", "requests", "urllib3", "aiohttp")
"""httpx (or its fork httpx2) and aiohttp under google-genai; requests and urllib3 under the
legacy SDKs' REST transport."""
_TRANSPORT_NAMES = {
    "TimeoutException", "TransportError", "NetworkError", "ConnectError", "ReadError",
    "WriteError", "RemoteProtocolError", "ProtocolError", "PoolTimeout",
    "ConnectionError", "Timeout", "ChunkedEncodingError",
    "ClientError", "ServerTimeoutError",
}  # fmt: skip
_UNREACHABLE = {
    "ConnectError", "NewConnectionError", "NameResolutionError",  # httpx, urllib3
    "ClientConnectorError", "ClientConnectorDNSError",  # aiohttp
    "ConnectionRefusedError", "gaierror",
}  # fmt: skip
"""Exact class names (not bases: urllib3's NewConnectionError is a ConnectTimeoutError) of a
connection that was never made."""
_CONNECT_TIMEOUT = {"ConnectTimeout", "ConnectTimeoutError", "ConnectionTimeoutError"}
_TIMEOUT_VALUE = re.compile(r"(?:read|connect) timeout=(\d+(?:\.\d+)?)")
_TIMEOUT_KIND = {"ReadTimeout": "read", "ConnectTimeout": "connect", "WriteTimeout": "write"}
_RESPONSIBLE_AI = re.compile(r"responsible ai|support codes?|violat|safety", re.IGNORECASE)
_DELAY = re.compile(r"^\s*(\d+(?:\.\d+)?)s\s*$")
_REST_PREFIX = re.compile(r"^[A-Z]+ \S+: ")  # api_core's "POST https://...: " before a REST message


@contextmanager
def translate(
    *, model: str, secrets: Sequence[str | None] = (), timeout: float | None = None
) -> Iterator[None]:
    """Re-raise what a Google call raises as a promptforge error (unknown errors pass).

    The error raised has every form of ``secrets`` (and any credential-shaped value) masked,
    and no ``__cause__`` or ``__context__``: the original exception, which may quote the key,
    is not reachable from it. ``timeout`` (seconds) is named in a timeout's message when the
    error does not carry it.
    """
    try:
        yield
        return
    except PromptforgeError:
        raise
    except Exception as exc:
        error = _translated(exc, model, secret_forms(secrets), timeout)
        if error is None:
            raise
    try:
        raise error from None
    finally:
        error.__context__ = None  # raised outside the handler, yet Python links it anyway


def _translated(
    exc: Exception, model: str, forms: Sequence[str], timeout: float | None
) -> PromptforgeError | None:
    """The mapped error with its text redacted; an unknown error only if it quotes a secret."""
    error = map_error(exc, model=model, timeout=timeout)
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


def map_error(
    exc: BaseException, *, model: str, timeout: float | None = None
) -> PromptforgeError | None:
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
    if module.startswith(_TRANSPORT_MODULES) and names & _TRANSPORT_NAMES:
        return _transport_error(exc, model, timeout)
    if isinstance(exc, TimeoutError | ConnectionError):
        return _transport_error(exc, model, timeout)
    if module.startswith("google.auth"):
        if "DefaultCredentialsError" in names:
            return ConfigurationError(no_credentials(str(exc)))
        if "TransportError" in names:
            return TransientError(f"{model}: could not refresh credentials ({exc})")
        return BackendError(f"{model}: credentials were refused ({exc})", status=401)
    return None


def _transport_error(exc: BaseException, model: str, timeout: float | None) -> TransientError:
    """A failure below HTTP: the host could not be reached, no answer came in time, or the
    connection broke. Names the host (never the URL: a key may sit in its query)."""
    chain = _chain(exc)
    kinds = {type(item).__name__ for item in chain}
    where = _host(chain) or "the server"
    if kinds & _UNREACHABLE:
        return TransientError(f"{model}: could not reach {where} ({_reason(chain)})")
    seconds = _timeout_value(chain)
    seconds = timeout if seconds is None else seconds
    within = f"within {seconds:g} s" if seconds is not None else "in time"
    if kinds & _CONNECT_TIMEOUT:
        return TransientError(f"{model}: could not reach {where} {within}")
    if isinstance(exc, TimeoutError) or any("Timeout" in kind for kind in kinds):
        return TransientError(f"{model}: no answer {within}")
    return TransientError(f"{model}: connection to {where} failed ({_reason(chain)})")


def _chain(exc: BaseException) -> list[BaseException]:
    """``exc`` and what it wraps: causes, contexts, and urllib3's ``reason`` / first arg."""
    chain: list[BaseException] = []
    item: BaseException | None = exc
    while item is not None and item not in chain and len(chain) < 10:
        chain.append(item)
        wrapped = getattr(item, "reason", None) or (item.args[0] if item.args else None)
        if not isinstance(wrapped, BaseException):
            wrapped = item.__cause__ or item.__context__
        item = wrapped
    return chain


def _host(chain: list[BaseException]) -> str | None:
    for item in chain:
        try:
            url = item.request.url  # type: ignore[attr-defined]  # httpx; raises if unset
        except (AttributeError, RuntimeError):
            url = None
        host = getattr(url, "host", None) or (
            urlsplit(url).hostname if isinstance(url, str) else None
        )
        host = host or getattr(getattr(item, "pool", None), "host", None)  # urllib3
        if host:
            return str(host)
    return None


def _reason(chain: list[BaseException]) -> str:
    """The root cause in a few words: the OS's error where there is one."""
    for item in reversed(chain):
        if isinstance(item, ConnectionRefusedError):
            return "connection refused"
        if isinstance(item, OSError) and item.errno is not None and item.strerror:
            return f"[Errno {item.errno}] {item.strerror}"
    return " ".join(str(chain[0]).split()) or type(chain[0]).__name__


def _timeout_value(chain: list[BaseException]) -> float | None:
    """The timeout that expired, as the error records it (httpx's request, urllib3's text)."""
    for item in chain:
        kind = _TIMEOUT_KIND.get(type(item).__name__)
        try:
            limits = item.request.extensions.get("timeout", {})  # type: ignore[attr-defined]
        except (AttributeError, RuntimeError):
            limits = {}
        if kind and isinstance(limits, dict) and isinstance(limits.get(kind), int | float):
            return float(limits[kind])
        match = _TIMEOUT_VALUE.search(str(item))
        if match:
            return float(match.group(1))
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
