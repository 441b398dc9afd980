"""The command line's run log: ``--no-log``, and ``promptforge log [QUERY] | show ID``."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from ._errors import ConfigurationError, InvalidRequestError
from ._pipeline import Pipeline
from ._result import GenerationResult
from ._runlog import LOG_VARIABLE, LogEntry, RunLog, default_path

OFF = {"0", "false", "no", "off"}


def add_log_arguments(common: argparse.ArgumentParser) -> None:
    """``--no-log``, on every command."""
    common.add_argument(
        "--no-log",
        action="store_true",
        default=argparse.SUPPRESS,
        help=f"do not record this run in the run log (or {LOG_VARIABLE}=0)",
    )


def attach_log(pipe: Pipeline, args: argparse.Namespace) -> None:
    """Give ``pipe`` the run log unless ``--no-log`` or ``PROMPTFORGE_LOG=0`` says not to;
    a log that cannot be opened is reported on stderr and the run goes on without it."""
    if getattr(args, "no_log", False) or getattr(args, "estimate", False):
        return  # asked not to, or nothing will run
    if os.environ.get(LOG_VARIABLE, "").lower() in OFF:
        return
    try:
        pipe.log = RunLog()
    except ConfigurationError as exc:
        print(f"promptforge: warning: {exc}", file=sys.stderr)


def note_saved(pipe: Pipeline, result: GenerationResult, folder: Path) -> None:
    """Record where a logged result was saved."""
    if pipe.log is not None:
        pipe.log.record(result, folder=folder)


def add_log_command(commands: Any, common: argparse.ArgumentParser) -> None:
    """``promptforge log``."""
    log = commands.add_parser(
        "log", parents=[common], help="runs recorded in the run log (search, or show one)",
        description=f"Search the run log ({default_path()}), newest first; "
        "`promptforge log show ID` shows one run.",
    )  # fmt: skip
    log.add_argument("words", nargs="*", metavar="QUERY", help="words the idea or prompt holds")
    log.add_argument("-n", dest="limit", type=int, default=20, help="runs to show (default: 20)")
    log.set_defaults(command=run_log_command)


def run_log_command(args: argparse.Namespace) -> int:
    """List or show logged runs; exit 2 for an id that is not there."""
    if args.limit < 1:
        raise InvalidRequestError(f"-n: must be at least 1, got {args.limit}", field="n")
    as_json = getattr(args, "json", False)
    path = default_path()
    if not path.exists():
        print("[]" if as_json else f"no runs logged yet ({path})")
        return 0
    log = RunLog(path)
    if args.words[:1] == ["show"]:
        if len(args.words) != 2:
            raise InvalidRequestError("log show: give one run id (see `promptforge log`)")
        entry = log.get(args.words[1])
        if entry is None:
            raise InvalidRequestError(f"log show: no run {args.words[1]!r} in {path}", field="id")
        _show(entry, as_json)
        return 0
    entries = log.search(" ".join(args.words) or None, limit=args.limit)
    if as_json:
        print(
            json.dumps([e.model_dump(mode="json") for e in entries], indent=2, ensure_ascii=False)
        )
        return 0
    rows = [("ID", "TIME", "STATUS", "COST", "IDEA")]
    for entry in entries:
        cost = "-" if entry.cost is None else f"${entry.cost:.4f}"
        idea = " ".join((entry.idea or "").split())
        rows.append((entry.id, entry.time[:16].replace("T", " "), entry.status, cost, idea[:60]))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False))
            + "  "
            + row[4]
        )
    if not entries:
        print("no runs match" if args.words else "no runs logged yet")
    return 0


def _show(entry: LogEntry, as_json: bool) -> None:
    document = entry.model_dump(mode="json")
    if as_json:
        print(json.dumps(document, indent=2, ensure_ascii=False))
        return
    for name, value in document.items():
        if value is None or value == {}:
            continue
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        print(f"{name + ':':<10}{text}")
