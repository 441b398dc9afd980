"""``promptforge models``: the model catalogue, and with ``--available`` what this key can call."""

from __future__ import annotations

import argparse
import json
from typing import Any

from . import models
from ._google._models import successor
from ._portal import run_sync
from .generators import GeneratorCapabilities
from .models import ModelInfo, Role


def add_models_command(
    commands: argparse._SubParsersAction[Any], common: argparse.ArgumentParser
) -> None:
    """Register ``models`` on the command line's subcommands."""
    parser = commands.add_parser(
        "models", parents=[common], help="the model catalogue: status, shutdown, capabilities"
    )
    parser.add_argument("--kind", choices=("text", "image"), help="only this kind")
    parser.add_argument(
        "--available", action="store_true",
        help="ask Google (one models.list) which models these credentials can call, and "
             "which model each role resolves to",
    )  # fmt: skip
    parser.set_defaults(command=run_models)


class _Lister:
    """The owner of the listing connection: a networked call, like a backend's."""

    requires_network = True


async def survey() -> tuple[frozenset[str] | None, dict[Role, str]]:
    """What the configured credentials can call (None: listing failed) and each role's model.

    Raises:
        ConfigurationError: no Google credentials are configured.
    """
    from ._google._connection import GoogleConnection
    from .models._resolve import choose, override

    connection = GoogleConnection(_Lister(), model="models.list")
    try:
        listed = await connection.listed()
    finally:
        await connection.aclose()
    roles: dict[Role, str] = {
        role: override(role) or choose(role, listed) for role in models.ROLE_VARIABLES
    }
    return listed, roles


def run_models(args: argparse.Namespace) -> int:
    """Print the catalogue as a table (or JSON); 0."""
    infos = models.list(kind=args.kind)
    listed, roles = run_sync(survey()) if args.available else (None, {})
    if getattr(args, "json", False):
        document = {
            "as_of": models.as_of().isoformat(),
            "models": [_as_json(info, listed if args.available else None) for info in infos],
            **({"roles": roles, "listed": listed is not None} if args.available else {}),
        }
        print(json.dumps(document, indent=2, ensure_ascii=False))
        return 0
    header = ["NAME", "KIND", "STATUS", "SHUTDOWN", "USE INSTEAD", "CAPABILITIES", "PRICE"]
    rows = [header + (["AVAILABLE"] if args.available else [])]
    for info in infos:
        row = [info.name, info.kind, info.status_on(), _day(info), _instead(info)]
        row += [capability_summary(info), price_summary(info)]
        if args.available:
            row.append("?" if listed is None else "yes" if info.name in listed else "no")
        rows.append(row)
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        print("  ".join(cells + row[len(widths) :]).rstrip())
    print(f"\nfacts as of {models.as_of():%Y-%m-%d}; sources per fact: promptforge models --json")
    if args.available:
        if listed is None:
            print("could not list the models for these credentials: roles use their first choice")
        for role, name in roles.items():
            print(f"{role + ':':<10}{name}")
    return 0


def _day(info: ModelInfo) -> str:
    return f"{info.shutdown:%Y-%m-%d}" if info.shutdown else "-"


def _instead(info: ModelInfo) -> str:
    return "-" if info.status_on() == "current" else successor(info).name


def capability_summary(info: ModelInfo) -> str:
    """A model's key capabilities in a few words, e.g. ``14 ratios, 512-4K, 14 refs, edit``."""
    caps = info.capabilities
    parts: list[str] = []
    if isinstance(caps, GeneratorCapabilities):
        parts.append(f"{len(caps.aspect_ratios)} ratios")
        if caps.image_sizes:
            parts.append(f"{caps.image_sizes[0]}-{caps.image_sizes[-1]}")
        if caps.max_images > 1:
            parts.append(f"{caps.max_images}/call")
        if caps.max_references:
            limits = " ".join(f"{n} {role}" for role, n in caps.reference_limits.items())
            parts.append(f"{caps.max_references} refs" + (f" ({limits})" if limits else ""))
        if caps.edit:
            parts.append("edit")
    if caps.thinking_levels:
        parts.append("thinking " + "/".join(caps.thinking_levels))
    return ", ".join(parts) or "-"


def price_summary(info: ModelInfo) -> str:
    """Published prices in USD, or ``-`` where none is known."""
    price = info.price
    if price is None:
        return "-"
    parts = []
    if isinstance(price.per_image, float | int):
        parts.append(f"${price.per_image:g}/image")
    elif price.per_image:
        sizes = "/".join(f"{size} ${usd:g}" for size, usd in price.per_image.items())
        parts.append(f"image {sizes}")
    for field, label in (("input", "in"), ("output", "out"), ("thinking", "thinking")):
        rate = getattr(price, f"{field}_per_mtok")
        if rate is not None:
            parts.append(f"${rate:g}/M {label}")
    if price.batch_discount is not None:
        parts.append(f"batch -{price.batch_discount:.0%}")
    return ", ".join(parts) or "-"


def _as_json(info: ModelInfo, listed: frozenset[str] | None) -> dict[str, Any]:
    document = info.model_dump(mode="json")
    document["status"] = info.status_on()
    document["use_instead"] = None if info.status_on() == "current" else successor(info).name
    if listed is not None:
        document["available"] = info.name in listed
    return document
