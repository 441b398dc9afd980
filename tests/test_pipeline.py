from __future__ import annotations

import asyncio
from typing import Any

import pytest

from promptforge import (
    BackendError,
    ContentBlockedError,
    EnhancedPrompt,
    Enhancer,
    EnhanceRequest,
    FilteredImage,
    FunctionEnhancer,
    GenerationOutput,
    GeneratorCapabilities,
    InvalidRequestError,
    Pipeline,
    PromptSpec,
    RateLimitedError,
    RetryPolicy,
    TransientError,
)
from promptforge.testing import FakeEnhancer, FakeGenerator, image_bytes


class Levers(Enhancer):
    """A custom enhancer, as an extender would write one."""

    model = "levers-1"

    async def enhance(self, request: EnhanceRequest) -> EnhancedPrompt:
        spec = PromptSpec(subject=request.prompt, attributes=["golden fur"], lighting="dusk")
        return EnhancedPrompt.from_spec(request, spec)


def plain_function(request: EnhanceRequest) -> str:
    return f"{request.prompt}, detailed"


async def async_function(request: EnhanceRequest) -> PromptSpec:
    await asyncio.sleep(0)
    return PromptSpec(subject=request.prompt, mood="calm")


ENHANCERS = {
    "subclass": lambda: Levers(),
    "def": lambda: FunctionEnhancer(plain_function),
    "async-def": lambda: FunctionEnhancer(async_function),
}


def _check(result: Any, enhancer_name: str) -> None:
    assert result.ok
    assert len(result.images) == 2
    assert result.prompt.original == "a corgi"
    assert result.images[0].width / result.images[0].height == pytest.approx(16 / 9, rel=0.05)
    assert result.stages["enhance"].backend == enhancer_name
    assert result.stages["generate"].attempts == 1


@pytest.mark.parametrize("kind", ENHANCERS)
def test_custom_enhancers_run_sync(kind: str) -> None:
    enhancer = ENHANCERS[kind]()
    result = Pipeline(enhancer, FakeGenerator()).run("a corgi", n=2, aspect_ratio="16:9")
    _check(result, {"subclass": "Levers", "def": "plain_function"}.get(kind, "async_function"))


@pytest.mark.parametrize("kind", ENHANCERS)
async def test_custom_enhancers_run_async_and_sync_inside_a_running_loop(kind: str) -> None:
    # This test body runs inside an event loop, as a Jupyter cell does.
    pipe = Pipeline(ENHANCERS[kind](), FakeGenerator())
    via_async = await pipe.arun("a corgi", n=2, aspect_ratio="16:9")
    via_sync = pipe.run("a corgi", n=2, aspect_ratio="16:9")
    assert via_async.prompt == via_sync.prompt
    assert via_async.stages["enhance"].backend == via_sync.stages["enhance"].backend


def test_a_plain_callable_is_wrapped_in_function_enhancer() -> None:
    pipe = Pipeline(plain_function, FakeGenerator())
    assert isinstance(pipe.enhancer, FunctionEnhancer)
    assert pipe.run("a fox").prompt is not None


def test_result_carries_prompt_request_and_stage_reports() -> None:
    enhancer, generator = FakeEnhancer(), FakeGenerator()
    result = Pipeline(enhancer, generator).run(
        "a corgi", style="watercolor", negative_prompt="large crown", seed=7
    )
    assert result.request is not None
    assert result.request.options.seed == 7
    assert result.prompt is not None
    assert result.prompt.style == "watercolor"
    assert "large crown" in result.prompt.negative_terms
    (call,) = generator.calls
    assert call.options.negative_prompt == result.prompt.negative_prompt
    assert call.options.seed == 7
    assert result.stages["enhance"].model == "fake-enhancer"
    assert result.stages["generate"].seconds >= 0


def test_rate_limited_twice_then_success(waits: list[float]) -> None:
    hint = RateLimitedError("quota", retry_after=2.5)
    generator = FakeGenerator([hint, RateLimitedError("quota", retry_after=2.5)])
    result = Pipeline(FakeEnhancer(), generator).run("a corgi")
    assert result.stages["generate"].attempts == 3
    assert waits == [2.5, 2.5]
    assert len(generator.calls) == 3


@pytest.mark.parametrize(
    "error", [InvalidRequestError("bad", field="prompt"), ContentBlockedError("unsafe")]
)
def test_permanent_errors_are_attempted_once(error: Exception, waits: list[float]) -> None:
    generator = FakeGenerator([error])
    with pytest.raises(type(error)) as raised:
        Pipeline(FakeEnhancer(), generator).run("a corgi")
    assert len(generator.calls) == 1
    assert waits == []
    assert raised.value.stage == "generate"  # type: ignore[attr-defined]
    assert raised.value.backend == "FakeGenerator"  # type: ignore[attr-defined]


def test_per_stage_retry_policies(waits: list[float]) -> None:
    enhancer = FakeEnhancer([TransientError("a"), TransientError("b")])
    pipe = Pipeline(
        enhancer,
        FakeGenerator(),
        retry=RetryPolicy(max_attempts=5),
        enhance_retry=RetryPolicy(max_attempts=2),
    )
    with pytest.raises(TransientError) as raised:
        pipe.run("a corgi")
    assert len(enhancer.calls) == 2
    assert raised.value.stage == "enhance"
    assert pipe.generate_retry.max_attempts == 5


BAD_INPUT = [
    ({"prompt": ""}, "prompt"),
    ({"prompt": "   \n"}, "prompt"),
    ({"prompt": 42}, "prompt"),
    ({"prompt": "x", "n": 0}, "n"),
    ({"prompt": "x", "n": 17}, "n"),
    ({"prompt": "x", "aspect_ratio": "5:7"}, "aspect_ratio"),
    ({"prompt": "x", "aspect_ratio": "wide"}, "aspect_ratio"),
    ({"prompt": "x", "style": "watercolour"}, "style"),
    ({"prompt": "x", "style": 3}, "style"),
    ({"prompt": "x", "colour": "red"}, "colour"),
    ({"prompt": "x", "person_generation": "everyone"}, "person_generation"),
    ({"prompt": "x", "image_size": "2K"}, "image_size"),
    ({"prompt": "x", "output_mime_type": "image/gif"}, "output_mime_type"),
]


@pytest.mark.parametrize(("arguments", "field"), BAD_INPUT)
def test_bad_input_is_refused_before_any_backend_call(
    arguments: dict[str, Any], field: str
) -> None:
    enhancer, generator = FakeEnhancer(), FakeGenerator()
    prompt = arguments.pop("prompt")
    with pytest.raises(InvalidRequestError) as raised:
        Pipeline(enhancer, generator).run(prompt, **arguments)
    assert raised.value.field == field
    assert str(raised.value).startswith(f"{field}:")
    assert enhancer.calls == []
    assert generator.calls == []


def test_errors_name_the_allowed_values() -> None:
    pipe = Pipeline(FakeEnhancer(), FakeGenerator())
    with pytest.raises(InvalidRequestError, match=r"allowed: 1:1, 3:4, 4:3, 9:16, 16:9"):
        pipe.run("x", aspect_ratio="5:7")
    with pytest.raises(InvalidRequestError, match="did you mean 'watercolor'") as raised:
        pipe.run("x", style="watercolour")
    assert raised.value.allowed is not None
    assert "watercolor" in raised.value.allowed
    with pytest.raises(InvalidRequestError, match="between 1 and 16, got 0"):
        pipe.run("x", n=0)
    with pytest.raises(InvalidRequestError, match="dont_allow, allow_adult, allow_all"):
        pipe.run("x", person_generation="everyone")  # type: ignore[typeddict-item]


LIMITED = GeneratorCapabilities(max_images=2, negative_prompt=False, seed=False)


def test_unsupported_options_are_adapted_with_warnings() -> None:
    generator = FakeGenerator(capabilities=LIMITED)
    result = Pipeline(FakeEnhancer(), generator).run(
        "a corgi", n=5, seed=3, negative_prompt="large crown", guidance_scale=7.5
    )
    assert len(result.images) == 5
    assert [call.options.n for call in generator.calls] == [2, 2, 1]
    assert all(call.options.seed is None for call in generator.calls)
    assert all(call.options.guidance_scale is None for call in generator.calls)
    assert all(call.options.negative_prompt is None for call in generator.calls)
    assert generator.calls[0].prompt.text.endswith("Avoid: large crown.")
    assert result.prompt is not None
    assert result.prompt.text.endswith("Avoid: large crown.")
    assert result.stages["generate"].attempts == 3
    joined = " | ".join(result.warnings)
    for needle in ("seed=3", "guidance_scale=7.5", "split into 3 calls", "folded"):
        assert needle in joined


def test_split_calls_get_distinct_seeds() -> None:
    generator = FakeGenerator(capabilities=GeneratorCapabilities(max_images=1))
    Pipeline(FakeEnhancer(), generator).run("a corgi", n=3, seed=10)
    assert sorted(call.options.seed for call in generator.calls) == [10, 11, 12]


def test_strict_mode_refuses_instead_of_adapting() -> None:
    generator = FakeGenerator(capabilities=LIMITED)
    pipe = Pipeline(FakeEnhancer(), generator, strict=True)
    with pytest.raises(InvalidRequestError, match="seed") as raised:
        pipe.run("a corgi", seed=3)
    assert raised.value.field == "seed"
    with pytest.raises(InvalidRequestError) as raised:
        pipe.run("a corgi", negative_prompt="blur")
    assert raised.value.field == "negative_prompt"
    assert generator.calls == []


def test_all_filtered_raises_content_blocked() -> None:
    blocked = GenerationOutput(filtered=[FilteredImage(reason="violence")])
    with pytest.raises(ContentBlockedError) as raised:
        Pipeline(FakeEnhancer(), FakeGenerator([blocked])).run("a corgi")
    assert raised.value.reasons == ("violence",)
    assert raised.value.stage == "generate"


def test_some_filtered_is_a_result() -> None:
    from promptforge import GeneratedImage

    partly = GenerationOutput(
        images=[GeneratedImage.from_bytes(image_bytes(4, 4))],
        filtered=[FilteredImage(reason="person")],
    )
    result = Pipeline(FakeEnhancer(), FakeGenerator([partly])).run("a corgi", n=2)
    assert result.ok
    assert len(result.images) == 1
    assert result.filtered == (FilteredImage(reason="person"),)


def test_a_failed_split_call_keeps_the_images_already_paid_for(waits: list[float]) -> None:
    generator = FakeGenerator(
        [None, BackendError("quota exhausted for the day", status=403)],
        capabilities=GeneratorCapabilities(max_images=1),
    )
    result = Pipeline(FakeEnhancer(), generator).run("a corgi", n=2)
    assert result.ok
    assert len(result.images) == 1
    assert any("quota exhausted" in w for w in result.warnings)


def test_enhance_fallback_generates_from_the_original_words(waits: list[float]) -> None:
    enhancer = FakeEnhancer([BackendError("gemini down", status=500)])
    pipe = Pipeline(enhancer, FakeGenerator(), on_enhance_error="fallback")
    result = pipe.run("a corgi", style="anime")
    assert result.ok
    assert result.prompt is not None
    assert result.prompt.text.startswith("a corgi")
    assert "anime illustration" in result.prompt.text.lower()  # the preset still applies
    assert "gemini down" in result.warnings[0]


def test_enhance_fallback_never_bypasses_a_safety_block() -> None:
    pipe = Pipeline(
        FakeEnhancer([ContentBlockedError("no")]), FakeGenerator(), on_enhance_error="fallback"
    )
    with pytest.raises(ContentBlockedError):
        pipe.run("a corgi")


def test_on_enhance_error_is_validated() -> None:
    with pytest.raises(InvalidRequestError, match="on_enhance_error"):
        Pipeline(FakeEnhancer(), FakeGenerator(), on_enhance_error="ignore")  # type: ignore[arg-type]


def test_enhance_is_a_dry_run() -> None:
    generator = FakeGenerator()
    pipe = Pipeline(FakeEnhancer(), generator)
    prompt = pipe.enhance("a corgi", style="cinematic", negative_prompt="blur")
    assert prompt.style == "cinematic"
    assert "blur" in prompt.negative_terms
    assert generator.calls == []


def test_refine_uses_the_enhancers_refine_and_links_the_results() -> None:
    enhancer, generator = FakeEnhancer(), FakeGenerator()
    pipe = Pipeline(enhancer, generator)
    first = pipe.run("a corgi wearing a crown", aspect_ratio="4:3", seed=5)
    second = pipe.refine(first, "the crown looks too large")
    assert second.parent_id == first.id
    assert second.id != first.id
    assert enhancer.refine_calls == [(first.prompt, "the crown looks too large")]
    assert second.prompt is not None
    assert "the crown looks too large" in second.prompt.text
    assert generator.calls[-1].options.aspect_ratio == "4:3"  # the original options
    assert generator.calls[-1].options.seed == 5
    pipe.refine(second, "smaller", seed=6)
    assert generator.calls[-1].options.seed == 6


def test_refine_without_enhancer_refine_re_enhances_with_feedback() -> None:
    seen: list[str] = []

    def enhance(request: EnhanceRequest) -> str:
        seen.append(request.prompt)
        return request.prompt

    pipe = Pipeline(enhance, FakeGenerator())
    first = pipe.run("a corgi wearing a crown.")
    second = pipe.refine(first, "make the crown tiny")
    assert seen == ["a corgi wearing a crown.", "a corgi wearing a crown. make the crown tiny"]
    assert second.parent_id == first.id


def test_refine_checks_its_input() -> None:
    pipe = Pipeline(FakeEnhancer(), FakeGenerator())
    first = pipe.run("a corgi")
    with pytest.raises(InvalidRequestError, match="feedback"):
        pipe.refine(first, "  ")
    failed = first.model_copy(update={"prompt": None})
    with pytest.raises(InvalidRequestError, match="result"):
        pipe.refine(failed, "smaller")


def test_function_enhancer_rejects_empty_answers() -> None:
    pipe = Pipeline(lambda request: "", FakeGenerator(), retry=RetryPolicy.none())
    with pytest.raises(BackendError, match="expected a non-empty str") as raised:
        pipe.run("a corgi")
    assert raised.value.stage == "enhance"


def test_function_enhancer_passes_through_an_enhanced_prompt() -> None:
    finished = EnhancedPrompt(original="a corgi", text="A corgi, finished.")
    pipe = Pipeline(lambda request: finished, FakeGenerator())
    assert pipe.run("a corgi").prompt == finished


def test_pipeline_repr_names_its_parts() -> None:
    pipe = Pipeline(FunctionEnhancer(plain_function), FakeGenerator())
    assert repr(pipe).startswith("Pipeline(enhancer=FunctionEnhancer(plain_function), generator=")


def test_refine_falls_back_like_enhance_when_asked(waits: list[float]) -> None:
    class Broken(FakeEnhancer):
        async def refine(self, prompt: EnhancedPrompt, feedback: str) -> EnhancedPrompt:
            raise TransientError("refine is down")

    pipe = Pipeline(Broken(), FakeGenerator(), on_enhance_error="fallback")
    first = pipe.run("a corgi")
    second = pipe.refine(first, "smaller crown")
    assert second.prompt is not None
    assert second.prompt.text == "a corgi. smaller crown"
    assert second.stages["enhance"].attempts == 5
    assert "refine is down" in second.warnings[0]


async def test_pipeline_is_a_context_manager_sync_and_async() -> None:
    with Pipeline(FakeEnhancer(), FakeGenerator()) as pipe:
        assert pipe.run("a corgi").ok
    async with Pipeline(FakeEnhancer(), FakeGenerator()) as pipe:
        assert (await pipe.arun("a corgi")).ok
    assert (await pipe.arun("still usable after closing")).ok
