"""What a run returns: the prompt used, the images, per-stage reports, and any failure."""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from ._errors import BackendError, PromptforgeError, Stage
from ._files import replace_dir_atomic, staging_dir
from ._image import FilteredImage, GeneratedImage
from ._model import Model
from ._prompt import EnhancedPrompt
from ._request import Request
from .judges._base import Verdict

RESULT_FILE = "result.json"


def new_id() -> str:
    """A result id that sorts by creation time: ``20261125T141530-3f9a2c1d``."""
    return f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"


class StageReport(Model):
    """How one stage (enhance or generate) went."""

    backend: str
    """The backend that ran it, e.g. ``"GeminiEnhancer"``."""
    model: str | None = None
    """The backend's model, when it has one."""
    attempts: int = 0
    """Backend calls made, retries included."""
    seconds: float = 0.0
    """Wall time of the stage, retries and waits included."""


class Round(Model):
    """One round of a judged run: its images, their verdicts, and how it was made."""

    number: int = Field(ge=1)
    """1 for the first render, 2 for the first fix, ..."""
    id: str
    """The id of the result this round made (a later fix's ``parent_id``)."""
    fix: Literal["edit", "refine"] | None = None
    """How this round was made from the best one before it; None for the first."""
    instruction: str | None = None
    """The edit instruction or the feedback that fix used."""
    prompt: EnhancedPrompt | None = None
    """The prompt this round's images were made from (an edit's: its instruction)."""
    images: tuple[GeneratedImage, ...] = ()
    """The round's images, in the generator's order."""
    verdicts: tuple[Verdict, ...] = ()
    """The judge's verdict on each image, in the same order."""
    stages: dict[Stage, StageReport] = Field(default_factory=dict)
    """This round's own stage reports (``"judge"`` included)."""
    warnings: tuple[str, ...] = ()
    """Adaptations and fallbacks of this round."""

    @property
    def best(self) -> int:
        """The index of the best image (the earlier on a tie)."""
        scores = [verdict.score for verdict in self.verdicts]
        return scores.index(max(scores)) if scores else 0

    @property
    def verdict(self) -> Verdict | None:
        """The best image's verdict."""
        return self.verdicts[self.best] if self.verdicts else None

    @property
    def score(self) -> float:
        """The best image's score (0 when nothing was judged)."""
        return self.verdict.score if self.verdict else 0.0


class ErrorInfo(Model):
    """Why a run failed, kept on the result (``run_many`` / ``stream`` never raise per item)."""

    type: str
    """The exception's class name, e.g. ``"RateLimitedError"``."""
    message: str
    """The exception's message."""
    stage: Stage | None = None
    """The stage that failed, when a backend did."""
    retryable: bool = False
    """Whether running the item again may succeed."""
    status: int | None = None
    """The backend's HTTP status, when there was one."""

    @classmethod
    def from_exception(cls, exc: BaseException) -> ErrorInfo:
        """Describe ``exc``; promptforge errors carry their stage, status and retryability."""
        if isinstance(exc, PromptforgeError):
            return cls(
                type=type(exc).__name__,
                message=str(exc),
                stage=exc.stage,
                retryable=exc.retryable,
                status=exc.status if isinstance(exc, BackendError) else None,
            )
        return cls(type=type(exc).__name__, message=str(exc))


class GenerationResult(Model):
    """The outcome of one ``Pipeline.run``: prompt, images, reports, or why it failed."""

    id: str = Field(default_factory=new_id)
    """Stable, unique, sortable by time; the folder name ``save`` writes."""
    parent_id: str | None = None
    """The result this one refines or edits (``Pipeline.refine`` / ``Pipeline.edit``)."""
    instruction: str | None = None
    """The edit instruction, for a result ``Pipeline.edit`` made."""
    index: int | None = None
    """Position of the input in a ``run_many`` / ``stream`` batch."""
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    """When the run started (UTC)."""
    request: Request | None = None
    """What was asked; None only when a batch item was itself invalid."""
    prompt: EnhancedPrompt | None = None
    """The prompt sent to the generator; None if the run failed before it existed."""
    images: list[GeneratedImage] = Field(default_factory=list)
    """The images, in the generator's order."""
    filtered: list[FilteredImage] = Field(default_factory=list)
    """Images the generator's safety filter withheld."""
    stages: dict[Stage, StageReport] = Field(default_factory=dict)
    """Per-stage reports, keyed ``"enhance"`` and ``"generate"`` (``"edit"`` for an edit)."""
    warnings: list[str] = Field(default_factory=list)
    """Adaptations made for the backends, and fallbacks taken."""
    error: ErrorInfo | None = None
    """Why the run failed; None when it succeeded."""
    verdict: Verdict | None = None
    """The judge's verdict on the best image, when the pipeline has a judge."""
    rounds: tuple[Round, ...] = ()
    """Every round of a judged run, in order (the returned result is the best of them);
    saved under ``rounds/<n>/`` beside the winner's images."""
    resumed: bool = Field(default=False, exclude=True)
    """True when a batch with ``out_dir`` took this result from an earlier run instead of
    running it again. Not saved: it describes this batch, not the result."""

    @property
    def ok(self) -> bool:
        """True when the run succeeded (``error`` is None)."""
        return self.error is None

    def save(self, root: str | Path) -> Path:
        """Write ``root/<id>/``: each image as a file plus ``result.json``; return the folder.

        The folder appears whole or not at all (it is filled under a temporary name, then
        renamed), and replaces an earlier save of the same result.
        """
        root = Path(root)
        staging = staging_dir(root, self.id)
        try:
            images: dict[str, Any] = {"images": {"__all__": {"data", "path"}}}
            skip: dict[str, Any] = {**images, "rounds": {"__all__": images}}
            document = self.model_dump(mode="json", exclude=skip)
            _write_images(self.images, document["images"], staging, "")
            for held, entry in zip(self.rounds, document["rounds"], strict=True):
                prefix = f"rounds/{held.number}/"
                (staging / prefix).mkdir(parents=True, exist_ok=True)
                _write_images(held.images, entry["images"], staging, prefix)
            with open(staging / RESULT_FILE, "w", encoding="utf-8") as handle:
                json.dump(document, handle, indent=2, ensure_ascii=False)
                handle.flush()
                os.fsync(handle.fileno())
            folder = root / self.id
            replace_dir_atomic(staging, folder)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return folder

    @classmethod
    def load(cls, folder: str | Path, *, lazy: bool = False) -> GenerationResult:
        """Read back a folder written by ``save``.

        With ``lazy``, image bytes stay on disk: each image gets a ``path`` and an empty
        ``data``, and ``image.read()`` loads it when needed.
        """
        folder = Path(folder)
        document: dict[str, Any] = json.loads((folder / RESULT_FILE).read_text("utf-8"))
        entries = [*document.get("images", [])]
        entries += [entry for held in document.get("rounds", []) for entry in held["images"]]
        for entry in entries:
            file = folder / entry.pop("file")
            if lazy:
                entry["path"] = str(file.resolve())
            else:
                entry["data"] = file.read_bytes()
        return cls.model_validate(document)


def _write_images(
    images: Sequence[GeneratedImage], entries: list[dict[str, Any]], folder: Path, prefix: str
) -> None:
    """Write each image to ``folder/<prefix>image-<n>.<ext>`` and name the file in its entry."""
    for number, (image, entry) in enumerate(zip(images, entries, strict=True)):
        entry["file"] = f"{prefix}image-{number}{image.extension}"
        (folder / entry["file"]).write_bytes(image.read())
