"""The legacy extra: missing SDKs, deprecation warnings said once, nothing imported early."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from google_backends import server as wire
from google_backends.conftest import API_KEY
from promptforge import ConfigurationError, Pipeline
from promptforge.legacy import LegacyGeminiEnhancer, LegacyImagenGenerator, LegacySDKWarning, _sdk

if TYPE_CHECKING:
    from google_backends.server import GoogleServer


@pytest.mark.parametrize("hidden", ["google.generativeai", "vertexai"])
def test_without_the_extra_the_import_names_the_install_command(
    monkeypatch: pytest.MonkeyPatch, hidden: str
) -> None:
    monkeypatch.setitem(sys.modules, hidden, None)  # as if the package were not installed
    for name in [m for m in sys.modules if m.startswith("promptforge.legacy")]:
        monkeypatch.delitem(sys.modules, name)
    with pytest.raises(ConfigurationError) as raised:
        importlib.import_module("promptforge.legacy")
    assert 'pip install "promptforge[legacy]"' in str(raised.value)
    package = (
        "google-generativeai" if hidden == "google.generativeai" else "google-cloud-aiplatform"
    )
    assert package in str(raised.value)


def test_a_missing_parent_package_counts_as_missing() -> None:
    assert not _sdk._findable("no_such_package.sub")
    assert _sdk._findable("vertexai")


def test_a_module_that_cannot_be_imported_is_a_configuration_error() -> None:
    gone = _sdk.SDK(module="vertexai.preview.no_such_module", probe="vertexai", package="x",
                    status="s", migrate="m")  # fmt: skip
    with pytest.raises(ConfigurationError, match=r'pip install "promptforge\[legacy\]"'):
        _sdk.load(gone)


def test_importing_the_package_imports_no_sdk() -> None:
    code = (
        "import sys, json; before = set(sys.modules); import promptforge.legacy; "
        "print(json.dumps(sorted(m for m in set(sys.modules) - before "
        "if m.startswith(('google.generativeai', 'vertexai', 'google.cloud.aiplatform')))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []


def test_the_deprecation_is_said_once_per_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_sdk, "_announced", set())
    with pytest.warns(LegacySDKWarning) as said:
        LegacyGeminiEnhancer(api_key=API_KEY)
    (warning,) = said
    text = str(warning.message)
    assert text.startswith("google-generativeai is deprecated upstream")
    assert text.splitlines()[-1] == (
        "promptforge: migrate to promptforge.enhancers.GeminiEnhancer (google-genai); "
        "see docs/legacy.md."
    )
    assert warning.filename == __file__  # pointed at the caller, not at promptforge
    with warnings.catch_warnings(record=True) as later:
        warnings.simplefilter("always")
        LegacyGeminiEnhancer(api_key=API_KEY)
    assert later == []


def test_upstream_words_are_carried_once(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "old_sdk.py").write_text(
        "import warnings\n"
        "said = 'All support for old_sdk has ended.\\n  Switch to new_sdk.'\n"
        "warnings.warn(said, FutureWarning)\n"
        "warnings.warn(said, FutureWarning)\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "old_sdk", raising=False)
    old = _sdk.SDK(
        module="old_sdk", probe="old_sdk", package="old-sdk", status="ended", migrate="new things"
    )
    with pytest.warns(LegacySDKWarning) as said:
        assert _sdk.load(old).__name__ == "old_sdk"
    assert str(said[0].message).splitlines() == [
        "old-sdk is deprecated upstream: ended.",
        "  upstream: All support for old_sdk has ended. Switch to new_sdk.",
        "promptforge: migrate to new things; see docs/legacy.md.",
    ]
    with warnings.catch_warnings(record=True) as later:
        warnings.simplefilter("always")
        _sdk.load(old)
    assert later == []


def test_repeated_upstream_warnings_are_silenced_only_around_sdk_calls() -> None:
    repeat = "This feature is deprecated as of June 24, 2025 and will be removed on June 24, 2026."
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        before = list(warnings.filters)
        _sdk.load(_sdk.VISION)
        assert warnings.filters == before  # the app's filters are its own
        with _sdk.quietly(_sdk.VISION):
            warnings.warn(repeat, UserWarning, stacklevel=1)
        assert warnings.filters == before
        warnings.warn(repeat, UserWarning, stacklevel=1)  # outside: the app sees it
    assert [str(w.message) for w in caught if w.category is UserWarning] == [repeat]


def test_building_and_using_the_adapters_leaves_the_warning_filters_alone(
    vertex: GoogleServer,
) -> None:
    vertex.default("predict", wire.imagen_for_request)
    vertex.default("generateContent", wire.spec(subject="a corgi"))
    before = list(warnings.filters)
    enhancer = LegacyGeminiEnhancer(api_key=API_KEY, api_endpoint=vertex.url)
    generator = LegacyImagenGenerator()
    assert Pipeline(enhancer, generator).run("a corgi").ok
    assert warnings.filters == before
