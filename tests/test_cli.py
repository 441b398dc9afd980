"""The command line, called in-process (``cli.main``) for every branch.

The same commands run as a real console script in ``test_cli_process.py``.
"""

from __future__ import annotations

import asyncio
import io
import json
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from promptforge import (
    BackendError,
    ContentBlockedError,
    EnhancedPrompt,
    GenerationResult,
    ImageOptions,
    Pipeline,
    TransientError,
    cli,
)
from promptforge import _cli_batch as cli_batch
from promptforge._files import folder_lock
from promptforge.enhancers import RuleEnhancer
from promptforge.styles import _registry
from promptforge.testing import FakeGenerator

CORGI = "fluffy corgi wearing a tiny crown, sitting on a velvet cushion"


@pytest.fixture(autouse=True)
def _clean(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in (
        "GOOGLE_API_KEY",
        "GEMINI_API_KEY",
        "GOOGLE_GENAI_USE_VERTEXAI",
        "GOOGLE_CLOUD_PROJECT",
        "GOOGLE_CLOUD_LOCATION",
    ):
        monkeypatch.delenv(name, raising=False)
    yield
    _registry._custom.clear()


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def use_pipeline(monkeypatch: pytest.MonkeyPatch, pipe: Pipeline) -> None:
    monkeypatch.setattr(cli, "pipeline_for", lambda args: pipe)


# -- generate --------------------------------------------------------------------------


def test_generate_writes_a_preview_and_says_where(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, err = run(capsys, "generate", CORGI, "--out", str(tmp_path))
    assert code == cli.OK
    (folder,) = tmp_path.iterdir()
    result = GenerationResult.load(folder)
    assert result.prompt is not None
    assert f"prompt:   {result.prompt.text}" in out
    image_line = next(line for line in out.splitlines() if line.startswith("image:"))
    path = Path(image_line.split()[1])
    assert path == folder / "image-0.png"
    assert path.read_bytes() == result.images[0].data
    assert "1024x1024 preview" in image_line
    assert result.images[0].metadata["preview"] == "true"
    # auto without credentials: one line naming what to set
    assert err.count("\n") == 1
    assert "offline" in err
    assert "GOOGLE_API_KEY" in err


def test_generate_options_and_json(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, err = run(
        capsys, "generate", CORGI, "-n", "2", "--aspect", "16:9", "--style", "cinematic",
        "--negative", "large crown", "--seed", "7", "--out", str(tmp_path), "--json",
        "--backend", "offline",
    )  # fmt: skip
    assert code == cli.OK
    assert err == ""  # --backend offline: no notice
    document = json.loads(out)
    folder = Path(document["folder"])
    assert folder.parent == tmp_path
    assert document["request"]["options"]["seed"] == 7
    assert document["prompt"]["style"] == "cinematic"
    assert "large crown" in document["prompt"]["negative_prompt"]
    assert [(i["width"], i["height"]) for i in document["images"]] == [(1408, 768)] * 2
    assert all("data" not in image for image in document["images"])
    for image in document["images"]:
        assert (folder / image["path"]).is_file()


def test_global_flags_go_before_or_after_the_command(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, _ = run(capsys, "--backend", "offline", "--json", "enhance", "a red fox")
    assert code == cli.OK
    assert json.loads(out)["original"] == "a red fox"


def test_styles_file_adds_presets(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    presets = tmp_path / "mine.json"
    presets.write_text(
        json.dumps([{"name": "risograph", "description": "Two-colour print.",
                     "phrases": ["risograph print"], "negative": ["photo"]}])
    )  # fmt: skip
    code, out, _ = run(
        capsys, "enhance", "a fox", "--style", "risograph", "--styles-file", str(presets)
    )
    assert code == cli.OK
    assert "Risograph print" in out
    code, out, _ = run(capsys, "styles", "--styles-file", str(presets))
    assert "risograph" in out


# -- enhance and styles ----------------------------------------------------------------


def test_enhance_prints_the_levers(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "enhance", CORGI, "--style", "watercolor", "--negative", "hat")
    assert code == cli.OK
    lines = dict(line.split(":", 1) for line in out.splitlines())
    assert lines["subject"].strip() == "fluffy corgi"
    assert lines["attributes"].strip() == "a tiny crown"
    assert lines["preset"].strip() == "watercolor"
    assert "hat" in lines["negative"]
    code, out, _ = run(capsys, "enhance", "a fox", "--json")
    assert json.loads(out)["spec"]["subject"] == "a fox"


def test_enhance_without_a_spec(capsys: pytest.CaptureFixture[str], monkeypatch: Any) -> None:
    use_pipeline(monkeypatch, Pipeline(lambda request: "just text", FakeGenerator()))
    code, out, _ = run(capsys, "enhance", "a fox")
    assert code == cli.OK
    assert out.splitlines() == ["prompt:      just text", "negative:    -"]


def test_styles_table(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "styles")
    assert code == cli.OK
    header, *rows = out.splitlines()
    assert header.split() == ["NAME", "CATEGORY", "DESCRIPTION"]
    assert len(rows) >= 40
    assert any(row.startswith("watercolor ") and " painting " in row for row in rows)
    code, out, _ = run(capsys, "styles", "--category", "mood", "--json")
    assert {preset["category"] for preset in json.loads(out)} == {"mood"}


def test_version_and_help(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--version")
    assert code == cli.OK
    assert out.startswith("promptforge ")
    code, out, _ = run(capsys, "batch", "--help")
    assert code == cli.OK
    assert "--concurrency" in out


# -- errors: one line, the documented exit code ----------------------------------------


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        (["generate", ""], cli.BAD_INPUT, "prompt: must not be empty"),
        (["generate", "a fox", "--aspect", "2:1"], cli.BAD_INPUT, "aspect_ratio: '2:1'"),
        (["generate", "a fox", "--aspect", "wide"], cli.BAD_INPUT, "aspect_ratio"),
        (["generate", "a fox", "--style", "cinematc"], cli.BAD_INPUT, "did you mean 'cinematic'"),
        (["generate", "a fox", "-n", "40"], cli.BAD_INPUT, "n: must be between 1 and 16"),
        (["generate", "a fox", "-n", "two"], cli.BAD_INPUT, "invalid int value: 'two'"),
        (["batch", "missing.txt"], cli.BAD_INPUT, "batch file 'missing.txt': No such file"),
        (["frobnicate"], cli.BAD_INPUT, "invalid choice: 'frobnicate'"),
        ([], cli.BAD_INPUT, "required: COMMAND"),
        (["styles", "--styles-file", "nope.json"], cli.BAD_INPUT, "styles file 'nope.json'"),
        (["generate", "a fox", "--backend", "google"], cli.CONFIGURATION, "GOOGLE_API_KEY"),
    ],
)
def test_bad_input_is_one_line_and_a_documented_code(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    argv: list[str],
    code: int,
    message: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    got, out, err = run(capsys, *argv)
    assert got == code
    assert out == ""
    assert err.startswith("promptforge: error: ")
    assert err.count("\n") == 1
    assert message in err
    assert not (tmp_path / "out").exists()  # nothing written


def test_auto_uses_google_when_configured(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("GOOGLE_API_KEY", "test-key")
    # The Google backends are chosen; the test guard then refuses to let them call out.
    code, _, err = run(capsys, "generate", "a fox", "--out", str(tmp_path))
    assert code == cli.CONFIGURATION
    assert "GeminiEnhancer calls a real service" in err
    assert "offline" not in err.split("error:")[0]  # no fallback notice


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (ContentBlockedError("prompt refused", reasons=["policy"]), cli.BLOCKED),
        (BackendError("400 bad request", status=400), cli.BACKEND_FAILURE),
        (RuntimeError("boom"), cli.UNEXPECTED),
    ],
)
def test_backend_outcomes_map_to_exit_codes(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    error: Exception,
    code: int,
) -> None:
    use_pipeline(monkeypatch, Pipeline(RuleEnhancer(), FakeGenerator([error])))
    got, _, err = run(capsys, "generate", "a fox", "--out", str(tmp_path))
    assert got == code
    assert err.count("\n") == 1
    if code == cli.UNEXPECTED:
        assert (
            err == "promptforge: error: RuntimeError: boom (run with --debug for the traceback)\n"
        )


def test_debug_shows_the_traceback(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    use_pipeline(monkeypatch, Pipeline(RuleEnhancer(), FakeGenerator([RuntimeError("boom")])))
    code, _, err = run(capsys, "generate", "a fox", "--out", str(tmp_path), "--debug")
    assert code == cli.UNEXPECTED
    assert "Traceback (most recent call last)" in err
    assert err.endswith("promptforge: error: RuntimeError: boom\n")


def test_ctrl_c_exits_130(capsys: pytest.CaptureFixture[str], monkeypatch: Any) -> None:
    def interrupt(args: object) -> Pipeline:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "pipeline_for", interrupt)
    assert run(capsys, "generate", "a fox") == (cli.INTERRUPTED, "", "promptforge: interrupted\n")


def test_a_closed_pipe_is_not_an_error(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def closed(category: object) -> None:
        raise BrokenPipeError  # as when `promptforge styles | head -2` stops reading

    monkeypatch.setattr(cli, "list_styles", closed)
    assert run(capsys, "styles") == (cli.PIPE_CLOSED, "", "")


def test_generate_reports_warnings(capsys: pytest.CaptureFixture[str], monkeypatch: Any) -> None:
    use_pipeline(monkeypatch, Pipeline(RuleEnhancer(), FakeGenerator()))
    code, out, _ = run(capsys, "generate", "a fox", "-n", "6", "--out", "/tmp/pf-cli-warn")
    assert code == cli.OK
    assert "warning:  n=6 exceeds 4 images per call; split into 2 calls" in out
    assert out.count("image:") == 6
    assert " preview" not in out  # FakeGenerator's images are not previews


# -- batch ----------------------------------------------------------------------------

LINES = [
    "# a storyboard",
    CORGI,
    "a red fox curled up in fresh snow",
    '{"prompt": "a lighthouse in a storm", "style": "cinematic", "aspect_ratio": "16:9"}',
    "",
    '{"prompt": "a paper boat on a puddle", "n": 2, "seed": 3}',
    "a robot reading a newspaper",
]


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


def folders(out: Path) -> list[Path]:
    return sorted(p for p in out.iterdir() if p.is_dir() and not p.name.startswith("."))


def done_prompts(out: Path) -> list[str]:
    return sorted(GenerationResult.load(folder).request.prompt for folder in folders(out))  # type: ignore[union-attr]


def test_batch_runs_every_line_and_resumes(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    source = write(tmp_path / "prompts.txt", LINES)
    out = tmp_path / "out"
    code, stdout, stderr = run(
        capsys, "batch", str(source), "--out", str(out), "--concurrency", "2"
    )
    assert code == cli.OK
    assert len(folders(out)) == 5
    paper = next(f for f in folders(out) if "boat" in (f / "result.json").read_text())
    assert len(GenerationResult.load(paper).images) == 2
    assert "  done          5" in stdout
    assert "  failed        0" in stdout
    assert "  seconds" in stdout
    plain = [line for line in stderr.splitlines() if line.startswith("[")]
    assert len(plain) == 5  # not a terminal: one plain line per item
    assert {line.split()[3] for line in plain} == {"2:", "3:", "4:", "6:", "7:"}

    code, stdout, stderr = run(capsys, "batch", str(source), "--out", str(out))
    assert code == cli.OK
    assert len(folders(out)) == 5  # nothing run twice
    assert f"5 already done in {out} from an earlier run" in stdout
    assert stderr.count("resumed") == 5


def test_batch_resumes_a_partial_run_without_duplicates_or_losses(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    partial = write(tmp_path / "partial.txt", LINES[:3])  # as if stopped after two items
    assert run(capsys, "batch", str(partial), "--out", str(out))[0] == cli.OK
    assert len(folders(out)) == 2
    (out / ".20990101T000000-deadbeef.x.tmp").mkdir()  # a save cut off by a crash
    source = write(tmp_path / "all.txt", LINES)
    code, stdout, _ = run(capsys, "batch", str(source), "--out", str(out), "--json")
    assert code == cli.OK
    summary = json.loads(stdout)
    assert (summary["done"], summary["resumed"], summary["failed"]) == (5, 2, 0)
    assert [item["line"] for item in summary["items"]] == [2, 3, 4, 6, 7]
    assert [item["status"] for item in summary["items"]][:2] == ["resumed", "resumed"]
    prompts = done_prompts(out)
    assert len(prompts) == len(set(prompts)) == 5
    assert not (out / ".20990101T000000-deadbeef.x.tmp").exists()


def respond_badly(prompt: EnhancedPrompt, options: ImageOptions) -> None:
    if "logo" in prompt.original:
        raise ContentBlockedError("prompt refused: trademark", reasons=["trademark"])
    if "storm" in prompt.original:
        raise TransientError("503 unavailable", status=503)
    if "crash" in prompt.original:
        raise RuntimeError("generator bug")


@pytest.mark.parametrize(
    ("lines", "code"),
    [
        (["a fox", "the Acme logo on a mug"], cli.BLOCKED),
        (["a fox", "the Acme logo on a mug", "a lighthouse in a storm"], cli.BACKEND_FAILURE),
        (["a lighthouse in a storm", "a crash"], cli.UNEXPECTED),
    ],
)
def test_batch_failures_do_not_sink_it_but_set_the_exit_code(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    waits: list[float],
    lines: list[str],
    code: int,
) -> None:
    use_pipeline(monkeypatch, Pipeline(RuleEnhancer(), FakeGenerator(respond=respond_badly)))
    source = write(tmp_path / "prompts.txt", lines)
    got, stdout, stderr = run(capsys, "batch", str(source), "--out", str(tmp_path / "out"))
    assert got == code
    failed = [line for line in stderr.splitlines() if line.startswith("promptforge: line")]
    assert len(failed) == len(lines) - ("a fox" in lines)
    assert "run the same command again to retry them" in stdout
    assert len(folders(tmp_path / "out")) == ("a fox" in lines)


def test_batch_counts_filtered_images(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from promptforge import FilteredImage, GenerationOutput

    some_filtered = GenerationOutput(
        images=FakeGenerator().default_output(ImageOptions()).images,
        filtered=[FilteredImage(reason="people")],
    )
    use_pipeline(monkeypatch, Pipeline(RuleEnhancer(), FakeGenerator([some_filtered])))
    source = write(tmp_path / "prompts.txt", ["a crowd at a concert"])
    code, stdout, _ = run(capsys, "batch", str(source), "--out", str(tmp_path / "out"))
    assert code == cli.OK
    assert "  filtered      1  images withheld by the safety filter" in stdout


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (["a fox", "{not json"], "prompts.txt:2: not valid JSON"),
        (["a fox", '{"prompt": "x", "aspect": "16:9"}'], "prompts.txt:2: aspect: unknown option"),
        (['{"style": "watercolor"}'], "prompts.txt:1: prompt: missing"),
        (['{"prompt": "x", "style": "nope"}'], "prompts.txt:1: style: unknown preset"),
        (['{"prompt": "x", "aspect_ratio": "21:9"}'], "prompts.txt:1: aspect_ratio: '21:9'"),
        (["# only a comment", ""], "holds no prompts"),
    ],
)
def test_batch_checks_the_whole_file_first(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, lines: list[str], message: str
) -> None:
    source = write(tmp_path / "prompts.txt", lines)
    code, out, err = run(capsys, "batch", str(source), "--out", str(tmp_path / "out"))
    assert code == cli.BAD_INPUT
    assert out == ""
    assert err.count("\n") == 1
    assert message in err
    assert not (tmp_path / "out").exists()


def test_batch_refuses_bad_concurrency(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    source = write(tmp_path / "prompts.txt", ["a fox"])
    code, _, err = run(capsys, "batch", str(source), "--concurrency", "0", "--out", str(tmp_path))
    assert code == cli.BAD_INPUT
    assert "concurrency: must be an int >= 1" in err


def test_batch_draws_a_bar_on_a_terminal(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    use_pipeline(monkeypatch, Pipeline(RuleEnhancer(), FakeGenerator(respond=respond_badly)))
    source = write(tmp_path / "prompts.txt", ["a fox", "a red fox", "the Acme logo"])
    code = cli.main(["batch", str(source), "--out", str(tmp_path / "out")])
    assert code == cli.BLOCKED
    drawn = terminal.getvalue()
    assert "\r\x1b[K[" in drawn
    assert "] 3/3  done 2  resumed 0  failed 1" in drawn
    assert "failed  line 3: ContentBlockedError: prompt refused: trademark" in drawn


def test_batch_interrupted(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def interrupt(work: Any) -> None:
        work.close()
        raise KeyboardInterrupt

    monkeypatch.setattr(cli_batch.asyncio, "run", interrupt)
    source = write(tmp_path / "prompts.txt", ["a fox", "a cat"])
    code, out, err = run(capsys, "batch", str(source), "--out", str(tmp_path / "out"), "--json")
    assert code == cli.INTERRUPTED
    assert json.loads(out)["interrupted"] is True
    assert "interrupted with 2 of 2 left; run the same command again to resume" in err


def test_one_batch_per_folder_at_a_time(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    source = write(tmp_path / "prompts.txt", ["a fox"])
    out = tmp_path / "out"
    with folder_lock(out):
        code, _, err = run(capsys, "batch", str(source), "--out", str(out))
    assert code == cli.BAD_INPUT
    assert "another promptforge batch is writing there" in err
    assert run(capsys, "batch", str(source), "--out", str(out))[0] == cli.OK


@pytest.mark.parametrize("presses", [1, 2])
def test_ctrl_c_in_a_batch_first_drains_then_abandons(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    presses: int,
) -> None:
    started: list[str] = []
    both = asyncio.Event()

    async def respond(prompt: EnhancedPrompt, options: ImageOptions) -> None:
        started.append(prompt.original)
        if len(started) == 2:  # both slots busy: Ctrl-C now
            for _ in range(presses):
                signal.raise_signal(signal.SIGINT)
            both.set()
        await both.wait()
        if presses == 2:
            await asyncio.Event().wait()  # never answers: only abandoning ends it

    use_pipeline(monkeypatch, Pipeline(RuleEnhancer(), FakeGenerator(respond=respond)))
    source = write(tmp_path / "prompts.txt", [f"a fox number {i}" for i in range(10)])
    out = tmp_path / "out"
    code, stdout, stderr = run(capsys, "batch", str(source), "--out", str(out), "--concurrency",
                               "2")  # fmt: skip
    assert code == cli.INTERRUPTED
    assert len(started) == 2  # nothing new started after the first Ctrl-C
    notices = [line for line in stderr.splitlines() if "stopping" in line]
    assert notices == [
        "promptforge: stopping: starting no new items; waiting for the 2 in flight to finish "
        "and be saved (Ctrl-C again to abandon them)"
    ]
    kept = 2 if presses == 1 else 0  # the first Ctrl-C keeps what is in flight
    assert len(folders(out)) == kept
    assert f"  done     {kept:>6}" in stdout
    assert f"  left     {10 - kept:>6}  interrupted" in stdout
    assert stderr.endswith(
        f"interrupted with {10 - kept} of 10 left; run the same command again to resume\n"
    )
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # handler restored


@pytest.mark.parametrize(
    ("argv", "hint"),
    [
        (["generate", "a fox", "--stlye", "x"], "; did you mean --style?"),
        (["generate", "a fox", "--aspect-ratio=7:3"], "; did you mean --aspect?"),
        (["batch", "ideas.txt", "--concurency", "4"], "; did you mean --concurrency?"),
        (["generate", "a fox", "stray"], ""),
    ],
)
def test_a_misspelt_flag_gets_a_suggestion(
    capsys: pytest.CaptureFixture[str], argv: list[str], hint: str
) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert out == ""
    (line,) = err.splitlines()
    assert line.startswith("promptforge: error: unrecognized arguments:")
    assert line.endswith(f"{hint} (see promptforge --help)")


def test_image_size_and_thinking_reach_the_generator(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = run(
        capsys, "generate", CORGI, "--thinking", "high", "--image-size", "4K",
        "--out", str(tmp_path),
    )  # fmt: skip
    assert code == 2  # the offline preview card has one size: refused before any image
    assert "image_size: '4K' is not supported by this generator" in err
    code, out, _ = run(capsys, "generate", CORGI, "--thinking", "high", "--out", str(tmp_path))
    assert code == 0
    assert "warning:  thinking='high' is not supported by this generator; ignored" in out
    code, _, err = run(capsys, "generate", CORGI, "--image-size", "8K", "--out", str(tmp_path))
    assert code == 2
    assert err.strip() == "promptforge: error: image_size: '8K' is not one of 512, 1K, 2K, 4K"
