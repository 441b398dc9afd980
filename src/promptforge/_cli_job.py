"""``promptforge batch --google-batch`` (submit) and ``promptforge job DIR`` (follow, collect).

Exit codes as for ``batch``: 0 when the job is submitted, still running, or collected with
every item done; otherwise the most severe code among the failed items (2 bad input,
3 blocked, 4 backend failure such as an expired job, 5 configuration).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from ._cli_backends import build_pipeline
from ._errors import InvalidRequestError
from ._result import GenerationResult
from .batchmode import BatchJob
from .cli import OK, announce


def add_job_command(
    commands: argparse._SubParsersAction[Any], common: argparse.ArgumentParser
) -> None:
    """Register ``job`` on the command line's subcommands."""
    parser = commands.add_parser(
        "job", parents=[common], help="follow a Google Batch Mode job; collect it when done"
    )
    parser.add_argument("dir", type=Path, help="the --out folder the job was submitted to")
    parser.add_argument("--wait", action="store_true", help="poll until the job ends")
    parser.add_argument("--cancel", action="store_true", help="cancel the job")
    parser.add_argument("--poll", type=float, default=30.0, metavar="SECONDS",
                        help="first wait between polls with --wait (default: 30)")  # fmt: skip
    parser.set_defaults(command=run_job)


def add_submit_flag(parser: argparse.ArgumentParser) -> None:
    """``--google-batch`` on ``batch``."""
    parser.add_argument(
        "--google-batch", action="store_true",
        help="submit as one Google Batch Mode job (half price, within 24 h) and return; "
             "follow it with `promptforge job DIR`",
    )  # fmt: skip


def submit_batch(args: argparse.Namespace, options: dict[str, Any]) -> int:
    """``promptforge batch FILE --out DIR --google-batch``: submit, print how to follow."""
    from ._cli_batch import check_lines
    from ._cli_input import BatchFile
    from ._cli_out import output_folder

    if getattr(args, "backend", "auto") == "offline":
        raise InvalidRequestError(
            "--google-batch: needs the Google backends, not --backend offline", field="backend"
        )
    pipe = build_pipeline(
        "google", lambda _: None, timeout=getattr(args, "timeout", None),
        retries=getattr(args, "retries", None),
    )  # fmt: skip
    with BatchFile(args.file) as source:
        check_lines(source, pipe, args, options)  # every line, before anything is spent
        output_folder(args.out)
        announce(args)
        job = pipe.submit(
            (line.item for line in source.lines()), out_dir=args.out,
            concurrency=args.concurrency, style=args.style, **options,
        )  # fmt: skip
    summary = _summary(job)
    if getattr(args, "json", False):
        print(json.dumps(summary, indent=2))
        return OK
    print(f"{'job:':<10}{job.name or '(nothing to send)'}  {job.state}")
    failed = summary["failed_before_submit"]
    print(f"{'items:':<10}{summary['items']}  ({summary['requests']} image requests, "
          f"{job.record.source}; {failed} failed before submitting)")  # fmt: skip
    print(f"{'folder:':<10}{args.out}/")
    print(f"{'follow:':<10}promptforge job {args.out} --wait")
    return OK


def run_job(args: argparse.Namespace) -> int:
    """``promptforge job DIR``: the job's state; with ``--wait`` poll until it ends; once it
    has ended, collect it into DIR."""
    from ._cli_batch import SEVERITY, _code

    job = BatchJob.open(args.dir)
    as_json = getattr(args, "json", False)
    if args.cancel:
        job.cancel()
    elif args.wait:
        started = time.monotonic()

        def progress(polled: BatchJob) -> None:
            minutes = (time.monotonic() - started) / 60
            print(f"promptforge: {polled.name}: {polled.state} ({minutes:.1f} min)",
                  file=sys.stderr, flush=True)  # fmt: skip

        job.wait(poll=args.poll, on_poll=progress)
    else:
        job.refresh()
    results: list[GenerationResult] = []
    if job.done and not args.cancel:
        results = job.collect(keep_images=False)
    summary = _summary(job, results)
    if as_json:
        summary["results"] = [
            {
                "index": r.index,
                "id": r.id if r.ok else None,
                "folder": str(args.dir / r.id) if r.ok else None,
                "error": r.error.model_dump(mode="json") if r.error else None,
            }
            for r in results
        ]
        print(json.dumps(summary, indent=2))
    else:
        print(f"{'job:':<10}{job.name or job.record.display_name}  {job.state}")
        print(f"{'items:':<10}{summary['items']}  ({summary['requests']} image requests)")
        if results:
            print(f"{'done:':<10}{summary['done']}  in {args.dir}/")
            print(f"{'failed:':<10}{summary['failed']}")
        elif not job.done:
            print(f"{'next:':<10}promptforge job {args.dir} --wait")
    for result in results:
        if result.error is not None:
            message = " ".join(result.error.message.split())
            print(f"promptforge: item {result.index} failed: {result.error.type}: {message}",
                  file=sys.stderr)  # fmt: skip
    codes = {_code(result.error.type) for result in results if result.error is not None}
    return next((code for code in SEVERITY if code in codes), OK)


def _summary(job: BatchJob, results: list[GenerationResult] | None = None) -> dict[str, Any]:
    counts = job.counts()
    summary: dict[str, Any] = {
        "name": job.name,
        "display_name": job.record.display_name,
        "model": job.record.model,
        "state": job.state,
        "source": job.record.source,
        "out": str(job.out_dir),
        **counts,
    }
    if results:
        summary["done"] = sum(1 for r in results if r.ok)
        summary["failed"] = sum(1 for r in results if not r.ok)
    return summary
