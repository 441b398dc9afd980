from __future__ import annotations

import asyncio
import json
import os
import stat
import subprocess
import sys
from contextlib import aclosing
from io import BytesIO
from pathlib import Path

import pytest
from PIL import Image
from pydantic import ValidationError

from promptforge import (
    ContentBlockedError,
    EnhancedPrompt,
    GeneratedImage,
    GenerationResult,
    ImageOptions,
    InvalidRequestError,
    Pipeline,
    ResultStore,
    cli,
)
from promptforge.enhancers import RuleEnhancer
from promptforge.generators import PreviewGenerator
from promptforge.testing import FakeEnhancer, FakeGenerator


def folders(root: Path) -> list[Path]:
    return sorted(p for p in root.iterdir() if not p.name.startswith("."))


def test_results_are_written_as_they_finish_and_failures_are_not(tmp_path: Path) -> None:
    def respond(prompt: EnhancedPrompt, options: ImageOptions) -> None:
        if "refuse" in prompt.original:
            raise ContentBlockedError("no")

    pipe = Pipeline(FakeEnhancer(), FakeGenerator(respond=respond))
    results = pipe.run_many(["a", "refuse me", "b"], out_dir=tmp_path, n=2)
    assert [r.ok for r in results] == [True, False, True]
    saved = {
        GenerationResult.load(folder).id: GenerationResult.load(folder)
        for folder in folders(tmp_path)
    }
    assert set(saved) == {results[0].id, results[2].id}
    assert saved[results[0].id] == results[0].model_copy(update={})


async def test_an_interrupted_batch_resumes_with_nothing_lost_or_duplicated(
    tmp_path: Path,
) -> None:
    prompts = [f"prompt {i}" for i in range(20)] + ["prompt 3", "prompt 3"]  # a repeat
    first = FakeGenerator(latency=0.01)
    seen = 0
    async with aclosing(
        Pipeline(FakeEnhancer(), first).stream(prompts, concurrency=4, out_dir=tmp_path)
    ) as results:
        async for _ in results:
            seen += 1
            if seen == 7:
                break  # Ctrl-C part-way: work in flight is cancelled
    written = len(folders(tmp_path))
    assert 7 <= written < len(prompts)

    second = FakeGenerator()
    again = await Pipeline(FakeEnhancer(), second).arun_many(prompts, out_dir=tmp_path)
    assert len(second.calls) == len(prompts) - written  # only what was missing ran
    assert [r.index for r in again] == list(range(len(prompts)))
    assert all(r.ok for r in again)
    assert len(folders(tmp_path)) == len(prompts)  # one folder per input, no duplicate
    resumed = [r for r in again if r.resumed]
    assert len(resumed) == written
    assert "resumed" not in resumed[0].model_dump()  # a fact about this batch, never saved
    keys = sorted(r.request.key for r in again if r.request)
    saved = sorted(
        GenerationResult.load(f).request.key  # type: ignore[union-attr]
        for f in folders(tmp_path)
    )
    assert keys == saved

    third = FakeGenerator()
    await Pipeline(FakeEnhancer(), third).arun_many(prompts, out_dir=tmp_path)
    assert third.calls == []


def test_other_options_are_other_work(tmp_path: Path) -> None:
    pipe = Pipeline(FakeEnhancer(), FakeGenerator())
    pipe.run_many(["a"], out_dir=tmp_path, aspect_ratio="1:1")
    generator = FakeGenerator()
    Pipeline(FakeEnhancer(), generator).run_many(["a"], out_dir=tmp_path, aspect_ratio="16:9")
    assert len(generator.calls) == 1
    assert len(folders(tmp_path)) == 2


def test_keep_images_false_leaves_the_bytes_on_disk(tmp_path: Path) -> None:
    pipe = Pipeline(FakeEnhancer(), FakeGenerator(long_side=32))
    (result,) = pipe.run_many(["a"], out_dir=tmp_path, keep_images=False, n=2)
    for image in result.images:
        assert image.data == b""
        assert image.path is not None
        assert Path(image.path).is_file()
        assert image.read() == Path(image.path).read_bytes()
        assert image.to_pil().size == (image.width, image.height)
        assert "on disk at" in repr(image)
    copy = result.save(tmp_path / "copy")
    assert GenerationResult.load(copy).images[0].data == result.images[0].read()


def test_an_image_needs_bytes_or_a_path() -> None:
    with pytest.raises(ValidationError, match="no path"):
        GeneratedImage(mime_type="image/png", width=1, height=1)


def test_the_store_ignores_debris_and_foreign_folders(tmp_path: Path) -> None:
    (tmp_path / ".20261125T000000-deadbeef.x.tmp").mkdir()  # an interrupted save
    (tmp_path / "notes").mkdir()
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "result.json").write_text("{not json")
    store = ResultStore(tmp_path)
    assert len(store) == 0
    assert not (tmp_path / ".20261125T000000-deadbeef.x.tmp").exists()


def test_stream_saves_in_a_worker_thread(tmp_path: Path) -> None:
    async def main() -> list[GenerationResult]:
        pipe = Pipeline(FakeEnhancer(), FakeGenerator())
        return [r async for r in pipe.stream(["a", "b"], out_dir=tmp_path)]

    assert len(asyncio.run(main())) == 2
    assert len(folders(tmp_path)) == 2


# -- resume never passes off one backend's work as another's ----------------------------


def test_previews_never_stand_in_for_real_images(tmp_path: Path) -> None:
    prompts = ["a fox", "a cat", "a fox"]
    offline = Pipeline(RuleEnhancer(), PreviewGenerator()).run_many(prompts, out_dir=tmp_path)
    assert all(r.ok for r in offline)

    real = FakeGenerator()
    with ResultStore(tmp_path) as store:
        again = Pipeline(RuleEnhancer(), real).run_many(prompts, out_dir=store)
    assert len(real.calls) == 3  # nothing passed off as done
    assert not any(r.resumed for r in again)
    assert store.report.resumed == 0
    made = "enhance RuleEnhancer (rules-1), generate PreviewGenerator (preview-card)"
    assert store.report.redone == {f"made by other backends: {made}": 3}

    with ResultStore(tmp_path) as store:  # each backend pair resumes its own work
        third = Pipeline(RuleEnhancer(), FakeGenerator()).run_many(prompts, out_dir=store)
    assert all(r.resumed for r in third)
    assert store.report.resumed == 3
    assert store.report.redone == {}
    assert len(folders(tmp_path)) == 6


def test_another_model_is_other_work(tmp_path: Path) -> None:
    Pipeline(FakeEnhancer(), FakeGenerator()).run_many(["a"], out_dir=tmp_path)
    other = FakeGenerator()
    other.model = "fake-generator-2"
    with ResultStore(tmp_path) as store:
        Pipeline(FakeEnhancer(), other).run_many(["a"], out_dir=store)
    assert len(other.calls) == 1
    assert list(store.report.redone.values()) == [1]


def test_billing_labels_do_not_make_other_work(tmp_path: Path) -> None:
    pipe = Pipeline(FakeEnhancer(), FakeGenerator())
    pipe.run_many(["a"], out_dir=tmp_path, labels={"team": "x"})
    generator = FakeGenerator()
    (result,) = Pipeline(FakeEnhancer(), generator).run_many(
        ["a"], out_dir=tmp_path, labels={"team": "y"}
    )
    assert generator.calls == []
    assert result.resumed


def test_resumed_results_keep_their_images_when_asked(tmp_path: Path) -> None:
    pipe = Pipeline(FakeEnhancer(), FakeGenerator())
    fresh = pipe.run_many(["a", "b"], out_dir=tmp_path, n=2)
    resumed = pipe.run_many(["a", "b"], out_dir=tmp_path, n=2)
    assert all(r.resumed for r in resumed)
    for before, after in zip(fresh, resumed, strict=True):
        assert after.model_copy(update={"resumed": False}) == before
        for image in after.images:
            assert image.data
            assert Image.open(BytesIO(image.data)).size == (image.width, image.height)
    lazy = pipe.run_many(["a"], out_dir=tmp_path, n=2, keep_images=False)
    assert lazy[0].resumed
    assert lazy[0].images[0].data == b""
    assert lazy[0].images[0].read() == fresh[0].images[0].data


# -- one batch per folder ----------------------------------------------------------------


def test_the_library_takes_the_batch_lock(tmp_path: Path) -> None:
    pipe = Pipeline(FakeEnhancer(), FakeGenerator())
    with (
        ResultStore(tmp_path),
        pytest.raises(InvalidRequestError, match="another promptforge batch") as raised,
    ):
        pipe.run_many(["a"], out_dir=tmp_path)
    assert raised.value.field == "out_dir"
    assert folders(tmp_path) == []
    assert len(pipe.run_many(["a"], out_dir=tmp_path)) == 1  # released when the batch ends


def test_two_processes_never_share_a_folder(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from promptforge._store import ResultStore\n"
            f"with ResultStore({str(tmp_path)!r}):\n"
            "    print('locked', flush=True); sys.stdin.readline()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "locked"
        pipe = Pipeline(FakeEnhancer(), FakeGenerator())
        with pytest.raises(InvalidRequestError, match="another promptforge batch"):
            pipe.run_many(["a"], out_dir=tmp_path)
    finally:
        holder.communicate("\n", timeout=30)
    assert pipe.run_many(["a"], out_dir=tmp_path)[0].ok


def test_the_cli_reuses_the_library_lock_and_reports_redone_items(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "prompts.txt"
    source.write_text("a fox\na cat\n")
    out = tmp_path / "out"
    assert cli.main(["batch", str(source), "--out", str(out)]) == cli.OK  # offline previews
    capsys.readouterr()
    real = Pipeline(RuleEnhancer(), FakeGenerator())
    monkeypatch.setattr(cli, "pipeline_for", lambda args: real)
    assert cli.main(["batch", str(source), "--out", str(out)]) == cli.OK
    text = capsys.readouterr().out
    assert "redone        2  made by other backends: enhance RuleEnhancer" in text
    assert "PreviewGenerator (preview-card)" in text
    assert cli.main(["batch", str(source), "--out", str(out), "--json"]) == cli.OK
    summary = json.loads(capsys.readouterr().out)
    assert summary["resumed"] == 2
    assert summary["redone"] == {}


def test_a_saved_result_has_the_permissions_of_any_new_file(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        result = Pipeline(FakeEnhancer(), FakeGenerator()).run("a fox")
        folder = result.save(tmp_path)
    finally:
        os.umask(old)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o755  # not tempfile's private 0o700
    for file in folder.iterdir():
        assert stat.S_IMODE(file.stat().st_mode) == 0o644, file.name
