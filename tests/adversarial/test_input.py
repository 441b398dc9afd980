"""Hostile input to the Python API: wrong components, lax types, long and strange prompts.

Every bad input is refused with ``InvalidRequestError`` (or ``TypeError`` for a pipeline
built from the wrong things) naming the field, before any backend call.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from promptforge import MAX_PROMPT_CHARS, InvalidRequestError, Pipeline, RetryPolicy, cli
from promptforge._batch import item_request
from promptforge.enhancers import RuleEnhancer, _rules_parse
from promptforge.generators import PreviewGenerator
from promptforge.testing import FakeEnhancer, FakeGenerator


@pytest.fixture
def fakes() -> tuple[FakeEnhancer, FakeGenerator]:
    return FakeEnhancer(), FakeGenerator()


def pipe_of(fakes: tuple[FakeEnhancer, FakeGenerator]) -> Pipeline:
    return Pipeline(enhancer=fakes[0], generator=fakes[1])


def no_calls(fakes: tuple[FakeEnhancer, FakeGenerator]) -> None:
    assert fakes[0].calls == []
    assert fakes[1].calls == []


# -- the pipeline's components, checked when it is built ---------------------------------


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"enhancer": RuleEnhancer}, r"enhancer: got the class RuleEnhancer.*RuleEnhancer\(\)"),
        ({"generator": PreviewGenerator}, r"generator: got the class .*PreviewGenerator\(\)"),
        ({"enhancer": None}, r"enhancer: required; pass .*RuleEnhancer\(\)"),
        ({"generator": None}, r"generator: required; pass .*PreviewGenerator\(\)"),
        ({"enhancer": "rules"}, r"enhancer: expected an Enhancer or a function, got str"),
        ({"generator": FakeEnhancer()}, r"generator: expected a Generator, got FakeEnhancer"),
        ({"enhancer": PreviewGenerator()}, r"enhancer: got a Generator .*swap"),
        ({"enhancer": dict}, r"enhancer: got the class dict"),
        ({"retry": RetryPolicy}, r"retry: got the class RetryPolicy.*RetryPolicy\(\)"),
        ({"generate_retry": 3}, r"generate_retry: expected a RetryPolicy or None, got int"),
        ({"enhance_rate_limit": 60}, r"enhance_rate_limit: expected a RateLimit or None"),
        ({"strict": "yes"}, r"strict: expected a bool, got str"),
    ],
)
def test_a_pipeline_of_the_wrong_things_is_refused_when_built(
    arguments: dict[str, Any], message: str
) -> None:
    components: dict[str, Any] = {"enhancer": RuleEnhancer(), "generator": PreviewGenerator()}
    with pytest.raises(TypeError, match=message):
        Pipeline(**{**components, **arguments})


def test_functions_still_make_enhancers() -> None:
    async def shout(request: Any) -> str:
        return request.prompt.upper()

    for function in (lambda request: request.prompt, shout):
        result = Pipeline(enhancer=function, generator=FakeGenerator()).run("a fox")
        assert result.prompt is not None
        assert result.prompt.text.lower() == "a fox"


# -- what run_many takes --------------------------------------------------------------


@pytest.mark.parametrize(
    ("prompts", "message"),
    [
        ("abc", r"prompts: got one str, not a collection of prompts; .*\['abc'\]"),
        (b"abc", r"prompts: got one bytes"),
        ({"prompt": "a fox"}, r"prompts: got one batch item .*\[\{'prompt': 'a fox'\}\]"),
        (None, r"prompts: expected an iterable of prompts .*got NoneType"),
        (42, r"prompts: expected an iterable of prompts .*got int"),
    ],
)
def test_run_many_refuses_what_is_not_a_collection_of_prompts(
    fakes: tuple[FakeEnhancer, FakeGenerator], prompts: Any, message: str
) -> None:
    with pytest.raises(InvalidRequestError, match=message) as raised:
        pipe_of(fakes).run_many(prompts)
    assert raised.value.field == "prompts"
    no_calls(fakes)


def test_run_many_takes_any_iterable_of_prompts(fakes: tuple[FakeEnhancer, FakeGenerator]) -> None:
    def ideas() -> Iterator[str]:
        yield from ("a fox", "an owl")

    for prompts in (["a fox", "an owl"], ("a fox", "an owl"), ideas()):
        assert [r.ok for r in pipe_of(fakes).run_many(prompts)] == [True, True]


# -- misspelt options -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "unknown", "meant"),
    [
        (lambda pipe: pipe.run("x", stlye="watercolor"), "stlye", "style"),
        (lambda pipe: pipe.run("x", aspect="16:9"), "aspect", "aspect_ratio"),
        (lambda pipe: pipe.run_many(["x"], concurency=2), "concurency", "concurrency"),
        (lambda pipe: pipe.run_many(["x"], keep_image=False), "keep_image", "keep_images"),
        (lambda pipe: pipe.run_many(["x"], outdir="out"), "outdir", "out_dir"),
    ],
)
def test_a_misspelt_option_gets_the_name_it_meant(
    fakes: tuple[FakeEnhancer, FakeGenerator], call: Any, unknown: str, meant: str
) -> None:
    with pytest.raises(InvalidRequestError, match=f"did you mean '{meant}'") as raised:
        call(pipe_of(fakes))
    assert raised.value.field == unknown
    assert raised.value.allowed is not None
    assert "style" in raised.value.allowed
    assert meant in raised.value.allowed
    no_calls(fakes)


def test_run_allows_style_but_not_the_batch_keywords(
    fakes: tuple[FakeEnhancer, FakeGenerator],
) -> None:
    with pytest.raises(InvalidRequestError) as raised:
        pipe_of(fakes).run("x", concurrency=2)  # type: ignore[call-arg]
    assert raised.value.allowed is not None
    assert "style" in raised.value.allowed
    assert "concurrency" not in raised.value.allowed


def test_a_batch_item_names_its_own_keys() -> None:
    with pytest.raises(InvalidRequestError, match="did you mean 'style'") as raised:
        item_request({"prompt": "x", "stlye": "watercolor"}, None, {})
    assert raised.value.allowed is not None
    assert "prompt" in raised.value.allowed
    with pytest.raises(InvalidRequestError, match=r"prompt: missing.*did you mean 'prompt'"):
        item_request({"promt": "x"}, None, {})


# -- strict option types --------------------------------------------------------------

LAX = [
    ({"n": "2"}, "n", "expected an int, got str '2'"),
    ({"n": True}, "n", "expected an int, got bool True"),
    ({"n": 2.0}, "n", "expected an int, got float 2.0"),
    ({"seed": "7"}, "seed", "expected an int, got str '7'"),
    ({"seed": False}, "seed", "expected an int, got bool False"),
    ({"output_compression_quality": True}, "output_compression_quality", "expected an int"),
    ({"guidance_scale": math.inf}, "guidance_scale", "expected a finite number, got float inf"),
    ({"guidance_scale": -math.inf}, "guidance_scale", "expected a finite number"),
    ({"guidance_scale": math.nan}, "guidance_scale", "expected a finite number, got float nan"),
    ({"guidance_scale": "7.5"}, "guidance_scale", "expected a number, got str '7.5'"),
    ({"guidance_scale": True}, "guidance_scale", "expected a number, got bool True"),
    ({"enhance_prompt": "yes"}, "enhance_prompt", "expected a bool, got str 'yes'"),
    ({"add_watermark": 0}, "add_watermark", "expected a bool, got int 0"),
    ({"aspect_ratio": 1.5}, "aspect_ratio", "expected a str, got float 1.5"),
    ({"aspect_ratio": "\u0661\u0666:\u0669"}, "aspect_ratio", "aspect_ratio"),
    ({"negative_prompt": ["blur"]}, "negative_prompt", "expected a str, got list"),
]


@pytest.mark.parametrize(("options", "field", "message"), LAX)
def test_options_are_strict(
    fakes: tuple[FakeEnhancer, FakeGenerator], options: dict[str, Any], field: str, message: str
) -> None:
    with pytest.raises(InvalidRequestError, match=message) as raised:
        pipe_of(fakes).run("a fox", **options)
    assert raised.value.field == field
    assert str(raised.value).startswith(f"{field}:")
    no_calls(fakes)


@pytest.mark.parametrize(("options", "field", "message"), LAX[:4])
def test_batch_items_are_as_strict(
    fakes: tuple[FakeEnhancer, FakeGenerator], options: dict[str, Any], field: str, message: str
) -> None:
    (result,) = pipe_of(fakes).run_many([{"prompt": "a fox", **options}])
    assert result.error is not None
    assert result.error.type == "InvalidRequestError"
    assert result.error.message.startswith(f"{field}: {message}")
    no_calls(fakes)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"seed": 2**32}, "seed: Input should be less than or equal to 4294967295"),
        ({"seed": -1}, "seed: Input should be greater than or equal to 0"),
        ({"output_compression_quality": 101}, "output_compression_quality: Input should be"),
    ],
)
def test_out_of_range_values_name_the_bound(
    fakes: tuple[FakeEnhancer, FakeGenerator], options: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidRequestError, match=message):
        pipe_of(fakes).run("a fox", **options)


@pytest.mark.parametrize("feedback", [None, 42, "", "\u200b"])
def test_refine_feedback_is_checked_like_a_prompt(feedback: Any) -> None:
    pipe = Pipeline(enhancer=FakeEnhancer(), generator=FakeGenerator())
    first = pipe.run("a fox")
    with pytest.raises(InvalidRequestError, match="feedback: ") as raised:
        pipe.refine(first, feedback)
    assert raised.value.field == "feedback"


def test_real_numbers_still_pass(fakes: tuple[FakeEnhancer, FakeGenerator]) -> None:
    result = pipe_of(fakes).run("a fox", n=2, seed=0, guidance_scale=7, enhance_prompt=False)
    assert result.request is not None
    assert result.request.options.guidance_scale == 7.0
    assert len(result.images) == 2


def test_a_huge_bad_value_is_not_echoed_whole(fakes: tuple[FakeEnhancer, FakeGenerator]) -> None:
    with pytest.raises(InvalidRequestError) as raised:
        pipe_of(fakes).run("a fox", aspect_ratio="9" * 100_000)
    assert len(str(raised.value)) < 300


# -- invisible, broken and strange prompts ---------------------------------------------


@pytest.mark.parametrize(
    "prompt",
    [
        "",
        " \t\n",
        "\u200b",  # zero-width space
        "\u200b\u200c\u200d\u2060\ufeff",  # zero-width (non-)joiners, word joiner, BOM
        "\u00a0\u3000\u2028",  # no-break, ideographic and line-separator spaces
        "\x00\x01\x7f",  # control characters
        "\u0301\u0301",  # combining marks with nothing to combine with
        "\u3164\u2800",  # Hangul filler, blank Braille pattern
        "\ue000",  # private use
    ],
)
def test_a_prompt_with_nothing_visible_is_refused(
    fakes: tuple[FakeEnhancer, FakeGenerator], prompt: str
) -> None:
    pipe = pipe_of(fakes)
    for call in (lambda: pipe.run(prompt), lambda: pipe.enhance(prompt)):
        with pytest.raises(InvalidRequestError, match=r"prompt: .*visible") as raised:
            call()
        assert raised.value.field == "prompt"
    (result,) = pipe.run_many([prompt])
    assert result.error is not None
    assert result.error.type == "InvalidRequestError"
    no_calls(fakes)


def test_a_lone_surrogate_is_refused(fakes: tuple[FakeEnhancer, FakeGenerator]) -> None:
    with pytest.raises(InvalidRequestError, match=r"prompt: .*U\+D83E at 6") as raised:
        pipe_of(fakes).run("a fox \ud83e")
    assert raised.value.field == "prompt"
    no_calls(fakes)


@pytest.mark.parametrize(
    "prompt",
    [
        "🦊",
        "狐狸在雪地里",
        "ثعلب أحمر في الثلج",  # right to left
        "a fox\u200b in the snow",  # an invisible character among visible ones
        "👩‍🚀 astronaut",  # a ZWJ emoji sequence
        "a fox" + "\u0301" * 50,  # stacked combining marks
        "a fox\r\nin\tthe snow",
        "<script>alert(1)</script> {{prompt}} %s ../../etc/passwd",
        "x" * MAX_PROMPT_CHARS,  # one long word, at the cap
    ],
)
def test_strange_but_visible_prompts_run_offline(prompt: str) -> None:
    pipe = Pipeline(enhancer=RuleEnhancer(), generator=PreviewGenerator())
    result = pipe.run(prompt)
    assert result.ok
    assert len(result.images) == 1
    assert result.prompt is not None
    assert result.prompt.original == prompt


# -- long prompts ---------------------------------------------------------------------


def _raise(error: Any) -> None:
    if error is not None:
        raise InvalidRequestError(error.message)


def test_the_cap_is_a_few_thousand_characters() -> None:
    assert 2_000 <= MAX_PROMPT_CHARS <= 10_000


@pytest.mark.parametrize(
    ("field", "call"),
    [
        ("prompt", lambda pipe, text: pipe.run(text)),
        ("prompt", lambda pipe, text: pipe.enhance(text)),
        ("prompt", lambda pipe, text: _raise(pipe.run_many([text])[0].error)),
        ("negative_prompt", lambda pipe, text: pipe.run("a fox", negative_prompt=text)),
        ("feedback", lambda pipe, text: pipe.refine(pipe.run("a fox"), text)),
    ],
)
def test_text_over_the_cap_is_refused_before_any_call(field: str, call: Any) -> None:
    enhancer, generator = FakeEnhancer(), FakeGenerator()
    pipe = Pipeline(enhancer=enhancer, generator=generator)
    long = "a fox in the snow " * (MAX_PROMPT_CHARS // 18 + 1)
    with pytest.raises(InvalidRequestError, match=f"{field}: .*the most is {MAX_PROMPT_CHARS:,}"):
        call(pipe, long)
    calls = (len(enhancer.calls), len(generator.calls))
    assert calls == ((1, 1) if field == "feedback" else (0, 0))  # feedback: only the first run
    call(pipe, long[:MAX_PROMPT_CHARS])  # at the cap: accepted


def test_one_long_item_fails_alone(fakes: tuple[FakeEnhancer, FakeGenerator]) -> None:
    results = pipe_of(fakes).run_many(["a fox", "x " * MAX_PROMPT_CHARS, "an owl"])
    assert [r.ok for r in results] == [True, False, True]
    assert results[1].error is not None
    assert results[1].error.message.startswith("prompt: ")


def test_rule_enhancer_reads_each_word_a_bounded_number_of_times(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Linear, not quadratic, in the words of a clause: the words are looked at a fixed
    number of times each however long the prompt (timings live in benchmarks/)."""
    calls = 0
    bare = _rules_parse._bare

    def counting(word: str) -> str:
        nonlocal calls
        calls += 1
        return bare(word)

    monkeypatch.setattr(_rules_parse, "_bare", counting)
    counts = []
    for words in (500, 2000):
        calls = 0
        _rules_parse.parse(" ".join(["fluffy corgi wearing a crown on a cushion"] * words))
        counts.append(calls / (words * 8))
    assert counts[1] <= counts[0] * 1.1  # per word, the same at 4x the length
    assert counts[1] < 10


# -- the same checks reach the CLI ----------------------------------------------------


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"prompt": "a fox", "seed": "7"}', "prompts.txt:1: seed: expected an int, got str '7'"),
        ('{"prompt": "a fox", "n": true}', "prompts.txt:1: n: expected an int, got bool True"),
        ('{"prompt": "a fox", "stlye": "watercolor"}', "did you mean 'style'"),
        ('{"prompt": "\\u200b\\u2060"}', "prompts.txt:1: prompt: must not be empty"),
        ("x" * (MAX_PROMPT_CHARS + 1), f"prompts.txt:1: prompt: {MAX_PROMPT_CHARS + 1:,} char"),
    ],
)
def test_a_batch_file_is_as_strict(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, line: str, message: str
) -> None:
    source = tmp_path / "prompts.txt"
    source.write_text(line + "\n", "utf-8")
    code = cli.main(["batch", str(source), "--out", str(tmp_path / "out")])
    out, err = capsys.readouterr()
    assert code == cli.BAD_INPUT
    assert out == ""
    assert message in err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("prompt", "message"),
    [
        ("\u200b", "prompt: must not be empty"),
        ("a fox " * MAX_PROMPT_CHARS, f"the most is {MAX_PROMPT_CHARS:,}"),
    ],
)
def test_generate_refuses_before_rendering(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, prompt: str, message: str
) -> None:
    code = cli.main(["generate", prompt, "--out", str(tmp_path / "out")])
    _, err = capsys.readouterr()
    assert code == cli.BAD_INPUT
    assert message in err
    assert err.count("\n") == 1
    assert not (tmp_path / "out").exists()
