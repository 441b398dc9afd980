"""``promptforge edit`` and ``--ref PATH[:ROLE]``: reference images and edits on the command line.

``promptforge generate "a knight" --ref knight.png:character`` sends a reference;
``promptforge edit out/<id> "make the crown smaller"`` edits a saved result (continuing its
conversation with the model that made it) or any image file, and saves a new result.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from . import cli
from ._cli_log import note_saved
from ._cli_out import output_folder
from ._edit import edit_request, resolve_target
from ._reference import REFERENCE_ROLES, Reference, check_role
from ._result import RESULT_FILE, GenerationResult

REF_HELP = (
    f"a reference image, repeatable; ROLE is one of {', '.join(REFERENCE_ROLES)} (default: subject)"
)


def add_ref_argument(parser: argparse.ArgumentParser) -> None:
    """``--ref PATH[:ROLE]``, repeatable."""
    parser.add_argument(
        "--ref", dest="refs", action="append", default=[], metavar="PATH[:ROLE]", help=REF_HELP
    )


def parse_ref(value: str) -> Reference:
    """``PATH`` or ``PATH:ROLE`` as a ``Reference`` (a path may itself hold colons).

    Raises:
        InvalidRequestError: unreadable or not an image (names the file), or a bad role.
    """
    path, colon, role = value.rpartition(":")
    if colon and role in REFERENCE_ROLES:
        return Reference.from_file(path, role=role)
    looks_like_path = not colon or "/" in role or "\\" in role or Path(value).exists()
    if looks_like_path:  # no role (in C:\knight.png the colon is the drive's)
        return Reference.from_file(value)
    return Reference.from_file(path, role=check_role(role))


def reference_options(args: argparse.Namespace) -> dict[str, Any]:
    """``{"references": [...]}`` when ``--ref`` was given, else nothing."""
    refs = getattr(args, "refs", [])
    return {"references": [parse_ref(value) for value in refs]} if refs else {}


def add_edit_command(commands: Any, common: argparse.ArgumentParser) -> None:
    """The ``edit`` subcommand."""
    edit = commands.add_parser(
        "edit", parents=[common], help="edit a saved result or an image from an instruction"
    )
    edit.add_argument("target", help="a saved result folder (out/<id>) or an image file")
    edit.add_argument("instruction", help='what to change, e.g. "make the crown smaller"')
    add_ref_argument(edit)
    edit.add_argument("-n", type=int, default=argparse.SUPPRESS, help="images (default: 1)")
    edit.add_argument("--aspect", dest="aspect_ratio", default=argparse.SUPPRESS,
                      help="aspect ratio (default: the image's own)")  # fmt: skip
    edit.add_argument("--negative", dest="negative_prompt", default=argparse.SUPPRESS,
                      help="what to keep out, comma-separated")  # fmt: skip
    edit.add_argument("--out", default="out", type=Path, help="folder (default: out/)")
    edit.set_defaults(command=run_edit_command)


def run_edit_command(args: argparse.Namespace) -> int:
    """Edit, save the new result beside the others, and say where it went."""
    pipe = cli.pipeline_for(args)
    names = ("n", "aspect_ratio", "negative_prompt")
    options = {name: getattr(args, name) for name in names if hasattr(args, name)}
    options.update(reference_options(args))
    edit_request(args.instruction, options)  # bad input is one line, before the notice
    target = resolve_target(args.target)
    output_folder(args.out)  # before the image is paid for
    cli.announce(args)
    result = pipe.edit(target.parent or target.image, args.instruction, **options)
    folder = result.save(args.out)
    note_saved(pipe, result, folder)
    if getattr(args, "json", False):
        document = json.loads((folder / RESULT_FILE).read_text("utf-8"))
        print(json.dumps({"folder": str(folder), **document}, indent=2, ensure_ascii=False))
        return cli.OK
    print_edit(result, folder)
    return cli.OK


def print_edit(result: GenerationResult, folder: Path) -> None:
    """What an edit made: its instruction, parent, images, warnings and folder."""
    print(f"{'edit:':<10}{result.instruction}")
    if result.parent_id:
        print(f"{'parent:':<10}{result.parent_id}")
    cli.print_saved(result, folder)
