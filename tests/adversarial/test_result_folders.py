"""Hostile result folders, ids and lock files: nothing is read or written outside a folder,
and a damaged folder is moved aside and its item redone, never passed off as done."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from promptforge import (
    GeneratedImage,
    GenerationResult,
    InvalidRequestError,
    Pipeline,
    ResultStore,
    cli,
)
from promptforge._files import LOCK_FILE
from promptforge.testing import FakeEnhancer, FakeGenerator, image_bytes

SECRET = b"root:x:0:0:secret\n"


def saved(root: Path, n: int = 2) -> Path:
    """A real result folder under ``root``, made by the fakes."""
    (result,) = Pipeline(FakeEnhancer(), FakeGenerator()).run_many(["a fox"], out_dir=root, n=n)
    return root / result.id


def edit(folder: Path, change: Callable[[dict[str, Any]], object]) -> None:
    document = json.loads((folder / "result.json").read_text())
    change(document)
    (folder / "result.json").write_text(json.dumps(document))


def set_path(value: object) -> Callable[[dict[str, Any]], object]:
    return lambda document: document["images"][0].__setitem__("path", value)


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A file outside every result folder that must never be read, copied or removed."""
    path = tmp_path / "outside" / "passwd"
    path.parent.mkdir()
    path.write_bytes(SECRET)
    return path


# -- every path read from a result stays inside its folder -------------------------------


@pytest.mark.parametrize("lazy", [False, True])
@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("absolute", "is not a file inside the result folder"),
        ("../../outside/passwd", "is not a file inside the result folder"),
        ("", "missing"),
        (None, "missing"),
        (7, "missing"),
        ("nothing-here.png", "does not exist"),
        (".", "is a folder"),
    ],
)
def test_image_entries_outside_the_folder_are_refused(
    tmp_path: Path, outside: Path, lazy: bool, name: object, message: str
) -> None:
    folder = saved(tmp_path / "out")
    edit(folder, set_path(str(outside) if name == "absolute" else name))
    with pytest.raises(ValueError, match=r"images\[0\]\.path") as raised:
        GenerationResult.load(folder, lazy=lazy)
    assert message in str(raised.value)
    assert "result.json" in str(raised.value)  # names the file too


@pytest.mark.parametrize("lazy", [False, True])
def test_a_symlink_out_of_the_folder_is_refused(tmp_path: Path, outside: Path, lazy: bool) -> None:
    folder = saved(tmp_path / "out")
    (folder / "image-0.png").unlink()
    (folder / "image-0.png").symlink_to(outside)
    with pytest.raises(ValueError, match=r"images\[0\]\.path: .*(outside|symbolic link)"):
        GenerationResult.load(folder, lazy=lazy)


@pytest.mark.parametrize("lazy", [False, True])
def test_a_symlink_inside_the_folder_is_refused_too(tmp_path: Path, lazy: bool) -> None:
    folder = saved(tmp_path / "out")
    (folder / "image-1.png").unlink()
    (folder / "image-1.png").symlink_to(folder / "image-0.png")
    with pytest.raises(ValueError, match=r"images\[1\]\.path: 'image-1.png' is a symbolic link"):
        GenerationResult.load(folder, lazy=lazy)


@pytest.mark.parametrize("lazy", [False, True])
def test_a_fifo_is_refused_without_blocking(tmp_path: Path, lazy: bool) -> None:
    folder = saved(tmp_path / "out")
    (folder / "image-0.png").unlink()
    os.mkfifo(folder / "image-0.png")
    with pytest.raises(ValueError, match="not a regular file"):
        GenerationResult.load(folder, lazy=lazy)


@pytest.mark.parametrize("lazy", [False, True])
@pytest.mark.parametrize(
    "damage",
    [
        lambda folder: (folder / "image-0.png").write_bytes(SECRET),  # not an image
        lambda folder: (folder / "image-0.png").write_bytes(image_bytes(9, 9)),  # other size
        lambda folder: (folder / "image-0.png").write_bytes(image_bytes(64, 64, "image/jpeg")),
        lambda folder: edit(folder, lambda d: d["images"][0].__setitem__("width", 65)),
    ],
    ids=["garbage", "other-size", "other-format", "declared-width"],
)
def test_a_file_that_is_not_the_declared_image_is_refused(
    tmp_path: Path, lazy: bool, damage: Callable[[Path], object]
) -> None:
    folder = saved(tmp_path / "out")
    damage(folder)
    with pytest.raises(ValueError, match=r"images(\[0\]|\.0)"):
        GenerationResult.load(folder, lazy=lazy)


def test_a_lazy_image_swapped_after_loading_is_refused_on_read(tmp_path: Path) -> None:
    folder = saved(tmp_path / "out")
    result = GenerationResult.load(folder, lazy=True)
    (folder / "image-0.png").write_bytes(image_bytes(9, 9))
    with pytest.raises(ValueError, match="not the declared image/png 64x64"):
        result.images[0].read()
    with pytest.raises(ValueError, match="not the declared"):
        result.save(tmp_path / "copy")
    assert not (tmp_path / "copy" / result.id).exists()


def test_result_json_as_a_symlink_is_refused(tmp_path: Path, outside: Path) -> None:
    folder = saved(tmp_path / "out")
    (folder / "result.json").unlink()
    (folder / "result.json").symlink_to(outside)
    with pytest.raises(ValueError, match="symbolic link"):
        GenerationResult.load(folder)


@pytest.mark.parametrize(
    ("text", "message"),
    [("[1, 2]", "not a JSON object"), ("{not json", "result.json"), ("", "result.json")],
)
def test_result_json_that_is_not_a_result_is_refused(
    tmp_path: Path, text: str, message: str
) -> None:
    folder = saved(tmp_path / "out")
    (folder / "result.json").write_text(text)
    with pytest.raises(ValueError, match=message):
        GenerationResult.load(folder)


# -- ids are single folder names; save writes only inside root -----------------------------


@pytest.mark.parametrize("bad", ["", ".", "..", "../escape", "/tmp/x", "a/b", ".hidden"])
def test_a_hostile_id_in_result_json_is_refused_on_load(tmp_path: Path, bad: str) -> None:
    folder = saved(tmp_path / "out")
    edit(folder, lambda document: document.__setitem__("id", bad))
    with pytest.raises(ValueError, match="id"):
        GenerationResult.load(folder)


@pytest.mark.parametrize("bad", ["", ".", "..", "../escape"])
def test_save_never_writes_outside_root_even_for_an_unchecked_id(
    tmp_path: Path, outside: Path, bad: str
) -> None:
    root = tmp_path / "root"
    root.mkdir()
    sneaky = GenerationResult.model_construct(id=bad)  # skips validation
    with pytest.raises(ValueError, match="not a result id"):
        sneaky.save(root)
    absolute = GenerationResult.model_construct(id=str(outside))
    with pytest.raises(ValueError, match="not a result id"):
        absolute.save(root)
    assert outside.read_bytes() == SECRET
    assert sorted(p.name for p in tmp_path.iterdir()) == ["outside", "root"]
    assert list(root.iterdir()) == []


def test_save_over_a_planted_symlink_replaces_the_link_not_its_target(
    tmp_path: Path, outside: Path
) -> None:
    result = GenerationResult.load(saved(tmp_path / "first"))
    root = tmp_path / "root"
    root.mkdir()
    (root / result.id).symlink_to(outside.parent, target_is_directory=True)
    folder = result.save(root)
    assert folder.is_dir()
    assert not folder.is_symlink()
    assert outside.read_bytes() == SECRET
    assert sorted(p.name for p in outside.parent.iterdir()) == ["passwd"]


# -- the batch lock follows no link ---------------------------------------------------------


def test_a_planted_lock_symlink_is_refused_and_its_target_never_created(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    target = tmp_path / "created-by-the-attack"
    (out / LOCK_FILE).symlink_to(target)
    pipe = Pipeline(FakeEnhancer(), FakeGenerator())
    with pytest.raises(InvalidRequestError, match="symbolic link") as raised:
        pipe.run_many(["a"], out_dir=out)
    assert raised.value.field == "out_dir"
    assert not target.exists()
    source = tmp_path / "prompts.txt"
    source.write_text("a fox\n")
    assert cli.main(["batch", str(source), "--out", str(out)]) == cli.BAD_INPUT
    assert not target.exists()


def test_a_planted_lock_symlink_to_an_existing_file_leaves_it_alone(
    tmp_path: Path, outside: Path
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / LOCK_FILE).symlink_to(outside)
    with pytest.raises(InvalidRequestError, match="symbolic link"):
        ResultStore(out)
    assert outside.read_bytes() == SECRET


@pytest.mark.parametrize("kind", ["folder", "fifo"])
def test_a_lock_that_is_not_a_file_is_refused_without_blocking(tmp_path: Path, kind: str) -> None:
    out = tmp_path / "out"
    out.mkdir()
    if kind == "folder":
        (out / LOCK_FILE).mkdir()
    else:
        os.mkfifo(out / LOCK_FILE)
    with pytest.raises(InvalidRequestError, match=LOCK_FILE):
        ResultStore(out)


# -- damaged folders are moved aside and redone, never passed off as done ------------------


def _extra_field(folder: Path) -> None:
    edit(folder, lambda document: document.__setitem__("surprise", 1))


def _entry_without_path(folder: Path) -> None:
    edit(folder, lambda document: document["images"][0].pop("path"))


def _width_as_text(folder: Path) -> None:
    edit(folder, lambda document: document["images"][0].__setitem__("width", "64"))


def _image_deleted(folder: Path) -> None:
    (folder / "image-0.png").unlink()


def _image_truncated(folder: Path) -> None:
    (folder / "image-0.png").write_bytes(b"\x89PNG")


def _escaping_path(folder: Path) -> None:
    edit(folder, set_path("../../outside/passwd"))


@pytest.mark.parametrize(
    "damage",
    [
        _extra_field,
        _entry_without_path,
        _width_as_text,
        _image_deleted,
        _image_truncated,
        _escaping_path,
    ],
)
@pytest.mark.parametrize("keep_images", [True, False])
def test_a_damaged_folder_is_moved_aside_and_its_item_redone(
    tmp_path: Path, outside: Path, damage: Callable[[Path], None], keep_images: bool
) -> None:
    out = tmp_path / "out"
    folder = saved(out, n=1)
    damage(folder)
    before = sorted(p.name for p in folder.iterdir())

    generator = FakeGenerator()
    with ResultStore(out) as store:
        (result,) = Pipeline(FakeEnhancer(), generator).run_many(
            ["a fox"], out_dir=store, n=1, keep_images=keep_images
        )
    assert len(generator.calls) == 1  # redone, not passed off as done
    assert result.ok
    assert not result.resumed
    assert store.report.redone == {"damaged: moved to .damaged/": 1}
    ((moved, reason),) = store.report.damaged
    assert moved == out / ".damaged" / folder.name
    assert sorted(p.name for p in moved.iterdir()) == before  # moved whole, never deleted
    assert not folder.exists()
    assert reason
    assert outside.read_bytes() == SECRET

    again = FakeGenerator()  # the redone result is the one a re-run resumes
    (third,) = Pipeline(FakeEnhancer(), again).run_many(["a fox"], out_dir=out, n=1)
    assert again.calls == []
    assert third.resumed


@pytest.mark.parametrize("text", ["{not json", "[]", '{"request": {"prompt": 1}}'])
def test_an_unreadable_result_json_is_moved_aside_when_the_store_opens(
    tmp_path: Path, text: str
) -> None:
    out = tmp_path / "out"
    folder = saved(out, n=1)
    (folder / "result.json").write_text(text)
    generator = FakeGenerator()
    with ResultStore(out) as store:
        Pipeline(FakeEnhancer(), generator).run_many(["a fox"], out_dir=store, n=1)
    assert len(generator.calls) == 1
    assert [moved.name for moved, _ in store.report.damaged] == [folder.name]
    assert (out / ".damaged" / folder.name / "result.json").read_text() == text


def test_a_second_damage_of_the_same_name_gets_its_own_place(tmp_path: Path) -> None:
    out = tmp_path / "out"
    folder = saved(out, n=1)
    for _ in range(2):
        clone = out / folder.name
        if not clone.exists():
            clone.mkdir()
        (clone / "result.json").write_text("{not json")
        ResultStore(out).close()
    assert sorted(p.name for p in (out / ".damaged").iterdir()) == [
        folder.name,
        f"{folder.name}-1",
    ]


def test_foreign_entries_are_left_alone(tmp_path: Path, outside: Path) -> None:
    out = tmp_path / "out"
    folder = saved(out, n=1)
    (out / "notes.txt").write_text("mine")
    (out / "photos").mkdir()
    (out / "linked").symlink_to(folder, target_is_directory=True)  # a folder link: not ours
    (out / "elsewhere").symlink_to(outside.parent, target_is_directory=True)
    with ResultStore(out) as store:
        assert len(store) == 1
    assert store.report.damaged == []
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == sorted(
        ["elsewhere", "linked", "notes.txt", "photos", folder.name]
    )


def test_the_cli_summary_names_damaged_folders(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "prompts.txt"
    source.write_text("a fox\n")
    out = tmp_path / "out"
    assert cli.main(["batch", str(source), "--out", str(out)]) == cli.OK
    (folder,) = [p for p in out.iterdir() if not p.name.startswith(".")]
    (folder / "image-0.png").unlink()
    capsys.readouterr()
    assert cli.main(["batch", str(source), "--out", str(out)]) == cli.OK
    captured = capsys.readouterr()
    assert "redone        1  damaged: moved to .damaged/" in captured.out
    assert f"damaged result folder moved to {out / '.damaged' / folder.name}" in captured.err
    assert "image-0.png' does not exist" in captured.err


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.__setitem__("images", "image-0.png"), "images: expected a list"),
        (lambda d: d["images"].__setitem__(0, "image-0.png"), r"images\[0\]: expected an object"),
    ],
)
def test_image_entries_of_the_wrong_shape_are_refused(
    tmp_path: Path, change: Callable[[dict[str, Any]], object], message: str
) -> None:
    folder = saved(tmp_path / "out")
    edit(folder, change)
    with pytest.raises(ValueError, match=message):
        GenerationResult.load(folder, lazy=True)


def test_a_lazy_jpeg_with_long_headers_is_checked_whole(tmp_path: Path) -> None:
    from io import BytesIO

    from PIL import Image

    buffer = BytesIO()
    Image.new("RGB", (40, 30)).save(buffer, "JPEG", icc_profile=b"\0" * 200_000)
    image = GeneratedImage.from_bytes(buffer.getvalue())
    folder = GenerationResult(images=[image]).save(tmp_path)
    lazy = GenerationResult.load(folder, lazy=True)
    assert (lazy.images[0].width, lazy.images[0].height) == (40, 30)
    assert lazy.images[0].read() == buffer.getvalue()


def test_failed_and_newer_results_are_left_alone(tmp_path: Path) -> None:
    out = tmp_path / "out"
    newer = saved(out, n=1)
    edit(newer, lambda document: document.__setitem__("version", 3))
    failed = saved(out, n=1)
    edit(failed, lambda document: document.__setitem__("error", {"type": "X", "message": "m"}))
    generator = FakeGenerator()
    with ResultStore(out) as store:
        assert len(store) == 0
        Pipeline(FakeEnhancer(), generator).run_many(["a fox"], out_dir=store, n=1)
    assert len(generator.calls) == 1
    assert store.report.damaged == []
    assert store.report.redone == {}
    assert newer.is_dir()
    assert failed.is_dir()


@pytest.mark.parametrize("lazy", [False, True])
def test_a_rounds_image_path_cannot_leave_the_folder(
    tmp_path: Path, outside: Path, lazy: bool
) -> None:
    from promptforge.testing import FakeJudge, scripted_verdict

    judge = FakeJudge([scripted_verdict(0.4, fix="smaller"), scripted_verdict(0.9)])
    pipe = Pipeline(FakeEnhancer(), FakeGenerator(), judge=judge)
    folder = pipe.run("a fox", target=0.8, max_rounds=2).save(tmp_path / "out")
    assert GenerationResult.load(folder, lazy=lazy).rounds  # the rounds load back as saved
    hostile = os.path.relpath(outside, folder)
    edit(folder, lambda document: document["rounds"][0]["images"][0].__setitem__("path", hostile))
    with pytest.raises(ValueError, match=r"rounds\[0\]\.images\[0\]\.path"):
        GenerationResult.load(folder, lazy=lazy)


# -- conversation images: confined and checked like image files ----------------------------

EARLIER = image_bytes(20, 20, shade=7)
PART = "images[0].conversation.turns[1].parts[0]"


def conversed(root: Path) -> Path:
    """A saved result whose image carries a conversation holding an earlier image."""
    from promptforge._conversation import Conversation, Turn, TurnPart

    turns = (
        Turn(role="user", parts=(TurnPart(text="a fox"),)),
        Turn(role="model", parts=(TurnPart(data=EARLIER, mime_type="image/png"),)),
        Turn(role="user", parts=(TurnPart(text="smaller"),)),
    )
    conversation = Conversation(backend="B", model="m", turns=turns)
    image = GeneratedImage.from_bytes(image_bytes(8, 8), conversation=conversation)
    result = GenerationResult(images=[image])
    folder = result.save(root)
    assert GenerationResult.load(folder) == result
    return folder


def set_part(key: str, value: object) -> Callable[[dict[str, Any]], object]:
    return lambda d: d["images"][0]["conversation"]["turns"][1]["parts"][0].__setitem__(key, value)


@pytest.mark.parametrize("lazy", [False, True])
@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("absolute", "is not a file inside the result folder"),
        ("../../outside/passwd", "is not a file inside the result folder"),
        ("conversation/nothing.png", "does not exist"),
        ("conversation", "is a folder|not a regular file"),
    ],
)
def test_conversation_files_outside_the_folder_are_refused(
    tmp_path: Path, outside: Path, lazy: bool, name: str, message: str
) -> None:
    folder = conversed(tmp_path / "out")
    edit(folder, set_part("path", str(outside) if name == "absolute" else name))
    with pytest.raises(ValueError, match=rf"{re.escape(PART)}\.path: .*({message})"):
        GenerationResult.load(folder, lazy=lazy)


@pytest.mark.parametrize("lazy", [False, True])
def test_a_conversation_file_that_is_a_symlink_is_refused(
    tmp_path: Path, outside: Path, lazy: bool
) -> None:
    folder = conversed(tmp_path / "out")
    (kept,) = (folder / "conversation").iterdir()
    kept.unlink()
    kept.symlink_to(folder / "image-0.png")
    with pytest.raises(ValueError, match=rf"{re.escape(PART)}\.path: .*(symbolic link|regular)"):
        GenerationResult.load(folder, lazy=lazy)


def test_a_conversation_file_is_checked_against_its_hash(tmp_path: Path) -> None:
    folder = conversed(tmp_path / "out")
    (kept,) = (folder / "conversation").iterdir()
    assert kept.name.endswith(".png")
    assert kept.read_bytes() == EARLIER
    kept.write_bytes(SECRET)
    with pytest.raises(ValueError, match=rf"{re.escape(PART)}\.path: .*sha256"):
        GenerationResult.load(folder)
    lazy = GenerationResult.load(folder, lazy=True)  # not read until needed
    part = lazy.images[0].conversation.turns[1].parts[0]  # type: ignore[union-attr]
    with pytest.raises(ValueError, match="not the image its conversation holds"):
        part.bytes_of(bytes)


@pytest.mark.parametrize("index", [0, 5, -1, "0"])
def test_a_conversation_reference_that_is_not_one_is_refused(tmp_path: Path, index: object) -> None:
    folder = conversed(tmp_path / "out")
    edit(folder, set_part("path", None))
    edit(folder, set_part("reference", index))
    with pytest.raises(ValueError, match=rf"{re.escape(PART)}\.reference"):
        GenerationResult.load(folder, lazy=True)
