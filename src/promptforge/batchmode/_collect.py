"""Collecting: every finished item written into ``out_dir`` as ``run_many`` writes it.

Each answer is read as ``GeminiImageGenerator`` reads a live one (``read_answer``), and
becomes a ``GenerationResult`` with the id chosen at submission, so its folder is
``out_dir/<id>/`` whatever happens: saving it twice replaces it, never duplicates it. Each
item is written atomically (``GenerationResult.save``), then noted in the collected log
(one synced line), so a collect cut off part way picks up where it stopped. The results
carry the same stages (enhancer and generator, with models) and request as a live run,
so a later ``run_many`` on the folder resumes them; ``stages["generate"].batch`` says the
images were made in Batch Mode, and ``cost`` prices that stage at the batch discount.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._errors import BackendError, PromptforgeError
from .._google._turns import user_turn
from .._image import GenerationOutput
from .._result import ErrorInfo, GenerationResult, StageReport
from .._run import RunState, Tally
from ..generators.gemini_image import read_answer
from . import _record, _wire
from ._record import OUTPUT_FILE, CollectedLog, JobItem, JobRecord

if TYPE_CHECKING:
    from google.genai import types

    from ..generators.gemini_image import GeminiImageGenerator

logger = logging.getLogger("promptforge")


@dataclass
class _Pending:
    """An item whose answers are arriving (one per image)."""

    item: JobItem
    outcomes: dict[int, GenerationOutput | PromptforgeError] = field(default_factory=dict)


async def collect(
    root: Path,
    record: JobRecord,
    generator: GeminiImageGenerator,
    last: types.BatchJob | None,
    *,
    keep_images: bool,
) -> list[GenerationResult]:
    """Write the job's results into ``root``; every item's result, in input order."""
    done = _record.collected(root)
    by_id = {item.id: item for item in record.items}
    results: dict[str, GenerationResult] = {}
    log = CollectedLog(root)
    try:
        pending: dict[str, _Pending] = {}
        for item in record.items:
            if item.id in done:
                results[item.id] = _again(root, item, done[item.id], record, keep_images)
            elif item.error is not None:
                results[item.id] = _finish(root, log, record, _Pending(item), keep_images)
            else:
                pending[item.id] = _Pending(item)
        answered = record.state == "succeeded" or record.output_file is not None
        if pending and answered and record.collected_at is None:
            for key, response, error in await _answers(root, record, generator, last):
                item_id, _, call = key.rpartition(":")
                one = pending.get(item_id)
                if one is None or not (call.isascii() and call.isdigit()):
                    continue  # collected before, or not ours
                number = int(call)
                if number >= one.item.calls or number in one.outcomes:
                    continue  # a call it never made, or an answer given twice: the first counts
                one.outcomes[number] = _outcome(record, one, number, response, error)
                if len(one.outcomes) == one.item.calls:
                    del pending[item_id]
                    results[item_id] = _finish(root, log, record, one, keep_images)
        for one in pending.values():  # no answer: the job ended without running them
            results[one.item.id] = _finish(root, log, record, one, keep_images)
    finally:
        log.close()
    (root / OUTPUT_FILE).unlink(missing_ok=True)
    return [results[item_id] for item_id in by_id]


async def _answers(
    root: Path, record: JobRecord, generator: GeminiImageGenerator, last: types.BatchJob | None
) -> Iterator[tuple[str, types.GenerateContentResponse | None, Any]]:
    """``(key, response, error)`` for every answer of the job: from the last read of the job
    (inline), or from its output file, downloaded to ``root`` and read a line at a time."""
    connection = generator._google
    with connection.errors():
        client = connection.client()
        if record.output_file is None:
            if last is None or last.dest is None:
                assert record.name is not None
                last = await client.aio.batches.get(name=record.name)
            responses = (last.dest.inlined_responses if last.dest else None) or []
            return (((r.metadata or {}).get("key", ""), r.response, r.error) for r in responses)
        path = root / OUTPUT_FILE
        if not path.exists():
            await _wire.download(client, record.output_file, path)
    return (_line(entry) for entry in _record.lines(path))


def _line(entry: dict[str, Any]) -> tuple[str, types.GenerateContentResponse | None, Any]:
    """``(key, response, error)`` of one line of the output file; a response that is not
    one reads as an error for its request."""
    error = entry.get("error") or entry.get("status")
    response = None
    if entry.get("response") is not None:
        try:
            response = _wire.response_of(entry)
        except Exception:  # whatever google-genai raises for a malformed answer
            error = {"code": 500, "message": "the job's answer is not a GenerateContentResponse"}
    return str(entry.get("key", "")), response, error


def _outcome(
    record: JobRecord,
    one: _Pending,
    call: int,
    response: types.GenerateContentResponse | None,
    error: Any,
) -> GenerationOutput | PromptforgeError:
    """One call's answer read as a live call's: images, or the error it amounts to."""
    item = one.item
    assert item.prompt is not None
    assert item.options is not None
    if response is None:
        failure = (
            _wire.item_error(record.model, error)
            if error is not None
            else BackendError(f"{record.model}: the job gave no answer for this request")
        )
        return _labelled(failure, record)
    turn, _ = user_turn(item.prompt.text, item.options.references)
    options = item.options
    if options.seed is not None and call:
        options = options.model_copy(update={"seed": options.seed + call})
    try:
        return read_answer(response, record.generator, record.model, (turn,), options, [])
    except PromptforgeError as exc:
        return _labelled(exc, record)


def _labelled(exc: PromptforgeError, record: JobRecord) -> PromptforgeError:
    exc.stage, exc.backend = "generate", record.generator
    return exc


def _finish(
    root: Path, log: CollectedLog, record: JobRecord, one: _Pending, keep_images: bool
) -> GenerationResult:
    """The item's result, saved (if it succeeded) and noted in the log."""
    result = _result(record, one)
    entry: dict[str, Any] = {"id": result.id, "ok": result.ok}
    if result.error is not None:
        entry["error"] = result.error.model_dump(mode="json")
    if result.ok:
        folder = result.save(root)
        if not keep_images:
            result = GenerationResult.load(folder, lazy=True)
    log.add(entry)
    return result


def _result(record: JobRecord, one: _Pending) -> GenerationResult:
    item = one.item
    state = RunState(item.request, index=item.index, id=item.id, created_at=item.created_at)
    state.prompt = item.prompt
    state.warnings.extend(item.warnings)
    if item.enhance is not None:
        state.stages["enhance"] = item.enhance
        state.usage["enhance"] = item.enhance_usage
        if record.enhancer_offline:
            state.offline.add("enhance")
    if item.error is not None:
        result = state.result()
        return result.model_copy(update={"error": item.error})
    seconds = (
        (record.ended_at - record.submitted_at).total_seconds()
        if record.ended_at and record.submitted_at
        else 0.0
    )
    state.stages["generate"] = StageReport(
        backend=record.generator, model=record.model, attempts=item.calls, seconds=seconds,
        batch=True,
    )  # fmt: skip
    state.batch.add("generate")  # priced at the batch discount
    tally = Tally(attempts=item.calls)
    outcomes = [
        one.outcomes.get(call) or _labelled(_unanswered(record), record)
        for call in range(item.calls)
    ]
    try:
        state.keep(
            outcomes, tally, item.options.image_size if item.options else None, call="generate"
        )
    except Exception as exc:  # as a live run: no image at all is a failed item
        return _frozen(state, tally, exc)
    return _frozen(state, tally, None)


def _frozen(state: RunState, tally: Tally, error: BaseException | None) -> GenerationResult:
    state.usage["generate"] = tally.usage
    return state.result(error=error)


def _unanswered(record: JobRecord) -> BackendError:
    """The error of a request the job never answered: it ended first."""
    if record.state in ("expired", "cancelled", "failed"):
        why = {
            "expired": "expired before it ran this request (Google's window passed)",
            "cancelled": "was cancelled before it ran this request",
            "failed": "failed before it ran this request",
        }[record.state]
        return BackendError(
            f"{record.model}: Batch Mode job {record.name} {why}; submit it again",
            retryable=True,
        )
    return BackendError(f"{record.model}: the job gave no answer for this request", retryable=True)


def _again(
    root: Path, item: JobItem, entry: dict[str, Any], record: JobRecord, keep_images: bool
) -> GenerationResult:
    """An item collected before: its saved folder, or its recorded failure."""
    if entry.get("ok"):
        try:
            return GenerationResult.load(root / item.id, lazy=not keep_images).model_copy(
                update={"index": item.index}
            )
        except (ValueError, OSError) as exc:
            logger.warning("%s: collected before but cannot be read now (%s)", root / item.id, exc)
            error = ErrorInfo(type="BackendError", message=f"collected result unreadable: {exc}")
    else:
        error = ErrorInfo.model_validate(
            entry.get("error") or {"type": "BackendError", "message": "failed"}
        )
    return _result(record, _Pending(item)).model_copy(
        update={"error": error, "images": (), "filtered": ()}
    )
