"""``promptforge log``, ``inspect``, ``--no-log`` and the offline ``--estimate``, in-process."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from promptforge import cli
from promptforge._runlog import RunLog, default_path


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("GOOGLE_API_KEY", "GEMINI_API_KEY", "GOOGLE_GENAI_USE_VERTEXAI"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


def generate(*extra: str) -> Path:
    assert cli.main(["generate", "a lighthouse in a storm", "--out", "out", *extra]) == 0
    return sorted(Path("out").iterdir())[-1]


def test_every_cli_run_is_logged_and_listed(capsys: pytest.CaptureFixture[str]) -> None:
    folder = generate()
    assert cli.main(["edit", str(folder), "make the sea calmer", "--out", "out"]) == 0
    capsys.readouterr()
    assert cli.main(["log"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["ID", "TIME", "STATUS", "COST", "IDEA"]
    assert lines[1].endswith("make the sea calmer")
    assert lines[2].endswith("a lighthouse in a storm")
    assert "$0.0000" in lines[2]
    assert cli.main(["log", "lighthouse", "--json"]) == 0
    (entry,) = json.loads(capsys.readouterr().out)
    assert entry["folder"] == str(folder)
    assert entry["models"] == {"enhance": "rules-1", "generate": "preview-card"}
    assert cli.main(["log", "show", folder.name]) == 0
    shown = capsys.readouterr().out
    assert f"id:       {folder.name}" in shown
    assert "status:   ok" in shown


def test_no_log_and_promptforge_log_0_turn_it_off(monkeypatch: pytest.MonkeyPatch) -> None:
    generate("--no-log")
    monkeypatch.setenv("PROMPTFORGE_LOG", "0")
    generate()
    assert not default_path().exists()
    monkeypatch.delenv("PROMPTFORGE_LOG")
    generate()
    assert len(RunLog()) == 1


def test_log_show_of_an_unknown_id_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["log"]) == 0
    assert "no runs logged yet" in capsys.readouterr().out
    generate()
    assert cli.main(["log", "show", "nope"]) == 2
    assert "log show: no run 'nope'" in capsys.readouterr().err
    assert cli.main(["log", "-n", "0"]) == 2


def test_inspect_prints_the_provenance(capsys: pytest.CaptureFixture[str]) -> None:
    folder = generate("--seed", "11")
    capsys.readouterr()
    assert cli.main(["inspect", str(folder / "image-0.png")]) == 0
    out = capsys.readouterr().out
    assert "idea:                a lighthouse in a storm" in out
    assert f"result id:           {folder.name}" in out
    assert "trainedAlgorithmicMedia" in out
    assert cli.main(["inspect", str(folder / "image-0.png"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["seed"] == 11
    Path("plain.png").write_bytes(bytes.fromhex("89504e470d0a1a0a"))
    assert cli.main(["inspect", "plain.png"]) == 0
    assert "no provenance" in capsys.readouterr().out
    assert cli.main(["inspect", "missing.png"]) == 2


def test_estimate_offline_is_free_and_writes_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    Path("prompts.txt").write_text("a fox\nan owl\n")
    assert cli.main(["batch", "prompts.txt", "--estimate", "--backend", "offline"]) == 0
    out = capsys.readouterr().out
    assert "estimate for prompts.txt: 2 items (no request sent)" in out
    assert "$0.0000" in out
    assert "offline: free" in out
    assert not Path("out").exists()
    assert not default_path().exists()
    assert cli.main(["batch", "prompts.txt", "--budget", "-1"]) == 2
    assert os.environ["PROMPTFORGE_HOME"] in str(default_path())
