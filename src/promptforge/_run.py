"""The state of one run as it moves through the stages, and the stage bookkeeping."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

from ._cost import cost_of
from ._errors import ContentBlockedError, PromptforgeError, Stage
from ._image import FilteredImage, GeneratedImage, GenerationOutput
from ._prompt import EnhancedPrompt
from ._request import Request
from ._result import ErrorInfo, GenerationResult, StageReport, new_id
from ._usage import Usage
from .enhancers import Enhancer
from .generators import Generator
from .judges._base import Judge

Backend = Enhancer | Generator | Judge


@dataclass
class Tally:
    """Counts a stage's backend calls (handed to ``RetryPolicy.call`` as ``on_attempt``)
    and adds up what they consumed."""

    attempts: int = 0
    usage: Usage = field(default_factory=Usage)

    def __call__(self, _attempt: int) -> None:
        self.attempts += 1


@dataclass
class RunState:
    """What one run has produced so far; becomes a ``GenerationResult`` however it ends."""

    request: Request | None
    parent_id: str | None = None
    index: int | None = None
    id: str = field(default_factory=new_id)
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    prompt: EnhancedPrompt | None = None
    images: list[GeneratedImage] = field(default_factory=list)
    filtered: list[FilteredImage] = field(default_factory=list)
    stages: dict[Stage, StageReport] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    usage: dict[Stage, Usage] = field(default_factory=dict)
    offline: set[Stage] = field(default_factory=set)
    batch: set[Stage] = field(default_factory=set)
    """Stages run in Google Batch Mode (priced at the batch discount)."""

    @contextmanager
    def stage(self, name: Stage, backend: Backend) -> Iterator[Tally]:
        """Time a stage, count its calls, and label any error it raises with stage/backend."""
        tally = Tally()
        start = time.perf_counter()
        try:
            yield tally
        except PromptforgeError as exc:
            exc.stage = exc.stage or name
            exc.backend = exc.backend or backend_name(backend)
            raise
        finally:
            self.stages[name] = StageReport(
                backend=backend_name(backend),
                model=backend.model,
                attempts=tally.attempts,
                seconds=time.perf_counter() - start,
            )
            self.usage[name] = self.usage.get(name, Usage()) + tally.usage
            if not backend.requires_network:
                self.offline.add(name)

    def take(self, outcome: GenerationOutput, tally: Tally, image_size: str | None) -> None:
        """Keep a generator's answer: its images, filtered images, warnings and usage (the
        tokens it reported, the images counted here)."""
        self.images.extend(outcome.images)
        self.filtered.extend(outcome.filtered)
        self.warnings.extend(outcome.warnings)
        tokens = outcome.usage.model_copy(update={"images": {}})
        tally.usage += tokens + Usage.of_images(len(outcome.images), image_size)

    def keep(
        self,
        outcomes: Sequence[GenerationOutput | BaseException],
        tally: Tally,
        image_size: str | None,
        *,
        call: str,
    ) -> None:
        """Keep the answers of a stage's concurrent ``call``s (``"generate"``, ``"edit"``):
        what was paid for is kept even when some calls failed, and said in ``warnings``.

        Raises:
            BaseException: the first failure, when no call returned an image.
            ContentBlockedError: every image was withheld by the safety filter.
        """
        for outcome in outcomes:
            if isinstance(outcome, GenerationOutput):
                self.take(outcome, tally, image_size)
        failures = [o for o in outcomes if isinstance(o, BaseException)]
        if failures and not self.images:
            raise failures[0]
        article = "an" if call[0] in "aeiou" else "a"
        self.warnings.extend(
            f"{article} {call} call failed ({type(f).__name__}: {f}); "
            "kept the images of the calls that succeeded"
            for f in failures
        )
        if not self.images:
            reasons = [f.reason for f in self.filtered]
            raise ContentBlockedError(
                "every image was withheld by the safety filter"
                + (f": {'; '.join(reasons)}" if reasons else ""),
                reasons=reasons,
            )

    def result(self, error: BaseException | None = None) -> GenerationResult:
        """Freeze the state into a result; a failed run keeps what it got (and what it
        used). Each image carries the run's provenance in its bytes (``docs/cost.md``)."""
        from ._provenance import stamp  # loaded with the first result, not with promptforge

        models: dict[str, str | None] = {s: report.model for s, report in self.stages.items()}
        images = stamp(self.images, self.id, self.request, self.prompt, models)
        return GenerationResult(
            id=self.id,
            parent_id=self.parent_id,
            index=self.index,
            created_at=self.created_at,
            request=self.request,
            prompt=self.prompt,
            images=images,
            filtered=self.filtered,
            stages=self.stages,
            usage=self.usage,
            cost=cost_of(self.usage, models, self.offline, self.batch),
            warnings=self.warnings,
            error=ErrorInfo.from_exception(error) if error is not None else None,
        )


def backend_name(backend: Backend) -> str:
    """The name reports and errors use for ``backend``."""
    return str(getattr(backend, "name", None) or type(backend).__name__)
