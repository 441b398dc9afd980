"""The command line end to end with the Google backends, against the local server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from promptforge import GenerationResult

from . import server as wire
from .conftest import API_KEY

if TYPE_CHECKING:
    from .server import GoogleServer, Recorded, Reply


def answer(request: Recorded) -> Reply:
    if "IMAGE" in request.body.get("generationConfig", {}).get("responseModalities", []):
        return wire.gemini_image_for_request(request)
    return wire.spec(subject="fluffy corgi", attributes=["a tiny golden crown"])


def run(server: GoogleServer, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GOOGLE_", "GEMINI_"))}
    env.update(GOOGLE_API_KEY=API_KEY, GOOGLE_GEMINI_BASE_URL=server.url)
    return subprocess.run(
        [sys.executable, "-m", "promptforge", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )


def test_generate_uses_gemini_when_credentials_are_set(
    server: GoogleServer, tmp_path: Path
) -> None:
    server.default("generateContent", answer)
    done = run(server, tmp_path, "generate", "fluffy corgi wearing a tiny crown", "-n", "2",
               "--aspect", "16:9", "--out", "out", "--json")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # no offline notice: Google was configured
    document = json.loads(done.stdout)
    assert document["stages"]["enhance"]["backend"] == "GeminiEnhancer"
    assert document["stages"]["generate"]["backend"] == "GeminiImageGenerator"
    (folder,) = (tmp_path / "out").iterdir()
    result = GenerationResult.load(folder)
    assert [(i.width, i.height) for i in result.images] == [(64, 36), (64, 36)]
    models = sorted(r.model for r in server.calls("generateContent"))
    assert models == ["gemini-3.8-flash", "gemini-nano-banana-2.1", "gemini-nano-banana-2.1"]
    assert len(server.calls("listModels")) == 1  # one listing served both roles
    assert API_KEY not in done.stdout + done.stderr
    assert API_KEY not in (folder / "result.json").read_text()


def test_a_blocked_prompt_exits_3_with_one_line(server: GoogleServer, tmp_path: Path) -> None:
    server.default("generateContent", wire.prompt_blocked("PROHIBITED_CONTENT"))
    done = run(server, tmp_path, "generate", "something unsafe")
    assert done.returncode == 3
    assert done.stderr.count("\n") == 1
    assert "PROHIBITED_CONTENT" in done.stderr
