"""``promptforge batch``: prompts from a file, each saved as it finishes, resumable.

Resume comes from ``Pipeline.stream(out_dir=...)``: a result folder appears atomically once
its images are written, and a re-run yields the saved result of any input already done in
the folder (matched by ``Request.key``) instead of running it again. So an interrupted run
loses nothing it paid for, and a re-run duplicates nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Iterator
from contextlib import aclosing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from . import _errors
from ._batch import check_concurrency, item_request
from ._errors import InvalidRequestError
from ._pipeline import Pipeline
from ._result import GenerationResult
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

LOCK_FILE = ".promptforge-batch.lock"
RESUMED = "resumed:"  # the warning Pipeline.stream puts on a result it took from out_dir
SEVERITY = (UNEXPECTED, CONFIGURATION, BACKEND_FAILURE, BLOCKED, BAD_INPUT)


@dataclass(frozen=True)
class Line:
    """One input: its line number in the file and the batch item (``prompt`` + options)."""

    number: int
    item: dict[str, Any]


@dataclass
class Tally:
    """What the batch has done so far."""

    total: int
    started: float = field(default_factory=time.perf_counter)
    results: list[tuple[Line, GenerationResult]] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for _, result in self.results if status_of(result) == status)

    @property
    def filtered(self) -> int:
        return sum(len(result.filtered) for _, result in self.results)

    @property
    def seconds(self) -> float:
        return time.perf_counter() - self.started


def status_of(result: GenerationResult) -> str:
    """``"done"``, ``"resumed"`` (done in an earlier run) or ``"failed"``."""
    if not result.ok:
        return "failed"
    return "resumed" if any(w.startswith(RESUMED) for w in result.warnings) else "done"


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
    as_json = getattr(args, "json", False)
    tally = Tally(total=len(lines))
    progress = Progress(tally, sys.stderr, tty=sys.stderr.isatty())
    try:
        with exclusive(args.out):
            asyncio.run(_consume(pipe, lines, args, options, tally, progress))
    except KeyboardInterrupt:
        progress.close()
        _report(tally, args, as_json, interrupted=True)
        left = tally.total - len(tally.results)
        print(f"promptforge: interrupted with {left} of {tally.total} left; run the same "
              "command again to resume", file=sys.stderr)  # fmt: skip
        return INTERRUPTED
    progress.close()
    _report(tally, args, as_json, interrupted=False)
    codes = {_code(result) for _, result in tally.results if not result.ok}
    return next((code for code in SEVERITY if code in codes), OK)


@contextmanager
def exclusive(out: Path) -> Iterator[None]:
    """Hold ``out``'s batch lock: two batches writing one folder would both run an input.

    The lock is advisory (``flock``) and dies with the process, so a crash never leaves it
    stuck. On Windows there is no lock.

    Raises:
        InvalidRequestError: another batch holds the lock.
    """
    out.mkdir(parents=True, exist_ok=True)
    if sys.platform == "win32":  # pragma: no cover
        yield
        return
    import fcntl

    with open(out / LOCK_FILE, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise InvalidRequestError(
                f"--out {out}: another promptforge batch is writing there; wait for it to "
                "finish or choose another folder",
                field="out",
            ) from None
        yield


async def _consume(
    pipe: Pipeline,
    lines: list[Line],
    args: argparse.Namespace,
    options: dict[str, Any],
    tally: Tally,
    progress: Progress,
) -> None:
    stream = pipe.stream(
        [line.item for line in lines],
        concurrency=args.concurrency,
        style=args.style,
        out_dir=args.out,
        keep_images=False,
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


class Progress:
    """A bar on a terminal, else one plain line per finished item (both on ``stream``)."""

    def __init__(self, tally: Tally, stream: TextIO, *, tty: bool) -> None:
        self.tally, self.stream, self.tty = tally, stream, tty

    def advance(self, line: Line, result: GenerationResult, out: Path) -> None:
        status = status_of(result)
        if result.error is not None:
            detail = f"{result.error.type}: {' '.join(result.error.message.split())}"
        elif status == "resumed":
            detail = f"already done: {out / result.id}"
        else:
            detail = f"{out / result.id}"
        count = f"[{len(self.tally.results)}/{self.tally.total}]"
        text = f"{count} {status:<7} line {line.number}: {detail}"
        if not self.tty:
            print(text, file=self.stream, flush=True)
            return
        if result.error is not None:
            print(f"\r\x1b[K{text}", file=self.stream)
        self._bar()

    def _bar(self) -> None:
        tally = self.tally
        done = len(tally.results)
        filled = round(24 * done / tally.total)
        bar = "#" * filled + "." * (24 - filled)
        counts = "  ".join(f"{s} {tally.count(s)}" for s in ("done", "resumed", "failed"))
        text = f"\r\x1b[K[{bar}] {done}/{tally.total}  {counts}  {tally.seconds:.1f}s"
        print(text, end="", file=self.stream, flush=True)

    def close(self) -> None:
        if self.tty and self.tally.results:
            print(file=self.stream, flush=True)


def _report(tally: Tally, args: argparse.Namespace, as_json: bool, *, interrupted: bool) -> None:
    """The summary: a table on stdout (or JSON), and one stderr line per failed item."""
    ordered = sorted(tally.results, key=lambda pair: pair[0].number)
    if as_json:
        items = [_item_json(line, result, args.out) for line, result in ordered]
        summary = {
            "file": str(args.file),
            "out": str(args.out),
            "total": tally.total,
            "done": tally.count("done") + tally.count("resumed"),
            "resumed": tally.count("resumed"),
            "failed": tally.count("failed"),
            "filtered": tally.filtered,
            "seconds": round(tally.seconds, 3),
            "interrupted": interrupted,
            "items": items,
        }
        print(json.dumps(summary, indent=2, ensure_ascii=False))
    else:
        resumed = tally.count("resumed")
        rows = [
            ("done", tally.count("done") + resumed,
             f"{resumed} already done in {args.out} from an earlier run" if resumed else ""),
            ("filtered", tally.filtered, "images withheld by the safety filter"),
            ("failed", tally.count("failed"), "run the same command again to retry them"
             if tally.count("failed") else ""),
            ("left", tally.total - len(tally.results), "interrupted" if interrupted else ""),
        ]  # fmt: skip
        print(f"batch {args.file} -> {args.out}/")
        for label, number, note in rows:
            print(f"  {label:<9}{number:>6}  {note}".rstrip())
        print(f"  {'seconds':<9}{tally.seconds:>6.1f}")
    for line, result in ordered:
        if result.error is not None:
            message = " ".join(result.error.message.split())
            print(f"promptforge: line {line.number} failed: {result.error.type}: {message}",
                  file=sys.stderr)  # fmt: skip


def _item_json(line: Line, result: GenerationResult, out: Path) -> dict[str, Any]:
    return {
        "line": line.number,
        "prompt": result.request.prompt if result.request else line.item.get("prompt"),
        "status": status_of(result),
        "id": result.id if result.ok else None,
        "folder": str(out / result.id) if result.ok else None,
        "images": len(result.images),
        "filtered": len(result.filtered),
        "error": result.error.model_dump(mode="json") if result.error else None,
    }
