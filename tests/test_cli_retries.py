"""``--timeout`` and ``--retries`` on the command line, and retries said on stderr."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from promptforge import Pipeline, RetryPolicy, TransientError, cli
from promptforge.enhancers import RuleEnhancer
from promptforge.testing import FakeGenerator, instant_retries


@pytest.fixture(autouse=True)
def _clean(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("GOOGLE_API_KEY", "GEMINI_API_KEY", "GOOGLE_GENAI_USE_VERTEXAI"):
        monkeypatch.delenv(name, raising=False)


def parse(*argv: str) -> Pipeline:
    return cli.pipeline_for(cli.build_parser().parse_args(list(argv)))


@pytest.mark.parametrize("command", ["generate", "enhance", "batch"])
def test_retries_and_timeout_set_the_policy(command: str) -> None:
    pipe = parse(command, "x", "--retries", "2", "--timeout", "45")
    for policy in (pipe.enhance_retry, pipe.generate_retry):
        assert policy.max_attempts == 3
        assert policy.deadline == RetryPolicy().deadline  # 45 s fits in the default
    assert parse(command, "x", "--retries", "0").generate_retry == RetryPolicy.none()
    assert parse(command, "x").generate_retry == RetryPolicy()


def test_a_timeout_longer_than_the_deadline_raises_the_deadline() -> None:
    assert parse("generate", "x", "--timeout", "300").generate_retry.deadline == 300


def test_the_timeout_reaches_the_google_backends(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOOGLE_API_KEY", "test-key")
    pipe = parse("generate", "x", "--timeout", "12.5")
    assert pipe.enhancer._google._timeout == 12.5  # type: ignore[attr-defined]
    assert pipe.generator._google._timeout == 12.5  # type: ignore[attr-defined]
    defaults = parse("generate", "x")
    assert defaults.enhancer._google._timeout == 30  # type: ignore[attr-defined]
    assert defaults.generator._google._timeout == 60  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--timeout", "0"], "--timeout: must be a number of seconds above 0, got '0'"),
        (["--timeout", "soon"], "--timeout: must be a number of seconds above 0, got 'soon'"),
        (["--timeout", "inf"], "--timeout: must be a number of seconds above 0, got 'inf'"),
        (["--retries", "-1"], "--retries: must be a whole number from 0, got '-1'"),
        (["--retries", "2.5"], "--retries: must be a whole number from 0, got '2.5'"),
    ],
)
def test_bad_values_are_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, argv: list[str], message: str
) -> None:
    code = cli.main(["generate", "a fox", "--out", str(tmp_path), *argv])
    out, err = capsys.readouterr()
    assert (code, out) == (cli.BAD_INPUT, "")
    assert err.count("\n") == 1
    assert message in err


def test_each_retry_is_one_line_on_stderr(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    generator = FakeGenerator([TransientError("503 unavailable"), TransientError("503 again")])
    pipe = Pipeline(RuleEnhancer(), generator, retry=RetryPolicy(max_attempts=2, jitter=False))
    monkeypatch.setattr(cli, "pipeline_for", lambda args: pipe)
    with instant_retries():
        code = cli.main(["generate", "a fox", "--out", str(tmp_path)])
    _, err = capsys.readouterr()
    assert code == cli.BACKEND_FAILURE
    assert err.splitlines() == [
        "promptforge: attempt 1/2 failed (TransientError: 503 unavailable); retrying in 1.00s",
        "promptforge: error: 503 again",
    ]
    handlers = logging.getLogger("promptforge").handlers
    assert all(isinstance(h, logging.NullHandler) for h in handlers)  # the CLI's is gone
