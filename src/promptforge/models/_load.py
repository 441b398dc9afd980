"""Reading the catalogue: the shipped file, a user's file merged over it, validated once."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .._errors import ConfigurationError
from .._files import read_json
from ..generators._base import GeneratorCapabilities
from ._schema import (
    FACTS,
    CatalogueFile,
    Citation,
    FamilyEntry,
    Kind,
    ModelEntry,
    ModelInfo,
    TextCapabilities,
)

USER_FILE_VARIABLE = "PROMPTFORGE_MODELS"
_SHIPPED = "catalogue.json"
MAX_CATALOGUE_BYTES = 4 << 20
"""The largest user catalogue read (4 MiB; the shipped one is about 10 KiB)."""


@dataclass(frozen=True)
class Family:
    """A family ready to use: its pattern compiled, its default capabilities kept raw."""

    name: str
    kind: Kind
    pattern: re.Pattern[str]
    backend: str
    capabilities: dict[str, Any]
    cite: dict[str, Citation]


@dataclass(frozen=True)
class Catalogue:
    """Every model promptforge knows, its families and the preference list of each role."""

    as_of: date
    """The date of the newest reading behind the facts."""
    models: dict[str, ModelInfo]
    families: dict[str, Family]
    roles: dict[str, tuple[str, ...]]

    def family_for(self, name: str) -> Family | None:
        """The first family whose pattern ``name`` matches."""
        return next((f for f in self.families.values() if f.pattern.search(name)), None)

    def unknown(self, name: str, family: Family) -> ModelInfo:
        """An entry for a model the catalogue lacks: its family's conservative defaults."""
        return ModelInfo(
            name=name,
            kind=family.kind,
            family=family.name,
            backend=family.backend,
            status="unknown",
            capabilities=_capabilities(family.kind, family.capabilities),
            cite=family.cite,
        )


def catalogue() -> Catalogue:
    """The catalogue, with ``PROMPTFORGE_MODELS`` merged over the shipped file (read once
    per value of the variable).

    Raises:
        ConfigurationError: the user's file is missing or invalid (naming the entry).
    """
    return _load(os.environ.get(USER_FILE_VARIABLE) or None)


@cache
def _load(user_file: str | None) -> Catalogue:
    from importlib import resources  # only when the catalogue is first read

    shipped = resources.files(__package__).joinpath(_SHIPPED).read_text("utf-8")
    shipped_file = _parse(json.loads(shipped), "the shipped model catalogue")
    layers: list[tuple[CatalogueFile, Citation | None]] = [(shipped_file, None)]
    if user_file is not None:
        path = Path(user_file)
        label = f"{USER_FILE_VARIABLE}={user_file}"
        try:
            raw = read_json(path, MAX_CATALOGUE_BYTES)
        except (OSError, ValueError) as exc:
            raise ConfigurationError(f"{label}: cannot read it as JSON ({exc})") from None
        stamp = date.fromtimestamp(path.stat().st_mtime)
        layers.append((_parse(raw, label), Citation(source=label, date=stamp)))
    return _build(layers)


def _parse(raw: Any, label: str) -> CatalogueFile:
    try:
        return CatalogueFile.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(part) for part in first["loc"])
        raise ConfigurationError(f"{label}: {where}: {first['msg']}") from None


def _build(layers: list[tuple[CatalogueFile, Citation | None]]) -> Catalogue:
    """Merge the layers (later ones win, field by field) and check every entry."""
    sources: dict[str, Citation] = {}
    roles: dict[str, tuple[str, ...]] = {}
    families: dict[str, FamilyEntry] = {}
    entries: dict[str, dict[str, Any]] = {}
    as_of = date.min
    for layer, default in layers:
        label = "model catalogue" if default is None else default.source
        as_of = max(as_of, layer.as_of or date.min)
        sources |= {k: Citation(source=s.title, date=s.date) for k, s in layer.sources.items()}
        roles |= {role: tuple(names) for role, names in layer.roles.items()}
        families |= layer.families
        for name, entry in layer.models.items():
            where = f"{label}: models.{name}.cite"
            given = entry.model_dump(exclude_unset=True)
            earlier = entries.get(name, {})
            cited = {k: _cite(v, sources, f"{where}.{k}") for k, v in entry.cite.items()}
            entries[name] = {
                **earlier,
                **given,
                "capabilities": {**earlier.get("capabilities", {}), **entry.capabilities},
                "cite": {**earlier.get("cite", {}), **cited, **_uncited(given, entry, default)},
            }
    built = {name: _family(name, family, sources) for name, family in families.items()}
    models = {name: _model(name, data, built) for name, data in entries.items()}
    for role, names in roles.items():
        for name in names:
            if name not in models:
                raise ConfigurationError(f"model catalogue: roles.{role}: {name!r} is not listed")
    return Catalogue(as_of=as_of, models=models, families=built, roles=roles)


def _cite(value: str, sources: dict[str, Citation], where: str) -> Citation:
    key, _, day = value.partition("@")
    if key not in sources:
        raise ConfigurationError(f"{where}: unknown source {key!r} (known: {', '.join(sources)})")
    source = sources[key]
    try:
        return source if not day else source.model_copy(update={"date": date.fromisoformat(day)})
    except ValueError:
        raise ConfigurationError(f"{where}: {day!r} after '@' is not a date (YYYY-MM-DD)") from None


def _uncited(given: dict[str, Any], entry: ModelEntry, default: Citation | None) -> dict[str, Any]:
    """Citations for the facts a user file states without citing (the file itself)."""
    if default is None:
        return {}
    facts = [key for key in FACTS if key in given and key not in entry.cite]
    if entry.capabilities and "capabilities" not in entry.cite:
        facts += [f"capabilities.{key}" for key in entry.capabilities]
    return dict.fromkeys(facts, default)


def _family(name: str, entry: FamilyEntry, sources: dict[str, Citation]) -> Family:
    where = f"model catalogue: families.{name}"
    try:
        pattern = re.compile(entry.match)
    except re.error as exc:
        raise ConfigurationError(
            f"{where}.match: {entry.match!r} is not a pattern ({exc})"
        ) from None
    return Family(
        name=name,
        kind=entry.kind,
        pattern=pattern,
        backend=entry.backend,
        capabilities=entry.capabilities,
        cite={k: _cite(v, sources, f"{where}.cite.{k}") for k, v in entry.cite.items()},
    )


def _model(name: str, data: dict[str, Any], families: dict[str, Family]) -> ModelInfo:
    where = f"model catalogue: models.{name}"
    family = families.get(data.get("family") or "")
    if family is None:
        raise ConfigurationError(
            f"{where}.family: {data.get('family')!r} is not a family (known: {', '.join(families)})"
        )
    if data.get("status") is None:
        raise ConfigurationError(f"{where}.status: missing (current, deprecated or retired)")
    cite: dict[str, Citation] = data["cite"]
    stated = [key for key in FACTS if key != "price" and data.get(key) is not None]
    stated += [f"capabilities.{key}" for key in data["capabilities"]]
    price = data.get("price") or {}
    stated += [f"price.{key}" for key, value in dict(price).items() if value is not None]
    for fact in stated:
        if fact not in cite and fact.partition(".")[0] not in cite:
            raise ConfigurationError(f"{where}: {fact} has no source (add it to 'cite')")
    try:
        capabilities = _capabilities(family.kind, {**family.capabilities, **data["capabilities"]})
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        field = ".".join(str(part) for part in first["loc"])
        raise ConfigurationError(f"{where}.capabilities.{field}: {first['msg']}") from None
    return ModelInfo(
        name=name,
        kind=family.kind,
        family=family.name,
        backend=family.backend,
        status=data["status"],
        released=data.get("released"),
        deprecated=data.get("deprecated"),
        shutdown=data.get("shutdown"),
        replacement=data.get("replacement"),
        note=data.get("note"),
        capabilities=capabilities,
        price=data.get("price"),
        batch=data.get("batch"),
        cite={**family.cite, **cite},
    )


def _capabilities(kind: Kind, values: dict[str, Any]) -> GeneratorCapabilities | TextCapabilities:
    if kind == "image":
        return GeneratorCapabilities.model_validate(values)
    return TextCapabilities.model_validate(values)
