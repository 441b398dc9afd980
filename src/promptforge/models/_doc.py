"""The model tables in README.md and docs/google.md, generated from the catalogue.

Each table sits between ``<!-- models:NAME -->`` and ``<!-- /models:NAME -->``; a test checks
the documents match the data. After editing ``catalogue.json``, regenerate them with
``python -m promptforge.models._doc README.md docs/google.md``.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from ..generators._base import GeneratorCapabilities
from . import as_of, get, preferences
from . import list as list_models
from ._schema import ModelInfo


def _cell(values: Sequence[str]) -> str:
    return " ".join(values) if values else "—"


def _refs(info: ModelInfo) -> str:
    caps = info.capabilities
    if not isinstance(caps, GeneratorCapabilities) or not caps.max_references:
        return "—"
    limits = ", ".join(f"{n} {role}" for role, n in caps.reference_limits.items())
    return f"{caps.max_references}" + (f" ({limits})" if limits else "")


def full_table() -> str:
    """Every catalogued model: status, dates, what to use instead, capabilities."""
    from .._google._models import successor

    lines = [
        "| model | kind | status | shutdown | use instead | aspect ratios | sizes "
        "| references | edit | thinking |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for info in list_models():
        caps = info.capabilities
        image = caps if isinstance(caps, GeneratorCapabilities) else None
        status = info.status_on(as_of())
        lines.append(
            "| "
            + " | ".join(
                [
                    f"`{info.name}`",
                    info.kind,
                    status,
                    f"{info.shutdown:%Y-%m-%d}" if info.shutdown else "—",
                    "—" if status == "current" else f"`{successor(info).name}`",
                    _cell(image.aspect_ratios) if image else "—",
                    _cell(image.image_sizes) if image else "—",
                    _refs(info),
                    ("yes" if image.edit else "no") if image else "—",
                    _cell(caps.thinking_levels),
                ]
            )
            + " |"
        )
    priced = any(info.price for info in list_models())
    lines.append("")
    lines.append(
        f"Facts as of {as_of():%Y-%m-%d}, each with its source in `promptforge models --json`"
        + ("." if priced else "; no prices were published in our sources.")
    )
    return "\n".join(lines)


def roles_table() -> str:
    """The default model of each role, in order of preference."""
    lines = ["| role | models tried, first available wins |", "|---|---|"]
    for role in ("enhancer", "image", "judge"):
        names = ", ".join(f"`{name}`" for name in preferences(role))
        lines.append(f"| {role} | {names} |")
    first = get(preferences("image")[0])
    lines.append("")
    lines.append(
        f"Facts as of {as_of():%Y-%m-%d} (`promptforge models` lists them all; "
        f"the first image choice, `{first.name}`, is {first.status_on(as_of())})."
    )
    return "\n".join(lines)


TABLES: dict[str, Callable[[], str]] = {"full": full_table, "roles": roles_table}


def _block(name: str) -> re.Pattern[str]:
    return re.compile(rf"(<!-- models:{name} -->\n)(.*?)(<!-- /models:{name} -->)", re.DOTALL)


def render(text: str) -> str:
    """``text`` with every marked table regenerated."""
    for name, table in TABLES.items():
        text = _block(name).sub(lambda m, t=table: f"{m[1]}{t()}\n{m[3]}", text)  # type: ignore[misc]
    return text


def main(paths: Sequence[str]) -> int:
    """Regenerate the tables in ``paths``; print which files changed."""
    for path in map(Path, paths):
        text = path.read_text("utf-8")
        new = render(text)
        if new != text:
            path.write_text(new, "utf-8")
            print(f"updated {path}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main(sys.argv[1:]))
