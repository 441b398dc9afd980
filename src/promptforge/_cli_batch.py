"""``promptforge batch``: prompts from a file, each saved as it finishes, resumable.

Resume comes from ``Pipeline.stream(out_dir=...)``: a result folder appears atomically once
its images are written, and a re-run yields the saved result of any input already done in
the folder by the same backends (see ``ResultStore``) instead of running it again. So an
interrupted run loses nothing it paid for, and a re-run duplicates nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from contextlib import aclosing
from pathlib import Path
from typing import Any

from . import _errors
from ._batch import check_concurrency, item_request
from ._cli_cost import print_estimate
from ._cli_report import Line, Progress, Tally, report
from ._errors import InvalidRequestError
from ._pipeline import Pipeline
from ._result import GenerationResult
from ._store import ResultStore
from .cli import (
    BACKEND_FAILURE,
    BAD_INPUT,
    BLOCKED,
    CONFIGURATION,
    INTERRUPTED,
    OK,
    UNEXPECTED,
    announce,
    check,
)
from .cli import exit_code as exit_code_of

SEVERITY = (UNEXPECTED, CONFIGURATION, BACKEND_FAILURE, BLOCKED, BAD_INPUT)


def read_lines(path: Path) -> list[Line]:
    """The inputs in ``path``: a prompt per line, or JSON objects; blanks and ``#`` skipped.

    Raises:
        InvalidRequestError: the file is missing or empty, or a line is not valid JSON.
    """
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise InvalidRequestError(f"batch file {str(path)!r}: {reason}", field="file") from None
    lines = []
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if not stripped.startswith("{"):
            lines.append(Line(number, {"prompt": stripped}))
            continue
        try:
            item = json.loads(stripped)
        except ValueError as exc:
            raise InvalidRequestError(f"{path}:{number}: not valid JSON ({exc})") from None
        lines.append(Line(number, item))
    if not lines:
        raise InvalidRequestError(
            f"batch file {str(path)!r} holds no prompts (one per line, or JSON lines)",
            field="file",
        )
    return lines


def run_batch(args: argparse.Namespace, pipe: Pipeline, options: dict[str, Any]) -> int:
    """Run the batch command; return its exit code."""
    lines = read_lines(args.file)
    for line in lines:  # every line checked before anything is spent
        try:
            check(pipe, item_request(line.item, args.style, options))
        except InvalidRequestError as exc:
            where = f"{args.file}:{line.number}"
            raise InvalidRequestError(f"{where}: {exc}", field=exc.field) from None
    check_concurrency(args.concurrency)
    announce(args)
    if args.estimate:
        return print_estimate(pipe, lines, args, options)
    as_json = getattr(args, "json", False)
    tally = Tally(total=len(lines))
    progress = Progress(tally, sys.stderr, tty=sys.stderr.isatty())
    try:
        with ResultStore(args.out) as store:  # the folder's lock, held for the whole batch
            tally.store = store.report
            asyncio.run(_consume(pipe, lines, args, options, tally, progress, store))
    except KeyboardInterrupt:
        progress.close()
        report(tally, args, as_json, interrupted=True)
        left = tally.total - len(tally.results)
        print(f"promptforge: interrupted with {left} of {tally.total} left; run the same "
              "command again to resume", file=sys.stderr)  # fmt: skip
        return INTERRUPTED
    progress.close()
    report(tally, args, as_json, interrupted=False)
    codes = {_code(result) for _, result in tally.results if not result.ok}
    return next((code for code in SEVERITY if code in codes), OK)


async def _consume(
    pipe: Pipeline,
    lines: list[Line],
    args: argparse.Namespace,
    options: dict[str, Any],
    tally: Tally,
    progress: Progress,
    store: ResultStore,
) -> None:
    stream = pipe.stream(
        [line.item for line in lines],
        concurrency=args.concurrency,
        style=args.style,
        out_dir=store,
        keep_images=False,
        budget=args.budget,
        **options,
    )
    async with aclosing(stream) as results:
        async for result in results:
            line = lines[result.index or 0]
            tally.results.append((line, result))
            progress.advance(line, result, args.out)


def _code(result: GenerationResult) -> int:
    assert result.error is not None
    cls = getattr(_errors, result.error.type, None)
    return exit_code_of(cls) if isinstance(cls, type) else UNEXPECTED
