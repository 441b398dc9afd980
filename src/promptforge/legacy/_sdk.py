"""Loading the deprecated SDKs: a clear error without the extra, their warnings said once.

The old SDKs warn at import (and some releases on every model they build). promptforge
imports them quietly and says it once per process per SDK, as one ``LegacySDKWarning``
carrying upstream's words and one line of ours naming the migration.
"""

from __future__ import annotations

import importlib
import importlib.util
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import ModuleType

from .._errors import ConfigurationError

INSTALL = 'pip install "promptforge[legacy]"'


class LegacySDKWarning(FutureWarning):
    """A deprecated Google SDK is in use; shown once per process per SDK.

    Silence it with ``warnings.filterwarnings("ignore", category=LegacySDKWarning)``.
    """


@dataclass(frozen=True)
class SDK:
    """One deprecated SDK and what to move to."""

    module: str
    """The module the adapter imports."""
    probe: str
    """A top-level module to look for without importing anything."""
    package: str
    """The distribution that provides it."""
    status: str
    """What upstream says about it."""
    migrate: str
    """What promptforge offers instead."""
    repeats: tuple[str, ...] = ()
    """Upstream warnings some releases repeat on every model built (regexes), silenced
    around the adapter's own SDK calls (``quietly``)."""


GENERATIVEAI = SDK(
    module="google.generativeai",
    probe="google.generativeai",
    package="google-generativeai",
    status="its support ended on 2025-11-30",
    migrate="promptforge.enhancers.GeminiEnhancer (google-genai)",
)
VISION = SDK(
    module="vertexai.preview.vision_models",
    probe="vertexai",
    package="google-cloud-aiplatform",
    status="vertexai.preview.vision_models is deprecated and scheduled for removal",
    migrate=(
        "promptforge.generators.GeminiImageGenerator, or ImagenGenerator while Imagen "
        "lasts (google-genai)"
    ),
    repeats=(r"This feature is deprecated as of",),
)

_announced: set[str] = set()


def check_installed() -> None:
    """Raise ``ConfigurationError`` naming the install command when an SDK is missing.

    Only looks the packages up; importing them waits for the first adapter built.
    """
    missing = [sdk.package for sdk in (GENERATIVEAI, VISION) if not _findable(sdk.probe)]
    if missing:
        raise ConfigurationError(f"promptforge.legacy needs {' and '.join(missing)}: {INSTALL}")


def _findable(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):  # a parent package is missing or hidden
        return False


def load(sdk: SDK) -> ModuleType:
    """Import ``sdk`` quietly; the first time in this process, warn once with the migration.

    Raises:
        ConfigurationError: the SDK cannot be imported (the extra is missing, or this
            release of the package no longer has the module).
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            module = importlib.import_module(sdk.module)
        except ImportError as exc:
            raise ConfigurationError(
                f"{sdk.module} cannot be imported ({exc}); {INSTALL} installs a release that has it"
            ) from None
    _announce(sdk, [str(warning.message) for warning in caught])
    return module


@contextmanager
def quietly(sdk: SDK) -> Iterator[None]:
    """Run SDK code with the warnings it repeats on every call silenced (said once already
    by ``load``); the app's warning filters are restored on the way out."""
    with warnings.catch_warnings():
        for pattern in sdk.repeats:
            warnings.filterwarnings("ignore", message=pattern)
        yield


def _announce(sdk: SDK, upstream: list[str]) -> None:
    if sdk.module in _announced:
        return
    _announced.add(sdk.module)
    said = list(dict.fromkeys(" ".join(message.split()) for message in upstream if message))
    lines = [f"{sdk.package} is deprecated upstream: {sdk.status}."]
    lines += [f"  upstream: {message}" for message in said]
    lines.append(f"promptforge: migrate to {sdk.migrate}; see docs/legacy.md.")
    warnings.warn("\n".join(lines), LegacySDKWarning, stacklevel=4)
