"""``FakeJudge`` (scripted verdicts, recorded calls) and ``check_judge`` (the contract)."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TypeAlias

from .._image import GeneratedImage
from .._portal import run_sync
from .._prompt import EnhancedPrompt, PromptSpec
from ..judges._base import Check, Judge, Verdict
from ._contract import ContractError, _Problems
from ._images import image_bytes

JudgeStep: TypeAlias = "Verdict | float | BaseException"


@dataclass(frozen=True)
class JudgeCall:
    """One recorded ``FakeJudge.judge`` call."""

    prompt: EnhancedPrompt
    image: GeneratedImage


def scripted_verdict(score: float, *, fix: str = "make it match the prompt") -> Verdict:
    """A verdict with ``score``: passed at 1.0, else one failed check whose fix is ``fix``
    (as the edit instruction and the feedback)."""
    passed = score >= 1.0
    check = Check(
        question="Does the image match the prompt?",
        lever="subject",
        passed=passed,
        evidence=f"scripted score {score}",
    )
    return Verdict(
        score=score,
        passed=passed,
        checks=(check,),
        feedback=None if passed else fix,
        edit_instruction=None if passed else fix,
        judge="FakeJudge",
    )


class FakeJudge(Judge):
    """A judge that answers from a script, then passes everything.

    Args:
        script: answers for successive calls: a ``Verdict`` (returned as is), a score
            (``scripted_verdict(score)``: below 1.0 it fails with a fix), or an exception
            (raised on that call). When it runs out, every image scores 1.0.
        latency: seconds each call takes.

    ``calls`` records every ``(prompt, image)`` judged.
    """

    __test__ = False

    def __init__(self, script: Iterable[JudgeStep] = (), *, latency: float = 0.0) -> None:
        self.script: deque[JudgeStep] = deque(script)
        self.latency = latency
        self.calls: list[JudgeCall] = []
        self.model = "fake-judge"

    def __repr__(self) -> str:
        return f"FakeJudge({len(self.script)} scripted)"

    async def judge(self, prompt: EnhancedPrompt, image: GeneratedImage) -> Verdict:
        self.calls.append(JudgeCall(prompt, image))
        await asyncio.sleep(self.latency)
        step = self.script.popleft() if self.script else 1.0
        if isinstance(step, BaseException):
            raise step
        return step if isinstance(step, Verdict) else scripted_verdict(float(step))


async def acheck_judge(judge: Judge) -> None:
    """Check ``judge`` honours the ``Judge`` contract; raise ``ContractError`` if not.

    Checks: it returns a ``Verdict`` for a prompt with a spec and for a plain-text one;
    each check asks a question; ``passed`` agrees with the checks; a verdict with a failed
    check says how to fix it (``edit_instruction`` and ``feedback``), so rounds can act.
    """
    problems = _Problems()
    spec = PromptSpec(
        subject="red fox", attributes=["a bushy tail"], setting="in fresh snow", mood="calm"
    )
    prompts = (
        EnhancedPrompt(original="a red fox", text=spec.render(), spec=spec),
        EnhancedPrompt(original="a red fox", text="A red fox curled up in fresh snow."),
    )
    image = GeneratedImage.from_bytes(image_bytes(640, 480))
    for prompt in prompts:
        label = "with a spec" if prompt.spec else "plain text"
        verdict = await judge.judge(prompt, image)
        if not isinstance(verdict, Verdict):
            problems.append(f"{label}: judge() returned {type(verdict).__name__}, not Verdict")
            continue
        problems.expect(
            all(check.question.strip() for check in verdict.checks),
            f"{label}: every check must ask a question",
        )
        failed = [check for check in verdict.checks if not check.passed]
        problems.expect(
            not (verdict.passed and failed), f"{label}: passed=True with a failed check"
        )
        if failed or not verdict.passed:
            problems.expect(
                bool(verdict.edit_instruction and verdict.feedback),
                f"{label}: a failed verdict must give edit_instruction and feedback",
            )
    problems.raise_if_any(judge)


def check_judge(judge: Judge) -> None:
    """Sync twin of ``acheck_judge``."""
    run_sync(acheck_judge(judge))


__all__ = [
    "ContractError",
    "FakeJudge",
    "JudgeCall",
    "acheck_judge",
    "check_judge",
    "scripted_verdict",
]
