"""``Pipeline.series``: many ideas, one look.

1. the enhancer writes the bible once (``Enhancer.bible``): the levers every image shares;
2. the first idea runs first; its image is the anchor (unless the caller gave one);
3. the rest run concurrently, each prompt carrying the bible's levers verbatim and, with
   ``consistency="reference"`` and a generator that takes references, the anchor as a style
   reference and the first image as a character reference for each recurring subject;
4. each item is scored against the anchor (the judge's checks, else pixels); items under
   ``min_coherence`` are made again, the anchor as reference, within ``max_rounds``.

With ``out_dir`` each result is saved as it finishes (``ResultStore``) and a re-run with the
same inputs resumes the series: the bible is read back and finished items are not run again.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

from ._batch import as_completed, check_concurrency
from ._bible import Bible
from ._coherence import Method, Score, bible_prompt, pixel_coherence
from ._edit import resolve_target
from ._errors import BackendError, InvalidRequestError
from ._files import read_json, write_atomic
from ._image import GeneratedImage
from ._reference import Reference
from ._request import Request, make_request
from ._result import GenerationResult, check_id, new_id
from ._rounds import judge_images
from ._run import RunState
from ._series_result import (
    CONSISTENCIES,
    Consistency,
    SeriesCoherence,
    SeriesItem,
    SeriesResult,
)
from ._store import ResultStore
from .generators import GeneratorCapabilities

if TYPE_CHECKING:
    from ._pipeline import Pipeline

Anchor: TypeAlias = GenerationResult | GeneratedImage | Reference | bytes | str | Path
"""What ``anchor=`` takes: a result (its first image), an image, a reference, bytes or a path."""
OnItem: TypeAlias = Callable[[SeriesItem], None]
BIBLE_FILE = "bible.json"
BIBLE_BYTES = 1 << 20
"""The largest ``bible.json`` read back (1 MiB; one is a few KiB)."""
STYLE_NOTE = "the series' look: match its style, palette and lighting, not its content"


async def run_series(
    pipe: Pipeline,
    ideas: Iterable[str],
    *,
    style: object,
    consistency: object,
    anchor: Anchor | None,
    min_coherence: object,
    max_rounds: object,
    concurrency: object,
    out_dir: str | Path | None,
    options: Mapping[str, Any],
    on_item: OnItem | None = None,
) -> SeriesResult:
    """Run a series; see ``Pipeline.aseries``. Every argument is checked before any call."""
    run = _prepare(pipe, ideas, style, consistency, anchor, min_coherence, max_rounds, options)
    run.concurrency = check_concurrency(concurrency)
    run.on_item = on_item
    if out_dir is not None:
        run.open(Path(out_dir))  # takes the series folder's lock
    try:
        await run.write_bible()
        return await run.execute()
    finally:
        if run.store is not None:
            run.store.close()


@dataclass
class _Run:
    """One series run: its checked inputs and what it has made so far."""

    pipe: Pipeline
    ideas: list[str]
    base: Request
    consistency: Consistency
    user_anchor: GeneratedImage | None
    min_coherence: float | None
    max_rounds: int
    options: dict[str, Any]
    key: str
    id: str = field(default_factory=new_id)
    concurrency: int = 8
    on_item: OnItem | None = None
    folder: Path | None = None
    store: ResultStore | None = None
    bible: Bible | None = None
    warnings: list[str] = field(default_factory=list)
    anchor: GeneratedImage | None = None
    characters: tuple[Reference, ...] = ()

    @property
    def caps(self) -> GeneratorCapabilities:
        return self.pipe.generator.capabilities

    # -- setup ---------------------------------------------------------------------------

    def open(self, out_dir: Path) -> None:
        """Resume the series with this key in ``out_dir``, or start its folder there.

        A ``bible.json`` is taken only from a real folder (not a link) named for the id it
        holds, read as a regular file of at most ``BIBLE_BYTES``; any other is not ours."""
        for record in sorted(out_dir.glob(f"*/{BIBLE_FILE}")):
            try:
                saved = read_json(record, BIBLE_BYTES)
                if not isinstance(saved, dict) or saved.get("key") != self.key:
                    continue
                if record.parent.is_symlink() or check_id(saved["id"]) != record.parent.name:
                    continue
                self.id, self.bible = saved["id"], Bible.model_validate(saved["bible"])
                break
            except (ValueError, KeyError, OSError):  # not ours, or damaged: start afresh
                continue
        self.folder = out_dir / self.id
        self.store = ResultStore(self.folder)

    async def write_bible(self) -> None:
        """Ask the enhancer for the bible (once: a resumed series reads it back)."""
        preset = self.base.style
        if self.bible is None:
            enhancer = self.pipe.enhancer
            try:
                bible = await self.pipe.enhance_retry.call(
                    lambda: enhancer.bible(tuple(self.ideas), preset)
                )
            except BackendError as exc:
                if self.pipe.on_enhance_error != "fallback":
                    raise
                self.warnings.append(
                    f"the bible could not be written ({type(exc).__name__}: {exc}); "
                    "the series shares the style preset only"
                )
                bible = Bible()
            self.bible = bible.with_preset(preset)
        if self.folder is not None:
            record = {"key": self.key, "id": self.id, "bible": self.bible.model_dump(mode="json")}
            text = json.dumps(record, indent=2, ensure_ascii=False)
            write_atomic(self.folder / BIBLE_FILE, text.encode("utf-8"))

    # -- the run -------------------------------------------------------------------------

    async def execute(self) -> SeriesResult:
        assert self.bible is not None
        use_references = self.consistency == "reference" and self.caps.max_references > 0
        if self.consistency == "reference" and not use_references:
            self.warnings.append(
                "consistency='reference': this generator takes no reference images "
                "(max_references=0); the series keeps its look by the bible alone"
            )
        first = await self._make(0, self._references(0, use_references), 1)
        self.anchor = self.user_anchor or (first.images[0] if first.images else None)
        if self.anchor is None:
            self.warnings.append(
                "the first item failed and no anchor= was given: the other items ran on "
                "the bible alone and are not scored"
            )
        elif first.images:
            self.characters = tuple(
                Reference(first.images[0].read(), role="character", note=subject)
                for subject in self.bible.mentioned(self.ideas[0])
            )
        items = {0: await self._finish(0, first, 1)}

        async def later(index: int, idea: str) -> SeriesItem:
            result = await self._make(index + 1, self._references(index + 1, use_references), 1)
            return await self._finish(index + 1, result, 1)

        async for item in as_completed(later, self.ideas[1:], self.concurrency):
            items[item.index] = item
        for round_number in range(2, self.max_rounds + 1):
            low = [item for item in items.values() if self._below(item)]
            if not low:
                break
            redone = await asyncio.gather(*(self._redo(item, round_number) for item in low))
            items.update((item.index, item) for item in redone)
        return self._result(tuple(items[index] for index in range(len(self.ideas))))

    def _below(self, item: SeriesItem) -> bool:
        floor = self.min_coherence
        return floor is not None and item.coherence is not None and item.coherence < floor

    async def _redo(self, item: SeriesItem, round_number: int) -> SeriesItem:
        """Make ``item`` again with the anchor as reference; keep whichever scores higher."""
        references = self._references(item.index, self.caps.max_references > 0)
        result = await self._make(item.index, references, round_number)
        again = await self._finish(item.index, result, round_number, report=False)
        better = again.coherence is not None and again.coherence > (item.coherence or 0.0)
        kept, other = (again, item) if better else (item, again)
        earlier = (*item.earlier, other.result.id) if other.result.ok else item.earlier
        final = kept.model_copy(update={"rounds": round_number, "earlier": earlier})
        if self.on_item is not None:
            self.on_item(final)
        return final

    def _references(self, index: int, use: bool) -> tuple[Reference, ...]:
        """The series' references for item ``index``, within the generator's limits."""
        if not use:
            return ()
        wanted: list[Reference] = []
        if self.user_anchor is not None or (index > 0 and self.anchor is not None):
            anchor = self.user_anchor or self.anchor
            assert anchor is not None
            wanted.append(Reference(anchor.read(), role="style", note=STYLE_NOTE))
        if index > 0:
            assert self.bible is not None
            named = set(self.bible.mentioned(self.ideas[index]))
            wanted += [ref for ref in self.characters if ref.note in named]
        fitted = _fit(wanted, self.base.options.references, self.caps)
        if len(fitted) < len(wanted):
            self.warnings.append(
                f"item {index + 1}: {len(wanted) - len(fitted)} of its series references left "
                f"out to stay within the generator's limit (max_references="
                f"{self.caps.max_references}, with {len(self.base.options.references)} of yours)"
            )
        return fitted

    async def _make(
        self, index: int, references: tuple[Reference, ...], round_number: int
    ) -> GenerationResult:
        """Run one item (or take it from the store); never raises for the item's failure."""
        assert self.bible is not None
        options = {**self.options, "references": [*self.base.options.references, *references]}
        if round_number > 1 and self.caps.seed:  # a new draw for a redone item
            options["seed"] = ((options.get("seed") or 0) + round_number - 1) % 2**32
        state = RunState(None, index=index)
        try:
            state.request = request = make_request(self.ideas[index], self.base.style, options)
            if self.store is not None:
                done = self.store.take(request, self.pipe._made_by(), lazy=False)
                if done is not None:
                    return self.store.resumed(done, index)
            run_plan = self.pipe._plan(request)
            state.prompt = self.bible.apply(await self.pipe._enhance(state, request))
            await self.pipe._execute(state, run_plan)
        except Exception as exc:  # one item's failure never sinks the series
            return state.result(error=exc)
        result = state.result()
        if self.store is not None:
            result = await asyncio.to_thread(self.store.save, result, keep_images=True)
        return result

    async def _finish(
        self, index: int, result: GenerationResult, round_number: int, *, report: bool = True
    ) -> SeriesItem:
        score = await self._score(index, result)
        item = SeriesItem(
            index=index,
            idea=self.ideas[index],
            result=result,
            coherence=score.value if score else None,
            failed_checks=score.failed if score else (),
            rounds=round_number,
        )
        if report and self.on_item is not None:
            self.on_item(item)
        return item

    async def _score(self, index: int, result: GenerationResult) -> Score | None:
        """``result``'s coherence with the anchor; None for the anchor itself or no image."""
        if not result.images or self.anchor is None:
            return None
        if index == 0 and self.user_anchor is None:
            return None  # the anchor is this item's own image
        image = result.images[0]
        if self.pipe.judge_backend is None:
            value = await asyncio.to_thread(pixel_coherence, self.anchor.read(), image.read())
            return Score(value, "pixels")
        assert self.bible is not None
        try:  # the judge's own retry policy and rate limit, as in rounds
            judged = await judge_images(self.pipe, bible_prompt(self.bible), [image])
        except Exception as exc:  # a judge failure leaves the item unscored, not failed
            self.warnings.append(f"item {index + 1}: the judge failed ({type(exc).__name__})")
            return None
        (verdict,) = judged.verdicts
        failed = tuple(check.question for check in verdict.failed)
        return Score(verdict.score, "judge", failed)

    def _result(self, items: tuple[SeriesItem, ...]) -> SeriesResult:
        assert self.bible is not None
        method: Method = "judge" if self.pipe.judge_backend is not None else "pixels"
        scores = tuple(item.coherence for item in items)
        first_made_anchor = self.user_anchor is None and self.anchor is not None
        series = SeriesResult(
            id=self.id,
            key=self.key,
            style=self.base.style.name if self.base.style else None,
            consistency=self.consistency,
            bible=self.bible,
            anchor=self.anchor,
            anchor_index=0 if first_made_anchor else None,
            items=items,
            coherence=SeriesCoherence.of(method, scores, self.min_coherence),
            warnings=tuple(self.warnings),
        )
        if self.folder is not None:
            series.save(self.folder.parent)
        return series


def _prepare(
    pipe: Pipeline,
    ideas: Iterable[str],
    style: object,
    consistency: object,
    anchor: Anchor | None,
    min_coherence: object,
    max_rounds: object,
    options: Mapping[str, Any],
) -> _Run:
    """Check every argument (raising ``InvalidRequestError``) and build the run."""
    if isinstance(ideas, str):
        raise InvalidRequestError("ideas: expected a list of ideas, got one str", field="ideas")
    listed = list(ideas)
    if not listed:
        raise InvalidRequestError("ideas: a series needs at least one idea", field="ideas")
    for number, idea in enumerate(listed):
        if not isinstance(idea, str) or not idea.strip():
            raise InvalidRequestError(
                f"ideas[{number}]: expected a non-empty str, got {idea!r}", field="ideas"
            )
    if consistency not in CONSISTENCIES:
        raise InvalidRequestError(
            f"consistency: {consistency!r} is not one of {', '.join(CONSISTENCIES)}",
            field="consistency",
            allowed=CONSISTENCIES,
        )
    if not isinstance(max_rounds, int) or isinstance(max_rounds, bool) or max_rounds < 1:
        raise InvalidRequestError(
            f"max_rounds: must be an int >= 1, got {max_rounds!r}", field="max_rounds"
        )
    floor = _floor(min_coherence)
    base = make_request(listed[0], style, options)
    pipe._plan(base)  # the options fit the generator, and the backends may run
    user_anchor = anchor_image(anchor)
    shared = {k: v for k, v in options.items() if k != "references"}
    digest = {
        "ideas": listed,
        "style": base.style.model_dump(mode="json") if base.style else None,
        "consistency": consistency,
        "options": base.options.model_dump(mode="json"),
        "anchor": hashlib.sha256(user_anchor.read()).hexdigest() if user_anchor else None,
    }
    key = hashlib.sha256(json.dumps(digest, sort_keys=True).encode()).hexdigest()[:16]
    return _Run(
        pipe=pipe,
        ideas=listed,
        base=base,
        consistency=consistency,
        user_anchor=user_anchor,
        min_coherence=floor,
        max_rounds=max_rounds,
        options=shared,
        key=key,
    )


def _floor(value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise InvalidRequestError(
            f"min_coherence: must be a number from 0 to 1, got {value!r}", field="min_coherence"
        )
    return float(value)


def anchor_image(anchor: Anchor | None) -> GeneratedImage | None:
    """The caller's anchor as an image, or ``InvalidRequestError`` naming ``anchor``."""
    if anchor is None:
        return None
    if isinstance(anchor, Reference):
        anchor = anchor.data
    try:
        return resolve_target(anchor).image
    except InvalidRequestError as exc:
        message = str(exc).removeprefix("target: ")
        raise InvalidRequestError(f"anchor: {message}", field="anchor") from None


def _fit(
    wanted: list[Reference], given: tuple[Reference, ...], caps: GeneratorCapabilities
) -> tuple[Reference, ...]:
    """The ``wanted`` references that fit beside the caller's own (``given``), in order."""
    room = caps.max_references - len(given)
    taken: list[Reference] = []
    for ref in wanted:
        limit = caps.reference_limits.get(ref.role)
        same = sum(1 for r in (*given, *taken) if r.role == ref.role)
        if len(taken) < room and (limit is None or same < limit):
            taken.append(ref)
    return tuple(taken)
