"""``batch --estimate`` and ``--budget`` with the Google backends, and the run log they leave."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from .conftest import API_KEY
from .test_cli_google import answer, run

if TYPE_CHECKING:
    from .server import GoogleServer

PRICES = {
    "sources": {"pricing": {"title": "Gemini API pricing (test figures)", "date": "2026-11-29"}},
    "models": {
        "gemini-3.8-flash": {
            "price": {"input_per_mtok": 0.5, "output_per_mtok": 3.0, "thinking_per_mtok": 3.0},
            "cite": {"price": "pricing"},
        },
        "gemini-nano-banana-2.1": {
            "price": {"input_per_mtok": 0.5, "output_per_mtok": 3.0, "per_image": 0.067},
            "cite": {"price": "pricing"},
        },
    },
}


def setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "prices.json").write_text(json.dumps(PRICES), "utf-8")
    (tmp_path / "prompts.txt").write_text('a corgi\n{"prompt": "an owl", "n": 2}\na fox\n')
    monkeypatch.setenv("PROMPTFORGE_MODELS", str(tmp_path / "prices.json"))


def test_estimate_prints_the_whole_jobs_cost_and_sends_nothing(
    server: GoogleServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    setup(tmp_path, monkeypatch)
    done = run(server, tmp_path, "batch", "prompts.txt", "--estimate")
    assert done.returncode == 0, done.stderr
    assert server.requests == []
    images = 4 * 0.067 + 3 * (300 * 0.5 + 50 * 3.0) / 1e6
    enhance = 3 * (900 * 0.5 + 400 * 3.0 + 1500 * 3.0) / 1e6
    assert f"${images:.4f}" in done.stdout
    assert "$0.287" in done.stdout.splitlines()[3]  # total
    assert "prices as of 2026-11-29" in done.stdout
    assert not (tmp_path / "out").exists()
    as_json = json.loads(
        run(server, tmp_path, "batch", "prompts.txt", "--estimate", "--json").stdout
    )
    assert as_json["usd"] == pytest.approx(enhance + images)


def test_a_budget_holds_items_back_and_the_summary_says_how_many(
    server: GoogleServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    setup(tmp_path, monkeypatch)
    server.default("generateContent", answer)
    done = run(server, tmp_path, "batch", "prompts.txt", "--budget", "0.25", "--concurrency", "1",
               "--json")  # fmt: skip
    assert done.returncode == 2, done.stderr  # not everything ran: a BudgetExceededError
    summary = json.loads(done.stdout)
    assert summary["done"] == 2
    assert summary["cost"]["over_budget"] == 1
    assert summary["cost"]["usd"] > 0
    assert "BudgetExceededError" in done.stderr
    image_calls = [r for r in server.requests if "IMAGE" in json.dumps(r.body)]
    assert len(image_calls) == 3  # a corgi (1) and an owl (2); nothing for the fox


def test_the_run_log_holds_no_secret(server: GoogleServer, tmp_path: Path) -> None:
    import os

    server.default("generateContent", answer)
    done = run(server, tmp_path, "generate", "a corgi", "--out", "out")
    assert done.returncode == 0, done.stderr
    path = Path(os.environ["PROMPTFORGE_HOME"]) / "runs.sqlite3"
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT idea, models, folder FROM runs").fetchall()
    assert rows[-1][0] == "a corgi"
    assert "gemini-nano-banana-2.1" in rows[-1][1]
    assert rows[-1][2].endswith(str(Path("out") / next((tmp_path / "out").iterdir()).name))
    for file in path.parent.iterdir():
        assert API_KEY.encode() not in file.read_bytes()
