"""``--judge``, ``--target``, ``--rounds``, ``--fix`` on ``promptforge generate`` and
``batch``, the one line printed per round (score, failed checks, fix), and the short note
on a batch item's progress line.

The judge follows the generator: ``GeminiJudge`` with the Google backends, else the offline
``PixelJudge`` (pixel measurements only, and the notice says so). A pipeline built with a
judge keeps it.
"""

from __future__ import annotations

import argparse
from typing import Any

from ._errors import InvalidRequestError
from ._pipeline import Pipeline
from ._result import GenerationResult, Round
from ._rounds import FIXES, check_rounds, split_item
from .judges import GeminiJudge, Judge, PixelJudge
from .judges.pixels import LABEL

PIXEL_NOTICE = f"judging offline with {LABEL}"


def add_judge_arguments(parser: argparse.ArgumentParser) -> None:
    """The judging flags; ``--target`` and ``--rounds`` imply ``--judge``."""
    parser.add_argument("--judge", action="store_true",
                        help="judge the images (Gemini with Google, else pixels)")  # fmt: skip
    parser.add_argument("--target", type=float, default=None, metavar="SCORE",
                        help="fix and retry until the best image scores this (0 to 1)")  # fmt: skip
    parser.add_argument("--rounds", type=int, default=None, metavar="N",
                        help="at most N renders in all (default: 1; 3 with --target)")  # fmt: skip
    parser.add_argument("--fix", choices=FIXES, default="auto",
                        help="between rounds: edit the image or refine the prompt (default: "
                        "auto, edit when the generator can)")  # fmt: skip


def asks_judging(args: argparse.Namespace) -> bool:
    """Whether the command line asks for a judge."""
    return bool(args.judge or args.target is not None or args.rounds is not None)


def judged(
    args: argparse.Namespace, pipe: Pipeline, options: dict[str, Any]
) -> tuple[Pipeline, dict[str, Any]]:
    """The pipeline with a judge when asked for, and ``run``'s rounds keywords.

    Raises:
        InvalidRequestError: a bad ``--target`` or ``--rounds``, before any notice.
    """
    most = args.rounds if args.rounds is not None else (3 if args.target is not None else 1)
    rounds = {"target": args.target, "max_rounds": most, "fix": args.fix}
    if pipe.judge_backend is not None or not asks_judging(args):
        check_rounds(pipe.judge_backend, **rounds)
        return pipe, rounds
    judge: Judge
    if pipe.generator.requires_network:
        judge = GeminiJudge()
    else:
        judge = PixelJudge(aspect_ratio=options.get("aspect_ratio", "1:1"))
    check_rounds(judge, **rounds)  # bad values are one line, before the notice
    if isinstance(judge, PixelJudge):
        args.notes = [*getattr(args, "notes", []), PIXEL_NOTICE]
    with_judge = Pipeline(
        pipe.enhancer,
        pipe.generator,
        retry=pipe.generate_retry,
        enhance_retry=pipe.enhance_retry,
        strict=pipe.strict,
        judge=judge,
        log=pipe.log,
    )
    return with_judge, rounds


def check_item_rounds(pipe: Pipeline, item: object, rounds: dict[str, Any]) -> object:
    """``item`` without its own ``target``/``max_rounds``/``fix``, once those are checked
    against the command line's ``rounds``.

    Raises:
        InvalidRequestError: a bad value, or rounds asked of an item with no ``--judge``.
    """
    fields, own = split_item(item)
    if pipe.judge_backend is None and own.keys() & {"target", "max_rounds"}:
        key = "target" if "target" in own else "max_rounds"
        raise InvalidRequestError(f"{key}: rounds need a judge; add --judge", field=key)
    check_rounds(pipe.judge_backend, **{**rounds, **own})
    return fields


def score_note(result: GenerationResult) -> str:
    """``score 0.62 after 3 rounds`` or ``score 1.00 passed``; empty when not judged."""
    verdict = result.verdict
    if verdict is None:
        return ""
    count = len(result.rounds)
    after = f" after {count} rounds" if count > 1 else ""
    return f"score {verdict.score:.2f}{' passed' if verdict.passed else ''}{after}"


def round_line(held: Round, following: Round | None) -> str:
    """``round 1  score 0.62  failed: Is the image dark...?  fix: edit "Make it darker."``:
    the round's score, its failed checks, and the fix that made the next round."""
    verdict = held.verdict
    score = f"{verdict.score:.2f}" if verdict else "-"
    failed = "; ".join(check.question for check in verdict.failed) if verdict else ""
    fix = f'{following.fix} "{following.instruction}"' if following else "none"
    checks = (
        f"{len(verdict.checks) - len(verdict.failed)}/{len(verdict.checks)}" if verdict else "-"
    )
    return (
        f"round {held.number}  score {score}  checks passed {checks}  "
        f"failed: {failed or 'none'}  fix: {fix}"
    )


def print_rounds(result: GenerationResult) -> None:
    """One line per round, then which round won."""
    rounds = result.rounds
    for number, held in enumerate(rounds):
        following = rounds[number + 1] if number + 1 < len(rounds) else None
        print(f"{'judge:':<10}{round_line(held, following)}")
    winner = next((r.number for r in rounds if r.id == result.id), None)
    if winner is not None and len(rounds) > 1:
        print(f"{'best:':<10}round {winner} of {len(rounds)}")
