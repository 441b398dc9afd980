"""The judge interface, its verdict, and the question set every judge may share.

A judge looks at one image and the prompt it was made from and answers with a ``Verdict``:
a list of yes/no checks (``Check``), a score computed from them (not one a model makes up), and
the fixes a failed check suggests (feedback for the enhancer, negative terms, an edit
instruction). ``questions`` turns a ``PromptSpec`` into one question per lever and per
attribute, in the manner of TIFA / Davidsonian Scene Graph question sets.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import ClassVar

from pydantic import Field

from .._image import GeneratedImage
from .._model import Model
from .._prompt import EnhancedPrompt, PromptSpec
from .._text import sentence, unique
from .._usage import Usage

WEIGHTS: dict[str, float] = {
    "subject": 4.0,
    "attribute": 2.0,
    "action": 1.5,
    "setting": 1.5,
    "style": 1.0,
    "composition": 1.0,
    "lighting": 1.0,
    "mood": 1.0,
    "negative": 1.0,
}
"""How much each lever's checks count in the score: the subject most, then its attributes.
A lever not listed (a custom judge's own) counts 1."""


class Check(Model):
    """One yes/no question about the image, and its answer."""

    question: str
    """The question asked, e.g. ``"Is the crown tiny?"``."""
    lever: str | None = None
    """The spec lever it tests (``"subject"``, ``"attribute"``, ``"lighting"``...), if any."""
    passed: bool
    """True when the image answers the question as the prompt wants."""
    evidence: str | None = None
    """What the judge saw, in a few words (e.g. ``"the crown covers half the head"``)."""


class Verdict(Model):
    """A judge's answer about one image."""

    score: float = Field(ge=0.0, le=1.0)
    """0 to 1, computed from the checks (``score_of``), the subject weighted highest."""
    passed: bool
    """True when every check passed."""
    checks: tuple[Check, ...] = ()
    """The questions asked and their answers."""
    feedback: str | None = None
    """What to change, for the enhancer (``Pipeline.refine``); None when nothing failed."""
    negative: tuple[str, ...] = ()
    """Terms to keep out next time (e.g. ``"large crown"``)."""
    edit_instruction: str | None = None
    """The change to ask an image editor for (``Pipeline.edit``); None when nothing failed."""
    judge: str | None = None
    """Which judge gave it, and what it can see (e.g. the offline judge's "pixels only")."""
    usage: Usage = Field(default_factory=Usage)
    """Tokens the judge spent on this verdict, as its backend reported them (re-asks
    included; nothing for an offline judge). The pipeline adds them to the judge stage's
    ``result.usage`` and ``result.cost``."""

    @property
    def failed(self) -> tuple[Check, ...]:
        """The checks that did not pass."""
        return tuple(check for check in self.checks if not check.passed)


class Judge(ABC):
    """Looks at an image and says how well it matches its prompt. Implement ``judge``.

    Example:
        >>> class Bright(Judge):
        ...     async def judge(self, prompt, image):
        ...         check = Check(question="Is it bright?", passed=mean_level(image) > 0.5)
        ...         return verdict_from([check])
    """

    model: str | None = None
    """The model behind the judge, reported in ``StageReport.model``."""
    requires_network: ClassVar[bool] = False
    """True for judges that call a remote service; ``promptforge.testing`` can forbid them."""

    @abstractmethod
    async def judge(self, prompt: EnhancedPrompt, image: GeneratedImage) -> Verdict:
        """Return the verdict on ``image``, made for ``prompt``.

        Raise ``ContentBlockedError`` for a refusal and ``BackendError`` (or a subclass)
        for a failed call; the pipeline's retry policy decides what to retry.
        """

    async def aclose(self) -> None:  # noqa: B027 - optional, a no-op unless overridden
        """Release connections (optional; ``Pipeline.aclose`` calls it)."""


@dataclass(frozen=True)
class Question:
    """A question a judge asks, before it is answered."""

    text: str
    lever: str
    target: str
    """The words of the spec it tests (the attribute, the lighting...)."""
    thing: str = "the subject"
    """The subject with "the", for the fix (``"the fluffy corgi"``)."""

    def fix(self) -> str:
        """An instruction that would turn a "no" into a "yes" (when the judge gave none)."""
        target = self.target.strip()
        templates = {
            "subject": f"show {_with_article(target)} clearly",
            "attribute": f"give {self.thing} {target}",
            "action": f"show {self.thing} {target}",
            "setting": f"place {self.thing} {target}",
            "style": f"render the image as {target}",
            "composition": f"frame the image as {target}",
            "lighting": f"make the lighting {target}",
            "mood": f"make the image feel {target}",
            "negative": f"remove {target}",
        }
        return templates.get(self.lever, f"make sure of this: {self.text.rstrip('?')}")


def questions(prompt: EnhancedPrompt) -> list[Question]:
    """One yes/no question per lever and per attribute of ``prompt``'s spec.

    A prompt without a spec (plain text) gets one question: whether the image shows it.
    """
    spec = prompt.spec
    if spec is None:
        text = prompt.text.strip().rstrip(".")
        return [Question(f"Does the image show this: {text}?", "subject", text)]
    subject = _with_article(spec.subject)
    thing = _definite(spec.subject)
    asked = [Question(f"Is there {subject} in the image?", "subject", spec.subject, thing)]
    asked += [
        Question(f"Does {thing} have {attribute.strip()}?", "attribute", attribute, thing)
        for attribute in spec.attributes
        if attribute.strip()
    ]
    asked += _lever_questions(spec, thing)
    if spec.negative:
        terms = ", ".join(spec.negative)
        asked.append(
            Question(f"Is the image free of all of these: {terms}?", "negative", terms, thing)
        )
    return asked


def _lever_questions(spec: PromptSpec, thing: str) -> list[Question]:
    asked = []
    if spec.action:
        action = spec.action.strip()
        asked.append(Question(f"Is {thing} {action}?", "action", action, thing))
    if spec.setting:
        setting = spec.setting.strip()
        asked.append(Question(f"Is {thing} {setting}?", "setting", setting, thing))
    templates = {
        "style": "Does the image look like this style: {}?",
        "composition": "Is the image framed like this: {}?",
        "lighting": "Is the lighting like this: {}?",
        "mood": "Does the image feel like this: {}?",
    }
    for lever, template in templates.items():
        value = getattr(spec, lever)
        if value and value.strip():
            asked.append(Question(template.format(value.strip()), lever, value, thing))
    return asked


_ARTICLES = ("a ", "an ", "the ", "this ", "that ", "some ", "his ", "her ", "its ", "their ")


def _with_article(subject: str) -> str:
    text = subject.strip()
    if text.lower().startswith(_ARTICLES) or text[:1].isdigit():
        return text
    return f"{'an' if text[:1].lower() in 'aeiou' else 'a'} {text}"


def _definite(subject: str) -> str:
    text = subject.strip()
    for article in _ARTICLES:
        if text.lower().startswith(article):
            return "the " + text[len(article) :]
    return "the " + text


def score_of(checks: Iterable[Check]) -> float:
    """The weighted share of checks passed (``WEIGHTS``); 1.0 when there are none."""
    total = passed = 0.0
    for check in checks:
        weight = WEIGHTS.get(check.lever or "", 1.0)
        total += weight
        passed += weight if check.passed else 0.0
    return round(passed / total, 4) if total else 1.0


def verdict_from(
    checks: Sequence[Check],
    *,
    fixes: Sequence[str] = (),
    negative: Iterable[str] = (),
    judge: str | None = None,
) -> Verdict:
    """A verdict from answered checks: the score computed, the fixes joined.

    ``fixes`` are instructions for the failed checks (e.g. ``"make the crown much
    smaller"``, see ``Question.fix``); they become both the enhancer's feedback and the
    edit instruction, one sentence each.
    """
    failed = [check for check in checks if not check.passed]
    steps = unique(sentence(fix) for fix in fixes if fix.strip())
    instruction = " ".join(steps) if failed and steps else None
    return Verdict(
        score=score_of(checks),
        passed=not failed,
        checks=tuple(checks),
        feedback=instruction,
        negative=tuple(unique(negative)) if failed else (),
        edit_instruction=instruction,
        judge=judge,
    )
