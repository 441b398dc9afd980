"""Submitting: enhance here, then send the image requests to Google as one Batch Mode job.

Why the record is written in two steps: the job's name comes from the create call, so it
cannot be on disk before that call returns. What can be, and is, is an *intent*: every
item with its result id, request key and enhanced prompt, and a ``display_name`` made here.
The record then notes that the create call is about to go out (``sent_at``), the call is
made, and the name Google gave is recorded. A crash at any point leaves a record that says
what to do: before ``sent_at``, send; after it without a name, look the job up by its
``display_name`` (``batches.list``) and only send if Google has none. So a job that was
paid for is never lost, and none is created twice by promptforge's own retry.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import _guard
from .._adapt import fold_negative
from .._batch import (
    BatchItem,
    as_completed,
    check_concurrency,
    check_prompts,
    check_shared,
    item_request,
)
from .._errors import InvalidRequestError
from .._options import ImageOptions
from .._result import ErrorInfo, StageReport
from .._run import RunState, backend_name
from .._store import ResultStore, made_by
from .._usage import Usage
from ..models import get as model_info
from . import _limits, _record, _wire
from ._record import ENDED, INPUT_FILE, JobItem, JobRecord

if TYPE_CHECKING:
    from google.genai import Client, types

    from .._pipeline import Pipeline
    from ..generators.gemini_image import GeminiImageGenerator

logger = logging.getLogger("promptforge")
SOURCES = ("auto", "inline", "file")


@dataclass
class _Input:
    index: int
    state: RunState
    calls: int = 0
    plan_options: ImageOptions | None = None
    plan_warnings: tuple[str, ...] = ()
    error: Exception | None = None


def batch_generator(generator: object) -> GeminiImageGenerator:
    """``generator`` if Batch Mode can serve it: a ``GeminiImageGenerator`` on the Gemini API
    whose model the catalogue marks ``batch``.

    Raises:
        InvalidRequestError: another generator, Vertex AI, or a model without Batch Mode.
    """
    from ..generators.gemini_image import GeminiImageGenerator

    if not isinstance(generator, GeminiImageGenerator):
        raise InvalidRequestError(
            f"generator: Batch Mode runs Gemini image models; {type(generator).__name__} "
            "cannot submit (use GeminiImageGenerator, or run_many)",
            field="generator",
        )
    if generator._google.service != "gemini-api":
        raise InvalidRequestError(
            "generator: Batch Mode here uses the Gemini API (an API key); Vertex AI batch "
            "prediction reads from Cloud Storage or BigQuery and is not supported",
            field="generator",
        )
    check_model(generator.model or "")
    return generator


def check_model(model: str) -> None:
    """Refuse ``model`` unless the catalogue says Batch Mode takes it."""
    if model_info(model).batch:
        return
    from ..models import list as list_models

    able = [m.name for m in list_models(kind="image", status="current") if m.batch]
    raise InvalidRequestError(
        f"model: {model!r} is not served by Google's Batch Mode (per the model catalogue); "
        f"use one of: {', '.join(able)}",
        field="model",
        allowed=tuple(able),
    )


async def submit(
    pipe: Pipeline,
    prompts: Iterable[BatchItem],
    *,
    out_dir: str | Path,
    style: Any,
    concurrency: int,
    source: str,
    options: Mapping[str, Any],
) -> JobRecord:
    """Enhance ``prompts`` and submit them; the record written in ``out_dir`` (see module)."""
    generator = batch_generator(pipe.generator)
    limit = check_concurrency(concurrency)
    if source not in SOURCES:
        raise InvalidRequestError(
            f"source: {source!r} is not one of {', '.join(SOURCES)}",
            field="source",
            allowed=SOURCES,
        )
    items = check_prompts(prompts)
    check_shared(style, options)
    _guard.check_backend(pipe.enhancer)
    _guard.check_backend(generator)
    await generator._resolve(ImageOptions())  # a model chosen by role is settled now
    check_model(generator.model or "")
    root = Path(out_dir)
    with ResultStore(root) as store:
        maker = made_by(
            {
                "enhance": StageReport(
                    backend=backend_name(pipe.enhancer), model=pipe.enhancer.model
                ),
                "generate": StageReport(backend=backend_name(generator), model=generator.model),
            }
        )
        inputs = [_prepare(pipe, index, item, style, options) for index, item in enumerate(items)]
        todo = [i for i in inputs if i.error is not None or not _done(store, i, maker)]
        _limits.check_count(sum(i.calls for i in todo))
        existing = _record.read(root)
        if existing is not None and existing.collected_at is None:
            return await _continue(root, existing, todo, generator)
        if existing is not None:
            _record.retire(root, existing)

        async def enhance(index: int, one: _Input) -> JobItem:
            return await _enhance(pipe, one)

        job_items = [item async for item in as_completed(enhance, todo, limit)]
        job_items.sort(key=lambda item: item.index)
        record = JobRecord(
            display_name=_record.new_display_name(),
            model=generator.model,
            enhancer=StageReport(backend=backend_name(pipe.enhancer), model=pipe.enhancer.model),
            enhancer_offline=not pipe.enhancer.requires_network,
            generator=backend_name(generator),
            source="inline",
            created_at=datetime.now(UTC),
            items=tuple(job_items),
        )
        if record.requests == 0:  # nothing to send: every input failed here (or none left)
            now = datetime.now(UTC)
            return _record.write(
                root, record.model_copy(update={"state": "succeeded", "ended_at": now})
            )
        client = generator._google.client()
        size = _record.write_lines(root / INPUT_FILE, _lines(client, record))
        _limits.check_file(size)
        inline = _limits.goes_inline(record.requests, size)
        if source != "auto":
            inline = source == "inline"
            if inline and size >= _limits.INLINE_BYTES.value:
                raise InvalidRequestError(
                    f"source: 'inline' takes under {_limits.INLINE_BYTES.value / 1e6:.0f} MB of "
                    f"requests; these are {size / 1e6:.1f} MB (use 'file' or 'auto')",
                    field="source",
                )
        record = _record.write(
            root, record.model_copy(update={"source": "inline" if inline else "file"})
        )
        return await send(root, record, generator)


def _prepare(
    pipe: Pipeline, index: int, item: BatchItem, style: Any, options: Mapping[str, Any]
) -> _Input:
    """Check one input and plan its calls; a bad input becomes a failed item, not an error."""
    one = _Input(index, RunState(None, index=index))
    try:
        request = item_request(item, style, options)
        one.state.request = request
        run_plan = pipe._plan(request)
        one.calls = len(run_plan.calls)
        one.plan_options = run_plan.options
        one.plan_warnings = run_plan.warnings
    except Exception as exc:  # one input's fault never sinks the job
        one.error = exc
    return one


def _done(store: ResultStore, one: _Input, maker: str) -> bool:
    assert one.state.request is not None
    return store.take(one.state.request, maker, lazy=True) is not None


async def _enhance(pipe: Pipeline, one: _Input) -> JobItem:
    state = one.state
    item = JobItem(index=one.index, id=state.id, created_at=state.created_at, request=state.request)
    if one.error is not None:
        return item.model_copy(update={"error": ErrorInfo.from_exception(one.error)})
    assert state.request is not None
    assert one.plan_options is not None
    try:
        prompt = await pipe._enhance(state, state.request)
    except Exception as exc:
        return item.model_copy(
            update={
                "error": ErrorInfo.from_exception(exc),
                "enhance": state.stages.get("enhance"),
                "enhance_usage": state.usage.get("enhance", Usage()),
                "warnings": tuple(state.warnings),
            }
        )
    caps = pipe.generator.capabilities
    prompt, options, folded = fold_negative(prompt, one.plan_options, caps)
    return item.model_copy(
        update={
            "prompt": prompt,
            "options": options,
            "calls": one.calls,
            "enhance": state.stages["enhance"],
            "enhance_usage": state.usage.get("enhance", Usage()),
            "warnings": (*state.warnings, *one.plan_warnings, *folded),
        }
    )


def _lines(client: Client, record: JobRecord) -> Iterable[dict[str, Any]]:
    for item in record.items:
        if item.error is None:
            for key, request in _wire.inlined(item):
                yield _wire.file_line(client, key, request)


async def _continue(
    root: Path, existing: JobRecord, todo: list[_Input], generator: GeminiImageGenerator
) -> JobRecord:
    """The folder's uncollected job, if it is for these inputs; else refuse."""
    wanted = sorted(i.state.request.key if i.state.request else "" for i in todo)
    held = sorted(item.request.key if item.request else "" for item in existing.items)
    if wanted != held or existing.model != generator.model:
        what = existing.name or existing.display_name
        raise InvalidRequestError(
            f"out_dir {root}: holds Batch Mode job {what} ({existing.state}, not collected) "
            "for other inputs; collect it first (`promptforge job DIR --wait`), or use "
            "another folder",
            field="out_dir",
        )
    logger.warning(
        "%s: continuing the job already recorded there (%s)", root, existing.display_name
    )
    if existing.name is None and existing.state not in ENDED:
        return await send(root, existing, generator)
    return existing


async def send(root: Path, record: JobRecord, generator: GeminiImageGenerator) -> JobRecord:
    """Upload (file jobs) and create the job, recording each step; a job that may already
    exist (``sent_at`` set) is looked up by ``display_name`` first."""
    connection = generator._google
    with connection.errors():  # no whole-request bound: a file upload may take minutes
        client = connection.client()
        if record.source == "file" and record.input_file is None:
            name = await _wire.upload(client, root / INPUT_FILE, record.display_name)
            record = _record.write(root, record.model_copy(update={"input_file": name}))
        if record.sent_at is not None:
            found = await _wire.find(client, record.display_name)
            if found is not None:
                logger.warning("found job %s, sent before an interruption", found.name)
                return _record.write(root, adopt(record, found))
        record = _record.write(root, record.model_copy(update={"sent_at": datetime.now(UTC)}))
        src: str | list[types.InlinedRequest]
        if record.source == "file":
            assert record.input_file is not None
            src = record.input_file
        else:
            src = [
                request
                for item in record.items
                if item.error is None
                for _, request in _wire.inlined(item)
            ]
        job = await _wire.create(client, record.model, src, record.display_name)
    return _record.write(root, adopt(record, job))


def adopt(record: JobRecord, job: types.BatchJob) -> JobRecord:
    """``record`` with the name and state Google gave the job."""
    return record.model_copy(
        update={
            "name": job.name,
            "submitted_at": job.create_time or datetime.now(UTC),
            "state": _wire.state_of(job),
            "checked_at": datetime.now(UTC),
        }
    )
