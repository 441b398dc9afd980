"""``Pipeline``: enhance, then generate, with retries. Async core, one-line sync twins."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterable
from contextlib import aclosing
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Self, TypeAlias, TypeVar

from typing_extensions import Unpack

from . import _guard
from ._adapt import Plan, fold_negative, plan
from ._batch import (
    BatchItem,
    check_prompts,
    check_shared,
    item_request,
)
from ._components import check_bool, check_enhancer, check_generator, check_optional
from ._errors import BackendError, InvalidRequestError
from ._image import GeneratedImage, GenerationOutput
from ._options import ImageOptions, ImageOptionsDict
from ._portal import run_sync
from ._prompt import EnhancedPrompt, EnhanceRequest
from ._ratelimit import Limiter, RateLimit
from ._request import Request, check_text, make_request
from ._result import GenerationResult, StageReport
from ._retry import RetryPolicy
from ._rounds import Fix, Rounds, check_fix, check_rounds, run_rounds, split_item
from ._run import RunState, Tally, backend_name
from ._usage import Usage
from .enhancers import EnhanceFunction, Enhancer
from .generators import Generator
from .judges._base import Judge, Verdict
from .styles import StylePreset

if TYPE_CHECKING:  # the features these serve import them when first used
    from ._budget import Estimate, Stager
    from ._edit import EditTarget
    from ._runlog import RunLog
    from ._series import Anchor
    from ._series_result import Consistency, SeriesResult
    from ._store import ResultStore
    from .batchmode import BatchJob

T = TypeVar("T")
Style: TypeAlias = str | StylePreset | None


class Pipeline:
    """Enhance a short idea into a detailed prompt, then render it.

    Args:
        enhancer: an ``Enhancer``, or a plain function (wrapped in ``FunctionEnhancer``).
        generator: the ``Generator`` that renders images.
        retry: the retry policy for both stages.
        enhance_retry: overrides ``retry`` for the enhance stage.
        generate_retry: overrides ``retry`` for the generate stage.
        on_enhance_error: ``"raise"`` (default) or ``"fallback"``: when enhancing fails
            with a ``BackendError`` after retries, generate from the user's own words and
            say so in ``warnings``. Safety blocks are never bypassed.
        strict: refuse options the caller set that the generator would have to drop or
            fold, instead of adapting them with a warning. (Negatives an enhancer or style
            preset adds are still folded for a generator without negative prompts.)
        enhance_rate_limit: requests per minute to the enhancer, shared by all tasks.
        generate_rate_limit: requests per minute to the generator, shared by all tasks.
        judge: a ``Judge`` that looks at each image (``result.verdict``); it enables
            ``run(..., target=, max_rounds=, fix=)`` and ``judge()``.
        judge_retry: overrides ``retry`` for the judge.
        judge_rate_limit: requests per minute to the judge, shared by all tasks.
        log: record every run (its idea, prompt, models, usage, cost, outcome) in a SQLite
            run log: ``True`` for the default file under ``PROMPTFORGE_HOME``, a path, or
            a ``RunLog``. Off by default; see ``docs/cost.md``.

    Example:
        >>> pipe = Pipeline(enhancer=FakeEnhancer(), generator=FakeGenerator())
        >>> result = pipe.run("fluffy corgi wearing a tiny crown", n=2, style="watercolor")
        >>> len(result.images)
        2
    """

    def __init__(
        self,
        enhancer: Enhancer | EnhanceFunction,
        generator: Generator,
        *,
        retry: RetryPolicy | None = None,
        enhance_retry: RetryPolicy | None = None,
        generate_retry: RetryPolicy | None = None,
        on_enhance_error: Literal["raise", "fallback"] = "raise",
        strict: bool = False,
        enhance_rate_limit: RateLimit | None = None,
        generate_rate_limit: RateLimit | None = None,
        judge: Judge | None = None,
        judge_retry: RetryPolicy | None = None,
        judge_rate_limit: RateLimit | None = None,
        log: str | Path | bool | RunLog | None = None,
    ) -> None:
        if on_enhance_error not in ("raise", "fallback"):
            raise InvalidRequestError(
                f"on_enhance_error: {on_enhance_error!r} is not one of raise, fallback",
                field="on_enhance_error",
                allowed=("raise", "fallback"),
            )
        self.enhancer = check_enhancer(enhancer)
        self.generator = check_generator(generator)
        retry = check_optional("retry", retry, RetryPolicy) or RetryPolicy()
        self.enhance_retry = check_optional("enhance_retry", enhance_retry, RetryPolicy) or retry
        self.generate_retry = check_optional("generate_retry", generate_retry, RetryPolicy) or retry
        self.on_enhance_error = on_enhance_error
        self.strict = check_bool("strict", strict)
        enhance_rate = check_optional("enhance_rate_limit", enhance_rate_limit, RateLimit)
        generate_rate = check_optional("generate_rate_limit", generate_rate_limit, RateLimit)
        self._enhance_limiter = Limiter(enhance_rate) if enhance_rate else None
        self._generate_limiter = Limiter(generate_rate) if generate_rate else None
        if judge is not None and not isinstance(judge, Judge):
            raise InvalidRequestError(
                f"judge: expected a Judge (promptforge.judges), got {type(judge).__name__}",
                field="judge",
            )
        self.judge_backend = judge
        self.judge_retry = check_optional("judge_retry", judge_retry, RetryPolicy) or retry
        judge_rate = check_optional("judge_rate_limit", judge_rate_limit, RateLimit)
        self._judge_limiter = Limiter(judge_rate) if judge_rate else None
        self.log = _open_log(log)

    def __repr__(self) -> str:
        return f"Pipeline(enhancer={self.enhancer!r}, generator={self.generator!r})"

    async def aclose(self) -> None:
        """Close both backends' connections. The pipeline still works afterwards: a backend
        opens new connections when next used. Also ``async with Pipeline(...) as pipe:``."""
        await self.enhancer.aclose()
        await self.generator.aclose()
        if self.judge_backend is not None:
            await self.judge_backend.aclose()

    def close(self) -> None:
        """Sync twin of ``aclose``; also ``with Pipeline(...) as pipe:``."""
        run_sync(self.aclose())

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- async core ---------------------------------------------------------------------

    async def arun(
        self,
        prompt: str,
        *,
        style: Style = None,
        target: float | None = None,
        max_rounds: int = 1,
        fix: Fix = "auto",
        **options: Unpack[ImageOptionsDict],
    ) -> GenerationResult:
        """Enhance ``prompt`` and render it; see ``ImageOptions`` for the options.

        With a judge, the images are judged (``result.verdict``), and with ``target`` (a
        score from 0 to 1) or ``max_rounds`` > 1 the best is fixed and rendered again until
        it reaches ``target`` (without one: until its verdict passes), at most
        ``max_rounds`` renders in all. ``fix``: ``"edit"`` the image with the verdict's
        instruction, ``"refine"`` the prompt with its feedback, or ``"auto"`` (edit when
        the generator can). Returns the best round; ``result.rounds`` keeps every round.

        Raises:
            InvalidRequestError: bad input, before any backend call.
            ContentBlockedError: a safety filter refused the prompt or withheld every image.
            BackendError: a backend failed after the retry policy gave up.
        """
        request = make_request(prompt, style, options)
        rounds = check_rounds(self.judge_backend, target, max_rounds, fix)
        state = RunState(request)
        run_plan = self._plan(request)
        return await self._logged(state, self._execute(state, run_plan), rounds)

    async def ajudge(
        self, target: GenerationResult | GeneratedImage, prompt: EnhancedPrompt | str | None = None
    ) -> Verdict:
        """The judge's verdict on an image (a result's first), no new image made.

        ``prompt``: what the image should show; defaults to the result's prompt (required
        for a bare ``GeneratedImage``; a ``str`` is taken as the prompt's text). The judge
        stage's retry policy and rate limit apply.

        Raises:
            InvalidRequestError: no judge, no image, or no prompt to judge against.
        """
        from ._rounds import judge_images

        if self.judge_backend is None:
            raise InvalidRequestError(
                "judge: this pipeline has no judge; Pipeline(..., judge=GeminiJudge())",
                field="judge",
            )
        _guard.check_backend(self.judge_backend)
        image, wanted = _judge_target(target, prompt)
        (verdict,) = (await judge_images(self, wanted, [image])).verdicts
        return verdict

    async def aenhance(
        self, prompt: str, *, style: Style = None, negative_prompt: str | None = None
    ) -> EnhancedPrompt:
        """Only the enhance stage: the prompt a generator would get, no image made."""
        request = make_request(prompt, style, {"negative_prompt": negative_prompt})
        _guard.check_backend(self.enhancer)
        return await self._enhance(RunState(request), request)

    async def arefine(
        self,
        result: GenerationResult,
        feedback: str,
        *,
        fix: Fix = "refine",
        **options: Unpack[ImageOptionsDict],
    ) -> GenerationResult:
        """Revise ``result``'s prompt with ``feedback`` and render again.

        Uses the enhancer's ``refine`` when it has one, else re-enhances the original words
        with the feedback appended. Options default to the original request's; the new
        result's ``parent_id`` is ``result.id``. With ``fix="edit"`` (or ``"auto"``) and a
        generator that can edit, the image itself is edited with ``feedback`` as the
        instruction instead (``aedit``); ``fix="edit"`` without one says so in ``warnings``.
        """
        check_fix(fix)
        if fix != "refine" and self.generator.capabilities.edit and result.images:
            return await self.aedit(result, feedback, **options)
        if result.prompt is None or result.request is None:
            raise InvalidRequestError("result: has no prompt to refine (it failed)", field="result")
        if not isinstance(feedback, str):
            raise InvalidRequestError(
                f"feedback: expected a str, got {type(feedback).__name__}", field="feedback"
            )
        check_text(feedback, "feedback")
        original = result.request
        request = make_request(
            original.prompt,
            original.style,
            {**original.options.model_dump(exclude_unset=True), **options},
        )
        state = RunState(request, parent_id=result.id)
        if fix == "edit":
            state.warnings.append(
                "fix='edit': this generator cannot edit images; refined the prompt instead"
            )
        run_plan = self._plan(request)
        text = f"{original.prompt.strip().rstrip('.')}. {feedback.strip()}"
        revised = request.model_copy(update={"prompt": text})
        previous = result.prompt
        if self.enhancer.can_refine:
            state.prompt = await self._enhance(
                state, revised, lambda _: self.enhancer.refine(previous, feedback)
            )
        else:
            state.prompt = await self._enhance(state, revised)
        return await self._logged(state, self._execute(state, run_plan))

    async def aedit(
        self, target: EditTarget, instruction: str, **options: Unpack[ImageOptionsDict]
    ) -> GenerationResult:
        """Change an image as ``instruction`` says; a new result, ``parent_id`` set.

        ``target``: a ``GenerationResult`` (its first image), a ``GeneratedImage``, encoded
        bytes, or a path (a saved result folder, an image in one, or any image file). An
        image a Gemini model made continues that conversation (also after ``load``), so an
        edit of an edit keeps the chain. Options are the edit's own (``references`` too);
        without ``aspect_ratio`` the image keeps its shape. No enhance stage: the result's
        ``stages`` has ``"edit"``, and ``instruction`` holds the words.

        Raises:
            InvalidRequestError: the generator cannot edit (``capabilities.edit``), or bad
                target or options, before any request.
        """
        from ._edit import run_edit

        _guard.check_backend(self.generator)
        return await run_edit(
            self.generator,
            self.generate_retry,
            lambda fn: _limited(self._generate_limiter, fn),
            target,
            instruction,
            options,
            strict=self.strict,
            record=self._record,
        )

    async def arun_many(
        self,
        prompts: Iterable[BatchItem],
        *,
        concurrency: int = 8,
        style: Style = None,
        out_dir: str | Path | ResultStore | None = None,
        keep_images: bool = True,
        target: float | None = None,
        max_rounds: int = 1,
        fix: Fix = "auto",
        budget: float | None = None,
        **options: Unpack[ImageOptionsDict],
    ) -> list[GenerationResult]:
        """Run every prompt, at most ``concurrency`` at once; results in input order.

        Never raises for one item: a failed item is a result with ``ok=False`` and
        ``error`` set. Shared options are checked first and raise ``InvalidRequestError``.
        ``out_dir``, ``keep_images`` and ``budget`` work as in ``stream``; ``target``,
        ``max_rounds`` and ``fix`` as in ``arun``, per item (an item mapping may set its own).
        """
        stream = self.stream(
            prompts,
            concurrency=concurrency,
            style=style,
            out_dir=out_dir,
            keep_images=keep_images,
            target=target,
            max_rounds=max_rounds,
            fix=fix,
            budget=budget,
            **options,
        )
        results = [result async for result in stream]
        return sorted(results, key=lambda r: r.index or 0)

    async def stream(
        self,
        prompts: Iterable[BatchItem],
        *,
        concurrency: int = 8,
        style: Style = None,
        out_dir: str | Path | ResultStore | None = None,
        keep_images: bool = True,
        target: float | None = None,
        max_rounds: int = 1,
        fix: Fix = "auto",
        budget: float | None = None,
        **options: Unpack[ImageOptionsDict],
    ) -> AsyncGenerator[GenerationResult, None]:
        """Like ``arun_many``, but yield each result as it finishes (completion order).

        ``result.index`` is the item's position in ``prompts``. Closing the stream cancels
        the work still in flight; to have that happen the moment you leave the loop, use
        ``async with contextlib.aclosing(pipe.stream(...)) as results:``.

        With ``out_dir``, each successful result is saved to ``out_dir/<id>/`` the moment
        it finishes, and inputs already done there (same prompt, style, options that
        change the image, enhancer and generator with their models) are not run again:
        their saved result, verified, is yielded instead, with ``resumed=True``. The
        folder is locked while the stream runs: a second batch on it raises
        ``InvalidRequestError``. Pass an open ``ResultStore`` instead of a path to read its
        ``report`` (what was resumed, redone and why) afterwards. With
        ``keep_images=False`` as well, image bytes are dropped from memory once saved
        (``image.path`` and ``image.read()`` reach them), so a batch of any size runs in
        bounded memory; with ``keep_images=True`` resumed results carry their bytes too.
        ``target``, ``max_rounds`` and ``fix`` work as in ``arun`` for each item; an item
        mapping may carry its own. See ``docs/scale.md`` for the resume rules.

        With ``budget`` (USD), each item's cost is estimated from the catalogue's prices
        before it starts, and an item that would take the batch past the budget is not
        started: it comes back failed with ``BudgetExceededError``, nothing sent for it.
        Unknown prices make a budget impossible to keep: ``InvalidRequestError`` at once.
        See ``docs/cost.md``.
        """
        from ._stream import stream_results

        rounds = {"target": target, "max_rounds": max_rounds, "fix": fix}
        batch = stream_results(
            self,
            prompts,
            concurrency=concurrency,
            style=style,
            out_dir=out_dir,
            keep_images=keep_images,
            rounds=rounds,
            budget=budget,
            options=options,
        )
        async with aclosing(batch) as results:
            async for result in results:
                yield result

    def estimate(
        self,
        prompts: Iterable[BatchItem],
        *,
        style: Style = None,
        **options: Unpack[ImageOptionsDict],
    ) -> Estimate:
        """What ``run_many(prompts, ...)`` would cost, from the catalogue's prices, with no
        request sent: the images exactly, the tokens an allowance (``docs/cost.md``).
        ``estimate.usd`` is None (and ``missing`` names the price) when a price is unknown.
        One render per item: an item's own rounds keys are accepted, but judging and the
        renders of later rounds are not counted.
        """
        check_shared(style, options)
        caps = self.generator.capabilities
        plans = [
            plan(
                item_request(split_item(item)[0], style, options).options, caps, strict=self.strict
            )
            for item in check_prompts(prompts)
        ]
        from ._budget import Estimator

        return Estimator(self._stagers()).estimate(plans)

    async def aseries(
        self,
        ideas: Iterable[str],
        *,
        style: Style = None,
        consistency: Consistency = "reference",
        anchor: Anchor | None = None,
        min_coherence: float | None = None,
        max_rounds: int = 1,
        concurrency: int = 8,
        out_dir: str | Path | None = None,
        **options: Unpack[ImageOptionsDict],
    ) -> SeriesResult:
        """Many ideas, one look: a storyboard, a product line, a children's book.

        The enhancer writes the bible once (the levers every image shares; every item's
        prompt keeps them verbatim). The first idea runs first and its image is the anchor
        (or ``anchor=``, an image of yours). With ``consistency="reference"`` and a
        generator that takes references, every later item gets the anchor as a style
        reference, and the first image as a character reference for each recurring subject
        it names, within the generator's limits; the rest run ``concurrency`` at once.
        Each item is scored against the anchor (by the judge when the pipeline has one,
        else by colour statistics); items under ``min_coherence`` are made again, the
        anchor as reference, up to ``max_rounds`` times in all, keeping the best.

        Never raises for one item: a failed item's result has ``ok=False``. With
        ``out_dir``, results are saved to ``out_dir/<series id>/`` as they finish, the
        series is saved there at the end (``SeriesResult.save``), and a re-run with the
        same ideas, style, options and anchor resumes it.

        Raises:
            InvalidRequestError: bad ideas, options or anchor, before any backend call.
            BackendError: the enhancer could not write the bible.
        """
        from ._series import run_series

        return await run_series(
            self,
            ideas,
            style=style,
            consistency=consistency,
            anchor=anchor,
            min_coherence=min_coherence,
            max_rounds=max_rounds,
            concurrency=concurrency,
            out_dir=out_dir,
            options=options,
        )

    async def asubmit(
        self,
        prompts: Iterable[BatchItem],
        *,
        out_dir: str | Path,
        concurrency: int = 8,
        style: Style = None,
        source: Literal["auto", "inline", "file"] = "auto",
        **options: Unpack[ImageOptionsDict],
    ) -> BatchJob:
        """Enhance ``prompts`` here, then send the images to Google as one Batch Mode job
        (half price, results within 24 h); the job is recorded in ``out_dir``.

        Needs a ``GeminiImageGenerator`` on the Gemini API whose model Batch Mode serves
        (``promptforge.models.get(name).batch``). Enhancing runs as in ``run_many``
        (``concurrency``, rate limits, retries); inputs already done in ``out_dir`` are
        skipped; an input that fails here becomes a failed result at ``collect()``.
        ``source``: ``"inline"`` requests (small jobs), a JSONL ``"file"`` uploaded through
        the Files API, or ``"auto"`` (inline up to 50 requests under 20 MB). Submitting
        again into a folder whose job is not collected continues that job (same inputs) or
        is refused. See ``docs/batch-mode.md``.

        Raises:
            InvalidRequestError: bad input or options, a generator or model Batch Mode
                cannot serve, a job over Google's limits; all before any request.
            BackendError: uploading or creating the job failed (run it again: the job is
                looked up by its recorded name before anything is sent twice).
        """
        from .batchmode import BatchJob
        from .batchmode._submit import submit

        record = await submit(
            self,
            prompts,
            out_dir=out_dir,
            style=style,
            concurrency=concurrency,
            source=source,
            options=options,
        )
        return BatchJob(Path(out_dir), record, self.generator)  # type: ignore[arg-type]

    # -- sync twins ---------------------------------------------------------------------

    def run(
        self,
        prompt: str,
        *,
        style: Style = None,
        target: float | None = None,
        max_rounds: int = 1,
        fix: Fix = "auto",
        **options: Unpack[ImageOptionsDict],
    ) -> GenerationResult:
        """Sync twin of ``arun``; works inside a running event loop (e.g. Jupyter)."""
        return run_sync(
            self.arun(prompt, style=style, target=target, max_rounds=max_rounds, fix=fix, **options)
        )

    def judge(
        self, target: GenerationResult | GeneratedImage, prompt: EnhancedPrompt | str | None = None
    ) -> Verdict:
        """Sync twin of ``ajudge``."""
        return run_sync(self.ajudge(target, prompt))

    def enhance(
        self, prompt: str, *, style: Style = None, negative_prompt: str | None = None
    ) -> EnhancedPrompt:
        """Sync twin of ``aenhance``."""
        return run_sync(self.aenhance(prompt, style=style, negative_prompt=negative_prompt))

    def refine(
        self,
        result: GenerationResult,
        feedback: str,
        *,
        fix: Fix = "refine",
        **options: Unpack[ImageOptionsDict],
    ) -> GenerationResult:
        """Sync twin of ``arefine``."""
        return run_sync(self.arefine(result, feedback, fix=fix, **options))

    def edit(
        self, target: EditTarget, instruction: str, **options: Unpack[ImageOptionsDict]
    ) -> GenerationResult:
        """Sync twin of ``aedit``."""
        return run_sync(self.aedit(target, instruction, **options))

    def run_many(
        self,
        prompts: Iterable[BatchItem],
        *,
        concurrency: int = 8,
        style: Style = None,
        out_dir: str | Path | ResultStore | None = None,
        keep_images: bool = True,
        target: float | None = None,
        max_rounds: int = 1,
        fix: Fix = "auto",
        budget: float | None = None,
        **options: Unpack[ImageOptionsDict],
    ) -> list[GenerationResult]:
        """Sync twin of ``arun_many``."""
        many = self.arun_many(
            prompts,
            concurrency=concurrency,
            style=style,
            out_dir=out_dir,
            keep_images=keep_images,
            target=target,
            max_rounds=max_rounds,
            fix=fix,
            budget=budget,
            **options,
        )
        return run_sync(many)

    def series(
        self,
        ideas: Iterable[str],
        *,
        style: Style = None,
        consistency: Consistency = "reference",
        anchor: Anchor | None = None,
        min_coherence: float | None = None,
        max_rounds: int = 1,
        concurrency: int = 8,
        out_dir: str | Path | None = None,
        **options: Unpack[ImageOptionsDict],
    ) -> SeriesResult:
        """Sync twin of ``aseries``."""
        series = self.aseries(
            ideas,
            style=style,
            consistency=consistency,
            anchor=anchor,
            min_coherence=min_coherence,
            max_rounds=max_rounds,
            concurrency=concurrency,
            out_dir=out_dir,
            **options,
        )
        return run_sync(series)

    def submit(
        self,
        prompts: Iterable[BatchItem],
        *,
        out_dir: str | Path,
        concurrency: int = 8,
        style: Style = None,
        source: Literal["auto", "inline", "file"] = "auto",
        **options: Unpack[ImageOptionsDict],
    ) -> BatchJob:
        """Sync twin of ``asubmit``."""
        job = self.asubmit(
            prompts, out_dir=out_dir, concurrency=concurrency, style=style, source=source,
            **options,
        )  # fmt: skip
        return run_sync(job)

    # -- stages -------------------------------------------------------------------------

    def _made_by(self) -> str:
        """Who makes this pipeline's results, as resume matches saved ones (``made_by``)."""
        from ._store import made_by

        return made_by({"enhance": _report(self.enhancer), "generate": _report(self.generator)})

    async def _rounds(self, result: GenerationResult, rounds: Rounds | None) -> GenerationResult:
        """``result`` judged and fixed in rounds (``_rounds.run_rounds``), or as it is."""
        if rounds is None:
            return result
        _guard.check_backend(self.judge_backend)
        return await run_rounds(self, result, rounds)

    def limited_judge(self, fn: Callable[[], Awaitable[T]]) -> Awaitable[T]:
        """``fn()`` in its turn under the judge's rate limit (used by ``_rounds``)."""
        return _limited(self._judge_limiter, fn)

    def _stagers(self) -> dict[str, Stager]:
        """The stages a run has, as the cost estimate needs them."""
        from ._budget import Stager

        return {
            name: Stager(backend.model, offline=not backend.requires_network)
            for name, backend in (("enhance", self.enhancer), ("generate", self.generator))
        }

    def _plan(self, request: Request) -> Plan:
        _guard.check_backend(self.enhancer)
        _guard.check_backend(self.generator)
        return plan(request.options, self.generator.capabilities, strict=self.strict)

    async def _execute(self, state: RunState, run_plan: Plan) -> None:
        assert state.request is not None
        if state.prompt is None:
            state.prompt = await self._enhance(state, state.request)
        await self._generate(state, state.prompt, run_plan)

    async def _logged(
        self, state: RunState, work: Awaitable[None], rounds: Rounds | None = None
    ) -> GenerationResult:
        """Await ``work`` for ``state`` (then its ``rounds``); record the result, or the
        failure before re-raising it, in the run log when there is one."""
        try:
            await work
        except Exception as exc:
            await self._record(state.result(error=exc))
            raise
        result = await self._rounds(state.result(), rounds)
        await self._record(result)
        return result

    async def _record(self, result: GenerationResult, folder: Path | None = None) -> None:
        if self.log is not None:
            await asyncio.to_thread(self.log.record, result, folder=folder)

    async def _enhance(
        self,
        state: RunState,
        request: Request,
        call: Callable[[EnhanceRequest], Awaitable[EnhancedPrompt]] | None = None,
    ) -> EnhancedPrompt:
        """The enhance stage: ``call`` (default ``enhancer.enhance``) with retries, and the
        fallback to the request's own words when ``on_enhance_error="fallback"``."""
        enhance_request = EnhanceRequest(
            prompt=request.prompt,
            style=request.style,
            negative_prompt=request.options.negative_prompt,
        )
        attempt = call or self.enhancer.enhance
        try:
            with state.stage("enhance", self.enhancer) as tally:
                prompt = await self.enhance_retry.call(
                    lambda: _limited(self._enhance_limiter, lambda: attempt(enhance_request)),
                    on_attempt=tally,
                )
                tally.usage += Usage.from_counts(prompt.usage)
                return prompt
        except BackendError as exc:
            if self.on_enhance_error != "fallback":
                raise
            state.warnings.append(
                f"enhancer failed ({type(exc).__name__}: {exc}); generated from the original words"
            )
            return EnhancedPrompt.from_text(enhance_request, request.prompt)

    async def _generate(self, state: RunState, prompt: EnhancedPrompt, run_plan: Plan) -> None:
        caps = self.generator.capabilities
        prompt, options, folded = fold_negative(prompt, run_plan.options, caps)
        state.prompt = prompt
        state.warnings.extend([*run_plan.warnings, *folded])
        with state.stage("generate", self.generator) as tally:
            calls = [
                self._generate_call(prompt, _call_options(options, number, count), tally)
                for number, count in enumerate(run_plan.calls)
            ]
            outcomes = await asyncio.gather(*calls, return_exceptions=True)
            state.keep(outcomes, tally, options.image_size, call="generate")

    async def _generate_call(
        self, prompt: EnhancedPrompt, options: ImageOptions, tally: Tally
    ) -> GenerationOutput:
        def attempt() -> Awaitable[GenerationOutput]:
            return _limited(
                self._generate_limiter, lambda: self.generator.generate(prompt, options)
            )

        return await self.generate_retry.call(attempt, on_attempt=tally)


def _open_log(log: object) -> RunLog | None:
    """The run log ``log`` asks for (``_runlog.open_log``); the module only when wanted."""
    if log is None or log is False:
        return None
    from ._runlog import open_log

    return open_log(log)


def _report(backend: Enhancer | Generator) -> StageReport:
    """The stage report a run with ``backend`` records, for matching saved results."""
    return StageReport(backend=backend_name(backend), model=backend.model)


def _limited(limiter: Limiter | None, fn: Callable[[], Awaitable[T]]) -> Awaitable[T]:
    """``fn()``, in its turn under ``limiter`` when there is one."""
    return limiter.call(fn) if limiter is not None else fn()


def _judge_target(
    target: object, prompt: EnhancedPrompt | str | None
) -> tuple[GeneratedImage, EnhancedPrompt]:
    """The image ``ajudge`` looks at, and the prompt it is judged against."""
    if isinstance(target, GenerationResult):
        if not target.images:
            raise InvalidRequestError(f"target: result {target.id} has no image", field="target")
        image, prompt = target.images[0], prompt if prompt is not None else target.prompt
    elif isinstance(target, GeneratedImage):
        image = target
    else:
        raise InvalidRequestError(
            f"target: expected a GenerationResult or GeneratedImage, got {type(target).__name__}",
            field="target",
        )
    if isinstance(prompt, str) and prompt.strip():
        prompt = EnhancedPrompt(original=prompt, text=prompt.strip())
    if not isinstance(prompt, EnhancedPrompt):
        raise InvalidRequestError(
            "prompt: the image has no prompt to judge against; pass prompt=", field="prompt"
        )
    return image, prompt


def _call_options(options: ImageOptions, number: int, count: int) -> ImageOptions:
    """Options for call ``number`` of a split request: its image count, and its own seed."""
    seed = options.seed + number if options.seed is not None and number else options.seed
    return options.model_copy(update={"n": count, "seed": seed})
