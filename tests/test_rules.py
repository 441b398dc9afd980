from __future__ import annotations

import asyncio
import re

import pytest

from promptforge import EnhancedPrompt, EnhanceRequest, InvalidRequestError, Pipeline, StylePreset
from promptforge.enhancers import RuleEnhancer
from promptforge.styles import get_style, list_styles
from promptforge.testing import FakeGenerator, check_enhancer

CORGI = "fluffy corgi wearing a tiny crown, sitting on a velvet cushion"
GLUE = {"a", "an", "the", "with", "wearing", "without", "no", "and", "of", "sporting", "dressed"}
IDEAS = [
    CORGI,
    "a red fox curled up in fresh snow",
    "an oil painting of a lighthouse in a storm at night",
    "a robot reading a newspaper in a cafe, moody, at golden hour",
    "a beach with no people, wide shot",
    "watercolor, a paper boat on a puddle",
    "a close-up of a bee on a sunflower",
    "a knight in shining armour holding a sword, dramatic lighting",
    "a cat with a hat on its head sitting and smiling",
    "on a beach, a dog",
    "a sleeping cat on a windowsill",
    "pixel art castle, without text",
    "sunset",
    "in the rain",
]


def enhance(prompt: str, style: str | StylePreset | None = None, negative: str | None = None):
    preset = get_style(style) if isinstance(style, str) else style
    request = EnhanceRequest(prompt=prompt, style=preset, negative_prompt=negative)
    return asyncio.run(RuleEnhancer().enhance(request))


def words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9'-]+", text.lower()))


def test_the_corgi_is_taken_apart_into_levers() -> None:
    spec = enhance(CORGI).spec
    assert spec is not None
    assert spec.subject == "fluffy corgi"
    assert spec.attributes == ("a tiny crown",)
    assert spec.action == "sitting"
    assert spec.setting == "on a velvet cushion"
    assert spec.style
    assert "photograph" in spec.style
    assert spec.composition
    assert spec.lighting
    assert spec.mood
    assert "blurry" in spec.negative


def test_clothing_after_in_is_worn_not_a_place() -> None:
    knight = enhance("a knight in shining armour riding a dragon").spec
    assert knight is not None
    assert (knight.attributes, knight.action, knight.setting) == (
        ("shining armour",), "riding a dragon", None,
    )  # fmt: skip
    cat = enhance("a cat in a box").spec
    assert cat is not None
    assert (cat.attributes, cat.setting) == ((), "in a box")


@pytest.mark.parametrize("idea", IDEAS)
def test_same_input_same_output(idea: str) -> None:
    assert enhance(idea) == enhance(idea)
    assert enhance(idea, "cinematic", "blurry") == enhance(idea, "cinematic", "blurry")


@pytest.mark.parametrize("idea", IDEAS)
def test_the_subject_is_the_users_words_and_no_word_is_lost(idea: str) -> None:
    prompt = enhance(idea)
    assert prompt.spec is not None
    assert prompt.spec.subject.lower() in idea.lower()
    assert prompt.original == idea
    kept = words(prompt.text) | words(prompt.negative_prompt or "")
    assert words(idea) - GLUE <= kept


@pytest.mark.parametrize("preset", list_styles(), ids=lambda preset: preset.name)
def test_every_preset_lands_in_the_spec(preset: StylePreset) -> None:
    prompt = enhance(CORGI, preset, negative="large crown, human hands")
    spec = prompt.spec
    assert spec is not None
    assert spec.subject == "fluffy corgi"
    assert spec.attributes == ("a tiny crown",)
    assert prompt.style == preset.name
    for phrase in preset.phrases:
        assert phrase.lower() in (spec.style or "").lower()
        assert phrase.lower() in prompt.text.lower()
    negatives = {term.lower() for term in prompt.negative_terms}
    assert {term.lower() for term in preset.negative} <= negatives
    assert {"large crown", "human hands"} <= negatives
    for lever in ("composition", "lighting", "mood"):
        expected = getattr(preset, lever)
        assert getattr(spec, lever) == (expected or getattr(spec, lever))
        assert getattr(spec, lever)  # never left empty: the preset, else the medium default
    assert enhance(CORGI, preset, "large crown, human hands") == prompt


@pytest.mark.parametrize("style", [None, "watercolor", "pixel-art"])
def test_contract(style: str | None) -> None:
    check_enhancer(RuleEnhancer(), style=style)


def test_the_medium_comes_from_the_words_when_there_is_no_preset() -> None:
    painting = enhance("an oil painting of a lighthouse in a storm at night")
    assert painting.spec is not None
    assert painting.spec.subject == "a lighthouse"
    assert painting.spec.style
    assert painting.spec.style.startswith("oil painting")
    assert "photo" in painting.negative_terms
    drawing = enhance("a cartoon of a happy whale")
    assert drawing.spec is not None
    assert "illustration" in (drawing.spec.style or "")
    render = enhance("low-poly fox, 3d")
    assert render.spec is not None
    assert "polished digital artwork" in (render.spec.style or "")
    logo = enhance("logo for a coffee shop, minimal")
    assert logo.spec is not None
    assert "vector" in (logo.spec.style or "")
    assert "text" not in logo.negative_terms  # a logo may well carry lettering


def test_a_default_medium_can_be_chosen() -> None:
    request = EnhanceRequest(prompt="a red fox")
    prompt = asyncio.run(RuleEnhancer(default_medium="illustration").enhance(request))
    assert "illustration" in prompt.text.lower()
    with pytest.raises(InvalidRequestError, match="default_medium"):
        RuleEnhancer(default_medium="sculpture")
    assert repr(RuleEnhancer()) == "RuleEnhancer(default_medium='photo')"


def test_cue_words_fill_their_own_levers() -> None:
    spec = enhance("a robot reading a newspaper in a cafe, moody, at golden hour, shot from above")
    assert spec.spec is not None
    assert spec.spec.action == "reading a newspaper"
    assert spec.spec.setting == "in a cafe"
    assert spec.spec.lighting == "at golden hour"
    assert spec.spec.mood == "moody"
    assert spec.spec.composition == "shot from above"
    styled = enhance("a fox in the snow, in the style of a woodcut")
    assert styled.spec is not None
    assert "in the style of a woodcut" in (styled.spec.style or "")
    # The user's own cue beats the preset's.
    cinematic = enhance("a fox at dawn", "cinematic")
    assert cinematic.spec is not None
    assert cinematic.spec.lighting == "at dawn"


def test_negatives_from_the_words() -> None:
    beach = enhance("a beach with no people or cars, wide shot")
    assert beach.spec is not None
    assert beach.spec.subject == "a beach"
    assert beach.negative_terms[:2] == ["people", "cars"]
    assert beach.spec.composition == "wide shot"
    assert "text" in enhance("pixel art castle, without text").negative_terms
    sign = enhance("a neon sign that says OPEN")
    assert "text" not in sign.negative_terms
    assert sign.spec is not None
    assert sign.spec.subject == "a neon sign that says OPEN"


def test_tricky_grammar_keeps_every_word() -> None:
    hat = enhance("a cat with a hat on its head sitting and smiling").spec
    assert hat is not None
    assert hat.attributes == ("a hat on its head",)
    assert hat.action == "sitting and smiling"
    sleeping = enhance("a sleeping cat on a windowsill").spec
    assert sleeping is not None
    assert sleeping.subject == "a sleeping cat"
    dog = enhance("on a beach, a dog").spec
    assert dog is not None
    assert (dog.subject, dog.setting) == ("a dog", "on a beach")
    assert enhance("in the rain").spec.subject == "in the rain"  # type: ignore[union-attr]
    assert enhance("  fluffy   corgi.  ").spec.subject == "fluffy corgi"  # type: ignore[union-attr]


# -- refine ------------------------------------------------------------------------------


def refine(prompt: EnhancedPrompt, feedback: str) -> EnhancedPrompt:
    return asyncio.run(RuleEnhancer().refine(prompt, feedback))


def test_refine_shrinks_the_crown() -> None:
    first = enhance(CORGI, "photorealistic")
    second = refine(first, "the crown looks too large")
    assert second.spec is not None
    assert second.spec.attributes == ("a noticeably smaller crown",)
    assert "large crown" in second.negative_terms
    assert "smaller crown" in second.text
    assert second.original == first.original
    assert second.style == "photorealistic"
    assert refine(first, "the crown looks too large") == second  # deterministic


@pytest.mark.parametrize(
    ("feedback", "lever", "expected"),
    [
        ("the lighting is too dark", "lighting", "brighter lighting"),
        ("it is too bright", "lighting", "darker overall"),
        ("make it more dramatic", "style", "more dramatic overall"),
        ("more contrast", "style", "more contrast overall"),
        ("the colours are too saturated", "style", "more muted colours"),
        ("add a red scarf", "attributes", "a red scarf"),
        ("add warm candlelight", "lighting", "warm candlelight"),
        ("make the crown golden", "attributes", "a golden tiny crown"),
        ("the background is too busy", "attributes", "simpler, uncluttered background"),
        ("the corgi is too small", "composition", "the corgi noticeably larger in the frame"),
        ("the dog should look happier", "attributes", "the dog should look happier"),
    ],
)
def test_refine_feedback_forms(feedback: str, lever: str, expected: str) -> None:
    refined = refine(enhance(CORGI), feedback)
    assert refined.spec is not None
    value = getattr(refined.spec, lever)
    assert expected in (value if isinstance(value, list) else value or "")


def test_refine_removes_what_is_unwanted() -> None:
    refined = refine(enhance(CORGI), "Remove the crown. No cushion!")
    assert refined.spec is not None
    assert refined.spec.attributes == ()
    assert {"crown", "cushion"} <= set(refined.negative_terms)


def test_refine_a_prompt_without_a_spec() -> None:
    text_only = EnhancedPrompt(
        original="a red fox", text="A red fox in snow.", style="watercolor", negative_prompt="dog"
    )
    refined = refine(text_only, "the fox is too small")
    assert refined.spec is not None
    assert "watercolor painting" in (refined.spec.style or "")
    assert {"dog", "small fox"} <= set(refined.negative_terms)
    gone = EnhancedPrompt(original="a red fox", text="A red fox.", style="no-such-preset")
    assert refine(gone, "add snow").spec is not None


def test_pipeline_refine_uses_it() -> None:
    pipe = Pipeline(enhancer=RuleEnhancer(), generator=FakeGenerator())
    first = pipe.run(CORGI, style="watercolor")
    second = pipe.refine(first, "the crown looks too large")
    assert second.parent_id == first.id
    assert second.prompt is not None
    assert "large crown" in second.prompt.negative_terms
