"""``promptforge series`` (ideas from a file, one look, resumable) and ``promptforge gallery``.

``series`` saves each item as it finishes under ``--out/<series id>/`` and, at the end, the
series itself (``series.json``, ``contact.png``, ``index.html``). Run the same command again
after an interruption: the series with the same ideas, style, options and anchor is resumed
(its bible read back, its finished items not run again).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from . import cli
from ._cli_batch import SEVERITY
from ._cli_batch import _code as result_code
from ._cli_input import BatchFile
from ._cli_out import output_folder
from ._errors import InvalidRequestError
from ._gallery import write_gallery
from ._request import make_request
from ._series import anchor_image, run_series
from ._series_result import CONSISTENCIES, INDEX_FILE, SeriesItem, SeriesResult


def add_series_commands(commands: Any, common: argparse.ArgumentParser) -> None:
    """The ``series`` and ``gallery`` subcommands."""
    series = commands.add_parser(
        "series", parents=[common], help="many ideas, one look (a storyboard), resumable"
    )
    series.add_argument("file", type=Path, help="one idea per line")
    series.add_argument("--out", default="out", type=Path, help="folder (default: out/)")
    series.add_argument("--anchor", metavar="IMAGE", help="the look to keep (default: item 1)")
    series.add_argument("--min-coherence", type=float, metavar="SCORE",
                        help="redo items scoring under this (0 to 1)")  # fmt: skip
    series.add_argument("--max-rounds", type=int, metavar="N",
                        help="times an item may be made (2 with --min-coherence)")  # fmt: skip
    series.add_argument("--consistency", choices=CONSISTENCIES, default="reference",
                        help="reference (default): the anchor as a style reference; bible: "
                        "shared prompt levers only")  # fmt: skip
    series.add_argument("--concurrency", type=int, default=8, help="at once (default: 8)")
    cli._image_options(series)
    series.set_defaults(command=run_series_command)

    gallery = commands.add_parser(
        "gallery", parents=[common], help="write index.html for a series or batch folder"
    )
    gallery.add_argument("folder", type=Path, help="a series folder, or a batch --out folder")
    gallery.set_defaults(command=run_gallery_command)


def run_series_command(args: argparse.Namespace) -> int:
    """Run the series command; return its exit code."""
    pipe = cli.pipeline_for(args)
    options = cli.image_options(args)
    ideas = []
    with BatchFile(args.file) as source:
        for line in source.lines():
            if set(line.item) != {"prompt"}:
                raise InvalidRequestError(
                    f"{args.file}:{line.number}: a series takes one idea per line; options "
                    "apply to the whole series (give them as flags)",
                    field="file",
                )
            ideas.append(line.item["prompt"])
    if not ideas:
        raise InvalidRequestError(f"{args.file}: holds no ideas (one per line)", field="file")
    for idea in ideas:
        cli.check(pipe, make_request(idea, args.style, options))
    anchor = anchor_image(args.anchor) if args.anchor else None
    rounds = args.max_rounds or (2 if args.min_coherence is not None else 1)
    cli.announce(args)
    done: list[SeriesItem] = []

    def progress(item: SeriesItem) -> None:
        done.append(item)
        print(_progress_line(item, len(done), len(ideas)), file=sys.stderr, flush=True)

    work = run_series(
        pipe,
        ideas,
        style=args.style,
        consistency=args.consistency,
        anchor=anchor,
        min_coherence=args.min_coherence,
        max_rounds=rounds,
        concurrency=args.concurrency,
        out_dir=args.out,
        options=options,
        on_item=progress,
    )
    output_folder(args.out)  # before anything is paid for
    try:
        series = asyncio.run(work)  # the series folder is locked while it runs
    except KeyboardInterrupt:
        left = len(ideas) - len({item.index for item in done})
        print(f"promptforge: interrupted with {left} of {len(ideas)} items left; run the same "
              "command again to resume", file=sys.stderr)  # fmt: skip
        return cli.INTERRUPTED
    folder = args.out / series.id
    _report(series, folder, args)
    codes = {result_code(item.result.error.type) for item in series.items if item.result.error}
    return next((code for code in SEVERITY if code in codes), cli.OK)


def run_gallery_command(args: argparse.Namespace) -> int:
    """Write the folder's ``index.html`` and say where."""
    try:
        page = write_gallery(args.folder)
    except (ValueError, FileNotFoundError, NotADirectoryError) as exc:  # a damaged series
        raise InvalidRequestError(f"gallery: {exc}", field="folder") from None
    print(page)
    return cli.OK


def _progress_line(item: SeriesItem, count: int, total: int) -> str:
    result = item.result
    if result.error is not None:
        status = "failed"
        detail = f"{result.error.type}: {' '.join(result.error.message.split())}"
    else:
        status = "resumed" if result.resumed else "done"
        score = "anchor" if item.coherence is None else f"coherence {item.coherence:.2f}"
        detail = f"{result.id}  {score}"
    if item.rounds > 1:
        return f"[redo]  item {item.index + 1} round {item.rounds}: {detail}"
    return f"[{count}/{total}] {status:<7} item {item.index + 1}: {detail}"


def _report(series: SeriesResult, folder: Path, args: argparse.Namespace) -> None:
    coherence = series.coherence
    if getattr(args, "json", False):
        document = {
            "folder": str(folder),
            "id": series.id,
            "bible": series.bible.model_dump(mode="json"),
            "coherence": coherence.model_dump(mode="json"),
            "warnings": list(series.warnings),
            "items": [
                {
                    "index": item.index,
                    "idea": item.idea,
                    "ok": item.result.ok,
                    "folder": str(folder / item.result.id) if item.result.ok else None,
                    "coherence": item.coherence,
                    "rounds": item.rounds,
                    "resumed": item.result.resumed,
                    "error": item.result.error.model_dump(mode="json")
                    if item.result.error
                    else None,
                }
                for item in series.items
            ],
        }
        print(json.dumps(document, indent=2, ensure_ascii=False))
        return
    failed = sum(1 for item in series.items if not item.result.ok)
    mean = "-" if coherence.mean is None else f"{coherence.mean:.2f}"
    worst = ""
    if coherence.worst is not None:
        worst = f", worst item {coherence.worst + 1} at {coherence.scores[coherence.worst]:.2f}"
    print(f"series {args.file} -> {folder}/")
    print(f"  {'items':<10}{len(series.items)}" + (f" ({failed} failed)" if failed else ""))
    print(f"  {'coherence':<10}{mean} mean ({coherence.method}){worst}")
    if coherence.min_coherence is not None:
        below = ", ".join(str(i + 1) for i in coherence.below) or "none"
        print(f"  {'below':<10}{below} (min {coherence.min_coherence})")
    print(f"  {'page':<10}{folder / INDEX_FILE}")
    print(f"  {'contact':<10}{folder / 'contact.png'}")
    for warning in series.warnings:
        print(f"promptforge: warning: {warning}", file=sys.stderr)
    for item in series.items:
        if item.result.error is not None:
            message = " ".join(item.result.error.message.split())
            print(f"promptforge: item {item.index + 1} failed: {item.result.error.type}: "
                  f"{message}", file=sys.stderr)  # fmt: skip
