"""A batch's output folder: results written as they finish, and what a re-run may skip."""

from __future__ import annotations

import json
import shutil
from collections import defaultdict
from pathlib import Path

from ._request import Request
from ._result import RESULT_FILE, GenerationResult


class ResultStore:
    """``root/<result id>/`` folders, one per successful result, each written atomically.

    On opening, leftover staging folders from an interrupted save are removed and the
    finished results are indexed by ``Request.key``, so a re-run can skip them: an input
    repeated k times is done once k results with its key exist. Failed results are not
    written; a re-run tries them again.
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        for leftover in self.root.glob(".*.tmp"):
            shutil.rmtree(leftover, ignore_errors=True)
        self._done: defaultdict[str, list[Path]] = defaultdict(list)
        for folder in sorted(self.root.iterdir()):
            key = _done_key(folder)
            if key is not None:
                self._done[key].append(folder)

    def __len__(self) -> int:
        return sum(len(folders) for folders in self._done.values())

    def take(self, request: Request) -> GenerationResult | None:
        """A finished result for ``request`` not yet handed out (image bytes left on disk)."""
        folders = self._done.get(request.key)
        return GenerationResult.load(folders.pop(0), lazy=True) if folders else None

    def resumed(self, result: GenerationResult, index: int) -> GenerationResult:
        """A result taken from this store, placed at ``index`` of the current batch."""
        return result.model_copy(update={"index": index, "resumed": True})

    def save(self, result: GenerationResult, *, keep_images: bool) -> GenerationResult:
        """Write ``result`` if it succeeded; without ``keep_images``, drop its bytes from memory."""
        if not result.ok:
            return result
        folder = result.save(self.root)
        return result if keep_images else GenerationResult.load(folder, lazy=True)


def _done_key(folder: Path) -> str | None:
    """The request key of a finished, successful result folder; None for anything else."""
    if folder.name.startswith(".") or not (folder / RESULT_FILE).is_file():
        return None
    try:
        document = json.loads((folder / RESULT_FILE).read_text("utf-8"))
        if document.get("error") is not None or document.get("request") is None:
            return None
        return Request.model_validate(document["request"]).key
    except (ValueError, OSError):  # unreadable: not ours, or damaged; never skip for it
        return None
