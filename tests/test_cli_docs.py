"""docs/cli.md shows what the command line prints: every ``$ promptforge ...`` sample is run
(offline, no credentials) and its output compared, result ids and timings aside.

In a sample, a line ``...`` stands for any lines, and ``...`` within a line for any text.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from promptforge import cli

DOC = Path(__file__).resolve().parent.parent / "docs" / "cli.md"
FENCE = re.compile(r"^( *)```(\w*)\n(.*?)^\1```", re.MULTILINE | re.DOTALL)
ID = re.compile(r"\d{8}T\d{6}-[0-9a-f]{8}")
CORGI = "fluffy corgi wearing a tiny crown, sitting on a velvet cushion"
VOLATILE = [
    (ID, "<id>"),  # result ids
    (re.compile(r"(seconds +)\d+\.\d+"), r"\1<n>"),  # timings
]
BAD = "\n".join(["a fox", "a cat", "a corgi", '{"prompt": "a paper boat", "n": 40}']) + "\n"


def blocks() -> list[str]:
    found = []
    for match in FENCE.finditer(DOC.read_text("utf-8")):
        indent, body = match.group(1), match.group(3)
        found.append("\n".join(line.removeprefix(indent) for line in body.splitlines()))
    return found


def samples() -> list[tuple[str, list[str]]]:
    """``(command line, expected output lines)`` for each ``$ promptforge`` sample."""
    found: list[tuple[str, list[str]]] = []
    for block in blocks():
        expected: list[str] | None = None
        for line in block.splitlines():
            if line.startswith("$ promptforge "):
                expected = []
                found.append((line[2:], expected))
            elif expected is not None:
                expected.append(line)
    return found


def storyboard() -> str:
    (block,) = (b for b in blocks() if b.startswith("# storyboard"))
    return block + "\n"


def normalise(text: str) -> str:
    for pattern, replacement in VOLATILE:
        text = pattern.sub(replacement, text)
    return text


def pattern_for(expected: list[str]) -> re.Pattern[str]:
    parts = []
    for line in expected:
        if line.strip() == "...":
            parts.append(r"(?:[^\n]*\n)*?")
        else:
            parts.append(re.escape(normalise(line)).replace(re.escape("..."), ".*?") + "\n")
    return re.compile("".join(parts))


@pytest.mark.parametrize(("command", "expected"), samples(), ids=lambda value: str(value)[:60])
def test_the_documented_output(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    command: str,
    expected: list[str],
) -> None:
    for name in ("GOOGLE_API_KEY", "GEMINI_API_KEY", "GOOGLE_GENAI_USE_VERTEXAI"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "prompts.txt").write_text(storyboard())
    (tmp_path / "bad.txt").write_text(BAD)
    argv = shlex.split(command)[1:]
    if any(ID.search(arg) for arg in argv):  # `edit out/<id>`: a saved result to work on
        assert cli.main(["generate", CORGI, "--out", "out"]) == cli.OK
        (made,) = (tmp_path / "out").iterdir()
        argv = [ID.sub(made.name, arg) for arg in argv]
    capsys.readouterr()
    cli.main(argv)
    out, err = capsys.readouterr()
    notice = [line for line in err.splitlines() if "no Google credentials found" in line]
    errors = [line for line in err.splitlines() if line.startswith("promptforge: error:")]
    if not any("no Google credentials found" in line for line in expected):
        notice = []
    actual = normalise("".join(line + "\n" for line in [*notice, *out.splitlines(), *errors]))
    matches = pattern_for(expected).fullmatch(actual) is not None
    documented = "\n".join(expected)
    assert matches, f"{command}\n--- documented\n{documented}\n--- actual\n{actual}"


def test_every_command_has_a_sample() -> None:
    commands = {shlex.split(command)[1] for command, _ in samples()}
    assert commands >= {"generate", "enhance", "batch", "styles"}
