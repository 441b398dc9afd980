from __future__ import annotations

import json
import subprocess
import sys

import pytest

import promptforge


def test_import_loads_no_google_sdk_and_no_pillow() -> None:
    # Measured as what the import adds: the legacy SDKs install ``*-nspkg.pth`` files that
    # put empty ``google`` / ``google.cloud`` namespace modules in place at interpreter start.
    code = (
        "import sys, json; before = set(sys.modules); import promptforge; "
        "from promptforge import Pipeline; "
        "print(json.dumps(sorted(m for m in set(sys.modules) - before "
        "if m.split('.')[0] in ('google', 'PIL', 'vertexai'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []


def test_root_exports_promised_names() -> None:
    promised = {
        "Pipeline", "RetryPolicy", "Enhancer", "FunctionEnhancer", "Generator",
        "GeneratorCapabilities", "PromptSpec", "EnhanceRequest", "EnhancedPrompt",
        "ImageOptions", "GeneratedImage", "FilteredImage", "GenerationOutput",
        "GenerationResult", "StageReport", "PromptforgeError", "ConfigurationError",
        "InvalidRequestError", "ContentBlockedError", "BackendError", "RateLimitedError",
        "TransientError",
    }  # fmt: skip
    assert promised <= set(promptforge.__all__)
    for name in promptforge.__all__:
        if isinstance(public := getattr(promptforge, name), type):  # not MAX_PROMPT_CHARS
            assert public.__module__ == "promptforge", name


# What ``import promptforge`` (and the everyday ``from promptforge import Pipeline``) must
# leave unloaded: each is only needed by a feature that imports it when first used.
HEAVY = (
    "sqlite3",
    "xml.etree.ElementTree",
    "xml.sax",
    "urllib.request",
    "http.client",
    "google.genai",
    "tenacity",
    "promptforge._runlog",
    "promptforge._series",
    "promptforge._series_result",
    "promptforge._bible",
    "promptforge._budget",
    "promptforge._provenance",
    "promptforge._gallery",
    "promptforge._store",
    "promptforge._edit",
    "promptforge.models",
    "promptforge.batchmode",
    "promptforge.generators.gemini_image",
    "promptforge.generators.imagen",
    "promptforge.enhancers.gemini",
    "promptforge.judges.gemini",
    "promptforge.judges.pixels",
)


@pytest.mark.parametrize("statement", ["import promptforge", "from promptforge import Pipeline"])
def test_import_leaves_heavy_modules_unloaded(statement: str) -> None:
    code = (
        f"import sys, json; {statement}; "
        f"print(json.dumps([m for m in {list(HEAVY)!r} if m in sys.modules]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []


def test_lazy_names_resolve_to_their_public_home() -> None:
    # Run fresh, so the lazy names are resolved here and not by an earlier test's import.
    code = (
        "import json, promptforge, promptforge.generators as g, promptforge.judges as j; "
        "names = [promptforge.SeriesResult, promptforge.Bible, promptforge.read_provenance, "
        "promptforge.ResultStore, promptforge.BatchJob, g.GeminiImageGenerator, j.GeminiJudge]; "
        "print(json.dumps([n.__module__ for n in names] + "
        "[sorted(set(promptforge.__all__) - set(dir(promptforge)))]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == [
        "promptforge",
        "promptforge",
        "promptforge._provenance",  # a function keeps its own module, as before
        "promptforge",
        "promptforge",
        "promptforge.generators.gemini_image",
        "promptforge.judges.gemini",
        [],
    ]


def test_unknown_attribute_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no_such_name"):
        promptforge.no_such_name  # noqa: B018
