"""``--judge``, ``--target``, ``--rounds``, ``--fix`` on ``promptforge generate``, and the
one line printed per round: score, failed checks, fix.

The judge follows the generator: ``GeminiJudge`` with the Google backends, else the offline
``PixelJudge`` (pixel measurements only, and the notice says so).
"""

from __future__ import annotations

import argparse
from typing import Any

from ._pipeline import Pipeline
from ._result import GenerationResult, Round
from ._rounds import FIXES, check_rounds
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


def judged(
    args: argparse.Namespace, pipe: Pipeline, options: dict[str, Any]
) -> tuple[Pipeline, dict[str, Any]]:
    """The pipeline with a judge when asked for, and ``run``'s rounds keywords."""
    if not (args.judge or args.target is not None or args.rounds is not None):
        return pipe, {}
    judge: Judge
    if pipe.generator.requires_network:
        judge = GeminiJudge()
    else:
        judge = PixelJudge(aspect_ratio=options.get("aspect_ratio", "1:1"))
        args.notes = [*getattr(args, "notes", []), PIXEL_NOTICE]
    with_judge = Pipeline(
        pipe.enhancer,
        pipe.generator,
        retry=pipe.generate_retry,
        enhance_retry=pipe.enhance_retry,
        strict=pipe.strict,
        judge=judge,
    )
    most = args.rounds if args.rounds is not None else (3 if args.target is not None else 1)
    rounds = {"target": args.target, "max_rounds": most, "fix": args.fix}
    check_rounds(judge, **rounds)  # bad values are one line, before the notice
    return with_judge, rounds


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
