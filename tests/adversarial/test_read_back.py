"""Every file read back is hostile: series folders, galleries, Batch Mode job records and
answers, the model catalogue, image provenance, the run log. Paths stay inside their folder,
ids are checked, sizes are bounded, and damage is a clear error, never a traceback."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import struct
import zlib
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from promptforge import (
    ConfigurationError,
    GenerationResult,
    Pipeline,
    SeriesResult,
    cli,
    read_provenance,
)
from promptforge._files import MAX_JSON_BYTES
from promptforge._gallery import write_gallery
from promptforge._series_result import SERIES_FILE
from promptforge.testing import FakeEnhancer, FakeGenerator, image_bytes

SECRET = b"root:x:0:0:secret\n"
OUTSIDE_PNG = image_bytes(7, 7)


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder outside every saved folder: nothing in it may be read or written."""
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "passwd").write_bytes(SECRET)
    (folder / "anchor.png").write_bytes(OUTSIDE_PNG)
    return folder


def sparse(path: Path, size: int) -> Path:
    """A file of ``size`` bytes that takes no disk space."""
    with open(path, "wb") as handle:
        handle.truncate(size)
    return path


# -- series folders -------------------------------------------------------------------------


def series_folder(root: Path) -> Path:
    series = Pipeline(FakeEnhancer(), FakeGenerator()).series(["a fox", "a hare"])
    return series.save(root)


def edit_series(folder: Path, change: Callable[[dict[str, Any]], object]) -> None:
    document = json.loads((folder / SERIES_FILE).read_text())
    change(document)
    (folder / SERIES_FILE).write_text(json.dumps(document))


def test_a_saved_series_loads(tmp_path: Path) -> None:
    folder = series_folder(tmp_path / "out")
    loaded = SeriesResult.load(folder, lazy=True)
    assert len(loaded.items) == 2
    assert loaded.anchor is not None


@pytest.mark.parametrize("lazy", [False, True])
@pytest.mark.parametrize("name", ["absolute", "../outside/anchor.png", "../../x", "", 5, None])
def test_the_anchor_file_stays_inside_the_series_folder(
    tmp_path: Path, outside: Path, lazy: bool, name: object
) -> None:
    folder = series_folder(tmp_path / "out")
    where = str(outside / "anchor.png") if name == "absolute" else name
    edit_series(folder, lambda d: d["anchor"].__setitem__("file", where))
    with pytest.raises(ValueError, match=r"series\.json: anchor\.file"):
        SeriesResult.load(folder, lazy=lazy)


@pytest.mark.parametrize("lazy", [False, True])
def test_an_anchor_that_is_a_symlink_out_is_refused(
    tmp_path: Path, outside: Path, lazy: bool
) -> None:
    folder = series_folder(tmp_path / "out")
    (folder / "anchor.png").unlink()
    (folder / "anchor.png").symlink_to(outside / "anchor.png")
    with pytest.raises(ValueError, match=r"anchor\.file"):
        SeriesResult.load(folder, lazy=lazy)


@pytest.mark.parametrize("lazy", [False, True])
def test_an_anchor_that_is_not_its_image_is_refused(tmp_path: Path, lazy: bool) -> None:
    folder = series_folder(tmp_path / "out")
    (folder / "anchor.png").write_bytes(OUTSIDE_PNG)  # another size than declared
    with pytest.raises(ValueError, match=r"anchor"):
        SeriesResult.load(folder, lazy=lazy)


@pytest.mark.parametrize("name", ["../other", "..", ".", "/tmp", "a/b", 7])
def test_an_item_folder_is_a_result_id_inside_the_series(
    tmp_path: Path, outside: Path, name: object
) -> None:
    folder = series_folder(tmp_path / "out")
    other = Pipeline(FakeEnhancer(), FakeGenerator()).run("a stranger")
    other.save(tmp_path / "out")  # a real result beside the series, not in it
    os.rename(tmp_path / "out" / other.id, tmp_path / "out" / "other")
    edit_series(folder, lambda d: d["items"][0].__setitem__("folder", name))
    with pytest.raises(ValueError, match=r"series\.json: items\[0\]\.folder"):
        SeriesResult.load(folder, lazy=True)


def test_an_item_folder_that_is_a_symlink_out_is_refused(tmp_path: Path) -> None:
    folder = series_folder(tmp_path / "out")
    name = json.loads((folder / SERIES_FILE).read_text())["items"][0]["folder"]
    os.rename(folder / name, tmp_path / "moved")
    (folder / name).symlink_to(tmp_path / "moved")
    with pytest.raises(ValueError, match=r"items\[0\]\.folder: .*symbolic link"):
        SeriesResult.load(folder, lazy=True)


@pytest.mark.parametrize("bad", ["../../escape", "a/b", "", ".hidden"])
def test_a_hostile_series_id_is_refused_on_load(tmp_path: Path, bad: str) -> None:
    folder = series_folder(tmp_path / "out")
    edit_series(folder, lambda d: d.__setitem__("id", bad))
    with pytest.raises(ValueError, match="is not a result id"):
        SeriesResult.load(folder, lazy=True)


@pytest.mark.parametrize(
    "document",
    [
        [],
        "text",
        {"items": 5},
        {"items": [5]},
        {"anchor": "anchor.png", "items": []},
        {"items": [{"folder": None}]},  # a failed item without its record
    ],
    ids=["list", "str", "items-int", "item-int", "anchor-str", "no-record"],
)
def test_a_series_json_of_the_wrong_shape_is_a_value_error(tmp_path: Path, document: Any) -> None:
    folder = series_folder(tmp_path / "out")
    (folder / SERIES_FILE).write_text(json.dumps(document))
    with pytest.raises(ValueError, match=r"series\.json"):
        SeriesResult.load(folder, lazy=True)


def test_series_json_is_read_without_following_links_or_reading_too_much(
    tmp_path: Path, outside: Path
) -> None:
    folder = series_folder(tmp_path / "out")
    real = folder / SERIES_FILE
    os.rename(real, outside / SERIES_FILE)
    real.symlink_to(outside / SERIES_FILE)
    with pytest.raises(ValueError, match="symbolic link"):
        SeriesResult.load(folder)
    real.unlink()
    os.mkfifo(real)
    with pytest.raises(ValueError, match="not a regular file"):
        SeriesResult.load(folder)
    real.unlink()
    sparse(real, MAX_JSON_BYTES + 1)
    with pytest.raises(ValueError, match="larger than"):
        SeriesResult.load(folder)
    real.write_text("[" * 100_000)
    with pytest.raises(ValueError, match="nested too deeply"):
        SeriesResult.load(folder)


# -- bible.json when a series resumes -------------------------------------------------------


def resumable(root: Path) -> tuple[Pipeline, SeriesResult]:
    pipe = Pipeline(FakeEnhancer(), FakeGenerator())
    return pipe, pipe.series(["a fox", "a hare"], out_dir=root)


@pytest.mark.parametrize(
    "text",
    ["[1, 2]", '"text"', "[" * 100_000, '{"key": 5, "id": []}', "\xff\xfe"],
    ids=["list", "str", "deep", "wrong-types", "not-utf8"],
)
def test_a_damaged_bible_json_starts_the_series_afresh(tmp_path: Path, text: str) -> None:
    pipe, first = resumable(tmp_path / "out")
    (tmp_path / "out" / "zz-planted").mkdir()
    (tmp_path / "out" / "zz-planted" / "bible.json").write_text(text, "latin-1")
    (tmp_path / "out" / first.id / "bible.json").write_text(text, "latin-1")
    again = pipe.series(["a fox", "a hare"], out_dir=tmp_path / "out")
    assert again.id != first.id


def test_a_bible_json_that_is_a_symlink_is_not_followed(tmp_path: Path, outside: Path) -> None:
    pipe, first = resumable(tmp_path / "out")
    record = tmp_path / "out" / first.id / "bible.json"
    os.rename(record, outside / "bible.json")
    record.symlink_to(outside / "bible.json")
    again = pipe.series(["a fox", "a hare"], out_dir=tmp_path / "out")
    assert again.id != first.id  # the planted record was not taken as ours


def test_a_bible_json_in_a_linked_folder_is_not_followed(tmp_path: Path, outside: Path) -> None:
    pipe, first = resumable(tmp_path / "out")
    os.rename(tmp_path / "out" / first.id, outside / first.id)
    (tmp_path / "out" / first.id).symlink_to(outside / first.id)
    again = pipe.series(["a fox", "a hare"], out_dir=tmp_path / "out")
    assert again.id != first.id
    assert (tmp_path / "out" / again.id).is_dir()
    assert not (tmp_path / "out" / again.id).is_symlink()


# -- the gallery ----------------------------------------------------------------------------

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.attrs: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attrs += [(k, v or "") for k, v in attrs]


def page_of(path: Path) -> _Page:
    parser = _Page()
    parser.feed(path.read_text("utf-8"))
    parser.close()
    return parser


def test_every_user_string_in_a_gallery_is_escaped(tmp_path: Path) -> None:
    out = tmp_path / "out"
    pipe = Pipeline(FakeEnhancer(), FakeGenerator())
    (result,) = pipe.run_many([HOSTILE], out_dir=out)
    folder = out / result.id
    document = json.loads((folder / "result.json").read_text())
    document["warnings"] = [HOSTILE]
    document["prompt"]["text"] = HOSTILE
    document["prompt"]["negative_prompt"] = HOSTILE
    (folder / "result.json").write_text(json.dumps(document))
    os.rename(folder, out / HOSTILE.replace("/", "_"))
    page = page_of(write_gallery(out))
    assert "script" not in page.tags
    assert page.tags & {"img"}
    assert not [k for k, _ in page.attrs if k.startswith("on")]
    for key, value in page.attrs:
        if key in ("href", "src"):
            assert (out / value).resolve().is_relative_to(out.resolve()), value
    series = Pipeline(FakeEnhancer(), FakeGenerator()).series([HOSTILE, f"{HOSTILE} again"])
    page = page_of(write_gallery(series.save(tmp_path / "series")))
    assert "script" not in page.tags
    assert not [k for k, _ in page.attrs if k.startswith("on")]


def test_a_gallery_skips_a_result_folder_linked_from_elsewhere(
    tmp_path: Path, outside: Path
) -> None:
    out = tmp_path / "out"
    Pipeline(FakeEnhancer(), FakeGenerator()).run_many(["a fox"], out_dir=out)
    stranger = Pipeline(FakeEnhancer(), FakeGenerator()).run("a stranger")
    stranger.save(outside)
    (out / "linked").symlink_to(outside / stranger.id)
    page = page_of(write_gallery(out))
    links = [v for k, v in page.attrs if k in ("href", "src")]
    assert links
    assert not [link for link in links if link.startswith("linked")]
    for link in links:
        assert (out / link).resolve().is_relative_to(out.resolve()), link


def test_a_gallery_shows_a_damaged_result_folder_as_such(tmp_path: Path, outside: Path) -> None:
    out = tmp_path / "out"
    results = Pipeline(FakeEnhancer(), FakeGenerator()).run_many(["a fox", "a hare"], out_dir=out)
    damaged = out / results[1].id
    document = json.loads((damaged / "result.json").read_text())
    document["images"][0]["path"] = str(outside / "anchor.png")
    (damaged / "result.json").write_text(json.dumps(document))
    text = write_gallery(out).read_text("utf-8")
    assert results[0].id in text  # the good one is shown
    assert "is not a file inside the result folder" in text  # the damaged one says why
    assert "outside/anchor.png" not in re.sub(r"<p class=\"error\">.*?</p>", "", text)
