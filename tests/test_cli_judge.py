"""``generate --judge --target --rounds --fix``: the offline judge, one line per round."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from promptforge import GenerationResult, Pipeline, cli
from promptforge._cli_judge import judged
from promptforge.enhancers import RuleEnhancer
from promptforge.testing import FakeGenerator, FakeJudge

BEACH = "a sunny beach with a bright yellow umbrella"


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("GOOGLE_API_KEY", "GEMINI_API_KEY", "GOOGLE_GENAI_USE_VERTEXAI"):
        monkeypatch.delenv(name, raising=False)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_offline_judge_prints_a_line_per_round_and_saves_them(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, err = run(capsys, "generate", BEACH, "--judge", "--rounds", "3", "--out",
                         str(tmp_path))  # fmt: skip
    assert code == 0
    assert "judging offline with PixelJudge: pixel measurements only" in err
    lines = [line for line in out.splitlines() if line.startswith("judge:")]
    assert len(lines) == 3
    assert lines[0].startswith("judge:    round 1  score 0.50  checks passed 2/4  failed: Is ")
    assert 'fix: edit "Add more yellow. Make the image brighter."' in lines[0]
    assert lines[2].endswith("fix: none")
    assert "best:     round 1 of 3" in out
    (folder,) = tmp_path.iterdir()
    result = GenerationResult.load(folder)
    assert [r.number for r in result.rounds] == [1, 2, 3]
    assert all((folder / "rounds" / str(n) / "image-0.png").is_file() for n in (1, 2, 3))


def test_a_target_reached_at_once_is_one_round(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, _ = run(capsys, "generate", "a corgi", "--target", "0.8", "--out", str(tmp_path))
    assert code == 0
    (line,) = [line for line in out.splitlines() if line.startswith("judge:")]
    assert "score 1.00" in line
    assert "failed: none" in line


def test_refine_fix_on_the_command_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, _ = run(capsys, "generate", BEACH, "--rounds", "2", "--fix", "refine",
                       "--json", "--out", str(tmp_path))  # fmt: skip
    assert code == 0
    document = json.loads(out)
    assert [r["fix"] for r in document["rounds"]] == [None, "refine"]
    assert document["verdict"]["judge"].startswith("PixelJudge")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--target", "1.5"], "target: must be a number from 0 to 1"),
        (["--judge", "--rounds", "0"], "max_rounds: must be an int >= 1"),
        (["--fix", "paint"], "invalid choice: 'paint'"),
    ],
)
def test_bad_judging_flags_are_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, out, err = run(capsys, "generate", "a corgi", *argv)
    assert code == 2
    assert message in err
    assert "no Google credentials" not in err  # refused before the notice
    assert out == ""


def test_without_judging_flags_there_is_no_judge(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pipe = Pipeline(RuleEnhancer(), FakeGenerator())
    monkeypatch.setattr(cli, "pipeline_for", lambda args: pipe)
    code, out, _ = run(capsys, "generate", "a corgi", "--out", str(tmp_path))
    assert code == 0
    assert "judge:" not in out


def batch(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, lines: list[str], *argv: str
) -> tuple[int, str, str]:
    source = tmp_path / "prompts.txt"
    source.write_text("\n".join(lines) + "\n", "utf-8")
    return run(capsys, "batch", str(source), "--out", str(tmp_path / "out"), *argv)


def test_batch_judges_each_item_and_reports_its_score_and_rounds(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    lines = [BEACH, json.dumps({"prompt": BEACH, "max_rounds": 1}), "a corgi"]
    code, out, err = batch(capsys, tmp_path, lines, "--rounds", "2", "--json")
    assert code == 0
    assert "judging offline with PixelJudge" in err
    items = json.loads(out)["items"]
    assert [item["rounds"] for item in items] == [2, 1, 1]
    assert [item["verdict"] for item in items] == [
        {"score": 0.5, "passed": False},
        {"score": 0.5, "passed": False},
        {"score": 1.0, "passed": True},
    ]
    progress = [line for line in err.splitlines() if line.startswith("[")]
    assert any(
        "line 1: " in line and line.endswith("score 0.50 after 2 rounds") for line in progress
    )
    assert any("line 3: " in line and line.endswith("score 1.00 passed") for line in progress)
    saved = [GenerationResult.load(tmp_path / "out" / item["id"]) for item in items]
    assert [len(result.rounds) for result in saved] == [2, 1, 1]


def test_batch_without_judging_has_no_verdicts(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, err = batch(capsys, tmp_path, ["a corgi"], "--json")
    assert code == 0
    (item,) = json.loads(out)["items"]
    assert (item["verdict"], item["rounds"]) == (None, 0)
    assert "score" not in err


def test_batch_target_and_fix_reach_the_rounds_through_a_scripted_judge(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    judge = FakeJudge([0.3, 0.6, 0.95])
    pipe = Pipeline(RuleEnhancer(), FakeGenerator(), judge=judge)
    monkeypatch.setattr(cli, "pipeline_for", lambda args: pipe)
    code, out, _ = batch(capsys, tmp_path, ["a corgi"], "--target", "0.9", "--rounds", "5",
                         "--fix", "refine", "--json")  # fmt: skip
    assert code == 0
    (item,) = json.loads(out)["items"]
    assert item["verdict"] == {"score": 0.95, "passed": False}
    assert item["rounds"] == 3  # stopped at the target, not at 5
    result = GenerationResult.load(tmp_path / "out" / item["id"])
    assert [r.fix for r in result.rounds] == [None, "refine", "refine"]
    assert len(judge.calls) == 3


def test_batch_item_rounds_without_judge_is_refused_before_anything_runs(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    lines = ["a corgi", json.dumps({"prompt": "a fox", "target": 0.8})]
    code, out, err = batch(capsys, tmp_path, lines)
    assert code == 2
    assert out == ""
    assert "prompts.txt:2: target: rounds need a judge; add --judge" in err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--target", "1.5"], "target: must be a number from 0 to 1"),
        (["--judge", "--rounds", "0"], "max_rounds: must be an int >= 1"),
        (["--fix", "paint"], "invalid choice: 'paint'"),
    ],
)
def test_bad_batch_judging_flags_are_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, argv: list[str], message: str
) -> None:
    code, out, err = batch(capsys, tmp_path, ["a corgi"], *argv)
    assert code == 2
    assert message in err
    assert "no Google credentials" not in err
    assert out == ""


def test_batch_item_with_a_bad_target_names_its_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    lines = ["a corgi", json.dumps({"prompt": "a fox", "target": 2})]
    code, _, err = batch(capsys, tmp_path, lines, "--judge")
    assert code == 2
    assert "prompts.txt:2: target: must be a number from 0 to 1" in err


@pytest.mark.parametrize("flag", [["--judge"], ["--target", "0.8"], ["--rounds", "2"]])
def test_google_batch_refuses_judging_in_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, flag: list[str]
) -> None:
    code, out, err = batch(capsys, tmp_path, ["a corgi"], "--google-batch", *flag)
    assert code == 2
    assert out == ""
    (line,) = err.splitlines()
    assert line.startswith("promptforge: error: --google-batch: ")
    assert "rounds" in line


def test_batch_estimate_takes_lines_with_their_own_rounds(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    lines = ["a corgi", json.dumps({"prompt": "a fox", "target": 0.8, "fix": "refine"})]
    code, out, err = batch(capsys, tmp_path, lines, "--judge", "--estimate")
    assert code == 0, err
    assert "2 items" in out


def test_the_judged_pipeline_keeps_the_run_log(tmp_path: Path) -> None:
    pipe = Pipeline(RuleEnhancer(), FakeGenerator(), log=tmp_path / "runs.db")
    args = argparse.Namespace(judge=True, target=None, rounds=None, fix="auto")
    with_judge, rounds = judged(args, pipe, {})
    assert with_judge.judge_backend is not None
    assert with_judge.log is pipe.log is not None
    assert rounds == {"target": None, "max_rounds": 1, "fix": "auto"}
