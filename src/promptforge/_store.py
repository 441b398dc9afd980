"""A batch's output folder: results written as they finish, and what a re-run may skip."""

from __future__ import annotations

import logging
import shutil
from collections import Counter
from collections.abc import Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from ._files import folder_lock, move_aside, read_json
from ._request import Request
from ._result import READ_VERSIONS, RESULT_FILE, SCHEMA_VERSION, GenerationResult, StageReport

logger = logging.getLogger("promptforge")

DAMAGED = ".damaged"
"""The subfolder of an output folder that damaged result folders are moved into."""


MAKERS = ("enhance", "generate")
"""The stages whose backends make a result; a judge's rounds and edits only refine it."""


def made_by(stages: Mapping[str, StageReport]) -> str:
    """Who made a result, from its stage reports: ``"enhance RuleEnhancer (rules-1), ..."``.

    Resume reuses a saved result only when this matches the backends of the current run.
    Only the ``MAKERS`` count: a judged result's ``judge`` and ``edit`` stages do not.
    """
    return ", ".join(
        f"{stage} {report.backend}" + (f" ({report.model})" if report.model else "")
        for stage, report in sorted(stages.items())
        if stage in MAKERS
    )


@dataclass
class ResumeReport:
    """What a ``ResultStore`` did with the results already in its folder."""

    resumed: int = 0
    """Inputs taken from an earlier run instead of running them again."""
    redone: Counter[str] = field(default_factory=Counter)
    """Inputs run again although the folder held a result for them, counted by reason:
    ``"made by other backends: <enhancer and generator of the earlier result>"``, or
    ``"damaged: moved to .damaged/"``."""
    damaged: list[tuple[Path, str]] = field(default_factory=list)
    """Result folders that did not verify: where each was moved, and why."""


@dataclass
class _Done:
    folder: Path
    made_by: str
    judged: bool = False


class ResultStore:
    """``root/<result id>/`` folders, one per successful result, each written atomically.

    Opening a store takes the folder's lock (``root/.promptforge-batch.lock``), so a second
    batch on the same folder, in this process or another, is refused instead of making
    every item twice; ``close()`` (or leaving ``with ResultStore(root) as store:``) releases
    it. Then leftover staging folders from an interrupted save are removed and the finished
    results are indexed, so a re-run can skip them:

    - a saved result is reused only for the same ``Request.key`` (prompt, style, options
      that change the image) **and** the same enhancer and generator with the same models
      (so offline previews never stand in for real images); an input repeated k times is
      done once k such results exist;
    - a result is verified (loaded, its image files checked) before it is reused; a folder
      that fails is moved to ``root/.damaged/`` (never deleted) and the input run again;
    - failed results are not written; a re-run tries them again.

    ``report`` says what was resumed and what was redone, and why.

    Raises:
        InvalidRequestError: another batch holds the folder's lock, or the lock file is
            not a regular file.
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.report = ResumeReport()
        self._done: dict[str, list[_Done]] = {}
        self._exit = ExitStack()
        self._exit.enter_context(folder_lock(self.root))
        try:
            for leftover in self.root.glob(".*.tmp"):
                shutil.rmtree(leftover, ignore_errors=True)
            for folder in sorted(self.root.iterdir()):
                self._index(folder)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Release the folder's lock. Idempotent."""
        self._exit.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __len__(self) -> int:
        return sum(len(done) for done in self._done.values())

    def take(
        self, request: Request, maker: str, *, lazy: bool, judged: bool = False
    ) -> GenerationResult | None:
        """A verified earlier result for ``request`` made by ``maker`` (see ``made_by``),
        not yet handed out; None when the input must run. With ``lazy``, image bytes stay
        on disk. With ``judged`` (the run has a judge), only a judged result will do."""
        candidates = self._done.get(request.key, [])
        fits = [d for d in candidates if d.made_by == maker and (d.judged or not judged)]
        other = next((done for done in candidates if done not in fits), None)
        reason = None
        for done in fits:
            candidates.remove(done)
            try:
                result = GenerationResult.load(done.folder, lazy=lazy)
            except (ValueError, OSError) as exc:
                self._damaged(done.folder, str(exc))
                reason = f"damaged: moved to {DAMAGED}/"
                continue
            self.report.resumed += 1
            return result
        if reason is None and other is not None:  # once per earlier result, left in place
            candidates.remove(other)
            reason = (
                f"made by other backends: {other.made_by}"
                if other.made_by != maker
                else "not judged: this run has a judge"
            )
            logger.warning("%s: not reused (%s); this run uses %s", other.folder, reason, maker)
        if reason is not None:
            self.report.redone[reason] += 1
        return None

    def resumed(self, result: GenerationResult, index: int) -> GenerationResult:
        """A result taken from this store, placed at ``index`` of the current batch."""
        return result.model_copy(update={"index": index, "resumed": True})

    def save(self, result: GenerationResult, *, keep_images: bool) -> GenerationResult:
        """Write ``result`` if it succeeded; without ``keep_images``, drop its bytes from memory."""
        if not result.ok:
            return result
        folder = result.save(self.root)
        return result if keep_images else GenerationResult.load(folder, lazy=True)

    def _index(self, folder: Path) -> None:
        """Index ``folder`` if it holds a successful result; move it aside if it is damaged.

        Hidden entries, symbolic links, files, folders without ``result.json``, failed
        results and results of a newer schema are not ours to judge: left alone."""
        if folder.name.startswith(".") or folder.is_symlink() or not folder.is_dir():
            return
        if not (folder / RESULT_FILE).exists() and not (folder / RESULT_FILE).is_symlink():
            return
        try:
            document: Any = read_json(folder / RESULT_FILE)
            if not isinstance(document, dict):
                raise ValueError("result.json: not a JSON object")
            if document.get("version", SCHEMA_VERSION) not in READ_VERSIONS:
                return
            if document.get("error") is not None or document.get("request") is None:
                return
            key = Request.model_validate(document["request"]).key
            stages = document.get("stages") or {}
            maker = made_by({name: StageReport.model_validate(r) for name, r in stages.items()})
        except (ValueError, OSError, AttributeError) as exc:
            self._damaged(folder, f"result.json: {exc}")
            return
        self._done.setdefault(key, []).append(_Done(folder, maker, "judge" in stages))

    def _damaged(self, folder: Path, reason: str) -> None:
        moved = move_aside(folder, self.root / DAMAGED)
        self.report.damaged.append((moved, reason))
        logger.warning("%s: damaged (%s); moved to %s", folder, reason, moved)
