from __future__ import annotations

import pytest

from promptforge import (
    ConfigurationError,
    EnhancedPrompt,
    Enhancer,
    EnhanceRequest,
    GeneratedImage,
    GenerationOutput,
    Generator,
    GeneratorCapabilities,
    ImageOptions,
    Pipeline,
    PromptSpec,
    TransientError,
    strip_provenance,
)
from promptforge.testing import (
    ContractError,
    FakeEnhancer,
    FakeGenerator,
    acheck_enhancer,
    acheck_generator,
    check_enhancer,
    check_generator,
    forbid_real_backends,
    image_bytes,
    instant_retries,
    size_for,
)


def test_fake_enhancer_follows_its_script_then_is_deterministic() -> None:
    spec = PromptSpec(subject="corgi", lighting="dusk")
    error = TransientError("down")
    enhancer = FakeEnhancer(["plain words", spec, error])
    pipe = Pipeline(enhancer, FakeGenerator())
    assert pipe.enhance("a").text == "plain words"
    assert pipe.enhance("b").spec == spec
    with instant_retries():
        assert pipe.enhance("c").text == "C."  # the error was raised, the retry answered
    assert [call.prompt for call in enhancer.calls] == ["a", "b", "c", "c"]
    assert pipe.enhance("a fox") == pipe.enhance("a fox")


def test_fake_generator_script_and_default_images() -> None:
    scripted = GenerationOutput(images=[GeneratedImage.from_bytes(image_bytes(3, 3))])
    generator = FakeGenerator([scripted], long_side=90)
    pipe = Pipeline(FakeEnhancer(), generator)
    (image,) = pipe.run("a").images
    assert strip_provenance(image.data) == scripted.images[0].data  # provenance added
    result = pipe.run("b", n=3, aspect_ratio="9:16", output_mime_type="image/jpeg")
    assert [(i.width, i.height, i.mime_type) for i in result.images] == [(51, 90, "image/jpeg")] * 3
    assert len({i.data for i in result.images}) == 3  # distinct images
    assert [call.prompt.original for call in generator.calls] == ["a", "b"]


async def test_fake_generator_respond_may_be_async() -> None:
    async def respond(prompt: EnhancedPrompt, options: ImageOptions) -> GenerationOutput:
        return GenerationOutput(images=[GeneratedImage.from_bytes(image_bytes(5, 5))])

    result = await Pipeline(FakeEnhancer(), FakeGenerator(respond=respond)).arun("a", n=1)
    assert (result.images[0].width, result.images[0].height) == (5, 5)


def test_size_for_keeps_the_ratio() -> None:
    assert size_for("16:9", 64) == (64, 36)
    assert size_for("3:4", 64) == (48, 64)
    assert size_for("1:1", 10) == (10, 10)


def test_fakes_pass_their_own_contract_checks() -> None:
    check_enhancer(FakeEnhancer())
    check_enhancer(FakeEnhancer(), style="pixel-art")
    check_generator(FakeGenerator())


class Forgetful(Enhancer):
    """Ignores style and negatives, and loses the user's words."""

    async def enhance(self, request: EnhanceRequest) -> EnhancedPrompt:
        return EnhancedPrompt(original="something else", text="A fox.")


class Squashed(Generator):
    """Always square, always PNG, and one image short."""

    @property
    def capabilities(self) -> GeneratorCapabilities:
        return GeneratorCapabilities(output_mime_types=("image/png", "image/jpeg"))

    async def generate(self, prompt: EnhancedPrompt, options: ImageOptions) -> GenerationOutput:
        image = GeneratedImage.from_bytes(image_bytes(8, 8))
        return GenerationOutput(images=[image] * max(1, options.n - 1))


def test_contract_check_lists_what_an_enhancer_gets_wrong() -> None:
    with pytest.raises(ContractError) as raised:
        check_enhancer(Forgetful())
    message = str(raised.value)
    assert message.startswith("Forgetful breaks the contract:")
    for needle in ("original must be", "style phrase", "negative term 'blurry'", "name the preset"):
        assert needle in message


async def test_contract_check_lists_what_a_generator_gets_wrong() -> None:
    with pytest.raises(ContractError) as raised:
        await acheck_generator(Squashed())
    message = str(raised.value)
    assert "aspect_ratio=16:9: got 8x8" in message
    assert "n=2: asked 2, accounted 1" in message
    assert "asked image/jpeg, got image/png" in message


async def test_contract_check_rejects_wrong_return_types() -> None:
    class Lazy(Enhancer):
        async def enhance(self, request: EnhanceRequest) -> EnhancedPrompt:
            return "text"  # type: ignore[return-value]

    class Wrong(Generator):
        async def generate(self, prompt: EnhancedPrompt, options: ImageOptions) -> GenerationOutput:
            return []  # type: ignore[return-value]

    with pytest.raises(ContractError, match="returned str, not EnhancedPrompt"):
        await acheck_enhancer(Lazy())
    with pytest.raises(ContractError, match="generate\\(\\) returned list"):
        await acheck_generator(Wrong())


class Networked(FakeGenerator):
    requires_network = True


def test_real_backends_are_refused_while_forbidden() -> None:
    generator = Networked()
    with pytest.raises(ConfigurationError, match="Networked calls a real service"):
        Pipeline(FakeEnhancer(), generator).run("a corgi")
    assert generator.calls == []


def test_forbid_real_backends_restores_the_previous_setting() -> None:
    from promptforge import _guard

    _guard.allow_real_backends(True)
    try:
        with forbid_real_backends():
            assert not _guard._allowed
        assert _guard._allowed
        assert Pipeline(FakeEnhancer(), Networked()).run("a corgi").ok
    finally:
        _guard.allow_real_backends(False)


def test_doubles_are_not_collected_as_tests() -> None:
    assert FakeEnhancer.__test__ is False
    assert FakeGenerator.__test__ is False


def test_dry_run_enhance_is_guarded_too() -> None:
    class NetworkedEnhancer(FakeEnhancer):
        requires_network = True

    enhancer = NetworkedEnhancer()
    with pytest.raises(ConfigurationError):
        Pipeline(enhancer, FakeGenerator()).enhance("a corgi")
    assert enhancer.calls == []
