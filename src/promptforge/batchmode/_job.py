"""``BatchJob``: a Google Batch Mode job recorded in an output folder."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from .. import _clock
from .._errors import InvalidRequestError
from .._files import folder_lock
from .._portal import run_sync
from .._result import GenerationResult
from .._retry import RetryPolicy
from . import _collect, _record, _submit, _wire
from ._record import ENDED, JobRecord, State

if TYPE_CHECKING:
    from google.genai import types

    from ..generators.gemini_image import GeminiImageGenerator

logger = logging.getLogger("promptforge")


class BatchJob:
    """A Google Batch Mode job whose results go to ``out_dir``.

    Made by ``Pipeline.submit``, or ``BatchJob.open(out_dir)`` from the record the job left
    there (also in another process, days later). Reading Google's side: ``refresh()``,
    ``wait()``; writing the results: ``collect()``; stopping it: ``cancel()``. Each has an
    async twin (``arefresh``, ``await_``, ``acollect``, ``acancel``).

    Example:
        >>> job = pipe.submit(prompts, out_dir="out/catalogue")
        >>> job = BatchJob.open("out/catalogue")        # later, anywhere
        >>> job.wait(poll=60)
        'succeeded'
        >>> results = job.collect()                      # out/catalogue/<id>/ per image
    """

    def __init__(self, out_dir: Path, record: JobRecord, generator: GeminiImageGenerator) -> None:
        self.out_dir = out_dir
        self.record = record
        """The job as recorded in ``out_dir`` (``.promptforge-job.json``)."""
        self.generator = generator
        """The backend whose connection talks to Google (and names the results)."""
        self._last: types.BatchJob | None = None
        self._polls = RetryPolicy()

    @classmethod
    def open(
        cls, out_dir: str | Path, *, generator: GeminiImageGenerator | None = None
    ) -> BatchJob:
        """The job recorded in ``out_dir``. Without ``generator``, a ``GeminiImageGenerator``
        for the job's model is configured from the environment (``GOOGLE_API_KEY``).

        Raises:
            InvalidRequestError: no job is recorded there, or ``generator`` is for another
                model.
            ConfigurationError: no credentials (without ``generator``).
        """
        root = Path(out_dir)
        record = _record.read(root)
        if record is None:
            raise InvalidRequestError(
                f"out_dir {root}: no Batch Mode job is recorded there "
                f"({_record.JOB_FILE} is missing); submit one with Pipeline.submit or "
                "`promptforge batch FILE --out DIR --google-batch`",
                field="out_dir",
            )
        if generator is None:
            from ..generators.gemini_image import GeminiImageGenerator

            generator = GeminiImageGenerator(model=record.model)
        elif generator.model != record.model:
            raise InvalidRequestError(
                f"generator: the job uses {record.model!r}, the generator {generator.model!r}",
                field="generator",
            )
        return cls(root, record, generator)

    def __repr__(self) -> str:
        return f"BatchJob(name={self.name!r}, state={self.state!r}, items={len(self.record.items)})"

    @property
    def name(self) -> str | None:
        """Google's name for the job (``batches/...``); None until it was accepted."""
        return self.record.name

    @property
    def state(self) -> State:
        """The state last read from Google (``refresh()`` reads it again)."""
        return self.record.state

    @property
    def done(self) -> bool:
        """Whether the job has ended (succeeded, failed, cancelled or expired)."""
        return self.record.state in ENDED

    @property
    def collected(self) -> bool:
        """Whether ``collect()`` has written every item."""
        return self.record.collected_at is not None

    def counts(self) -> dict[str, int]:
        """``items`` (inputs), ``requests`` (images asked), ``failed_before_submit`` (inputs
        that failed here, never sent), ``collected`` (items written so far)."""
        return {
            "items": len(self.record.items),
            "requests": self.record.requests,
            "failed_before_submit": sum(1 for item in self.record.items if item.error),
            "collected": len(_record.collected(self.out_dir)),
        }

    # -- async core ---------------------------------------------------------------------

    async def arefresh(self) -> State:
        """Read the job's state from Google (and record it). A submission cut off before
        Google named the job is finished first: looked up by its display name, and sent
        only if Google has no such job."""
        record = self.record
        if record.name is None:
            if record.state not in ENDED:
                self.record = await _submit.send(self.out_dir, record, self.generator)
            return self.record.state
        if record.state in ENDED and record.collected_at is not None:
            return record.state
        connection = self.generator._google
        name = record.name

        async def get() -> types.BatchJob:
            async with connection.request() as client:
                return await client.aio.batches.get(name=name)

        job = await self._polls.call(get)
        self._last = job
        state = _wire.state_of(job)
        output = job.dest.file_name if job.dest else None
        if state != record.state or output != record.output_file:
            now = datetime.now(UTC)
            update = {"state": state, "checked_at": now, "output_file": output}
            if state in ENDED:
                update["ended_at"] = job.end_time or job.update_time or now
            self.record = _record.write(self.out_dir, record.model_copy(update=update))
            logger.info("batch job %s: %s", name, state)
        return self.record.state

    async def await_(
        self,
        *,
        poll: float = 30.0,
        max_poll: float = 600.0,
        timeout: float | None = None,  # noqa: ASYNC109 - bounds the polling, not one call
        on_poll: Callable[[BatchJob], None] | None = None,
    ) -> State:
        """Refresh until the job ends or ``timeout`` seconds pass; return its state.

        Polls ``poll`` seconds apart at first, each wait 1.5 times the last up to
        ``max_poll`` (Google's jobs take minutes to hours; polling often buys nothing).
        ``on_poll(job)`` is called after every read, for progress. A failed read is retried
        (``RetryPolicy()``); a job still running at ``timeout`` is returned as it is.
        """
        for name, value in (("poll", poll), ("max_poll", max_poll)):
            if not value > 0:
                raise InvalidRequestError(f"{name}: must be above 0, got {value!r}", field=name)
        start, delay = _clock.now(), poll
        while True:
            state = await self.arefresh()
            if on_poll is not None:
                on_poll(self)
            if state in ENDED:
                return state
            left = None if timeout is None else timeout - (_clock.now() - start)
            if left is not None and left <= 0:
                return state
            await _clock.sleep(delay if left is None else min(delay, left))
            delay = min(delay * 1.5, max_poll)

    async def acollect(self, *, keep_images: bool = True) -> list[GenerationResult]:
        """Write every item's result into ``out_dir`` and return them in input order.

        Succeeded items are saved as ``run_many`` saves them (``out_dir/<id>/``, the same
        resume keys); items Google answered with an error, or never ran (an expired or
        cancelled job), come back as failed results, not written. Collecting again reads
        what was written; a collect cut off part way resumes without duplicates. The
        folder's lock is held meanwhile. ``keep_images=False`` drops image bytes from memory
        once saved (``image.path`` reaches them).

        Raises:
            InvalidRequestError: the job has not ended yet (``wait()`` first), or another
                batch holds the folder.
        """
        if self.record.collected_at is None and self.record.state not in ENDED:
            await self.arefresh()
        if self.record.state not in ENDED:
            raise InvalidRequestError(
                f"job {self.name}: still {self.state}; wait() for it to end before collecting",
                field="job",
            )
        with folder_lock(self.out_dir):
            results = await _collect.collect(
                self.out_dir, self.record, self.generator, self._last, keep_images=keep_images
            )
            if self.record.collected_at is None:
                update = {"collected_at": datetime.now(UTC)}
                self.record = _record.write(self.out_dir, self.record.model_copy(update=update))
        self._last = None
        return results

    async def acancel(self) -> State:
        """Ask Google to cancel the job; return its state afterwards. Items already
        answered can still be collected (Google keeps what it finished, if anything)."""
        if self.record.name is None or self.record.state in ENDED:
            return self.record.state
        async with self.generator._google.request() as client:
            await client.aio.batches.cancel(name=self.record.name)
        return await self.arefresh()

    # -- sync twins ---------------------------------------------------------------------

    def refresh(self) -> State:
        """Sync twin of ``arefresh``."""
        return run_sync(self.arefresh())

    def wait(
        self,
        *,
        poll: float = 30.0,
        max_poll: float = 600.0,
        timeout: float | None = None,
        on_poll: Callable[[BatchJob], None] | None = None,
    ) -> State:
        """Sync twin of ``await_``."""
        return run_sync(self.await_(poll=poll, max_poll=max_poll, timeout=timeout, on_poll=on_poll))

    def collect(self, *, keep_images: bool = True) -> list[GenerationResult]:
        """Sync twin of ``acollect``."""
        return run_sync(self.acollect(keep_images=keep_images))

    def cancel(self) -> State:
        """Sync twin of ``acancel``."""
        return run_sync(self.acancel())
