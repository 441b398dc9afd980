"""Rounds: judge the images, fix the best (edit or refine), try again, keep the best.

``Pipeline.arun(..., target=, max_rounds=, fix=)`` renders once, then hands the result
here. Each round judges every image; the rounds stop when the best image reaches
``target`` (without one: when its verdict passes) or after ``max_rounds``. Between
rounds, the best image so far is fixed: edited with its verdict's instruction when the
generator can edit (``fix="auto"`` or ``"edit"``), else its prompt is refined with the
verdict's feedback and negative terms. The best round wins (the earlier on a tie); every
round is kept on ``result.rounds``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

from ._cost import Cost, add_costs, cost_of
from ._errors import InvalidRequestError, PromptforgeError, Stage
from ._image import GeneratedImage
from ._prompt import EnhancedPrompt
from ._result import GenerationResult, Round, StageReport
from ._run import RunState
from ._text import split_terms, unique
from ._usage import Usage, add_usage
from .judges._base import Judge, Verdict

if TYPE_CHECKING:
    from ._pipeline import Pipeline

Fix: TypeAlias = Literal["auto", "edit", "refine"]
FIXES: tuple[Fix, ...] = ("auto", "edit", "refine")
ROUND_KEYS = ("target", "max_rounds", "fix")
"""Keys a batch item may carry to set its own rounds."""


@dataclass(frozen=True)
class Rounds:
    """A run's rounds settings, checked."""

    target: float | None
    max_rounds: int
    fix: Fix


def check_fix(fix: object) -> Fix:
    """``fix`` if it is one of ``FIXES``, else ``InvalidRequestError``."""
    if fix not in FIXES:
        raise InvalidRequestError(
            f"fix: {fix!r} is not one of {', '.join(FIXES)}", field="fix", allowed=FIXES
        )
    return fix


def check_rounds(
    judge: Judge | None, target: object, max_rounds: object, fix: object
) -> Rounds | None:
    """The rounds settings, or None when there is no judge and nothing asks for one.

    Raises:
        InvalidRequestError: a bad ``target`` (a number from 0 to 1), ``max_rounds`` (an
            int >= 1) or ``fix``, or rounds asked of a pipeline without a judge.
    """
    checked_fix = check_fix(fix)
    if target is not None and (
        isinstance(target, bool) or not isinstance(target, int | float) or not 0 <= target <= 1
    ):
        raise InvalidRequestError(
            f"target: must be a number from 0 to 1, got {target!r}", field="target"
        )
    if not isinstance(max_rounds, int) or isinstance(max_rounds, bool) or max_rounds < 1:
        raise InvalidRequestError(
            f"max_rounds: must be an int >= 1, got {max_rounds!r}", field="max_rounds"
        )
    if judge is None:
        if target is not None or max_rounds > 1:
            asked = "target" if target is not None else "max_rounds"
            raise InvalidRequestError(
                f"{asked}: rounds need a judge; build the pipeline with one, e.g. "
                "Pipeline(..., judge=GeminiJudge()) or judge=PixelJudge() offline",
                field="judge",
            )
        return None
    return Rounds(None if target is None else float(target), max_rounds, checked_fix)


def split_item(item: object) -> tuple[object, dict[str, Any]]:
    """A batch item without its own rounds keys, and those keys (``target``...)."""
    if not isinstance(item, Mapping):
        return item, {}
    fields = dict(item)
    own = {key: fields.pop(key) for key in ROUND_KEYS if key in fields}
    return fields, own


@dataclass(frozen=True)
class Judged:
    """Verdicts on some images, and what judging them took (report, tokens, cost)."""

    verdicts: tuple[Verdict, ...]
    report: StageReport
    usage: Usage
    cost: Cost | None


async def judge_images(
    pipe: Pipeline, prompt: EnhancedPrompt, images: Sequence[GeneratedImage]
) -> Judged:
    """Every image judged, concurrently, under the judge's retry policy and rate limit."""
    judge = pipe.judge_backend
    assert judge is not None
    state = RunState(None)

    with state.stage("judge", judge) as tally:

        def call(image: GeneratedImage) -> Callable[[], Awaitable[Verdict]]:
            return lambda: pipe.limited_judge(lambda: judge.judge(prompt, image))

        verdicts = await asyncio.gather(
            *(pipe.judge_retry.call(call(image), on_attempt=tally) for image in images)
        )
        for verdict in verdicts:
            tally.usage += verdict.usage
    report = state.stages["judge"]
    cost = cost_of(state.usage, {"judge": report.model}, state.offline)
    return Judged(tuple(verdicts), report, state.usage["judge"], cost)


async def run_rounds(pipe: Pipeline, first: GenerationResult, rounds: Rounds) -> GenerationResult:
    """Judge ``first``, fix and re-render until the target or ``max_rounds``; the best wins.

    A failed fix or judgement after the first round ends the rounds with a warning and
    the best so far; the first round's judgement failing raises (stage ``"judge"``).
    """
    assert first.request is not None
    assert first.prompt is not None
    request, warnings = first.request, []
    made: list[tuple[Round, GenerationResult]] = []
    current, how, instruction, prompt = first, None, None, first.prompt
    while True:
        number = len(made) + 1
        try:
            if number > 1:
                best_round, best = max_of(made)
                current, how, instruction, prompt = await _fix(pipe, best_round, best, rounds)
            judged = await judge_images(pipe, prompt, current.images)
        except PromptforgeError as exc:
            if number == 1:
                raise
            warnings.append(
                f"round {number} failed ({type(exc).__name__}: {exc}); "
                "kept the best of the earlier rounds"
            )
            break
        normal = current.model_copy(
            update={
                "request": request,
                "prompt": prompt,
                "usage": add_usage(current.usage, {"judge": judged.usage}),
                "cost": add_costs([current.cost, judged.cost]),
            }
        )
        made.append((_round(number, normal, how, instruction, judged), normal))
        best_round, _ = max_of(made)
        if _reached(best_round, rounds) or number >= rounds.max_rounds:
            break
        if best_round.verdict is not None and not best_round.verdict.edit_instruction:
            warnings.append(f"round {number}: the verdict names nothing to fix; stopped")
            break
    return _winner(made, warnings)


def max_of(made: Sequence[tuple[Round, GenerationResult]]) -> tuple[Round, GenerationResult]:
    """The best round and its result: the highest score, the earlier on a tie."""
    return max(made, key=lambda pair: (pair[0].score, -pair[0].number))


def _reached(best: Round, rounds: Rounds) -> bool:
    verdict = best.verdict
    if verdict is None:
        return False
    return verdict.score >= rounds.target if rounds.target is not None else verdict.passed


async def _fix(
    pipe: Pipeline, best_round: Round, best: GenerationResult, rounds: Rounds
) -> tuple[GenerationResult, Literal["edit", "refine"], str, EnhancedPrompt]:
    """Make the next round from the best one: ``(result, fix, words used, prompt to judge)``."""
    verdict = best_round.verdict
    assert verdict is not None
    assert verdict.edit_instruction is not None
    assert best.request is not None
    assert best.prompt is not None
    if rounds.fix != "refine" and pipe.generator.capabilities.edit:
        options: dict[str, Any] = {"n": best.request.options.n}
        if verdict.negative:
            options["negative_prompt"] = ", ".join(verdict.negative)
        image = best.images[best_round.best]
        edited = await pipe.aedit(image, verdict.edit_instruction, **options)
        edited = edited.model_copy(update={"parent_id": best.id})
        return edited, "edit", verdict.edit_instruction, best.prompt
    feedback = verdict.feedback or verdict.edit_instruction
    if verdict.negative:
        feedback += " " + " ".join(f"Without {term}." for term in verdict.negative)
    negatives = unique([*split_terms(best.request.options.negative_prompt), *verdict.negative])
    refined = await pipe.arefine(
        best, feedback, fix=rounds.fix, negative_prompt=", ".join(negatives) or None
    )
    assert refined.prompt is not None
    return refined, "refine", feedback, refined.prompt


def _round(
    number: int,
    result: GenerationResult,
    how: Literal["edit", "refine"] | None,
    instruction: str | None,
    judged: Judged,
) -> Round:
    return Round(
        number=number,
        id=result.id,
        fix=how,
        instruction=instruction,
        prompt=result.prompt,
        images=tuple(result.images),
        verdicts=judged.verdicts,
        stages={**result.stages, "judge": judged.report},
        warnings=tuple(result.warnings),
    )


def _winner(made: list[tuple[Round, GenerationResult]], warnings: list[str]) -> GenerationResult:
    """The best round's result, with its verdict, every round, and the stages, usage and
    cost of all (the judge's tokens included)."""
    best_round, best = max_of(made)
    totals: dict[Stage, StageReport] = {}
    for held, _ in made:
        for name, report in held.stages.items():
            seen = totals.get(name)
            totals[name] = (
                report
                if seen is None
                else seen.model_copy(
                    update={
                        "attempts": seen.attempts + report.attempts,
                        "seconds": seen.seconds + report.seconds,
                    }
                )
            )
    return best.model_copy(
        update={
            "verdict": best_round.verdict,
            "rounds": tuple(held for held, _ in made),
            "stages": totals,
            "usage": add_usage(*(result.usage for _, result in made)),
            "cost": add_costs(result.cost for _, result in made),
            "warnings": [*best.warnings, *warnings],
        }
    )
