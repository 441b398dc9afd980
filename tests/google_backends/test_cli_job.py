"""``promptforge batch --google-batch`` and ``promptforge job`` end to end, in a subprocess."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from promptforge import GenerationResult

from . import server as wire
from .batch_server import BatchService, image_answer, item_error
from .conftest import API_KEY
from .test_cli_google import run

if TYPE_CHECKING:
    from .server import GoogleServer


def test_submit_then_follow_and_collect_from_the_command_line(
    server: GoogleServer, tmp_path: Path
) -> None:
    service = BatchService(server)
    service.timeline = ("RUNNING", "RUNNING", "SUCCEEDED")
    server.default("generateContent", wire.spec(subject="fluffy corgi"))
    (tmp_path / "prompts.txt").write_text("a corgi\na fox\na heron\n")

    done = run(server, tmp_path, "batch", "prompts.txt", "--out", "out", "--google-batch")
    assert done.returncode == 0, done.stderr
    assert "job:      batches/job1  pending" in done.stdout
    assert "follow:   promptforge job out --wait" in done.stdout
    assert server.calls("batchGenerateContent")
    assert len(server.calls("generateContent")) == 3  # enhancing only, here

    done = run(server, tmp_path, "job", "out")
    assert done.returncode == 0, done.stderr
    assert "running" in done.stdout
    assert "promptforge job out --wait" in done.stdout

    done = run(server, tmp_path, "job", "out", "--wait", "--poll", "0.01", "--json")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert (summary["state"], summary["done"], summary["failed"]) == ("succeeded", 3, 0)
    assert "batches/job1: succeeded" in done.stderr  # progress lines
    folders = [Path(tmp_path / r["folder"]) for r in summary["results"]]
    assert GenerationResult.load(folders[0]).stages["generate"].batch
    assert API_KEY not in done.stdout + done.stderr


def test_job_exits_4_when_items_failed_at_google(server: GoogleServer, tmp_path: Path) -> None:
    service = BatchService(server)
    answered: list[str] = []

    def answer(key: str, request: dict[str, Any]) -> dict[str, Any]:
        answered.append(key)  # the job's requests in input order: the second one fails
        return item_error(500, "internal") if len(answered) == 2 else image_answer(key, request)

    service.answer = answer
    server.default("generateContent", wire.spec(subject="an animal"))
    (tmp_path / "prompts.txt").write_text("a corgi\na fox\n")
    assert run(server, tmp_path, "batch", "prompts.txt", "--google-batch").returncode == 0
    done = run(server, tmp_path, "job", "out", "--wait", "--poll", "0.01")
    assert done.returncode == 4, done.stderr
    assert "done:     1" in done.stdout
    assert "item 1 failed: TransientError" in done.stderr


def test_job_without_a_job_exits_2(server: GoogleServer, tmp_path: Path) -> None:
    done = run(server, tmp_path, "job", "nowhere")
    assert done.returncode == 2
    assert "no Batch Mode job is recorded there" in done.stderr


def test_the_commands_in_process(
    server: GoogleServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from promptforge.cli import main

    BatchService(server)
    server.default("generateContent", wire.spec(subject="fluffy corgi"))
    monkeypatch.setenv("GOOGLE_API_KEY", API_KEY)
    monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", server.url)
    (tmp_path / "prompts.txt").write_text("a corgi\na fox\n")
    out = tmp_path / "out"
    assert main(["batch", str(tmp_path / "prompts.txt"), "--out", str(out), "--google-batch",
                 "--json"]) == 0  # fmt: skip
    assert json.loads(capsys.readouterr().out)["requests"] == 2
    assert main(["job", str(out)]) == 0
    assert "next:" in capsys.readouterr().out
    assert main(["job", str(out), "--wait", "--poll", "0.001"]) == 0
    assert "done:     2" in capsys.readouterr().out
    assert main(["job", str(out), "--cancel"]) == 0  # an ended job: nothing to cancel
    assert main(["batch", str(tmp_path / "prompts.txt"), "--google-batch",
                 "--backend", "offline"]) == 2  # fmt: skip
