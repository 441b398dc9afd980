"""What ``promptforge batch`` shows: progress as items finish, and the summary at the end."""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import textwrap
import time
from array import array
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from ._cli_judge import score_note
from ._cost import CostTally
from ._result import GenerationResult
from ._store import ResumeReport


@dataclass(frozen=True)
class Line:
    """One input: its line number in the file and the batch item (``prompt`` + options)."""

    number: int
    item: dict[str, Any]


class Tally:
    """What the batch has done so far, in memory that does not grow with the batch.

    Counts are kept in memory; each finished item's summary entry goes to a temporary
    file, read back in line order for the summary at the end.
    """

    def __init__(self, total: int) -> None:
        self.total = total
        self.started = time.perf_counter()
        self.counts: Counter[str] = Counter()
        """Finished items by ``status_of``."""
        self.filtered = 0
        """Images withheld by a safety filter."""
        self.error_types: set[str] = set()
        """The error class names of the failed items."""
        self.store = ResumeReport()
        """What the output folder's store resumed, redid and moved aside."""
        self.cost = CostTally()
        """What the batch spent, and the items the budget held back."""
        self._entries = tempfile.TemporaryFile()  # noqa: SIM115  # closed by close()
        self._lines = array("q")
        self._offsets = array("q")

    def add(self, line: Line, result: GenerationResult, out: Path) -> None:
        """Count a finished item and keep its summary entry."""
        self.counts[status_of(result)] += 1
        self.filtered += len(result.filtered)
        self.cost.add(result)
        if result.error is not None:
            self.error_types.add(result.error.type)
        self._lines.append(line.number)
        self._offsets.append(self._entries.seek(0, os.SEEK_END))
        entry = json.dumps(_item_json(line, result, out), ensure_ascii=False)
        self._entries.write(entry.encode("utf-8") + b"\n")

    def count(self, status: str) -> int:
        return self.counts[status]

    @property
    def finished(self) -> int:
        return len(self._lines)

    @property
    def seconds(self) -> float:
        return time.perf_counter() - self.started

    def entries(self) -> Iterator[dict[str, Any]]:
        """The summary entry of every finished item, in line order."""
        for position in sorted(range(len(self._lines)), key=self._lines.__getitem__):
            self._entries.seek(self._offsets[position])
            yield json.loads(self._entries.readline())

    def close(self) -> None:
        """Drop the kept entries."""
        self._entries.close()


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
        if note := score_note(result):
            detail = f"{detail}  {note}"
        count = f"[{self.tally.finished}/{self.tally.total}]"
        text = f"{count} {status:<7} line {line.number}: {detail}"
        if not self.tty:
            print(text, file=self.stream, flush=True)
            return
        if result.error is not None:
            print(f"\r\x1b[K{text}", file=self.stream)
        self._bar()

    def _bar(self) -> None:
        tally = self.tally
        done = tally.finished
        filled = round(24 * done / tally.total)
        bar = "#" * filled + "." * (24 - filled)
        counts = "  ".join(f"{s} {tally.count(s)}" for s in ("done", "resumed", "failed"))
        text = f"\r\x1b[K[{bar}] {done}/{tally.total}  {counts}  {tally.seconds:.1f}s"
        print(text, end="", file=self.stream, flush=True)

    def note(self, text: str) -> None:
        """One line of news on ``stream``, above the bar on a terminal."""
        print(f"\r\x1b[K{text}" if self.tty else text, file=self.stream, flush=True)
        if self.tty and self.tally.finished:
            self._bar()

    def close(self) -> None:
        if self.tty and self.tally.finished:
            print(file=self.stream, flush=True)


def report(
    tally: Tally,
    args: argparse.Namespace,
    as_json: bool,
    *,
    interrupted: bool,
    error: dict[str, Any] | None = None,
) -> None:
    """The summary: a table on stdout (or JSON), and one stderr line per failed item.

    ``error`` describes what stopped the batch early (a full disk), if anything.
    """
    from ._cli_cost import cost_json, cost_rows

    done, resumed, failed = (tally.count(s) for s in ("done", "resumed", "failed"))
    if as_json:
        summary = {
            "file": str(args.file),
            "out": str(args.out),
            "total": tally.total,
            "done": done + resumed,
            "resumed": resumed,
            "failed": failed,
            "redone": dict(tally.store.redone),
            "damaged": [{"folder": str(f), "reason": r} for f, r in tally.store.damaged],
            "filtered": tally.filtered,
            "seconds": round(tally.seconds, 3),
            "interrupted": interrupted,
            "error": error,
            **cost_json(tally.cost),
        }
        _print_json(summary, tally.entries())
    else:
        rows = [
            ("done", done + resumed,
             f"{resumed} already done in {args.out} from an earlier run" if resumed else ""),
            ("filtered", tally.filtered, "images withheld by the safety filter"),
            ("failed", failed, "run the same command again to retry them" if failed else ""),
            ("left", tally.total - tally.finished,
             "interrupted" if interrupted else "stopped by an error" if error else ""),
        ]  # fmt: skip
        print(f"batch {args.file} -> {args.out}/")
        for label, number, note in rows:
            print(f"  {label:<9}{number:>6}  {note}".rstrip())
        print(f"  {'seconds':<9}{tally.seconds:>6.1f}")
        for label, value, note in cost_rows(tally.cost):
            print(f"  {label:<9}{value:>6}  {note}".rstrip())
        for reason, number in sorted(tally.store.redone.items()):
            print(f"  {'redone':<9}{number:>6}  {reason}")
        for folder, reason in tally.store.damaged:
            print(f"promptforge: damaged result folder moved to {folder}: {reason}",
                  file=sys.stderr)  # fmt: skip
    if failed:
        for entry in tally.entries():
            if (error := entry["error"]) is not None:
                message = " ".join(error["message"].split())
                print(f"promptforge: line {entry['line']} failed: {error['type']}: {message}",
                      file=sys.stderr)  # fmt: skip


def _print_json(summary: dict[str, Any], items: Iterator[dict[str, Any]]) -> None:
    """``summary`` plus ``"items"``, as ``json.dumps(indent=2)`` would print it, an item at
    a time (the items of a long batch are never all in memory)."""
    head = json.dumps(summary, indent=2, ensure_ascii=False)
    print(head[:-2] + ',\n  "items": [', end="")
    for number, item in enumerate(items):
        text = json.dumps(item, indent=2, ensure_ascii=False)
        print(("," if number else "") + "\n" + textwrap.indent(text, "    "), end="")
    print("\n  ]\n}")


def _item_json(line: Line, result: GenerationResult, out: Path) -> dict[str, Any]:
    verdict = result.verdict
    return {
        "line": line.number,
        "prompt": result.request.prompt if result.request else line.item.get("prompt"),
        "status": status_of(result),
        "id": result.id if result.ok else None,
        "folder": str(out / result.id) if result.ok else None,
        "images": len(result.images),
        "filtered": len(result.filtered),
        "error": result.error.model_dump(mode="json") if result.error else None,
        "verdict": {"score": verdict.score, "passed": verdict.passed} if verdict else None,
        "rounds": len(result.rounds),
    }
