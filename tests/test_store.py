from __future__ import annotations

import asyncio
from contextlib import aclosing
from pathlib import Path

import pytest
from pydantic import ValidationError

from promptforge import (
    ContentBlockedError,
    EnhancedPrompt,
    GeneratedImage,
    GenerationResult,
    ImageOptions,
    Pipeline,
)
from promptforge._store import ResultStore
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
