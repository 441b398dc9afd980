"""The per-request timeout defaults: what the code uses is what the docs say."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from promptforge.enhancers import GeminiEnhancer
from promptforge.generators import GeminiImageGenerator, ImagenGenerator

DOCS = Path(__file__).parent.parent.parent / "docs"


@pytest.mark.parametrize(
    ("backend", "seconds"),
    [(GeminiEnhancer, 30.0), (GeminiImageGenerator, 60.0), (ImagenGenerator, 60.0)],
)
def test_timeout_defaults_fit_the_models_and_are_documented(
    backend: type[object], seconds: float
) -> None:
    assert inspect.signature(backend).parameters["timeout"].default == seconds
    row = f"| `{backend.__name__}` | {seconds:g} s |"
    assert row in (DOCS / "google.md").read_text("utf-8")
    assert row in (DOCS / "retries.md").read_text("utf-8")
