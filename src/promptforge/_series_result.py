"""What ``Pipeline.series`` returns: the bible, the anchor, each item with its coherence score;
saved as a folder with a contact sheet and a page that opens from disk."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, TypeAlias

from pydantic import Field, ValidationError, field_validator

from ._bible import Bible
from ._coherence import Method
from ._files import read_json, write_atomic
from ._image import GeneratedImage
from ._model import Model
from ._result import (
    RESULT_FILE,
    GenerationResult,
    check_header,
    check_id,
    inside,
    new_id,
    read_image_file,
)

Consistency: TypeAlias = Literal["reference", "bible"]
CONSISTENCIES: tuple[Consistency, ...] = ("reference", "bible")
SERIES_FILE = "series.json"
CONTACT_FILE = "contact.png"
INDEX_FILE = "index.html"


class SeriesItem(Model):
    """One image of a series: its idea, the result that made it, and how well it fits."""

    index: int
    """Position of the idea in the series."""
    idea: str
    """The idea, as given."""
    result: GenerationResult
    """The run that made it (the best round's, when it was redone)."""
    coherence: float | None = None
    """Its score against the anchor, 0 to 1; None for the anchor itself or a failed item."""
    failed_checks: tuple[str, ...] = ()
    """The judge's questions its image failed (judge coherence only)."""
    rounds: int = 1
    """How many times it was made (more than 1 when it was redone for ``min_coherence``)."""
    earlier: tuple[str, ...] = ()
    """Ids of the results of earlier rounds, kept beside it when saved."""


class SeriesCoherence(Model):
    """How well the series holds together: each item's score against the anchor."""

    method: Method
    """``"judge"`` (the pipeline's judge answered the bible's questions) or ``"pixels"``."""
    scores: tuple[float | None, ...] = ()
    """Per item, in order; None for the anchor item and for failed items."""
    mean: float | None = None
    """The mean of the scores; None when nothing was scored."""
    worst: int | None = None
    """Index of the lowest-scoring item."""
    min_coherence: float | None = None
    """The floor asked for; items under it were redone within ``max_rounds``."""
    below: tuple[int, ...] = ()
    """Items still under ``min_coherence`` after every round."""

    @classmethod
    def of(
        cls, method: Method, scores: tuple[float | None, ...], floor: float | None
    ) -> SeriesCoherence:
        """Summarise per-item ``scores``."""
        scored = [(score, index) for index, score in enumerate(scores) if score is not None]
        below = tuple(i for s, i in scored if floor is not None and s < floor)
        return cls(
            method=method,
            scores=scores,
            mean=round(sum(s for s, _ in scored) / len(scored), 4) if scored else None,
            worst=min(scored)[1] if scored else None,
            min_coherence=floor,
            below=below,
        )


class SeriesResult(Model):
    """A series: its bible, its anchor, each item, and how coherent they are.

    ``results`` are the items' ``GenerationResult``\\ s in idea order. ``save(root)`` writes
    ``root/<id>/``: a folder per item, ``series.json``, ``contact.png`` and ``index.html``.
    """

    id: str = Field(default_factory=new_id)
    """Stable, unique, sortable by time; the folder name ``save`` writes."""
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    """When the series started (UTC)."""
    key: str = ""
    """A digest of the ideas, style, consistency, anchor and options: a re-run with the same
    inputs and ``out_dir`` resumes the series whose key matches."""
    style: str | None = None
    """Name of the style preset, if any."""
    consistency: Consistency = "reference"
    """How the look was held: the bible and the anchor as a reference, or the bible only."""
    bible: Bible
    """The levers every item shares, written once."""
    anchor: GeneratedImage | None = None
    """The image every item is scored against (and shown as a style reference)."""
    anchor_index: int | None = None
    """The item whose image is the anchor; None when the caller gave it."""
    items: tuple[SeriesItem, ...] = ()
    """One per idea, in order."""
    coherence: SeriesCoherence = Field(default_factory=lambda: SeriesCoherence(method="pixels"))
    """Each item's score against the anchor, their mean, and the worst."""
    warnings: tuple[str, ...] = ()
    """What the series adapted (e.g. a generator that takes no references)."""

    @field_validator("id")
    @classmethod
    def _check_id(cls, value: str) -> str:
        return check_id(value)

    @property
    def results(self) -> tuple[GenerationResult, ...]:
        """Each item's result, in idea order."""
        return tuple(item.result for item in self.items)

    @property
    def ok(self) -> bool:
        """True when every item succeeded."""
        return all(item.result.ok for item in self.items)

    def save(self, root: str | Path) -> Path:
        """Write ``root/<id>/`` and return it: a folder per successful item (as
        ``GenerationResult.save`` writes it), ``series.json``, ``contact.png`` and
        ``index.html``. Item folders already there (a series run with ``out_dir``) are kept.
        """
        from ._gallery import contact_sheet, series_page

        folder = Path(root) / self.id
        folder.mkdir(parents=True, exist_ok=True)
        for item in self.items:
            done = (folder / item.result.id / RESULT_FILE).is_file()
            if item.result.ok and not done:
                item.result.save(folder)
        document = self.model_dump(
            mode="json", exclude={"anchor": {"data", "path"}, "items": {"__all__": {"result"}}}
        )
        if self.anchor is not None:
            document["anchor"]["file"] = f"anchor{self.anchor.extension}"
            write_atomic(folder / document["anchor"]["file"], self.anchor.read())
        for entry, item in zip(document["items"], self.items, strict=True):
            entry["folder"] = item.result.id if item.result.ok else None
            if not item.result.ok:  # no folder for a failed run: its record lives here
                entry["result"] = item.result.model_dump(mode="json")
        text = json.dumps(document, indent=2, ensure_ascii=False)
        write_atomic(folder / SERIES_FILE, text.encode("utf-8"))
        write_atomic(folder / CONTACT_FILE, contact_sheet(self))
        write_atomic(folder / INDEX_FILE, series_page(self, folder).encode("utf-8"))
        return folder

    @classmethod
    def load(cls, folder: str | Path, *, lazy: bool = False) -> SeriesResult:
        """Read back a folder written by ``save`` (``lazy``: image bytes stay on disk).

        ``series.json`` is read as ``GenerationResult.load`` reads ``result.json``: the
        anchor must be a regular file inside the folder (the image it declares), each
        item's folder a result id naming a real folder in it (no link), the series id a
        single folder name.

        Raises:
            ValueError: the folder's content is damaged or hostile; the message names the
                file and the entry (e.g. ``items[0].folder``).
            OSError: the folder or ``series.json`` cannot be read.
        """
        file = Path(folder) / SERIES_FILE
        try:
            document = read_json(file)
        except ValueError as exc:
            raise ValueError(f"{file}: {exc}") from None
        if not isinstance(document, dict):
            raise ValueError(f"{file}: not a JSON object")
        base = Path(os.path.realpath(file.parent))
        anchor = document.get("anchor")
        if anchor is not None:
            if not isinstance(anchor, dict):
                raise ValueError(f"{file}: anchor: expected an object")
            path = inside(base, anchor.pop("file", None), f"{file}: anchor", field="file")
            if lazy:
                anchor["path"] = str(path)
            else:
                anchor["data"] = read_image_file(path, f"{file}: anchor", field="file")
        items = document.get("items", [])
        if not isinstance(items, list):
            raise ValueError(f"{file}: items: expected a list")
        for number, entry in enumerate(items):
            where = f"{file}: items[{number}]"
            if not isinstance(entry, dict):
                raise ValueError(f"{where}: expected an object")
            name = entry.pop("folder", None)
            if name is not None:
                entry["result"] = GenerationResult.load(_item_folder(base, name, where), lazy=lazy)
        try:
            series = cls.model_validate(document)
        except ValidationError as exc:
            raise ValueError(f"{file}: {exc}") from None
        if lazy and series.anchor is not None:
            check_header(series.anchor, f"{file}: anchor")
        return series


def _item_folder(base: Path, name: object, where: str) -> Path:
    """``base/name`` if ``name`` is a result id and that is a folder, not a link."""
    if not isinstance(name, str):
        raise ValueError(f"{where}.folder: expected a result id, got {name!r}")
    try:
        folder = base / check_id(name)
    except ValueError as exc:
        raise ValueError(f"{where}.folder: {exc}") from None
    if folder.is_symlink() or not folder.is_dir():
        raise ValueError(f"{where}.folder: {name!r} is a symbolic link or not a folder")
    return folder


def is_series(folder: Path) -> bool:
    """True when ``folder`` holds a saved series."""
    return (folder / SERIES_FILE).is_file()
