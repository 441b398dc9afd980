"""``promptforge generate --judge`` with credentials: GeminiJudge, against the local server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from . import server as wire
from .test_cli_google import answer as enhance_or_image
from .test_cli_google import run

if TYPE_CHECKING:
    from .server import GoogleServer, Recorded, Reply


def test_generate_judges_with_gemini_and_fixes_by_edit(
    server: GoogleServer, tmp_path: Path
) -> None:
    judged: list[Recorded] = []

    def answer(request: Recorded) -> Reply:
        if not wire.judge_questions(request):
            return enhance_or_image(request)
        judged.append(request)
        crown = {"golden crown": {"fix": "make the crown smaller", "avoid": "large crown"}}
        return wire.judge_answering(crown if len(judged) == 1 else None)(request)

    server.default("generateContent", answer)
    done = run(server, tmp_path, "generate", "fluffy corgi wearing a tiny crown", "--target",
               "0.9", "--rounds", "3", "--out", "out", "--json")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # Google configured: no offline notices
    document = json.loads(done.stdout)
    assert [r["fix"] for r in document["rounds"]] == [None, "edit"]
    assert document["stages"]["judge"]["backend"] == "GeminiJudge"
    assert document["verdict"]["score"] == 1.0
    assert len(judged) == 2
    assert wire.inline_images(judged[0])
