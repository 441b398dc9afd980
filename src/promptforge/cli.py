"""The ``promptforge`` command line: ``generate``, ``edit``, ``enhance``, ``batch``, ``series``,
``gallery``, ``styles``, ``models``, ``inspect``, ``log``, ``job``.

Exit codes: 0 ok, 1 unexpected error, 2 bad input or usage, 3 content blocked, 4 backend
failure, 5 configuration, 6 environment (a folder that cannot be written, a full disk), 130
interrupted, 141 output pipe closed (``| head``). Errors print one line on stderr (and, with
``--json``, a JSON error object on stdout); ``--debug`` adds the traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import json
import logging
import os
import sys
import traceback
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, NoReturn

from ._adapt import plan
from ._cli_backends import BACKENDS, build_pipeline
from ._cli_cost import add_cost_arguments
from ._cli_inspect import add_inspect_command
from ._cli_log import add_log_arguments, add_log_command, attach_log, note_saved
from ._cli_models import add_models_command
from ._cli_out import output_folder
from ._cli_types import positive
from ._errors import (
    BackendError,
    ConfigurationError,
    ContentBlockedError,
    InvalidRequestError,
    PromptforgeError,
)
from ._pipeline import Pipeline
from ._request import Request, make_request
from ._result import RESULT_FILE, ErrorInfo, GenerationResult
from .styles import CATEGORIES, list_styles, load_styles

OK, UNEXPECTED, BAD_INPUT, BLOCKED, BACKEND_FAILURE, CONFIGURATION, ENVIRONMENT = range(7)
INTERRUPTED = 130
PIPE_CLOSED = 141
EXIT_CODES: dict[type[BaseException], int] = {
    InvalidRequestError: BAD_INPUT,
    ContentBlockedError: BLOCKED,
    BackendError: BACKEND_FAILURE,
    ConfigurationError: CONFIGURATION,
    OSError: ENVIRONMENT,  # the system refused: read-only or missing folder, full disk
}


class UsageError(Exception):
    """A command line argparse rejected; exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message}{_did_you_mean(self, message)} (see {self.prog} --help)")


def _did_you_mean(parser: argparse.ArgumentParser, message: str) -> str:
    """``"; did you mean --style?"`` for a misspelt flag in argparse's ``message``."""
    said = "unrecognized arguments: "
    if not message.startswith(said):
        return ""
    known = {flag for action in _actions(parser) for flag in action.option_strings}
    names = [word.split("=")[0] for word in message[len(said) :].split() if word[:2] == "--"]
    close = [match for name in names for match in difflib.get_close_matches(name, known, n=1)]
    return f"; did you mean {' or '.join(dict.fromkeys(close))}?" if close else ""


def _actions(parser: argparse.ArgumentParser) -> Iterator[argparse.Action]:
    """Every option of ``parser`` and of its subcommands."""
    for action in parser._actions:
        yield action
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                yield from _actions(sub)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code (the console script exits with it)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    debug, as_json = "--debug" in argv, "--json" in argv
    try:
        check_text(argv)
        args = build_parser().parse_args(argv)
        if getattr(args, "styles_file", None):
            load_styles(args.styles_file, replace=True)
        with _retries_on_stderr(debug=debug):
            return int(args.command(args))
    except SystemExit as exc:  # --help, --version
        return exc.code if isinstance(exc.code, int) else OK
    except KeyboardInterrupt:
        print("promptforge: interrupted", file=sys.stderr)
        return INTERRUPTED
    except BrokenPipeError:  # the reader went away (`| head`): nothing left to say
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return PIPE_CLOSED
    except Exception as exc:
        if debug:
            traceback.print_exc()
        if as_json:
            print(json.dumps({"ok": False, "error": error_json(exc)}, indent=2))
        print(f"promptforge: error: {describe(exc, debug=debug)}", file=sys.stderr)
        return exit_code(exc)


def check_text(argv: Sequence[str]) -> None:
    """Refuse an argument that is not valid UTF-8 (Python keeps its bytes as surrogates).

    Raises:
        UsageError: naming the argument, its bad bytes escaped.
    """
    for number, arg in enumerate(argv, start=1):
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError:
            shown = arg.encode("utf-8", "surrogateescape").decode("ascii", "backslashreplace")
            raise UsageError(f"argument {number} ('{shown}') is not valid UTF-8 text") from None


def exit_code(error: BaseException | type[BaseException]) -> int:
    """The documented exit code for an exception or exception class."""
    cls = error if isinstance(error, type) else type(error)
    if issubclass(cls, UsageError):
        return BAD_INPUT
    return next((code for base, code in EXIT_CODES.items() if issubclass(cls, base)), UNEXPECTED)


def describe(error: BaseException, *, debug: bool = False) -> str:
    """One line for stderr: promptforge errors say what to do; others name their type."""
    text = " ".join(str(error).split()) or type(error).__name__
    if isinstance(error, PromptforgeError | UsageError):
        return text
    if isinstance(error, OSError) and error.strerror:  # the system refused: not a bug
        return f"{error.strerror} ({error.filename})" if error.filename else error.strerror
    hint = "" if debug else " (run with --debug for the traceback)"
    return f"{type(error).__name__}: {text}{hint}"


@contextlib.contextmanager
def _retries_on_stderr(*, debug: bool) -> Iterator[None]:
    """Print the library's log lines (one per retry) on stderr while a command runs."""
    logger = logging.getLogger("promptforge")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("promptforge: %(message)s"))
    level = logger.level
    logger.setLevel(logging.DEBUG if debug else logging.WARNING)
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def error_json(error: BaseException) -> dict[str, Any]:
    """``error`` as ``result.json`` records one, with its one-line message and exit code."""
    info = ErrorInfo.from_exception(error).model_dump(mode="json")
    return {**info, "message": describe(error, debug=True), "exit_code": exit_code(error)}


def build_parser() -> argparse.ArgumentParser:
    """The argument parser, one subcommand per job."""
    from . import __version__

    common = _Parser(add_help=False)
    common.add_argument(
        "--backend", choices=BACKENDS, default=argparse.SUPPRESS,
        help="auto (default): Google when credentials are set, else offline",
    )  # fmt: skip
    common.add_argument("--json", action="store_true", default=argparse.SUPPRESS,
                        help="print JSON for scripts")  # fmt: skip
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help="show tracebacks")  # fmt: skip
    common.add_argument("--styles-file", metavar="FILE", default=argparse.SUPPRESS,
                        help="load extra style presets from a JSON file")  # fmt: skip
    add_log_arguments(common)
    parser = _Parser(
        prog="promptforge",
        description="Turn a short idea into images: enhance the prompt, then render it.",
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"promptforge {__version__}")
    commands = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")

    generate = commands.add_parser("generate", parents=[common], help="enhance and render")
    generate.add_argument("prompt", help="the idea, in a few words")
    _image_options(generate)
    _time_options(generate)
    generate.add_argument("--out", default="out", type=Path, help="folder (default: out/)")
    from ._cli_judge import add_judge_arguments

    add_judge_arguments(generate)
    generate.set_defaults(command=_generate)

    from ._cli_edit import add_edit_command

    add_edit_command(commands, common)
    from ._cli_series import add_series_commands

    add_series_commands(commands, common)

    enhance = commands.add_parser("enhance", parents=[common], help="the prompt only, no image")
    enhance.add_argument("prompt", help="the idea, in a few words")
    enhance.add_argument("--style", help="a style preset (see `promptforge styles`)")
    enhance.add_argument("--negative", help="what to keep out, comma-separated")
    _time_options(enhance)
    enhance.set_defaults(command=_enhance)

    batch = commands.add_parser("batch", parents=[common], help="many prompts from a file")
    batch.add_argument("file", type=Path, help="one prompt per line, or JSONL")
    batch.add_argument("--concurrency", type=int, default=8, help="at once (default: 8)")
    batch.add_argument("--out", default="out", type=Path, help="folder (default: out/)")
    _image_options(batch)
    _time_options(batch)
    add_cost_arguments(batch)
    add_judge_arguments(batch)
    batch.set_defaults(command=_batch)
    from ._cli_job import add_job_command, add_submit_flag

    add_submit_flag(batch)

    styles = commands.add_parser("styles", parents=[common], help="list the style presets")
    styles.add_argument("--category", choices=CATEGORIES, help="only this category")
    styles.set_defaults(command=_styles)

    add_models_command(commands, common)
    add_inspect_command(commands, common)
    add_log_command(commands, common)
    add_job_command(commands, common)
    return parser


def _image_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-n", type=int, default=argparse.SUPPRESS, help="images (default: 1)")
    parser.add_argument("--aspect", dest="aspect_ratio", default=argparse.SUPPRESS,
                        help="aspect ratio, e.g. 16:9 (default: 1:1)")  # fmt: skip
    parser.add_argument("--style", help="a style preset (see `promptforge styles`)")
    parser.add_argument("--negative", dest="negative_prompt", default=argparse.SUPPRESS,
                        help="what to keep out, comma-separated")  # fmt: skip
    parser.add_argument("--seed", type=int, default=argparse.SUPPRESS, help="repeatable noise")
    parser.add_argument("--image-size", default=argparse.SUPPRESS,
                        help="where the model offers several: 512, 1K, 2K, 4K")  # fmt: skip
    parser.add_argument("--thinking", default=argparse.SUPPRESS,
                        help="how much the image model reasons first, where it can be set "
                        "(see `promptforge models`): minimal, low, medium, high")  # fmt: skip
    from ._cli_edit import add_ref_argument

    add_ref_argument(parser)


def _time_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--timeout", type=_seconds, metavar="SECONDS", default=argparse.SUPPRESS,
                        help="per request (default: 30 enhance, 60 image)")  # fmt: skip
    parser.add_argument("--retries", type=_count, metavar="N", default=argparse.SUPPRESS,
                        help="retries after a failed request (default: 4)")  # fmt: skip


_seconds = positive("a number of seconds")


def _count(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"must be a whole number from 0, got {text!r}")
    return int(text)


def image_options(args: argparse.Namespace) -> dict[str, Any]:
    """The image options given on the command line (the rest keep their defaults)."""
    from ._cli_edit import reference_options

    names = ("n", "aspect_ratio", "negative_prompt", "seed", "image_size", "thinking")
    options = {name: getattr(args, name) for name in names if hasattr(args, name)}
    return {**options, **reference_options(args)}


def pipeline_for(args: argparse.Namespace) -> Pipeline:
    """The pipeline ``--backend`` asks for; a fallback notice is kept for ``announce``."""
    notes: list[str] = []
    pipe = build_pipeline(
        getattr(args, "backend", "auto"),
        notes.append,
        timeout=getattr(args, "timeout", None),
        retries=getattr(args, "retries", None),
    )
    args.notes = notes
    attach_log(pipe, args)
    return pipe


def announce(args: argparse.Namespace) -> None:
    """Print the backend notice (once the input is known to be good: bad input is one line)."""
    for note in getattr(args, "notes", []):
        print(f"promptforge: {note}", file=sys.stderr)
    args.notes = []


def check(pipe: Pipeline, request: Request) -> None:
    """Refuse ``request`` now if the pipeline's generator cannot take it.

    Raises:
        InvalidRequestError: as the pipeline would, before anything is sent.
    """
    plan(request.options, pipe.generator.capabilities, strict=pipe.strict)


def _generate(args: argparse.Namespace) -> int:
    from ._cli_judge import judged, print_rounds

    pipe = pipeline_for(args)
    options = image_options(args)
    check(pipe, make_request(args.prompt, args.style, options))
    output_folder(args.out)  # before the image is paid for
    pipe, rounds = judged(args, pipe, options)
    announce(args)
    result = pipe.run(args.prompt, style=args.style, **rounds, **options)
    folder = result.save(args.out)
    note_saved(pipe, result, folder)
    if getattr(args, "json", False):
        document = json.loads((folder / RESULT_FILE).read_text("utf-8"))
        print(json.dumps({"folder": str(folder), **document}, indent=2, ensure_ascii=False))
        return OK
    _print_prompt(result)
    print_rounds(result)
    print_saved(result, folder)
    return OK


def print_saved(result: GenerationResult, folder: Path) -> None:
    """Each saved image with its size, the warnings, and the folder: a run's last lines."""
    for number, image in enumerate(result.images):
        kind = " preview" if image.metadata.get("preview") == "true" else ""
        path = folder / f"image-{number}{image.extension}"
        print(f"{'image:':<10}{path}  {image.width}x{image.height}{kind}")
    for warning in result.warnings:
        print(f"{'warning:':<10}{warning}")
    print(f"{'saved:':<10}{folder}/ (images and {RESULT_FILE})")


def _print_prompt(result: GenerationResult) -> None:
    assert result.prompt is not None  # a successful run always has its prompt
    print(f"{'prompt:':<10}{result.prompt.text}")
    if result.prompt.negative_prompt:
        print(f"{'negative:':<10}{result.prompt.negative_prompt}")


def _enhance(args: argparse.Namespace) -> int:
    pipe = pipeline_for(args)
    make_request(args.prompt, args.style, {"negative_prompt": args.negative})
    announce(args)
    prompt = pipe.enhance(args.prompt, style=args.style, negative_prompt=args.negative)
    if getattr(args, "json", False):
        print(json.dumps(prompt.model_dump(mode="json"), indent=2, ensure_ascii=False))
        return OK
    print(f"{'prompt:':<13}{prompt.text}")
    print(f"{'negative:':<13}{prompt.negative_prompt or '-'}")
    if prompt.style:
        print(f"{'preset:':<13}{prompt.style}")
    for lever, value in (prompt.spec.model_dump() if prompt.spec else {}).items():
        if value and lever != "negative":
            text = "; ".join(value) if isinstance(value, tuple) else value
            print(f"{lever + ':':<13}{text}")
    return OK


def _styles(args: argparse.Namespace) -> int:
    presets = list_styles(args.category)
    if getattr(args, "json", False):
        print(json.dumps([p.model_dump(mode="json") for p in presets], indent=2))
        return OK
    rows = [("NAME", "CATEGORY", "DESCRIPTION")] + [
        (p.name, p.category, p.description) for p in presets
    ]
    name, category = (max(len(row[i]) for row in rows) for i in (0, 1))
    for row in rows:
        print(f"{row[0]:<{name}}  {row[1]:<{category}}  {row[2]}")
    return OK


def _batch(args: argparse.Namespace) -> int:
    if getattr(args, "google_batch", False):
        from ._cli_job import submit_batch
        from ._cli_judge import asks_judging

        if asks_judging(args):
            raise InvalidRequestError(
                "--google-batch: Batch Mode renders each item once, with no judge or rounds; "
                "drop --judge/--target/--rounds, or run without --google-batch",
                field="judge",
            )

        return submit_batch(args, image_options(args))
    from ._cli_batch import run_batch

    return run_batch(args, pipeline_for(args), image_options(args))


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
