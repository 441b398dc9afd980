"""``generate --judge --target --rounds --fix``: the offline judge, one line per round."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from promptforge import GenerationResult, Pipeline, cli
from promptforge.enhancers import RuleEnhancer
from promptforge.testing import FakeGenerator

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
