"""``--ref PATH[:ROLE]`` and ``promptforge edit``, offline, in-process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from promptforge import GenerationResult, Pipeline, cli
from promptforge._cli_edit import parse_ref
from promptforge.enhancers import RuleEnhancer
from promptforge.testing import FakeGenerator, image_bytes


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("GOOGLE_API_KEY", "GEMINI_API_KEY", "GOOGLE_GENAI_USE_VERTEXAI"):
        monkeypatch.delenv(name, raising=False)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def use_pipeline(monkeypatch: pytest.MonkeyPatch, pipe: Pipeline) -> None:
    monkeypatch.setattr(cli, "pipeline_for", lambda args: pipe)


@pytest.fixture
def knight(tmp_path: Path) -> Path:
    path = tmp_path / "knight.png"
    path.write_bytes(image_bytes(40, 60))
    return path


def test_generate_with_a_reference_then_edit_the_saved_result(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, knight: Path
) -> None:
    out_dir = tmp_path / "out"
    code, _, _ = run(capsys, "generate", "a knight", "--ref", f"{knight}:character",
                     "--out", str(out_dir), "--backend", "offline")  # fmt: skip
    assert code == cli.OK
    (folder,) = out_dir.iterdir()
    first = GenerationResult.load(folder)
    assert first.request is not None
    (ref,) = first.request.options.references
    assert (ref.role, ref.data) == ("character", knight.read_bytes())

    code, out, err = run(capsys, "edit", str(folder), "make the crown smaller",
                         "--out", str(out_dir), "--backend", "offline")  # fmt: skip
    assert code == cli.OK
    assert err == ""
    assert "edit:     make the crown smaller" in out
    assert f"parent:   {first.id}" in out
    (edited_folder,) = (f for f in out_dir.iterdir() if f != folder)
    edited = GenerationResult.load(edited_folder)
    assert edited.parent_id == first.id
    assert edited.instruction == "make the crown smaller"
    assert edited.images[0].metadata["edits"] == "make the crown smaller"
    assert f"saved:    {edited_folder}/" in out

    code, out, _ = run(capsys, "edit", str(edited_folder / "image-0.png"), "smaller still",
                       "--out", str(out_dir), "--backend", "offline", "--json")  # fmt: skip
    document = json.loads(out)
    assert document["parent_id"] == edited.id
    assert document["images"][0]["metadata"]["edits"] == "make the crown smaller\nsmaller still"


def test_edit_an_image_file_with_references(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    knight: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    generator = FakeGenerator()
    use_pipeline(monkeypatch, Pipeline(RuleEnhancer(), generator))
    refs = ["--ref", f"{knight}:object", "--ref", str(knight)]
    out = ["--aspect", "16:9", "--out", str(tmp_path / "o")]
    code, _, _ = run(capsys, "edit", str(knight), "add a shield", *refs, *out)
    assert code == cli.OK
    (call,) = generator.edit_calls
    assert [r.role for r in call.options.references] == ["object", "subject"]
    assert call.options.aspect_ratio == "16:9"
    assert call.image.data == knight.read_bytes()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["generate", "a knight", "--ref", "{knight}:hero"], "role 'hero' is not one of"),
        (["generate", "a knight", "--ref", "{notes}"], "notes.txt' is not an image"),
        (["edit", "{missing}", "smaller"], "target: cannot read"),
        (["edit", "{knight}", " "], "instruction: must be a non-empty str"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, knight: Path, argv: list[str], message: str
) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("hello")
    paths = {"knight": knight, "notes": notes, "missing": tmp_path / "missing.png"}
    args = [a.format(**paths) for a in argv]
    code, out, err = run(capsys, *args, "--out", str(tmp_path / "o"))
    assert code == cli.BAD_INPUT
    assert message in err
    assert err.count("\n") == 1
    assert out == ""


def test_too_many_references_for_the_generator_exit_2(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    knight: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from promptforge import GeneratorCapabilities

    generator = FakeGenerator(capabilities=GeneratorCapabilities())
    use_pipeline(monkeypatch, Pipeline(RuleEnhancer(), generator))
    code, _, err = run(capsys, "generate", "a knight", "--ref", str(knight), "--out", str(tmp_path))
    assert code == cli.BAD_INPUT
    assert "max_references=0" in err
    assert generator.calls == []


def test_parse_ref_paths_with_colons(tmp_path: Path) -> None:
    odd = tmp_path / "a:b.png"
    odd.write_bytes(image_bytes(4, 4))
    assert parse_ref(str(odd)).role == "subject"
    assert parse_ref(f"{odd}:style").role == "style"
