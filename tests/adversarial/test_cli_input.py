"""Hostile input to the command line: each case is one line on stderr and its documented
exit code, with nothing spent; never exit 1 ("a bug") for the user's input or the system."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from promptforge import GenerationResult, Pipeline, cli
from promptforge import _cli_input as cli_input
from promptforge import _cli_out as cli_out
from promptforge.enhancers import RuleEnhancer
from promptforge.testing import FakeGenerator

ENV = {k: v for k, v in os.environ.items() if not k.startswith(("GOOGLE_", "GEMINI_"))}


@pytest.fixture
def generator(monkeypatch: pytest.MonkeyPatch) -> FakeGenerator:
    """The generator every command uses here; ``calls`` shows whether anything was spent."""
    fake = FakeGenerator()
    monkeypatch.setattr(cli, "pipeline_for", lambda args: Pipeline(RuleEnhancer(), fake))
    return fake


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def one_error_line(err: str, message: str) -> None:
    (line,) = err.splitlines()
    assert line.startswith("promptforge: error: ")
    assert message in line
    assert "Traceback" not in err
    assert "--debug" not in line  # not reported as a bug


def batch_file(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "prompts.txt"
    path.write_bytes(data)
    return path


# -- the output folder ------------------------------------------------------------------


@pytest.mark.parametrize("command", ["generate", "batch"])
@pytest.mark.parametrize(
    ("out", "message"),
    [("a-file", "is a file, not a folder"), ("a-file/sub", "a part of the path is a file")],
)
def test_out_naming_a_file_is_bad_input_before_anything_is_spent(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    generator: FakeGenerator,
    command: str,
    out: str,
    message: str,
) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    target = "a fox" if command == "generate" else str(batch_file(tmp_path, b"a fox\n"))
    code, stdout, err = run(capsys, command, target, "--out", str(tmp_path / out))
    assert code == cli.BAD_INPUT
    assert stdout == ""
    one_error_line(err, message)
    assert generator.calls == []


def test_edit_checks_out_before_anything_is_spent(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, generator: FakeGenerator
) -> None:
    from promptforge.testing import image_bytes

    (tmp_path / "card.png").write_bytes(image_bytes(64, 64, "image/png", 0))
    (tmp_path / "a-file").write_text("not a folder")
    code, stdout, err = run(capsys, "edit", str(tmp_path / "card.png"), "make it blue",
                            "--out", str(tmp_path / "a-file"))  # fmt: skip
    assert code == cli.BAD_INPUT
    assert stdout == ""
    one_error_line(err, "is a file, not a folder")
    assert generator.calls == []


def test_generate_on_a_full_disk_is_one_line_and_exit_6(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    generator: FakeGenerator,
) -> None:
    def full(self: GenerationResult, root: str | Path) -> Path:
        raise OSError(errno.ENOSPC, "No space left on device", str(root))

    monkeypatch.setattr(GenerationResult, "save", full)
    code, stdout, err = run(capsys, "generate", "a fox", "--out", str(tmp_path))
    assert code == cli.ENVIRONMENT
    assert stdout == ""
    one_error_line(err, f"No space left on device ({tmp_path})")


@pytest.mark.parametrize("command", ["generate", "batch"])
def test_a_read_only_out_folder_is_an_environment_error_before_anything_is_spent(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    generator: FakeGenerator,
    command: str,
) -> None:
    def read_only(**kwargs: Any) -> tuple[int, str]:
        raise OSError(errno.EROFS, "Read-only file system", kwargs["dir"])

    monkeypatch.setattr(cli_out.tempfile, "mkstemp", read_only)
    target = "a fox" if command == "generate" else str(batch_file(tmp_path, b"a fox\n"))
    code, stdout, err = run(capsys, command, target, "--out", str(tmp_path / "out"))
    assert code == cli.ENVIRONMENT
    assert stdout == ""
    one_error_line(err, f"--out {tmp_path / 'out'}: cannot write there (Read-only file system)")
    assert generator.calls == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_real_read_only_folder(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, generator: FakeGenerator
) -> None:  # pragma: no cover - CI runs as root here
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    code, _, err = run(capsys, "generate", "a fox", "--out", str(locked))
    assert code == cli.ENVIRONMENT
    one_error_line(err, "cannot write there (Permission denied)")
    assert generator.calls == []


def test_a_full_disk_stops_the_batch_with_its_summary(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    generator: FakeGenerator,
) -> None:
    save = GenerationResult.save
    saves: list[int] = []

    def fills_up(self: GenerationResult, root: str | Path) -> Path:
        saves.append(1)
        if len(saves) > 2:
            raise OSError(errno.ENOSPC, "No space left on device", str(root))
        return save(self, root)

    monkeypatch.setattr(GenerationResult, "save", fills_up)
    source = batch_file(tmp_path, b"".join(b"a fox number %d\n" % i for i in range(20)))
    out = tmp_path / "out"
    code, stdout, err = run(capsys, "batch", str(source), "--out", str(out), "--concurrency", "1")
    assert code == cli.ENVIRONMENT
    assert "  done          2" in stdout
    assert "  left         18  stopped by an error" in stdout
    (last,) = [line for line in err.splitlines() if line.startswith("promptforge: error:")]
    assert f"No space left on device ({out}); stopped with 18 of 20 left" in last
    assert "run the same command again to resume" in last

    monkeypatch.setattr(GenerationResult, "save", save)  # room again: the rest is done
    code, stdout, _ = run(capsys, "batch", str(source), "--out", str(out), "--json")
    assert code == cli.OK
    assert json.loads(stdout)["resumed"] == 2


def test_a_full_disk_in_json(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    generator: FakeGenerator,
) -> None:
    def full(self: GenerationResult, root: str | Path) -> Path:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(GenerationResult, "save", full)
    source = batch_file(tmp_path, b"a fox\na cat\n")
    code, stdout, _ = run(capsys, "batch", str(source), "--out", str(tmp_path / "o"), "--json")
    assert code == cli.ENVIRONMENT
    summary = json.loads(stdout)
    assert summary["error"]["exit_code"] == cli.ENVIRONMENT
    assert summary["error"]["message"] == "No space left on device"
    assert summary["done"] == 0


# -- --json on failure ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "code", "kind"),
    [
        (["generate", "a fox", "--aspect", "2:1", "--json"], cli.BAD_INPUT, "InvalidRequestError"),
        (["--json", "generate", "a fox", "--backend", "google"], cli.CONFIGURATION,
         "ConfigurationError"),
        (["generate", "--json"], cli.BAD_INPUT, "UsageError"),
    ],
)  # fmt: skip
def test_generate_json_prints_an_error_object(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    argv: list[str],
    code: int,
    kind: str,
) -> None:
    for name in ("GOOGLE_API_KEY", "GEMINI_API_KEY", "GOOGLE_GENAI_USE_VERTEXAI"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    got, stdout, err = run(capsys, *argv)
    assert got == code
    document = json.loads(stdout)
    assert document["ok"] is False
    assert document["error"]["type"] == kind
    assert document["error"]["exit_code"] == code
    assert f"promptforge: error: {document['error']['message']}" in err


def test_json_error_from_a_backend(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from promptforge import BackendError

    failing = FakeGenerator([BackendError("503 unavailable", status=503)])
    monkeypatch.setattr(cli, "pipeline_for", lambda args: Pipeline(RuleEnhancer(), failing))
    code, stdout, _ = run(capsys, "generate", "a fox", "--out", str(tmp_path), "--json")
    assert code == cli.BACKEND_FAILURE
    error = json.loads(stdout)["error"]
    assert (error["type"], error["status"], error["stage"]) == ("BackendError", 503, "generate")


# -- arguments ------------------------------------------------------------------------


def test_an_argument_that_is_not_utf8(
    capsys: pytest.CaptureFixture[str], generator: FakeGenerator
) -> None:
    # What Python makes of `promptforge generate $'a fox \xff'` (surrogateescape).
    code, stdout, err = run(capsys, "generate", "a fox \udcff")
    assert code == cli.BAD_INPUT
    assert stdout == ""
    one_error_line(err, "argument 2 ('a fox \\xff') is not valid UTF-8 text")
    assert generator.calls == []


def test_an_argument_that_is_not_utf8_in_a_real_process(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable.encode(), b"-m", b"promptforge", b"enhance", b"a fox \xff\xfe"],
        env=ENV,
        cwd=tmp_path,
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == cli.BAD_INPUT
    assert done.stderr.decode() == (
        "promptforge: error: argument 2 ('a fox \\xff\\xfe') is not valid UTF-8 text\n"
    )


# -- batch lines --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'a fox\n["a list"]\n', "prompts.txt:2: a JSON array; a line is a prompt"),
        (b"[1, 2]\n", "prompts.txt:1: a JSON array; a line is a prompt"),
        (b'{"prompt": "\\ud800 fox"}\n', "prompts.txt:1: text with a lone surrogate (\\ud800)"),
        (b'{"prompt": "fox", "negative_prompt": "\\udfff"}\n', "lone surrogate (\\udfff)"),
        (b"[" * 100_000 + b"\n", "prompts.txt:1: JSON nested too deeply"),
        (b'{"a": ' * 100_000 + b"\n", "prompts.txt:1: JSON nested too deeply"),
        (b"a fox\na \xff cat\n", "prompts.txt:2: not valid UTF-8 (byte 0xff at byte 3)"),
        (
            b"a fox\n" + b"x" * (cli_input.MAX_LINE_BYTES + 1),
            "prompts.txt:2: line longer than 1 MiB",
        ),
        (b"\xef\xbb\xbf", "holds no prompts"),
    ],
)
def test_hostile_batch_lines_are_input_errors_naming_the_line(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    generator: FakeGenerator,
    data: bytes,
    message: str,
) -> None:
    source = batch_file(tmp_path, data)
    code, stdout, err = run(capsys, "batch", str(source), "--out", str(tmp_path / "out"))
    assert code == cli.BAD_INPUT
    assert stdout == ""
    one_error_line(err, message)
    assert generator.calls == []
    assert not (tmp_path / "out").exists()


def test_dev_zero_is_refused_without_reading_it_whole(
    capsys: pytest.CaptureFixture[str], generator: FakeGenerator, tmp_path: Path
) -> None:
    code, _, err = run(capsys, "batch", "/dev/zero", "--out", str(tmp_path / "out"))
    assert code == cli.BAD_INPUT
    one_error_line(err, "/dev/zero:1: line longer than 1 MiB; is this a batch file?")


def test_a_line_of_exactly_the_limit_is_accepted(tmp_path: Path) -> None:
    long = b"x" * (cli_input.MAX_LINE_BYTES - 1) + b"\n"
    with cli_input.BatchFile(batch_file(tmp_path, long + b"a fox")) as source:
        lines = list(source.lines())
    assert [(line.number, len(line.item["prompt"])) for line in lines] == [
        (1, cli_input.MAX_LINE_BYTES - 1),
        (2, 5),
    ]


def test_a_byte_order_mark_is_not_part_of_the_first_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, generator: FakeGenerator
) -> None:
    source = batch_file(tmp_path, b'\xef\xbb\xbf{"prompt": "a fox", "n": 2}\r\na cat\r\n')
    code, stdout, _ = run(capsys, "batch", str(source), "--out", str(tmp_path / "o"), "--json")
    assert code == cli.OK
    items = json.loads(stdout)["items"]
    assert [(item["prompt"], item["images"]) for item in items] == [("a fox", 2), ("a cat", 1)]


@pytest.mark.parametrize(
    ("line", "prompt"),
    [
        ('"a fox in snow"', "a fox in snow"),  # a JSON string is the prompt
        ("[draft] a fox in snow", "[draft] a fox in snow"),  # not JSON: a plain prompt
        ('"Hello," she said', '"Hello," she said'),
        ("42 red balloons", "42 red balloons"),
    ],
)
def test_lines_that_only_look_like_json(tmp_path: Path, line: str, prompt: str) -> None:
    with cli_input.BatchFile(batch_file(tmp_path, line.encode())) as source:
        (read,) = source.lines()
    assert read.item == {"prompt": prompt}


def test_a_batch_from_a_pipe(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "promptforge", "batch", "/dev/stdin", "--out", "out",
         "--backend", "offline", "--json"],
        input='a fox\n{"prompt": "a cat", "n": 2}\n',
        env=ENV,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert [(i["line"], i["images"]) for i in summary["items"]] == [(1, 1), (2, 2)]
