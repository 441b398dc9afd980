"""The model catalogue: shipped facts, the user's file, the generated docs, no names in code."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest

from promptforge import ConfigurationError, GeneratorCapabilities, InvalidRequestError, models
from promptforge.cli import main
from promptforge.models import _doc
from promptforge.models._schema import FACTS

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "promptforge"
CATALOGUE = SRC / "models" / "catalogue.json"
MODEL_NAME = re.compile(r"\b(?:gemini|imagen)-[a-z-]*\d[\w.-]*")
"""A Google model id: a family prefix and a version number (``gemini-api`` is not one)."""


def write(tmp_path: Path, document: object) -> str:
    path = tmp_path / "models.json"
    path.write_text(json.dumps(document), "utf-8")
    return str(path)


def test_no_model_name_is_written_outside_the_catalogue() -> None:
    found = [
        f"{path.relative_to(ROOT)}: {match}"
        for path in SRC.rglob("*")
        if path.is_file() and path != CATALOGUE and path.suffix in (".py", ".json", ".md")
        for match in MODEL_NAME.findall(path.read_text("utf-8"))
    ]
    assert found == []
    assert MODEL_NAME.findall(CATALOGUE.read_text("utf-8"))  # the pattern does find names


def test_the_issue_facts_are_recorded_with_their_sources() -> None:
    retired_image = models.get("gemini-2.5-flash-image")
    assert (retired_image.status, retired_image.shutdown) == ("retired", date(2026, 10, 2))
    assert retired_image.cite["shutdown"].source == "Gemini API deprecations"
    text = models.get("gemini-2.5-flash")
    assert (text.deprecated, text.shutdown) == (date(2026, 9, 18), date(2026, 12, 1))
    assert text.cite["shutdown"].source == "third-party trackers"
    assert all(m.shutdown == date(2026, 8, 17) for m in models.list() if m.family == "imagen")
    banana = models.get("gemini-nano-banana-2.1")
    assert (banana.status, banana.released) == ("current", date(2026, 10, 6))
    assert models.get("gemini-3.1-flash-image").replacement == banana.name
    assert models.get("gemini-3.1-flash-lite").shutdown == date(2027, 5, 7)
    caps = banana.capabilities
    assert isinstance(caps, GeneratorCapabilities)
    assert {"1:8", "8:1", "21:9"} <= set(caps.aspect_ratios)
    assert (caps.max_references, caps.reference_limits) == (14, {"object": 10, "character": 4})
    assert caps.image_sizes == ("512", "1K", "2K", "4K")
    pro = models.get("gemini-3-pro-image").capabilities
    assert isinstance(pro, GeneratorCapabilities)
    assert pro.reference_limits == {"object": 6, "character": 5}
    assert "1:8" not in pro.aspect_ratios
    assert models.as_of() == date(2026, 11, 30)


def test_every_stated_fact_cites_a_dated_source() -> None:
    for info in models.list():
        for fact in FACTS:
            if getattr(info, fact) is not None:
                assert fact in info.cite, (info.name, fact)
        if info.kind == "image" or info.thinking_levels:  # capabilities beyond "none known"
            assert any(k.partition(".")[0] == "capabilities" for k in info.cite), info.name
        assert all(c.date <= models.as_of() for c in info.cite.values())


def test_roles_name_current_models_of_the_right_kind() -> None:
    for role, kind in (("enhancer", "text"), ("image", "image"), ("judge", "text")):
        for name in models.preferences(role):  # type: ignore[arg-type]
            info = models.get(name)
            assert (info.kind, info.status) == (kind, "current"), name
    assert models.preferences("image")[0] == "gemini-nano-banana-2.1"


def test_list_filters_by_kind_and_status() -> None:
    images = models.list(kind="image")
    assert images
    assert all(m.kind == "image" for m in images)
    current = {m.name for m in models.list(status="current")}
    assert "gemini-3.8-flash" in current
    assert "imagen-4.0-generate-001" not in current


def test_an_unknown_model_gets_its_familys_conservative_capabilities() -> None:
    info = models.get("gemini-9-flash-image")
    assert (info.status, info.family, info.backend) == (
        "unknown",
        "gemini-image",
        "GeminiImageGenerator",
    )
    assert isinstance(info.capabilities, GeneratorCapabilities)
    assert info.capabilities.max_images == 1
    assert info.capabilities.thinking_levels == ()
    assert models.get("gemini-9-pro").kind == "text"
    with pytest.raises(InvalidRequestError, match="no model family") as raised:
        models.get("dall-e-9")
    assert raised.value.field == "model"


def test_a_past_shutdown_date_reads_as_retired() -> None:
    text = models.get("gemini-2.5-flash")
    assert text.status_on(date(2026, 11, 30)) == "deprecated"
    assert text.status_on(date(2026, 12, 1)) == "retired"
    assert text.retired(date(2026, 12, 2))


def test_a_user_file_adds_a_model_and_corrects_another(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, {
        "sources": {"blog": {"title": "Google blog", "date": "2026-12-03"}},
        "roles": {"image": ["gemini-4-flash-image", "gemini-nano-banana-2.1"]},
        "models": {
            "gemini-4-flash-image": {
                "family": "gemini-image", "status": "current", "released": "2026-12-03",
                "capabilities": {"image_sizes": ["1K", "2K"], "edit": True},
                "price": {"per_image": 0.02},
                "cite": {"status": "blog", "released": "blog@2026-12-02"},
            },
            "gemini-3-pro-image": {"shutdown": "2027-09-01"},
        },
    })  # fmt: skip
    monkeypatch.setenv("PROMPTFORGE_MODELS", path)
    added = models.get("gemini-4-flash-image")
    assert added.status == "current"
    assert isinstance(added.capabilities, GeneratorCapabilities)
    assert added.capabilities.image_sizes == ("1K", "2K")
    assert (
        added.capabilities.aspect_ratios == models.get("gemini-9-image").capabilities.aspect_ratios
    )
    assert added.cite["released"].date == date(2026, 12, 2)
    assert added.cite["capabilities.edit"].source == f"PROMPTFORGE_MODELS={path}"
    assert added.price is not None
    assert added.price.per_image == 0.02
    pro = models.get("gemini-3-pro-image")
    assert pro.shutdown == date(2027, 9, 1)  # corrected; the rest kept
    assert pro.cite["shutdown"].source == f"PROMPTFORGE_MODELS={path}"
    assert pro.capabilities.thinking_levels == ()
    assert isinstance(pro.capabilities, GeneratorCapabilities)
    assert pro.capabilities.reference_limits == {"object": 6, "character": 5}
    assert models.preferences("image")[0] == "gemini-4-flash-image"
    monkeypatch.delenv("PROMPTFORGE_MODELS")
    assert models.get("gemini-4-flash-image").status == "unknown"  # the shipped file alone


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"models": {"my-model": {"family": "gemini-image", "status": "gone"}}},
         "models.my-model.status"),
        ({"models": {"gemini-x-image": {"status": "current"}}},
         "models.gemini-x-image.family: None is not a family"),
        ({"models": {"gemini-x-image": {"family": "gemini-image"}}},
         "models.gemini-x-image.status: missing"),
        ({"models": {"gemini-x-image": {"family": "gemini-image", "status": "current",
                                        "capabilities": {"aspect_ratios": "wide"}}}},
         "models.gemini-x-image.capabilities.aspect_ratios"),
        ({"models": {"gemini-x-image": {"family": "gemini-image", "status": "current",
                                        "cite": {"status": "nowhere"}}}},
         "models.gemini-x-image.cite.status: unknown source 'nowhere'"),
        ({"roles": {"image": ["gemini-missing-image"]}}, "roles.image: 'gemini-missing-image'"),
    ],
)  # fmt: skip
def test_a_bad_user_file_names_the_entry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, document: object, message: str
) -> None:
    monkeypatch.setenv("PROMPTFORGE_MODELS", write(tmp_path, document))
    with pytest.raises(ConfigurationError, match=re.escape(message)):
        models.list()


def test_an_unreadable_user_file_is_a_configuration_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PROMPTFORGE_MODELS", str(tmp_path / "missing.json"))
    with pytest.raises(ConfigurationError, match=r"PROMPTFORGE_MODELS=.*missing\.json"):
        models.list()


@pytest.mark.parametrize("document", ["README.md", "docs/google.md"])
def test_the_docs_tables_match_the_catalogue(document: str) -> None:
    text = (ROOT / document).read_text("utf-8")
    assert "<!-- models:" in text
    assert _doc.render(text) == text, (
        f"{document} is out of date: python -m promptforge.models._doc README.md docs/google.md"
    )


def test_the_docs_are_regenerated_from_the_data(tmp_path: Path) -> None:
    stale = tmp_path / "doc.md"
    stale.write_text("x\n<!-- models:full -->\nold\n<!-- /models:full -->\ny\n", "utf-8")
    assert _doc.main([str(stale)]) == 0
    text = stale.read_text("utf-8")
    assert "old" not in text
    assert "| `gemini-nano-banana-2.1` | image | current |" in text
    assert text.endswith("\n<!-- /models:full -->\ny\n")


def test_models_command_prints_the_catalogue(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].split()[:4] == ["NAME", "KIND", "STATUS", "SHUTDOWN"]
    (banana,) = [line for line in lines if line.startswith("gemini-nano-banana-2.1 ")]
    assert "current" in banana
    assert "512-4K" in banana
    assert "thinking minimal/high" in banana
    (flash,) = [line for line in lines if line.startswith("gemini-2.5-flash-image ")]
    assert "2026-10-02" in flash
    assert "gemini-nano-banana-2.1" in flash
    assert "facts as of 2026-11-30" in out


def test_models_command_filters_and_prints_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "--kind", "text", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["as_of"] == "2026-11-30"
    assert {m["kind"] for m in document["models"]} == {"text"}
    flash = next(m for m in document["models"] if m["name"] == "gemini-2.5-flash")
    assert flash["use_instead"] == "gemini-3.8-flash"
    assert flash["cite"]["shutdown"] == {"source": "third-party trackers", "date": "2026-11-30"}


def test_models_available_needs_credentials(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("GOOGLE_API_KEY", "GEMINI_API_KEY", "GOOGLE_GENAI_USE_VERTEXAI"):
        monkeypatch.delenv(name, raising=False)
    assert main(["models", "--available"]) == 5
    assert "GOOGLE_API_KEY" in capsys.readouterr().err
