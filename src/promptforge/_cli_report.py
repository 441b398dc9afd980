"""What ``promptforge batch`` shows: progress as items finish, and the summary at the end."""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from ._result import GenerationResult
from ._store import ResumeReport


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
    store: ResumeReport = field(default_factory=ResumeReport)

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
    return "resumed" if result.resumed else "done"


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


def report(tally: Tally, args: argparse.Namespace, as_json: bool, *, interrupted: bool) -> None:
    """The summary: a table on stdout (or JSON), and one stderr line per failed item."""
    from ._cli_cost import cost_json, cost_rows

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
            "redone": dict(tally.store.redone),
            "damaged": [{"folder": str(f), "reason": r} for f, r in tally.store.damaged],
            "filtered": tally.filtered,
            "seconds": round(tally.seconds, 3),
            "interrupted": interrupted,
            **cost_json(result for _, result in ordered),
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
        for label, value, note in cost_rows(result for _, result in ordered):
            print(f"  {label:<9}{value:>6}  {note}".rstrip())
        for reason, number in sorted(tally.store.redone.items()):
            print(f"  {'redone':<9}{number:>6}  {reason}")
        for folder, reason in tally.store.damaged:
            print(f"promptforge: damaged result folder moved to {folder}: {reason}",
                  file=sys.stderr)  # fmt: skip
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
