"""``promptforge batch``: prompts from a file, each saved as it finishes, resumable.

Resume comes from ``Pipeline.stream(out_dir=...)``: a result folder appears atomically once
its images are written, and a re-run yields the saved result of any input already done in
the folder by the same backends (see ``ResultStore``) instead of running it again. So an
interrupted run loses nothing it paid for, and a re-run duplicates nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import aclosing, contextmanager
from types import FrameType
from typing import Any

from . import _errors
from ._batch import check_concurrency, item_request
from ._cli_cost import print_estimate
from ._cli_input import BatchFile
from ._cli_judge import check_item_rounds, judged
from ._cli_out import output_folder
from ._cli_report import Line, Progress, Tally, report
from ._drain import Drain
from ._errors import InvalidRequestError
from ._pipeline import Pipeline
from ._store import ResultStore
from .cli import (
    BACKEND_FAILURE,
    BAD_INPUT,
    BLOCKED,
    CONFIGURATION,
    ENVIRONMENT,
    INTERRUPTED,
    OK,
    UNEXPECTED,
    announce,
    check,
    describe,
    error_json,
)
from .cli import exit_code as exit_code_of

SEVERITY = (UNEXPECTED, CONFIGURATION, BACKEND_FAILURE, BLOCKED, BAD_INPUT)


def run_batch(args: argparse.Namespace, pipe: Pipeline, options: dict[str, Any]) -> int:
    """Run the batch command; return its exit code."""
    pipe, rounds = judged(args, pipe, options)
    with BatchFile(args.file) as source:
        total = check_lines(source, pipe, args, options, rounds)
        check_concurrency(args.concurrency)
        if args.estimate:
            announce(args)
            return print_estimate(pipe, source, args, options)
        output_folder(args.out)
        with ResultStore(args.out) as store:  # the folder's lock, held for the whole batch
            announce(args)
            return _run(source, pipe, args, {**rounds, **options}, total, store)


def check_lines(
    source: BatchFile,
    pipe: Pipeline,
    args: argparse.Namespace,
    options: dict[str, Any],
    rounds: dict[str, Any] | None = None,
) -> int:
    """Check every line before anything is spent; return how many inputs there are.
    With ``rounds`` (the command line's), a line may carry its own ``target``,
    ``max_rounds`` and ``fix``.

    Raises:
        InvalidRequestError: naming the first bad line, or the file when it holds no input.
    """
    total = 0
    for line in source.lines():
        try:
            item = line.item if rounds is None else check_item_rounds(pipe, line.item, rounds)
            check(pipe, item_request(item, args.style, options))
        except InvalidRequestError as exc:
            where = f"{args.file}:{line.number}"
            raise InvalidRequestError(f"{where}: {exc}", field=exc.field) from None
        total += 1
    if not total:
        raise source.error("holds no prompts (one per line, or JSON lines)")
    return total


def _run(
    source: BatchFile,
    pipe: Pipeline,
    args: argparse.Namespace,
    options: dict[str, Any],
    total: int,
    store: ResultStore,
) -> int:
    as_json = getattr(args, "json", False)
    tally = Tally(total)
    tally.store = store.report
    progress = Progress(tally, sys.stderr, tty=sys.stderr.isatty())
    drain = Drain(source.lines())
    error: OSError | None = None
    try:
        asyncio.run(_consume(pipe, drain, args, options, tally, progress, store))
    except (KeyboardInterrupt, asyncio.CancelledError):  # a second Ctrl-C
        drain.stop()
    except OSError as exc:  # a full disk, a folder gone read-only: stop, and say how far
        error = exc
    progress.close()
    try:
        interrupted = drain.stopped and error is None
        error_info = error_json(error) if error is not None else None
        report(tally, args, as_json, interrupted=interrupted, error=error_info)
    finally:
        tally.close()
    left = f"{tally.total - tally.finished} of {tally.total} left"
    if error is not None:
        print(f"promptforge: error: {describe(error)}; stopped with {left}; run the same "
              "command again to resume once that is fixed", file=sys.stderr)  # fmt: skip
        return ENVIRONMENT
    if interrupted:
        print(f"promptforge: interrupted with {left}; run the same command again to resume",
              file=sys.stderr)  # fmt: skip
        return INTERRUPTED
    codes = {_code(name) for name in tally.error_types}
    return next((code for code in SEVERITY if code in codes), OK)


async def _consume(
    pipe: Pipeline,
    drain: Drain[Line],
    args: argparse.Namespace,
    options: dict[str, Any],
    tally: Tally,
    progress: Progress,
    store: ResultStore,
) -> None:
    in_flight: dict[int, Line] = {}  # stream index -> its line, while it runs

    def items() -> Iterator[dict[str, Any]]:
        for index, line in enumerate(drain):
            in_flight[index] = line
            yield line.item

    def draining() -> None:
        running = len(in_flight)
        progress.note(
            f"promptforge: stopping: starting no new items; waiting for the {running} in "
            "flight to finish and be saved (Ctrl-C again to abandon them)"
        )

    stream = pipe.stream(
        items(),
        concurrency=args.concurrency,
        style=args.style,
        out_dir=store,
        keep_images=False,
        budget=args.budget,
        **options,
    )
    with gentle_interrupts(drain, draining):
        async with aclosing(stream) as results:
            async for result in results:
                line = in_flight.pop(result.index or 0)
                tally.add(line, result, args.out)
                progress.advance(line, result, args.out)


@contextmanager
def gentle_interrupts(drain: Drain[Any], draining: Callable[[], None]) -> Iterator[None]:
    """Ctrl-C while the current task runs: the first stops ``drain`` (and calls
    ``draining`` on the loop), the second cancels the task, the third raises
    ``KeyboardInterrupt``. Outside the main thread, Ctrl-C keeps its usual meaning."""
    if threading.current_thread() is not threading.main_thread():  # pragma: no cover
        yield
        return
    loop, task = asyncio.get_running_loop(), asyncio.current_task()
    presses = 0

    def on_sigint(signum: int, frame: FrameType | None) -> None:
        nonlocal presses
        presses += 1
        if presses == 1:
            drain.stop()
            loop.call_soon_threadsafe(draining)
        elif presses == 2 and task is not None:
            loop.call_soon_threadsafe(task.cancel)
        else:
            raise KeyboardInterrupt

    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _code(error_type: str) -> int:
    cls = getattr(_errors, error_type, None)
    return exit_code_of(cls) if isinstance(cls, type) else UNEXPECTED
