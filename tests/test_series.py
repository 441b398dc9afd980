"""``Pipeline.series``: the bible, the anchor as reference, coherence and redo, save/load."""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from html.parser import HTMLParser
from pathlib import Path

import pytest

from promptforge import (
    Bible,
    Check,
    EnhancedPrompt,
    EnhanceRequest,
    GeneratedImage,
    GenerationOutput,
    GeneratorCapabilities,
    ImageOptions,
    InvalidRequestError,
    Pipeline,
    PromptSpec,
    Reference,
    RetryPolicy,
    SeriesResult,
    TransientError,
    Verdict,
)
from promptforge._coherence import bible_prompt, pixel_coherence
from promptforge._gallery import write_gallery
from promptforge.enhancers import RuleEnhancer
from promptforge.generators import PreviewGenerator
from promptforge.styles import StylePreset
from promptforge.testing import FakeEnhancer, FakeGenerator, FakeJudge

BISCUIT = "Biscuit, a fluffy Pembroke corgi with a tiny gold crown"
BIBLE = Bible(
    style="watercolor picture-book illustration",
    palette="palette of sky blue, sand and coral",
    lighting="soft morning light",
    lens="35mm lens at eye level",
    mood="warm and playful",
    subjects=(BISCUIT,),
    negative=("photo",),
)
IDEAS = [
    "Biscuit finds an old map in the attic",
    "Biscuit digs on the beach",
    "a lighthouse at dusk",
    "Biscuit sails a paper boat",
]
BLUE, MAGENTA = (70, 130, 200), (230, 20, 200)


def solid(rgb: tuple[int, int, int], size: int = 32) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (size, size), rgb).save(buffer, "PNG")
    return buffer.getvalue()


class BibleEnhancer(FakeEnhancer):
    """A fake that writes a fixed bible and gives each idea its own lighting."""

    def __init__(self) -> None:
        super().__init__()
        self.bible_calls: list[tuple[tuple[str, ...], StylePreset | None]] = []

    async def enhance(self, request: EnhanceRequest) -> EnhancedPrompt:
        spec = PromptSpec(subject=request.prompt, lighting="harsh noon sun", style="oil paint")
        return EnhancedPrompt.from_spec(request, spec)

    async def bible(self, ideas: Sequence[str], style: StylePreset | None) -> Bible:
        self.bible_calls.append((tuple(ideas), style))
        return BIBLE


def blue_then(colour: tuple[int, int, int], word: str):  # type: ignore[no-untyped-def]
    """Blue images, except ``colour`` for an idea containing ``word`` made without a seed."""

    def respond(prompt: EnhancedPrompt, options: ImageOptions) -> GenerationOutput:
        off = word in prompt.original and options.seed is None
        return GenerationOutput(images=[GeneratedImage.from_bytes(solid(colour if off else BLUE))])

    return respond


def test_every_prompt_keeps_the_bible_verbatim() -> None:
    enhancer = BibleEnhancer()
    series = Pipeline(enhancer, FakeGenerator()).series(IDEAS)
    assert enhancer.bible_calls == [(tuple(IDEAS), None)]  # one call, every idea
    for item in series.items:
        assert item.result.ok
        assert item.result.prompt is not None
        text = item.result.prompt.text
        for phrase in BIBLE.shared:  # sentence() capitalises the first letter only
            assert phrase[1:] in text
        assert "harsh noon sun" not in text
        assert "oil paint" not in text
        assert (BISCUIT in text) == ("Biscuit" in item.idea)
        assert "photo" in (item.result.prompt.negative_prompt or "")


def test_an_idea_that_asks_for_its_own_lighting_keeps_it_before_the_shared() -> None:
    request = EnhanceRequest(prompt="Biscuit under a neon sign")
    prompt = EnhancedPrompt.from_spec(
        request, PromptSpec(subject="Biscuit", lighting="neon sign glow")
    )
    spec = BIBLE.apply(prompt).spec
    assert spec is not None
    assert spec.lighting == "neon sign glow, soft morning light"
    assert spec.subject == BISCUIT


def test_the_default_bible_comes_from_the_first_item_and_the_preset() -> None:
    series = Pipeline(FakeEnhancer(), FakeGenerator()).series(IDEAS[:2], style="watercolor")
    assert series.bible.style is not None
    assert series.bible.style.startswith("watercolor painting")
    assert series.bible.lighting == "bright, airy daylight"
    assert series.bible.subjects == (IDEAS[0],)
    assert "hard outlines" in series.bible.negative


def test_rule_enhancer_finds_the_recurring_subject_and_names_a_palette() -> None:
    ideas = [
        "Biscuit the corgi wearing a tiny gold crown, sitting in a sunny attic",
        "Biscuit the corgi digging in the sand",
        "a lighthouse at dusk",
    ]
    series = Pipeline(RuleEnhancer(), PreviewGenerator()).series(ideas, style="watercolor")
    assert series.bible.subjects == ("Biscuit the corgi, with a tiny gold crown",)
    assert series.bible.palette is not None
    assert series.bible.palette.startswith("palette of gold")
    second, third = (r.prompt.text for r in series.results[1:] if r.prompt)
    assert second.startswith("Biscuit the corgi, with a tiny gold crown, digging")
    assert "Biscuit" not in third


def test_every_item_after_the_anchor_gets_it_as_a_style_reference() -> None:
    generator = FakeGenerator()
    series = Pipeline(BibleEnhancer(), generator).series(IDEAS, concurrency=2)
    first, *later = generator.calls
    assert first.prompt.original == IDEAS[0]  # the anchor ran first, alone
    assert first.references == ()
    anchor = series.items[0].result.images[0].data
    assert series.anchor is not None
    assert series.anchor.data == anchor
    assert series.anchor_index == 0
    for call in later:
        roles = {ref.role: ref for ref in call.references}
        assert roles["style"].data == anchor
        if "Biscuit" in call.prompt.original:  # the recurring subject, from the first image
            assert roles["character"].data == anchor
            assert roles["character"].note == BISCUIT
        else:
            assert "character" not in roles


def test_references_stay_within_the_limits_and_say_so() -> None:
    caps = GeneratorCapabilities(max_references=2, reference_limits={"character": 0})
    generator = FakeGenerator(capabilities=caps)
    own = Reference(solid((1, 2, 3)), role="object")
    series = Pipeline(BibleEnhancer(), generator).series(IDEAS[:2], references=[own])
    last = generator.calls[-1]
    assert [ref.role for ref in last.references] == ["object", "style"]
    assert any("left out" in warning for warning in series.warnings)


def test_a_generator_without_references_runs_on_the_bible_and_says_so() -> None:
    generator = FakeGenerator(capabilities=GeneratorCapabilities())
    series = Pipeline(BibleEnhancer(), generator).series(IDEAS[:2])
    assert all(call.references == () for call in generator.calls)
    assert any("max_references=0" in warning for warning in series.warnings)


def test_an_off_palette_item_scores_lower_and_is_redone_with_the_anchor() -> None:
    generator = FakeGenerator(respond=blue_then(MAGENTA, "beach"))
    pipe = Pipeline(BibleEnhancer(), generator)
    series = pipe.series(IDEAS, consistency="bible", min_coherence=0.9, max_rounds=2)
    redone = [call for call in generator.calls if call.options.seed is not None]
    (again,) = redone
    assert again.prompt.original == IDEAS[1]
    assert [ref.role for ref in again.references] == ["style", "character"]  # the anchor
    assert all(call.references == () for call in generator.calls if call is not again)
    beach = series.items[1]
    assert beach.rounds == 2
    assert len(beach.earlier) == 1
    assert beach.coherence == 1.0  # the redo matched the anchor and was kept
    assert series.coherence.below == ()
    assert series.coherence.method == "pixels"


def test_without_redo_the_off_palette_item_is_the_worst() -> None:
    generator = FakeGenerator(respond=blue_then(MAGENTA, "beach"))
    series = Pipeline(BibleEnhancer(), generator).series(IDEAS, min_coherence=0.9)
    scores = series.coherence.scores
    assert scores[0] is None  # the anchor
    assert scores[1] is not None
    assert scores[1] < 0.5
    assert all(score == 1.0 for score in scores[2:])
    assert series.coherence.worst == 1
    assert series.coherence.below == (1,)
    assert series.coherence.mean == pytest.approx((scores[1] + 2.0) / 3, abs=1e-3)
    assert series.items[1].rounds == 1  # max_rounds=1: scored, not redone


def test_pixel_coherence_orders_images_by_colour_distance() -> None:
    blue, near, far = solid(BLUE), solid((80, 135, 190)), solid(MAGENTA)
    assert pixel_coherence(blue, blue) == 1.0
    assert pixel_coherence(blue, far) < pixel_coherence(blue, near) < 1.0


def test_the_callers_anchor_goes_to_every_item_and_scores_them_all(tmp_path: Path) -> None:
    anchor = tmp_path / "look.png"
    anchor.write_bytes(solid(BLUE))
    generator = FakeGenerator(respond=blue_then(MAGENTA, "lighthouse"))
    series = Pipeline(BibleEnhancer(), generator).series(IDEAS, anchor=anchor)
    assert all(call.references[0].data == solid(BLUE) for call in generator.calls)
    assert series.anchor_index is None
    assert series.coherence.scores[0] == 1.0
    assert series.coherence.worst == 2


def test_a_judge_on_the_pipeline_answers_the_bibles_questions() -> None:
    sky = Check(question="Is the palette sky blue?", lever="style", passed=False, evidence=None)
    fine = Check(question="ok?", lever=None, passed=True, evidence=None)
    verdict = Verdict(score=0.5, passed=False, checks=(sky, fine))
    judge = FakeJudge([verdict, verdict])
    pipe = Pipeline(BibleEnhancer(), FakeGenerator(), judge=judge)
    series = pipe.series(IDEAS[:3])
    assert series.coherence.method == "judge"
    assert series.coherence.scores == (None, 0.5, 0.5)
    assert series.items[1].failed_checks == ("Is the palette sky blue?",)
    prompts = [call.prompt for call in judge.calls]
    spec = prompts[0].spec
    assert spec is not None
    assert spec.attributes == (BISCUIT,)
    assert prompts[0] == bible_prompt(series.bible)


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"ideas": []}, "ideas"),
        ({"ideas": "one idea"}, "ideas"),
        ({"ideas": ["ok", "  "]}, "ideas"),
        ({"consistency": "style"}, "consistency"),
        ({"min_coherence": 1.5}, "min_coherence"),
        ({"max_rounds": 0}, "max_rounds"),
        ({"concurrency": 0}, "concurrency"),
        ({"anchor": "/no/such/anchor.png"}, "anchor"),
        ({"style": "watercolour-ish"}, "style"),
        ({"aspect_ratio": "5:1"}, "aspect_ratio"),
    ],
)
def test_bad_input_is_refused_before_any_call(arguments: dict[str, object], field: str) -> None:
    enhancer, generator = BibleEnhancer(), FakeGenerator()
    call = {"ideas": IDEAS, **arguments}
    with pytest.raises(InvalidRequestError) as caught:
        Pipeline(enhancer, generator).series(**call)  # type: ignore[arg-type]
    assert caught.value.field == field
    assert enhancer.bible_calls == []
    assert generator.calls == []


def test_a_failed_item_does_not_sink_the_series(tmp_path: Path) -> None:
    def respond(prompt: EnhancedPrompt, options: ImageOptions) -> GenerationOutput | None:
        if "lighthouse" in prompt.original:
            raise TransientError("down", status=503)
        return None

    pipe = Pipeline(BibleEnhancer(), FakeGenerator(respond=respond),
                    retry=RetryPolicy(max_attempts=1))  # fmt: skip
    series = pipe.series(IDEAS)
    assert [r.ok for r in series.results] == [True, True, False, True]
    assert series.coherence.scores[2] is None
    folder = series.save(tmp_path)
    back = SeriesResult.load(folder)
    assert back == series
    assert not back.results[2].ok


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.links += [v for k, v in attrs if k in ("src", "href") and v]

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_save_writes_a_page_whose_links_resolve_and_that_escapes_ideas(tmp_path: Path) -> None:
    hostile = 'Biscuit <script>alert("x")</script> & "friends"'
    series = Pipeline(BibleEnhancer(), FakeGenerator()).series([*IDEAS[:2], hostile])
    folder = series.save(tmp_path)
    assert folder == tmp_path / series.id
    names = {p.name for p in folder.iterdir()}
    assert {"series.json", "contact.png", "index.html", "anchor.png"} <= names
    assert {r.id for r in series.results} <= names
    page = (folder / "index.html").read_text("utf-8")
    parser = _Links()
    parser.feed(page)
    parser.close()
    assert "script" not in parser.tags
    assert parser.links
    for link in parser.links:
        assert "://" not in link
        assert (folder / link).resolve().is_file()
        assert (folder / link).resolve().is_relative_to(folder.resolve())
    text = "".join(parser.text)
    for result in series.results:
        assert result.prompt is not None
        assert result.prompt.text in text
    assert hostile in text  # shown as words, not run
    assert 'content="width=device-width' in page  # readable on a phone
    assert SeriesResult.load(folder) == series


def test_contact_sheet_has_a_cell_per_item(tmp_path: Path) -> None:
    from PIL import Image

    series = Pipeline(BibleEnhancer(), FakeGenerator()).series(IDEAS)
    folder = series.save(tmp_path)
    with Image.open(folder / "contact.png") as sheet:
        assert sheet.size == (4 * 272 + 16, 312 + 16)


def test_out_dir_saves_as_it_goes_and_a_rerun_resumes(tmp_path: Path) -> None:
    enhancer, generator = BibleEnhancer(), FakeGenerator()
    pipe = Pipeline(enhancer, generator)
    first = pipe.series(IDEAS, out_dir=tmp_path, style="watercolor")
    assert (tmp_path / first.id / "series.json").is_file()
    made = len(generator.calls)
    again = pipe.series(IDEAS, out_dir=tmp_path, style="watercolor")
    assert again.id == first.id
    assert len(generator.calls) == made  # nothing made twice
    assert len(enhancer.bible_calls) == 1  # the bible was read back
    assert [r.id for r in again.results] == [r.id for r in first.results]
    assert all(r.resumed for r in again.results)
    other = pipe.series(IDEAS, out_dir=tmp_path, style="photorealistic")
    assert other.id != first.id


def test_gallery_writes_a_page_for_any_batch_folder(tmp_path: Path) -> None:
    pipe = Pipeline(FakeEnhancer(), FakeGenerator())
    pipe.run_many(["a <b>bold</b> fox", "a hare"], out_dir=tmp_path)
    page_path = write_gallery(tmp_path)
    parser = _Links()
    parser.feed(page_path.read_text("utf-8"))
    assert "b" not in parser.tags
    assert len(parser.links) == 4  # each image: a link and the image itself
    assert all((tmp_path / link).is_file() for link in parser.links)
    with pytest.raises(FileNotFoundError):
        write_gallery(tmp_path / next(p.name for p in tmp_path.iterdir() if p.is_dir()))


def test_a_failing_judge_leaves_items_unscored_and_says_so() -> None:
    down = [TransientError("judge down", status=503) for _ in range(2)]
    pipe = Pipeline(
        BibleEnhancer(), FakeGenerator(), retry=RetryPolicy(max_attempts=1), judge=FakeJudge(down)
    )
    series = pipe.series(IDEAS[:2])
    assert series.ok
    assert series.coherence.scores == (None, None)
    assert any("the judge failed (TransientError)" in w for w in series.warnings)


class _NoBible(BibleEnhancer):
    async def bible(self, ideas: Sequence[str], style: StylePreset | None) -> Bible:
        raise TransientError("enhancer down", status=503)


@pytest.mark.parametrize("on_error", ["raise", "fallback"])
def test_a_bible_that_cannot_be_written(on_error: str) -> None:
    pipe = Pipeline(_NoBible(), FakeGenerator(), retry=RetryPolicy(max_attempts=1),
                    on_enhance_error=on_error)  # type: ignore[arg-type]  # fmt: skip
    if on_error == "raise":
        with pytest.raises(TransientError):
            pipe.series(IDEAS[:2], style="watercolor")
        return
    series = pipe.series(IDEAS[:2], style="watercolor")
    assert (
        series.bible.style == "watercolor painting, soft washes of pigment, visible paper texture"
    )
    assert any("could not be written" in w for w in series.warnings)


def test_a_hostile_series_id_in_bible_json_is_never_a_path(tmp_path: Path) -> None:
    pipe = Pipeline(BibleEnhancer(), FakeGenerator())
    out = tmp_path / "out"
    first = pipe.series(IDEAS[:2], out_dir=out)
    record = out / first.id / "bible.json"
    saved = json.loads(record.read_text("utf-8"))
    record.write_text(json.dumps({**saved, "id": "../../escaped"}), "utf-8")
    again = pipe.series(IDEAS[:2], out_dir=out)
    assert again.id != "../../escaped"
    assert not (tmp_path / "escaped").exists()
    assert all(path.resolve().is_relative_to(out.resolve()) for path in out.rglob("*"))
