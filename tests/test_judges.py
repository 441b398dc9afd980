"""The question set, the score, the offline pixel judge, the fake and the contract check."""

from __future__ import annotations

import asyncio
import io

import pytest
from PIL import Image

from promptforge import Check, EnhancedPrompt, GeneratedImage, Judge, PromptSpec, Verdict
from promptforge.judges import PixelJudge, questions, score_of, verdict_from
from promptforge.testing import ContractError, FakeJudge, check_judge, image_bytes

CORGI = PromptSpec(
    subject="fluffy corgi",
    attributes=["a tiny golden crown"],
    action="sitting regally",
    setting="on a velvet cushion",
    composition="close-up, softly blurred background",
    lighting="soft window light",
    mood="regal",
    negative=["large crown", "blurry"],
)


def prompt_of(spec: PromptSpec) -> EnhancedPrompt:
    return EnhancedPrompt(original=spec.subject, text=spec.render(), spec=spec)


def solid(colour: tuple[int, int, int], size: tuple[int, int] = (640, 480)) -> GeneratedImage:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "PNG")
    return GeneratedImage.from_bytes(buffer.getvalue())


def test_one_question_per_lever_and_attribute() -> None:
    asked = questions(prompt_of(CORGI))
    assert [(q.lever, q.text) for q in asked] == [
        ("subject", "Is there a fluffy corgi in the image?"),
        ("attribute", "Does the fluffy corgi have a tiny golden crown?"),
        ("action", "Is the fluffy corgi sitting regally?"),
        ("setting", "Is the fluffy corgi on a velvet cushion?"),
        ("composition", "Is the image framed like this: close-up, softly blurred background?"),
        ("lighting", "Is the lighting like this: soft window light?"),
        ("mood", "Does the image feel like this: regal?"),
        ("negative", "Is the image free of all of these: large crown, blurry?"),
    ]
    assert asked[1].fix() == "give the fluffy corgi a tiny golden crown"
    assert asked[0].fix() == "show a fluffy corgi clearly"


def test_a_plain_text_prompt_gets_one_question() -> None:
    (only,) = questions(EnhancedPrompt(original="x", text="A red fox in snow."))
    assert only.text == "Does the image show this: A red fox in snow?"


def test_the_subject_weighs_most_in_the_score() -> None:
    asked = questions(prompt_of(CORGI))

    def score(failing: str) -> float:
        return score_of(
            Check(question=q.text, lever=q.lever, passed=q.lever != failing) for q in asked
        )

    assert score("subject") < score("attribute") < score("mood")
    assert score("none") == 1.0
    assert score_of([]) == 1.0


def test_a_verdict_from_checks_carries_its_fixes() -> None:
    checks = [
        Check(question="Is there a corgi?", lever="subject", passed=True),
        Check(question="Is the crown tiny?", lever="attribute", passed=False),
    ]
    verdict = verdict_from(checks, fixes=["make the crown much smaller"], negative=["large crown"])
    assert verdict.score == pytest.approx(4 / 6, abs=1e-4)
    assert not verdict.passed
    assert verdict.failed == (checks[1],)
    assert verdict.edit_instruction == "Make the crown much smaller."
    assert verdict.feedback == "Make the crown much smaller."
    assert verdict.negative == ("large crown",)
    passing = verdict_from(checks[:1], negative=["ignored"])
    assert (passing.passed, passing.edit_instruction, passing.negative) == (True, None, ())


def test_pixel_judge_finds_named_colours_and_labels_itself() -> None:
    spec = PromptSpec(subject="a fox", attributes=["crimson scarf"], setting="in blue snow")
    red = asyncio.run(PixelJudge().judge(prompt_of(spec), solid((165, 20, 50))))
    assert red.judge is not None
    assert "cannot see what the image depicts" in red.judge
    by_question = {c.question: c for c in red.checks}
    assert by_question["Is there crimson in the image?"].passed
    blue = by_question["Is there blue in the image?"]
    assert not blue.passed
    assert blue.evidence == "0.0% of pixels are near blue (40, 90, 200)"
    assert red.edit_instruction == "Add more blue."


def test_pixel_judge_checks_brightness_against_the_mood() -> None:
    night = PromptSpec(subject="a forest", mood="dark and mysterious")
    too_bright = asyncio.run(PixelJudge().judge(prompt_of(night), solid((240, 240, 240))))
    (check,) = [c for c in too_bright.checks if c.lever == "brightness"]
    assert not check.passed
    assert check.evidence is not None
    assert check.evidence.startswith("mean brightness 0.9")
    assert too_bright.edit_instruction == "Make the image darker."
    assert too_bright.negative == ("overexposed",)
    dark = asyncio.run(PixelJudge().judge(prompt_of(night), solid((20, 20, 30))))
    assert dark.passed
    sunny = PromptSpec(subject="a beach", lighting="bright midday sun")
    dim = asyncio.run(PixelJudge().judge(prompt_of(sunny), solid((20, 20, 30))))
    assert dim.edit_instruction == "Make the image brighter."


def test_pixel_judge_checks_shape_and_size() -> None:
    prompt = prompt_of(PromptSpec(subject="a fox"))
    judge = PixelJudge(aspect_ratio="16:9", min_side=1000)
    verdict = asyncio.run(judge.judge(prompt, solid((128, 128, 128), (640, 480))))
    assert [(c.lever, c.passed, c.evidence) for c in verdict.checks] == [
        ("shape", False, "640x480"),
        ("size", False, "640x480"),
    ]
    assert verdict.score == 0.0
    ok = asyncio.run(judge.judge(prompt, solid((128, 128, 128), (1600, 900))))
    assert ok.passed
    assert ok.score == 1.0


def test_the_offline_judge_and_the_fake_pass_the_contract() -> None:
    check_judge(PixelJudge())
    check_judge(FakeJudge())
    check_judge(FakeJudge([0.2, 0.5]))


def test_the_contract_check_catches_a_judge_that_cannot_say_what_to_fix() -> None:
    class Mute(Judge):
        async def judge(self, prompt: EnhancedPrompt, image: GeneratedImage) -> Verdict:
            failed = Check(question="Is it right?", passed=False)
            return Verdict(score=0.2, passed=True, checks=(failed,))

    with pytest.raises(ContractError) as caught:
        check_judge(Mute())
    assert "passed=True with a failed check" in str(caught.value)
    assert "must give edit_instruction and feedback" in str(caught.value)


def test_the_fake_records_calls_and_raises_scripted_errors() -> None:
    judge = FakeJudge([ValueError("scripted")])
    prompt = prompt_of(CORGI)
    image = GeneratedImage.from_bytes(image_bytes(8, 8))
    with pytest.raises(ValueError, match="scripted"):
        asyncio.run(judge.judge(prompt, image))
    assert asyncio.run(judge.judge(prompt, image)).passed
    assert [call.image for call in judge.calls] == [image, image]
