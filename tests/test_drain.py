"""``Drain``: stop a batch without losing the work in flight."""

from __future__ import annotations

import asyncio
from pathlib import Path

from promptforge import Drain, GenerationResult, Pipeline
from promptforge.testing import FakeEnhancer, FakeGenerator


def test_a_drain_hands_out_items_until_stopped() -> None:
    drain = Drain(iter(["a", "b", "c"]))
    taken = []
    for item in drain:
        taken.append(item)
        drain.stop()
    assert taken == ["a"]
    assert (drain.stopped, drain.taken) == (True, 1)
    assert list(Drain(["a", "b"])) == ["a", "b"]


async def test_stop_keeps_what_is_in_flight(tmp_path: Path) -> None:
    release = asyncio.Event()

    async def respond(prompt: object, options: object) -> None:
        if len(generator.calls) == 3:  # every slot busy: stop, then let them finish
            drain.stop()
            release.set()
        await release.wait()

    generator = FakeGenerator(respond=respond)
    pipe = Pipeline(FakeEnhancer(), generator)
    drain = Drain(f"a fox number {i}" for i in range(10))
    results = await pipe.arun_many(drain, concurrency=3, out_dir=tmp_path)
    assert [r.ok for r in results] == [True, True, True]
    assert len(generator.calls) == 3  # nothing started after stop()
    assert drain.taken == 3
    saved = {GenerationResult.load(tmp_path / r.id).id for r in results}
    assert saved == {r.id for r in results}  # each one in flight was saved
