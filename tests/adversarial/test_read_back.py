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
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from google_backends.batch_server import BatchService
from google_backends.conftest import _client as google_client
from google_backends.server import GoogleServer
from promptforge import (
    BatchJob,
    ConfigurationError,
    GenerationResult,
    InvalidRequestError,
    Pipeline,
    SeriesResult,
    _guard,
    cli,
    models,
    read_provenance,
)
from promptforge._files import MAX_JSON_BYTES
from promptforge._gallery import write_gallery
from promptforge._provenance import MAX_IMAGE_BYTES, PF, RDF, Provenance, embed
from promptforge._runlog import RunLog
from promptforge._series_result import SERIES_FILE
from promptforge.batchmode import _limits, _record
from promptforge.generators import GeminiImageGenerator
from promptforge.models._load import MAX_CATALOGUE_BYTES
from promptforge.testing import FakeEnhancer, FakeGenerator, image_bytes

from .test_result_folders import PART, conversed, set_part
from .test_result_folders import edit as edit_result

if TYPE_CHECKING:
    from google.genai import Client

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


def test_the_gallery_command_on_a_hostile_series_is_bad_input_in_one_line(
    tmp_path: Path, outside: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = series_folder(tmp_path / "out")
    edit_series(folder, lambda d: d["items"][0].__setitem__("folder", "../../outside"))
    assert cli.main(["gallery", str(folder)]) == cli.BAD_INPUT
    err = capsys.readouterr().err
    assert "items[0].folder" in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


# -- Google Batch Mode: the job record, the collected log, the server's answers ------------

MODEL = "gemini-nano-banana-2.1"


@pytest.fixture
def google() -> Iterator[tuple[BatchService, Client]]:
    """The local Google server with its Batch Mode, and a real client pointed at it."""
    previous = _guard.allow_real_backends(True)
    try:
        with GoogleServer() as server:
            yield BatchService(server), google_client(server, vertex=False)
    finally:
        _guard.allow_real_backends(previous)


def submitted(
    google: tuple[BatchService, Client], out: Path, count: int = 3, *, file: bool = False
) -> BatchJob:
    """A job of ``count`` prompts that has succeeded (a file job with ``file``)."""
    service, client = google
    pipe = Pipeline(FakeEnhancer(), GeminiImageGenerator(model=MODEL, client=client))
    with pytest.MonkeyPatch.context() as patch:
        if file:
            patch.setattr(_limits, "INLINE_ITEMS", _limits.Limit(1, "test"))
        job = pipe.submit([f"corgi {n}" for n in range(count)], out_dir=out)
    assert job.record.source == ("file" if file else "inline")
    service.finish(service.only_job())
    return job


def edit_record(out: Path, change: Callable[[dict[str, Any]], object]) -> None:
    path = out / _record.JOB_FILE
    document = json.loads(path.read_text())
    change(document)
    path.write_text(json.dumps(document))


def reopen(google: tuple[BatchService, Client], out: Path) -> BatchJob:
    return BatchJob.open(out, generator=GeminiImageGenerator(model=MODEL, client=google[1]))


@pytest.mark.parametrize("bad", ["../escape", "/tmp/x", "a/b", "", ".hidden", "x:0"])
@pytest.mark.parametrize("field", ["items.0.id", "display_name"])
def test_a_record_whose_ids_are_paths_is_refused_on_open(
    google: tuple[BatchService, Client], tmp_path: Path, bad: str, field: str
) -> None:
    out = tmp_path / "out"
    submitted(google, out)

    def change(document: dict[str, Any]) -> None:
        if field == "display_name":
            document["display_name"] = bad
        else:
            document["items"][0]["id"] = bad

    edit_record(out, change)
    with pytest.raises(InvalidRequestError, match=re.escape(_record.JOB_FILE)) as raised:
        reopen(google, out)
    assert raised.value.field == "out_dir"


def test_a_record_with_one_id_twice_is_refused_on_open(
    google: tuple[BatchService, Client], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    submitted(google, out)
    edit_record(out, lambda d: d["items"][1].__setitem__("id", d["items"][0]["id"]))
    with pytest.raises(InvalidRequestError, match="twice"):
        reopen(google, out)


def test_a_planted_collected_log_link_is_never_written_through(
    google: tuple[BatchService, Client], tmp_path: Path, outside: Path
) -> None:
    out = tmp_path / "out"
    job = submitted(google, out)
    (out / _record.COLLECTED_FILE).symlink_to(outside / "created-by-collect")
    with pytest.raises(InvalidRequestError, match=re.escape(_record.COLLECTED_FILE)):
        job.collect()
    assert not (outside / "created-by-collect").exists()
    (out / _record.COLLECTED_FILE).unlink()
    (out / _record.COLLECTED_FILE).symlink_to(outside / "passwd")
    with pytest.raises(InvalidRequestError, match=re.escape(_record.COLLECTED_FILE)):
        job.collect()
    assert (outside / "passwd").read_bytes() == SECRET


@pytest.mark.parametrize(
    "line",
    [
        {"ok": False, "error": "boom"},
        {"ok": False, "error": {"type": 5}},
        {"ok": "yes"},
    ],
    ids=["error-str", "error-shape", "ok-str"],
)
def test_a_damaged_collected_log_line_is_collected_again(
    google: tuple[BatchService, Client], tmp_path: Path, line: dict[str, Any]
) -> None:
    out = tmp_path / "out"
    job = submitted(google, out)
    entry = {"id": job.record.items[0].id, **line}
    (out / _record.COLLECTED_FILE).write_text(json.dumps(entry) + "\n")
    results = job.collect()
    assert [r.ok for r in results] == [True, True, True]


def test_hostile_output_lines_are_skipped_and_never_become_paths(
    google: tuple[BatchService, Client],
    tmp_path: Path,
    outside: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    service, _ = google
    out = tmp_path / "out"
    job = submitted(google, out, file=True)
    name = job.refresh() and service.only_job().output["responsesFile"]  # type: ignore[index]
    real = [json.loads(line) for line in service.files[name].decode().splitlines()]
    first, second, third = (item.id for item in job.record.items)
    failed = {"error": {"code": 400, "message": "planted"}}
    monkeypatch.setattr(_record, "MAX_LINE_BYTES", 50_000)
    hostile = [
        "not json at all",
        "[1, 2, 3]",
        json.dumps({"key": "../../outside/x:0", "response": real[0]["response"]}),
        json.dumps({"key": f"{outside}/x:0", "response": real[0]["response"]}),
        json.dumps({"key": 5, "response": real[0]["response"]}),
        json.dumps({"key": f"{second}:7", **failed}),  # a call the item never made
        json.dumps({"key": f"{second}:\u0661", **failed}),  # an Arabic-Indic one
        json.dumps({"key": f"{third}:0", "error": {"code": "x", "message": [1]}}),
        json.dumps({"key": f"{third}:0", "response": "not an answer"}),
        json.dumps({"key": f"{third}:0", "pad": "x" * 60_000}),  # over the line limit
        json.dumps(real[0]),
        json.dumps({**real[0], **failed, "response": None}),  # the same key again
        json.dumps(real[1]),
        json.dumps(real[2]),
    ]
    service.files[name] = ("\n".join(hostile) + "\n").encode()
    results = job.collect()
    assert [r.id for r in results] == [first, second, third]
    assert [r.ok for r in results] == [True, True, False]
    assert results[2].error is not None
    assert sorted(p.name for p in outside.iterdir()) == ["anchor.png", "passwd"]
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == sorted(
        [first, second]
    )


def test_a_planted_output_file_or_download_link_is_not_followed(
    google: tuple[BatchService, Client], tmp_path: Path, outside: Path
) -> None:
    out = tmp_path / "out"
    job = submitted(google, out, file=True)
    job.refresh()
    partial = out / f"{_record.OUTPUT_FILE}.partial"
    partial.symlink_to(outside / "passwd")
    results = job.collect()
    assert all(r.ok for r in results)
    assert (outside / "passwd").read_bytes() == SECRET  # the link was never written through

    out2 = tmp_path / "out2"
    google[0].jobs.clear()
    job = submitted(google, out2, file=True)
    job.refresh()
    (outside / "answers.jsonl").write_text("{}\n")
    (out2 / _record.OUTPUT_FILE).symlink_to(outside / "answers.jsonl")
    with pytest.raises(InvalidRequestError, match=re.escape(_record.OUTPUT_FILE)):
        job.collect()


def test_a_planted_history_link_is_never_moved_into(tmp_path: Path, outside: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / _record.JOB_FILE).write_text("{}")
    (out / _record.HISTORY).symlink_to(outside)
    record = _record.JobRecord.model_construct(display_name="promptforge-x")
    with pytest.raises(InvalidRequestError, match=re.escape(_record.HISTORY)):
        _record.retire(out, record)
    assert sorted(p.name for p in outside.iterdir()) == ["anchor.png", "passwd"]


def test_the_input_file_is_never_written_through_a_planted_link(
    tmp_path: Path, outside: Path
) -> None:
    path = tmp_path / _record.INPUT_FILE
    (tmp_path / f"{path.name}.{os.getpid()}.partial").symlink_to(outside / "passwd")
    _record.write_lines(path, [{"key": "a"}])
    assert (outside / "passwd").read_bytes() == SECRET
    assert json.loads(path.read_text()) == {"key": "a"}


# -- provenance inside image files ----------------------------------------------------------

FACTS = Provenance(idea="a fox", prompt="A fox in snow.", seed=7, result_id="r1")


def png_with(*chunks: bytes) -> bytes:
    """A real PNG with ``chunks`` after its header."""
    png = image_bytes(8, 8)
    return png[:33] + b"".join(chunks) + png[33:]


def chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def xmp(body: str, before: str = "") -> bytes:
    return (
        f'{before}<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="{RDF}">'
        f'<rdf:Description rdf:about="" xmlns:promptforge="{PF}">{body}'
        "</rdf:Description></rdf:RDF></x:xmpmeta>"
    ).encode()


BOMB = zlib.compress(b"a" * (64 << 20), 9)  # 64 KiB that inflate to 64 MiB


@pytest.mark.parametrize(
    "planted",
    [
        chunk(b"zTXt", b"promptforge:prompt\x00\x00" + BOMB),
        chunk(b"iTXt", b"promptforge:prompt\x00\x01\x00\x00\x00" + BOMB),
        chunk(b"iTXt", b"XML:com.adobe.xmp\x00\x01\x00\x00\x00" + BOMB),
        chunk(b"tEXt", b"promptforge:prompt\x00" + b"a" * (8 << 20)),
    ],
    ids=["ztxt-bomb", "itxt-bomb", "xmp-bomb", "huge-text"],
)
def test_compressed_text_that_inflates_past_the_cap_is_not_read(planted: bytes) -> None:
    provenance = read_provenance(png_with(planted))
    assert provenance is None


def test_text_under_the_cap_is_still_read() -> None:
    prompt = "a" * 100_000
    planted = chunk(b"zTXt", b"promptforge:prompt\x00\x00" + zlib.compress(prompt.encode()))
    provenance = read_provenance(png_with(planted))
    assert provenance is not None
    assert provenance.prompt == prompt


LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{n} "{("&lol" + str(n - 1) + ";") * 10}">' for n in range(1, 10))
    + "]>"
).replace("&lol0;", "&lol;")


@pytest.mark.parametrize(
    "packet",
    [
        xmp("<promptforge:prompt>&lol9;</promptforge:prompt>", LAUGHS),
        xmp(
            "<promptforge:prompt>&xxe;</promptforge:prompt>",
            '<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
        ),
        xmp("<promptforge:prompt>&amp;&undefined;</promptforge:prompt>"),
        xmp("<a>" * 50_000 + "</a>" * 50_000),
    ],
    ids=["billion-laughs", "external-entity", "undefined-entity", "deep"],
)
def test_hostile_xmp_expands_nothing(packet: bytes) -> None:
    planted = chunk(b"iTXt", b"XML:com.adobe.xmp\x00\x00\x00\x00\x00" + packet)
    assert read_provenance(png_with(planted)) is None


@pytest.mark.parametrize("kind", ["image/png", "image/jpeg", "image/webp"])
def test_a_truncated_or_garbled_file_reads_as_no_provenance_never_a_crash(kind: str) -> None:
    data = embed(image_bytes(16, 16, kind), FACTS)
    assert read_provenance(data) == FACTS
    for end in range(0, len(data), 7):
        found = read_provenance(data[:end])
        assert found is None or isinstance(found, Provenance)
    garbled = bytearray(data)
    for at in range(12, len(garbled), 5):
        garbled[at] ^= 0xFF
        found = read_provenance(bytes(garbled))
        assert found is None or isinstance(found, Provenance)


def test_inspect_refuses_a_huge_file_or_a_fifo_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    huge = tmp_path / "huge.png"
    huge.write_bytes(image_bytes(8, 8))
    with open(huge, "r+b") as handle:
        handle.truncate(MAX_IMAGE_BYTES + 1)
    with pytest.raises(ValueError, match="larger than"):
        read_provenance(huge)
    assert cli.main(["inspect", str(huge)]) == cli.BAD_INPUT
    fifo = tmp_path / "fifo.png"
    os.mkfifo(fifo)
    assert cli.main(["inspect", str(fifo)]) == cli.BAD_INPUT
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 2


# -- the user's model catalogue (PROMPTFORGE_MODELS) ----------------------------------------


def user_catalogue(monkeypatch: pytest.MonkeyPatch, path: Path) -> None:
    monkeypatch.setenv("PROMPTFORGE_MODELS", str(path))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[" * 100_000, "nested too deeply"),
        ('{"families": {"x": {"kind": "image", "match": "(", "backend": "b"}}}',
         "families.x.match"),
        ('{"sources": {"s": {"title": "t", "date": "2026-01-01"}}, "models": {"gemini-x-image":'
         ' {"family": "gemini-image", "status": "current", "note": "n",'
         ' "cite": {"note": "s@soon"}}}}',
         "models.gemini-x-image.cite.note"),
    ],
    ids=["deep", "bad-pattern", "bad-date"],
)  # fmt: skip
def test_a_hostile_user_catalogue_is_a_configuration_error_naming_the_entry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, message: str
) -> None:
    path = tmp_path / "models.json"
    path.write_text(text)
    user_catalogue(monkeypatch, path)
    with pytest.raises(ConfigurationError, match=re.escape(message)):
        models.list()


def test_a_user_catalogue_that_is_not_a_small_regular_file_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    huge = sparse(tmp_path / "huge.json", MAX_CATALOGUE_BYTES + 1)
    user_catalogue(monkeypatch, huge)
    with pytest.raises(ConfigurationError, match="larger than"):
        models.list()
    fifo = tmp_path / "fifo.json"
    os.mkfifo(fifo)
    user_catalogue(monkeypatch, fifo)
    with pytest.raises(ConfigurationError, match="not a regular file"):
        models.list()  # refused at once, not waited on
    user_catalogue(monkeypatch, tmp_path)
    with pytest.raises(ConfigurationError, match="a folder"):
        models.list()


# -- the run log ----------------------------------------------------------------------------


def test_a_log_of_a_foreign_schema_version_is_a_configuration_error(tmp_path: Path) -> None:
    path = tmp_path / "runs.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE schema_version (version)")
        db.execute("INSERT INTO schema_version VALUES ('two')")
    db.close()
    with pytest.raises(ConfigurationError, match="schema version 'two'"):
        RunLog(path)


def test_damaged_rows_in_the_log_are_a_clear_error_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "runs.sqlite3"
    log = RunLog(path)
    log.record(Pipeline(FakeEnhancer(), FakeGenerator()).run("a fox"))
    log.close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE runs SET spec = '{bad', usage = '[1]'")
    db.close()
    with pytest.raises(ConfigurationError, match="damaged"):
        RunLog(path).search()
    monkeypatch.setenv("PROMPTFORGE_HOME", str(tmp_path))
    assert cli.main(["log"]) == cli.CONFIGURATION
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("content", [b"", b"garbage" * 100, b"SQLite format 3\x00" + b"\xff" * 200])
def test_a_log_file_that_is_not_a_log_is_a_configuration_error(
    tmp_path: Path, content: bytes
) -> None:
    path = tmp_path / "runs.sqlite3"
    path.write_bytes(content)
    if content:
        with pytest.raises(ConfigurationError, match="run log"):
            RunLog(path)
    else:
        assert len(RunLog(path)) == 0  # an empty file is a new log


# -- conversation files of a saved result (hash-checked: confirmed) ------------------------


@pytest.mark.parametrize("lazy", [False, True])
@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("path", "conversation/../image-0.png", "is not a file inside the result folder"),
        ("path", "image-0.png", "sha256"),  # inside, regular, but not the image it names
        ("path", 5, "missing"),
        ("sha256", ["x"], "sha256"),
    ],
)
def test_a_conversation_part_naming_another_file_is_refused(
    tmp_path: Path, lazy: bool, key: str, value: object, message: str
) -> None:
    folder = conversed(tmp_path / "out")
    edit_result(folder, set_part(key, value))
    if lazy and value == "image-0.png":  # checked when the bytes are needed, not before
        image = GenerationResult.load(folder, lazy=True).images[0]
        assert image.conversation is not None
        part = image.conversation.turns[1].parts[0]
        with pytest.raises(ValueError, match="not the image its conversation holds"):
            part.bytes_of(bytes)
        return
    with pytest.raises(ValueError, match=rf"{re.escape(PART)}\.path: .*{message}|{message}"):
        GenerationResult.load(folder, lazy=lazy)


def test_a_conversation_of_the_wrong_shape_is_a_value_error(tmp_path: Path) -> None:
    folder = conversed(tmp_path / "out")
    edit_result(folder, lambda d: d["images"][0]["conversation"].__setitem__("turns", "x"))
    with pytest.raises(ValueError, match=r"result\.json"):
        GenerationResult.load(folder)


def test_a_huge_result_json_is_refused_unread(tmp_path: Path) -> None:
    folder = conversed(tmp_path / "out")
    sparse(folder / "result.json", MAX_JSON_BYTES + 1)
    with pytest.raises(ValueError, match="larger than"):
        GenerationResult.load(folder)


def test_a_deeply_nested_result_json_is_moved_aside_not_a_crash(tmp_path: Path) -> None:
    out = tmp_path / "out"
    pipe = Pipeline(FakeEnhancer(), FakeGenerator())
    (first,) = pipe.run_many(["a fox"], out_dir=out)
    (out / first.id / "result.json").write_text("[" * 100_000)
    (again,) = pipe.run_many(["a fox"], out_dir=out)
    assert again.ok
    assert not again.resumed
    assert (out / ".damaged" / first.id).is_dir()


def test_appending_never_goes_through_a_link_or_into_a_fifo(tmp_path: Path, outside: Path) -> None:
    from promptforge._files import open_append

    (tmp_path / "link").symlink_to(outside / "created")
    with pytest.raises(ValueError, match="symbolic link"):
        open_append(tmp_path / "link")
    assert not (outside / "created").exists()
    os.mkfifo(tmp_path / "fifo")
    with pytest.raises((ValueError, OSError)):
        open_append(tmp_path / "fifo")
