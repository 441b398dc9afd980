"""Where a Google backend gets its credentials: arguments first, then the environment.

The same conventions as google-genai: ``GOOGLE_API_KEY`` (or ``GEMINI_API_KEY``) for the
Gemini Developer API; ``GOOGLE_GENAI_USE_VERTEXAI=true`` with ``GOOGLE_CLOUD_PROJECT`` and
``GOOGLE_CLOUD_LOCATION`` (and application default credentials) for Vertex AI.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .._errors import ConfigurationError
from ._redact import normalise_key

if TYPE_CHECKING:
    from google.auth.credentials import Credentials

API_KEY_VARIABLES = ("GOOGLE_API_KEY", "GEMINI_API_KEY")
CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform"
"""The scope google-genai asks application default credentials for."""
ADC_HINT = (
    "run `gcloud auth application-default login`, or set GOOGLE_APPLICATION_CREDENTIALS to "
    "a service-account key file, or pass credentials=..."
)
SETUP_HINT = (
    "set GOOGLE_API_KEY (Gemini Developer API), or GOOGLE_GENAI_USE_VERTEXAI=true with "
    "GOOGLE_CLOUD_PROJECT and GOOGLE_CLOUD_LOCATION (Vertex AI, with "
    "`gcloud auth application-default login`)"
)


@dataclass(frozen=True)
class GoogleSettings:
    """Resolved connection settings. The API key is stripped (as google-genai sends it) and
    never appears in ``repr``."""

    vertexai: bool
    api_key: str | None = field(default=None, repr=False)
    project: str | None = None
    location: str | None = None

    @property
    def service(self) -> str:
        """``"vertex"`` or ``"gemini-api"``, for messages."""
        return "vertex" if self.vertexai else "gemini-api"


def _truthy(value: str | None) -> bool | None:
    return None if value is None else value.strip().lower() in ("1", "true", "yes")


def resolve(
    *,
    api_key: str | None = None,
    vertexai: bool | None = None,
    project: str | None = None,
    location: str | None = None,
    default_location: str = "us-central1",
    vertex_only: bool = False,
    environ: Mapping[str, str] | None = None,
) -> GoogleSettings:
    """Settings from the arguments, else the environment.

    Raises:
        ConfigurationError: naming exactly which variables or arguments to set.
    """
    env = os.environ if environ is None else environ
    if vertexai is None:
        vertexai = _truthy(env.get("GOOGLE_GENAI_USE_VERTEXAI")) or bool(project) or vertex_only
    if vertex_only and not vertexai:
        raise ConfigurationError(
            "this model is served on Vertex AI only: pass vertexai=True and project=..., "
            "or set GOOGLE_GENAI_USE_VERTEXAI=true and GOOGLE_CLOUD_PROJECT"
        )
    key = normalise_key(api_key) or next(
        (k for k in (normalise_key(env.get(name)) for name in API_KEY_VARIABLES) if k), None
    )
    if not vertexai:
        if not key:
            raise ConfigurationError(f"no Google credentials found: {SETUP_HINT}")
        return GoogleSettings(vertexai=False, api_key=key)
    project = project or env.get("GOOGLE_CLOUD_PROJECT")
    location = location or env.get("GOOGLE_CLOUD_LOCATION") or default_location
    if project:
        return GoogleSettings(vertexai=True, project=project, location=location)
    if key:  # Vertex AI express mode
        return GoogleSettings(vertexai=True, api_key=key)
    raise ConfigurationError(
        "Vertex AI needs a project: set GOOGLE_CLOUD_PROJECT (and GOOGLE_CLOUD_LOCATION, "
        f"default {default_location}) or pass project=...; credentials come from "
        "`gcloud auth application-default login`"
    )


def application_default_credentials(settings: GoogleSettings) -> Credentials:
    """Vertex AI's application default credentials, looked up now (as google-genai would on
    the first call), so a missing one fails when the backend is built.

    Raises:
        ConfigurationError: none found; leads with that and the command that fixes it.
    """
    import google.auth
    from google.auth.exceptions import DefaultCredentialsError

    try:
        credentials, _ = google.auth.default(scopes=[CLOUD_PLATFORM])
    except DefaultCredentialsError as exc:
        raise ConfigurationError(no_credentials(str(exc), settings)) from None
    return credentials


def no_credentials(reason: str, settings: GoogleSettings | None = None) -> str:
    """The message for missing application default credentials: the cause, then the fix."""
    where = f" (project {settings.project}, location {settings.location})" if settings else ""
    said = " ".join(reason.split())
    return f"no application default credentials found for Vertex AI{where}: {ADC_HINT}" + (
        f" (google-auth: {said})" if said else ""
    )


def configured(environ: Mapping[str, str] | None = None) -> bool:
    """Whether the environment holds enough for the Google backends to try a call."""
    try:
        resolve(environ=environ)
    except ConfigurationError:
        return False
    return True
