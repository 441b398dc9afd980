"""Rounds: judge, fix (edit or refine), try again, keep the best; counted exactly."""

from __future__ import annotations

from pathlib import Path

import pytest

from promptforge import (
    BackendError,
    GenerationResult,
    GeneratorCapabilities,
    InvalidRequestError,
    Pipeline,
    RateLimitedError,
    TransientError,
    Usage,
)
from promptforge.testing import FakeEnhancer, FakeGenerator, FakeJudge, scripted_verdict

CORGI = "fluffy corgi wearing a tiny crown"


def no_edit() -> GeneratorCapabilities:
    return GeneratorCapabilities(edit=False)


def test_fail_then_pass_is_fixed_by_an_edit_when_the_generator_can_edit() -> None:
    generator, judge = FakeGenerator(), FakeJudge([scripted_verdict(0.4, fix="shrink the crown")])
    pipe = Pipeline(FakeEnhancer(), generator, judge=judge)
    result = pipe.run(CORGI, target=0.8, max_rounds=3)
    first, second = result.rounds
    assert (first.fix, second.fix) == (None, "edit")
    assert second.instruction == "shrink the crown"
    assert len(generator.calls) == 1
    assert [call.instruction for call in generator.edit_calls] == ["shrink the crown"]
    assert generator.edit_calls[0].image == first.images[0]
    assert len(judge.calls) == 2
    assert result.id == second.id
    assert result.parent_id == first.id
    assert result.verdict is not None
    assert result.verdict.score == 1.0
    assert result.images == second.images
    assert result.prompt == first.prompt  # an edit is judged against the prompt it fixes
    assert judge.calls[1].prompt == first.prompt
    assert result.instruction == "shrink the crown"


def test_fail_then_pass_is_fixed_by_a_refine_when_the_generator_cannot_edit() -> None:
    enhancer, generator = FakeEnhancer(), FakeGenerator(capabilities=no_edit())
    judge = FakeJudge([scripted_verdict(0.4, fix="make the crown smaller")])
    result = Pipeline(enhancer, generator, judge=judge).run(CORGI, target=0.8, max_rounds=3)
    assert [r.fix for r in result.rounds] == [None, "refine"]
    assert len(generator.calls) == 2
    assert generator.edit_calls == []
    ((_, feedback),) = enhancer.refine_calls
    assert feedback == "make the crown smaller"
    assert result.rounds[1].prompt is not None
    assert "make the crown smaller" in result.rounds[1].prompt.text
    assert result.id == result.rounds[1].id
    assert result.request is not None
    assert result.request.prompt == CORGI  # the winner answers the user's request


def test_the_verdicts_negatives_reach_the_next_round() -> None:
    verdict = scripted_verdict(0.4, fix="make the crown smaller").model_copy(
        update={"negative": ("large crown",)}
    )
    generator = FakeGenerator(capabilities=GeneratorCapabilities(edit=False))
    enhancer = FakeEnhancer()
    pipe = Pipeline(enhancer, generator, judge=FakeJudge([verdict]))
    result = pipe.run(CORGI, negative_prompt="blurry", target=0.8, max_rounds=2)
    assert generator.calls[1].options.negative_prompt == "blurry, large crown"
    assert enhancer.refine_calls[0][1] == "make the crown smaller Without large crown."
    assert result.request is not None
    assert result.request.options.negative_prompt == "blurry"
    editor = FakeGenerator()
    Pipeline(FakeEnhancer(), editor, judge=FakeJudge([verdict])).run(CORGI, max_rounds=2)
    assert editor.edit_calls[0].options.negative_prompt == "large crown"


def test_fix_refine_refines_even_when_the_generator_can_edit() -> None:
    generator = FakeGenerator()
    pipe = Pipeline(FakeEnhancer(), generator, judge=FakeJudge([0.4]))
    result = pipe.run(CORGI, target=0.8, max_rounds=2, fix="refine")
    assert [r.fix for r in result.rounds] == [None, "refine"]
    assert (len(generator.calls), len(generator.edit_calls)) == (2, 0)


def test_fix_edit_without_an_editing_generator_refines_and_says_so() -> None:
    generator = FakeGenerator(capabilities=no_edit())
    pipe = Pipeline(FakeEnhancer(), generator, judge=FakeJudge([0.4]))
    result = pipe.run(CORGI, target=0.8, max_rounds=2, fix="edit")
    assert result.rounds[1].fix == "refine"
    assert any("cannot edit" in w for w in result.warnings)


@pytest.mark.parametrize("max_rounds", [1, 2, 3, 5])
def test_max_rounds_bounds_the_calls_exactly(max_rounds: int) -> None:
    enhancer, generator = FakeEnhancer(), FakeGenerator()
    judge = FakeJudge([0.1] * 10)
    result = Pipeline(enhancer, generator, judge=judge).run(
        CORGI, target=0.9, max_rounds=max_rounds
    )
    assert len(judge.calls) == max_rounds
    assert len(enhancer.calls) == 1
    assert len(generator.calls) == 1
    assert len(generator.edit_calls) == max_rounds - 1
    assert len(result.rounds) == max_rounds
    assert result.stages["judge"].attempts == max_rounds
    assert result.stages.get("edit") is None or result.stages["edit"].attempts == max_rounds - 1


def test_rounds_stop_early_at_the_target() -> None:
    judge = FakeJudge([0.5, 0.85, 0.2])
    result = Pipeline(FakeEnhancer(), FakeGenerator(), judge=judge).run(
        CORGI, target=0.8, max_rounds=5
    )
    assert len(result.rounds) == 2
    assert len(judge.calls) == 2
    assert result.verdict is not None
    assert result.verdict.score == 0.85


def test_the_best_round_wins_and_is_the_one_fixed() -> None:
    generator, judge = FakeGenerator(), FakeJudge([0.7, 0.4, 0.6])
    result = Pipeline(FakeEnhancer(), generator, judge=judge).run(CORGI, target=0.9, max_rounds=3)
    first, second, third = result.rounds
    assert result.id == first.id
    assert result.verdict == first.verdict
    # round 3 fixes round 1 (the best so far), not round 2
    assert generator.edit_calls[1].image == first.images[0]
    assert second.fix == third.fix == "edit"
    assert result.parent_id is None


def test_a_tie_goes_to_the_earlier_round() -> None:
    judge = FakeJudge([0.5, 0.5])
    result = Pipeline(FakeEnhancer(), FakeGenerator(), judge=judge).run(
        CORGI, target=0.9, max_rounds=2
    )
    assert result.id == result.rounds[0].id


def test_every_image_is_judged_and_the_best_one_is_fixed() -> None:
    generator, judge = FakeGenerator(), FakeJudge([0.3, 0.6, 1.0, 1.0])
    result = Pipeline(FakeEnhancer(), generator, judge=judge).run(
        CORGI, n=2, target=0.9, max_rounds=2
    )
    first = result.rounds[0]
    assert [v.score for v in first.verdicts] == [0.3, 0.6]
    assert first.best == 1
    assert generator.edit_calls[0].image == first.images[1]
    assert len(result.rounds[1].images) == 2  # the edit keeps n


def test_without_a_target_the_rounds_stop_when_the_verdict_passes() -> None:
    judge = FakeJudge([0.95, 1.0])
    result = Pipeline(FakeEnhancer(), FakeGenerator(), judge=judge).run(CORGI, max_rounds=3)
    assert len(result.rounds) == 2
    assert result.verdict is not None
    assert result.verdict.passed


def test_a_judge_alone_gives_a_verdict_and_one_round() -> None:
    judge = FakeJudge([0.4])
    result = Pipeline(FakeEnhancer(), FakeGenerator(), judge=judge).run(CORGI)
    assert result.verdict is not None
    assert result.verdict.score == 0.4
    assert len(result.rounds) == 1
    assert len(judge.calls) == 1


def test_no_judge_no_rounds() -> None:
    result = Pipeline(FakeEnhancer(), FakeGenerator()).run(CORGI)
    assert result.verdict is None
    assert result.rounds == ()
    assert "judge" not in result.stages


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"target": 1.5}, "target"),
        ({"target": "high"}, "target"),
        ({"target": True}, "target"),
        ({"max_rounds": 0}, "max_rounds"),
        ({"max_rounds": 2.0}, "max_rounds"),
        ({"fix": "repaint"}, "fix"),
    ],
)
def test_bad_round_settings_fail_before_any_request(kwargs: dict[str, object], field: str) -> None:
    generator = FakeGenerator()
    pipe = Pipeline(FakeEnhancer(), generator, judge=FakeJudge())
    with pytest.raises(InvalidRequestError) as caught:
        pipe.run(CORGI, **kwargs)  # type: ignore[arg-type]
    assert caught.value.field == field
    assert generator.calls == []


@pytest.mark.parametrize("kwargs", [{"target": 0.8}, {"max_rounds": 2}])
def test_rounds_without_a_judge_name_the_judge(kwargs: dict[str, object]) -> None:
    generator = FakeGenerator()
    with pytest.raises(InvalidRequestError, match="need a judge") as caught:
        Pipeline(FakeEnhancer(), generator).run(CORGI, **kwargs)  # type: ignore[arg-type]
    assert caught.value.field == "judge"
    assert generator.calls == []


def test_a_pipeline_refuses_a_judge_that_is_not_one() -> None:
    with pytest.raises(InvalidRequestError, match="judge: expected a Judge"):
        Pipeline(FakeEnhancer(), FakeGenerator(), judge=lambda p, i: 1.0)  # type: ignore[arg-type]


def test_the_retry_policy_applies_to_judge_calls(waits: list[float]) -> None:
    judge = FakeJudge([RateLimitedError("quota", retry_after=3.0), TransientError("503"), 1.0])
    result = Pipeline(FakeEnhancer(), FakeGenerator(), judge=judge).run(CORGI, target=0.8)
    assert result.stages["judge"].attempts == 3
    assert result.stages["judge"].backend == "FakeJudge"
    assert result.stages["judge"].model == "fake-judge"
    assert waits[0] == 3.0


def test_a_failing_first_judgement_raises_with_its_stage(waits: list[float]) -> None:
    judge = FakeJudge([BackendError("bad judge", status=400)])
    with pytest.raises(BackendError) as caught:
        Pipeline(FakeEnhancer(), FakeGenerator(), judge=judge).run(CORGI, target=0.8)
    assert caught.value.stage == "judge"
    assert caught.value.backend == "FakeJudge"


def test_a_later_round_failing_keeps_the_best_so_far(waits: list[float]) -> None:
    generator = FakeGenerator([None, BackendError("edit broke", status=400)])
    judge = FakeJudge([0.4])
    result = Pipeline(FakeEnhancer(), generator, judge=judge).run(CORGI, target=0.8, max_rounds=3)
    assert len(result.rounds) == 1
    assert result.ok
    assert any("round 2 failed (BackendError: edit broke)" in w for w in result.warnings)


def test_rounds_are_saved_beside_the_winner_and_load_back(tmp_path: Path) -> None:
    judge = FakeJudge([0.4])
    result = Pipeline(FakeEnhancer(), FakeGenerator(), judge=judge).run(
        CORGI, target=0.8, max_rounds=2
    )
    folder = result.save(tmp_path)
    assert (folder / "image-0.png").is_file()
    assert (folder / "rounds" / "1" / "image-0.png").read_bytes() == result.rounds[0].images[
        0
    ].read()
    assert (folder / "rounds" / "2" / "image-0.png").is_file()
    assert GenerationResult.load(folder) == result
    lazy = GenerationResult.load(folder, lazy=True)
    assert lazy.rounds[0].images[0].read() == result.rounds[0].images[0].read()


def test_judge_on_a_result_an_image_and_with_words() -> None:
    judge = FakeJudge([0.3, 0.6, 0.9])
    pipe = Pipeline(FakeEnhancer(), FakeGenerator(), judge=judge)
    plain = Pipeline(FakeEnhancer(), FakeGenerator()).run(CORGI)
    assert pipe.judge(plain).score == 0.3
    assert judge.calls[0].prompt == plain.prompt
    assert pipe.judge(plain.images[0], prompt="a corgi").score == 0.6
    assert judge.calls[1].prompt.text == "a corgi"
    assert pipe.judge(plain, prompt=plain.prompt).score == 0.9
    with pytest.raises(InvalidRequestError, match="prompt"):
        pipe.judge(plain.images[0])
    with pytest.raises(InvalidRequestError, match="has no judge"):
        Pipeline(FakeEnhancer(), FakeGenerator()).judge(plain)


def test_run_many_and_stream_judge_each_item_with_its_own_rounds() -> None:
    judge = FakeJudge([0.4, 1.0, 0.4])
    pipe = Pipeline(FakeEnhancer(), FakeGenerator(latency=0.0), judge=judge)
    results = pipe.run_many(
        ["a fox", {"prompt": "a cat", "max_rounds": 1}], concurrency=1, target=0.8, max_rounds=2
    )
    fox, cat = results
    assert fox.ok
    assert cat.ok
    assert len(fox.rounds) == 2
    assert len(cat.rounds) == 1
    assert cat.verdict is not None
    assert cat.verdict.score == 0.4


def test_a_batch_item_with_bad_rounds_fails_alone() -> None:
    pipe = Pipeline(FakeEnhancer(), FakeGenerator(), judge=FakeJudge())
    good, bad = pipe.run_many(["a fox", {"prompt": "a cat", "target": 7}], target=0.5)
    assert good.ok
    assert bad.error is not None
    assert bad.error.type == "InvalidRequestError"
    with pytest.raises(InvalidRequestError):
        pipe.run_many(["a fox"], fix="nope")  # type: ignore[arg-type]


def test_the_judges_tokens_are_counted_in_every_round() -> None:
    spent = scripted_verdict(0.4, fix="smaller").model_copy(
        update={"usage": Usage(input_tokens=300, output_tokens=40)}
    )
    passing = scripted_verdict(1.0).model_copy(update={"usage": Usage(input_tokens=310)})
    pipe = Pipeline(FakeEnhancer(), FakeGenerator(), judge=FakeJudge([spent, passing]))
    result = pipe.run("a corgi", target=0.8, max_rounds=2)
    assert len(result.rounds) == 2
    assert result.usage["judge"].input_tokens == 610
    assert result.usage["judge"].output_tokens == 40


def test_a_judged_batch_resumes_its_judged_results(tmp_path: Path) -> None:
    generator = FakeGenerator()
    judged = Pipeline(FakeEnhancer(), generator, judge=FakeJudge([0.4, 0.4]))
    first = judged.run_many(["a fox", "a hare"], out_dir=tmp_path, target=0.8, max_rounds=2)
    assert all(r.ok and r.verdict is not None for r in first)
    made = len(generator.calls) + len(generator.edit_calls)
    again = judged.run_many(["a fox", "a hare"], out_dir=tmp_path, target=0.8, max_rounds=2)
    assert [r.resumed for r in again] == [True, True]  # rounds, edits and the judge ran once
    assert len(generator.calls) + len(generator.edit_calls) == made


def test_an_unjudged_result_is_redone_for_a_judged_run(tmp_path: Path) -> None:
    from promptforge import ResultStore

    Pipeline(FakeEnhancer(), FakeGenerator()).run_many(["a fox"], out_dir=tmp_path)
    judged = Pipeline(FakeEnhancer(), FakeGenerator(), judge=FakeJudge())
    with ResultStore(tmp_path) as store:
        (result,) = judged.run_many(["a fox"], out_dir=store)
    assert not result.resumed
    assert result.verdict is not None
    assert dict(store.report.redone) == {"not judged: this run has a judge": 1}
    # ...and a run without a judge still resumes a judged result (it holds what it needs)
    (plain,) = Pipeline(FakeEnhancer(), FakeGenerator()).run_many(["a fox"], out_dir=tmp_path)
    assert plain.resumed
