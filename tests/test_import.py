from __future__ import annotations

import json
import subprocess
import sys

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
