"""Keeping credentials out of everything promptforge says about a Google call.

Two nets: every written form of a secret the backend knows (its API key, a client's key or
headers, a credential's current token), and any value in credential position whoever it
belongs to (an ``x-goog-api-key`` header, a ``key=`` query, a ``Bearer`` token), so a key
promptforge was never told about is hidden too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, quote_plus

MASK = "***"
_SHORTEST = 6
"""Shorter strings are not treated as secrets (masking them would garble every message)."""

_IN_POSITION = re.compile(
    r"(?P<label>"
    r"x-goog-api-key['\"]?\s*[:=]\s*['\"]?"
    r"|[?&;]key="
    r"|\bbearer\s+"
    r"|(?<![a-z0-9])(?:api[_-]?key|access[_-]?token|refresh[_-]?token)['\"]?\s*[:=]\s*['\"]?"
    r")(?P<value>[^\s'\"&;,)<>]+)",
    re.IGNORECASE,
)


def normalise_key(value: str | None) -> str | None:
    """An API key as it is sent (google-genai strips it too); ``None`` when blank."""
    key = value.strip() if value else ""
    return key or None


def secret_forms(secrets: Iterable[str | None]) -> tuple[str, ...]:
    """Each secret as text may carry it: raw, URL-encoded, JSON- and repr-escaped; longest
    first, so a longer form is masked whole before a shorter one inside it."""
    forms: set[str] = set()
    for secret in secrets:
        core = _bare(secret or "")
        if len(core) >= _SHORTEST:
            escaped = json.dumps(core)[1:-1]
            forms |= {core, quote(core, safe=""), quote_plus(core), escaped, repr(core)[1:-1]}
    return tuple(sorted(forms, key=len, reverse=True))


def redact(text: str, forms: Iterable[str]) -> str:
    """``text`` with every form masked, and every value in credential position too."""
    for form in forms:
        text = text.replace(form, MASK)
    return _IN_POSITION.sub(lambda match: match["label"] + MASK, text)


def client_secrets(client: Any) -> list[str | None]:
    """The credentials a google-genai ``Client`` holds: its API key, any key or
    authorization header it sends, and its credentials' current token."""
    api = getattr(client, "_api_client", None)
    options = getattr(api, "_http_options", None)
    headers = getattr(options, "headers", None) or {}
    found = [getattr(api, "api_key", None), token_of(getattr(api, "_credentials", None))]
    found += [str(value) for name, value in headers.items() if is_credential_header(name)]
    return found


def token_of(credentials: Any) -> str | None:
    """A google-auth credential's current access token, if it has one."""
    token = getattr(credentials, "token", None)
    return token if isinstance(token, str) else None


def is_credential_header(name: str) -> bool:
    """Whether a header (or gRPC metadata) of this name carries a credential."""
    return name.lower() in ("x-goog-api-key", "authorization", "proxy-authorization")


def _bare(value: str) -> str:
    """A header value without its scheme (``Bearer abc`` -> ``abc``), stripped."""
    value = value.strip()
    scheme, _, rest = value.partition(" ")
    return rest.strip() if rest and scheme.lower() in ("bearer", "basic") else value
