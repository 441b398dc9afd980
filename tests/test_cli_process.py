"""The command line as users run it: a real process, no Google credentials in the env."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from PIL import Image

from promptforge import GenerationResult

CORGI = "fluffy corgi wearing a tiny crown, sitting on a velvet cushion"
SCRIPT = Path(sys.executable).parent / "promptforge"
ENV = {k: v for k, v in os.environ.items() if not k.startswith(("GOOGLE_", "GEMINI_"))}


def promptforge(*args: str, cwd: Path, script: bool = False) -> subprocess.CompletedProcess[str]:
    command = [str(SCRIPT)] if script else [sys.executable, "-m", "promptforge"]
    return subprocess.run(
        [*command, *args], cwd=cwd, env=ENV, capture_output=True, text=True, timeout=120
    )


def test_generate_as_a_module(tmp_path: Path) -> None:
    done = promptforge("generate", CORGI, "--out", "out/", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    (folder,) = (tmp_path / "out").iterdir()
    image_line = next(line for line in done.stdout.splitlines() if line.startswith("image:"))
    path = tmp_path / image_line.split()[1]
    with Image.open(path) as image:
        assert image.format == "PNG"
        assert image.size == (1024, 1024)
        assert image.info["promptforge:preview"] == "true"
    result = GenerationResult.load(folder)
    assert result.images[0].metadata["preview"] == "true"
    assert result.prompt is not None
    assert result.prompt.text in done.stdout
    # One notice on stderr: offline, and what to set for Google.
    (notice,) = done.stderr.splitlines()
    assert "offline" in notice
    assert "GOOGLE_API_KEY" in notice


def test_the_installed_console_script(tmp_path: Path) -> None:
    assert SCRIPT.is_file()
    styles = promptforge("styles", cwd=tmp_path, script=True)
    assert styles.returncode == 0, styles.stderr
    assert styles.stdout.splitlines()[0].split() == ["NAME", "CATEGORY", "DESCRIPTION"]
    assert len(styles.stdout.splitlines()) > 40
    enhanced = promptforge("enhance", CORGI, "--style", "watercolor", "--json", cwd=tmp_path,
                           script=True)  # fmt: skip
    assert enhanced.returncode == 0, enhanced.stderr
    prompt = json.loads(enhanced.stdout)
    assert prompt["spec"]["subject"] == "fluffy corgi"
    assert "watercolor painting" in prompt["text"].lower()


def test_generate_json_for_scripts(tmp_path: Path) -> None:
    done = promptforge(
        "generate", CORGI, "--aspect", "9:16", "--backend", "offline", "--json", cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    document = json.loads(done.stdout)
    assert (document["images"][0]["width"], document["images"][0]["height"]) == (768, 1408)
    assert "data" not in document["images"][0]
    assert GenerationResult.load(tmp_path / document["folder"]).id == document["id"]


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["generate", ""], 2, "prompt: must not be empty"),
        (["generate", "a fox", "--aspect", "2:1"], 2, "aspect_ratio: '2:1' is not supported"),
        (["generate", "a fox", "--style", "watercolour"], 2, "did you mean 'watercolor'"),
        (["batch", "no-such-file.txt"], 2, "No such file"),
        (["generate", "a fox", "--backend", "google"], 5, "no Google credentials found"),
    ],
)
def test_bad_input_one_line_and_exit_code(
    tmp_path: Path, args: list[str], code: int, message: str
) -> None:
    done = promptforge(*args, cwd=tmp_path)
    assert done.returncode == code
    assert done.stdout == ""
    (line,) = done.stderr.splitlines()
    assert line.startswith("promptforge: error: ")
    assert message in line
    assert "Traceback" not in done.stderr


def count_done(out: Path) -> int:
    return sum(1 for p in out.iterdir() if p.is_dir() and not p.name.startswith("."))


@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGKILL], ids=["ctrl-c", "kill-9"])
def test_batch_interrupted_then_resumed(tmp_path: Path, how: signal.Signals) -> None:
    items = [{"prompt": f"a red fox number {i} in fresh snow", "n": 2, "aspect_ratio": "16:9"}
             for i in range(40)]  # fmt: skip
    source = tmp_path / "prompts.jsonl"
    source.write_text("".join(json.dumps(item) + "\n" for item in items))
    out = tmp_path / "out"
    command = [sys.executable, "-m", "promptforge", "batch", str(source), "--out", str(out)]
    first = subprocess.Popen(
        [*command, "--concurrency", "2"],
        env=ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # A shell's background job ignores SIGINT; give the child Python's usual Ctrl-C.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 60
    while not (out.is_dir() and count_done(out) >= 3) and time.monotonic() < deadline:
        time.sleep(0.005)
    first.send_signal(how)
    stdout, stderr = first.communicate(timeout=60)
    kept = count_done(out)
    assert 3 <= kept < len(items), "the batch finished before it could be interrupted"
    if how == signal.SIGINT:
        assert first.returncode == 130
        assert "run the same command again to resume" in stderr.splitlines()[-1]
        assert "left" in stdout
    else:
        assert first.returncode == -signal.SIGKILL

    again = subprocess.run([*command, "--json"], env=ENV, capture_output=True, text=True,
                           timeout=120)  # fmt: skip
    assert again.returncode == 0, again.stderr
    summary = json.loads(again.stdout)
    assert summary["done"] == len(items)
    assert summary["resumed"] == kept  # everything saved before the interruption was kept
    prompts = Counter(
        GenerationResult.load(folder).request.prompt  # type: ignore[union-attr]
        for folder in out.iterdir()
        if folder.is_dir() and not folder.name.startswith(".")
    )
    assert sorted(prompts) == sorted(item["prompt"] for item in items)  # nothing lost
    assert set(prompts.values()) == {1}  # nothing duplicated
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]  # no half-saved folder


def test_ctrl_c_keeps_every_image_the_server_made(tmp_path: Path) -> None:
    """The first Ctrl-C lets the requests in flight finish and be saved: images paid for
    (answered by the server) equal images saved. Against the local Google server."""
    from google_backends import server as wire
    from google_backends.conftest import API_KEY

    def wants_image(request: wire.Recorded) -> bool:
        return "IMAGE" in request.body.get("generationConfig", {}).get("responseModalities", [])

    def answer(request: wire.Recorded) -> wire.Reply:
        if wants_image(request):
            reply = wire.gemini_image_for_request(request)
            reply.delay = 0.2  # long enough to be in flight when Ctrl-C comes
            return reply
        return wire.spec(subject="a red fox")

    source = tmp_path / "prompts.txt"
    source.write_text("".join(f"a red fox number {i}\n" for i in range(40)))
    out = tmp_path / "out"
    with wire.GoogleServer() as server:
        server.default("generateContent", answer)
        first = subprocess.Popen(
            [sys.executable, "-m", "promptforge", "batch", str(source), "--out", str(out),
             "--concurrency", "4"],
            env={**ENV, "GOOGLE_API_KEY": API_KEY, "GOOGLE_GEMINI_BASE_URL": server.url},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while not (out.is_dir() and count_done(out) >= 2) and time.monotonic() < deadline:
            time.sleep(0.005)
        first.send_signal(signal.SIGINT)
        stdout, stderr = first.communicate(timeout=60)
        made = [r for r in server.calls("generateContent") if wants_image(r)]
    assert first.returncode == 130, stderr
    assert "promptforge: stopping: starting no new items" in stderr
    kept = count_done(out)
    assert 2 <= kept < 40, "the batch finished before it could be interrupted"
    assert len(made) == kept  # nothing paid for was left unsaved
    assert f"interrupted with {40 - kept} of 40 left" in stderr.splitlines()[-1]
    assert f"left     {40 - kept:>6}  interrupted" in stdout
