"""``promptforge inspect FILE``: the provenance an image carries."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from ._errors import InvalidRequestError
from ._provenance import read_provenance


def add_inspect_command(commands: Any, common: argparse.ArgumentParser) -> None:
    """``promptforge inspect``."""
    inspect = commands.add_parser(
        "inspect", parents=[common], help="the provenance an image file carries"
    )
    inspect.add_argument("file", type=Path, help="a PNG, JPEG or WebP image")
    inspect.set_defaults(command=run_inspect_command)


def run_inspect_command(args: argparse.Namespace) -> int:
    """Print the provenance; an image without any says so (exit 0)."""
    try:
        provenance = read_provenance(args.file)
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise InvalidRequestError(f"inspect: cannot read {str(args.file)!r}: {reason}") from None
    if getattr(args, "json", False):
        document = provenance.model_dump(mode="json") if provenance else None
        print(json.dumps(document, indent=2, ensure_ascii=False))
        return 0
    if provenance is None:
        print(f"{args.file}: no provenance (no promptforge or IPTC XMP fields)")
        return 0
    for name, value in provenance.model_dump(exclude_none=True).items():
        print(f"{name.replace('_', ' ') + ':':<21}{value}")
    return 0
