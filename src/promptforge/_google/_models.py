"""What the Google backends take from the model catalogue: entries, defaults, retirements.

No model is named here: names, dates and capabilities live in ``promptforge/models/
catalogue.json``. A backend given ``model=`` (or a role's environment variable) keeps that
model; a retired or deprecated one is announced once in the log, and its 404 names the
shutdown date and the replacement.
"""

from __future__ import annotations

import logging

from .._errors import InvalidRequestError
from ..generators._base import GeneratorCapabilities
from ..models._load import catalogue
from ..models._resolve import first_choice, override
from ..models._schema import ModelInfo, Role

logger = logging.getLogger("promptforge")
_announced: set[str] = set()
_DEFAULT_ROLE = {"image": "image", "text": "enhancer"}
"""The role whose first choice replaces a retired model of each kind Google names no
successor for."""


def pick(model: str | None, role: Role) -> tuple[str, bool]:
    """``(model, named)``: the app's model, else the role's environment variable, else the
    role's first preference (``named`` False: to be resolved on first use)."""
    named = model or override(role)
    return (named, True) if named else (first_choice(role), False)


def info_for(name: str, family: str) -> ModelInfo:
    """The catalogue entry for ``name``, or ``family``'s conservative defaults when the
    catalogue does not list it yet (a new release works on day one).

    Raises:
        InvalidRequestError: ``name`` is a model of the other kind (text for image).
    """
    book = catalogue()
    home = book.families[family]
    known = book.models.get(name)
    if known is None:
        return book.unknown(name, home)
    if known.kind != home.kind:
        current = [
            m.name for m in book.models.values() if m.kind == home.kind and m.status == "current"
        ]
        raise InvalidRequestError(
            f"model: {name!r} is a {known.kind} model; {home.backend} needs an {home.kind} "
            f"model, e.g. {', '.join(current)}",
            field="model",
            allowed=tuple(current),
        )
    return known


def successor(info: ModelInfo) -> ModelInfo:
    """The current model to use instead of ``info``: its replacement, followed while that is
    not current either, else the first choice of its kind's default role."""
    book = catalogue()
    seen = {info.name}
    step = info
    while step.replacement and step.replacement in book.models and step.replacement not in seen:
        step = book.models[step.replacement]
        seen.add(step.name)
        if step.status_on() == "current":
            return step
    return book.models[first_choice(_DEFAULT_ROLE[info.kind])]


def advice(info: ModelInfo) -> str | None:
    """``"x was retired on D; use B(model='y') instead"`` for a model on its way out, else
    None."""
    status = info.status_on()
    if status == "retired":
        when = f"was retired on {info.shutdown:%Y-%m-%d}" if info.shutdown else "was retired"
    elif status == "deprecated":
        when = (
            f"is deprecated since {info.deprecated:%Y-%m-%d}"
            if info.deprecated
            else "is deprecated"
        )
        if info.shutdown:
            when += f" and shuts down on {info.shutdown:%Y-%m-%d}"
    else:
        return None
    if info.note:
        when += f" ({info.note})"
    instead = successor(info)
    return f"{info.name} {when}; use {instead.backend}(model={instead.name!r}) instead"


def replacement_hint(model: str) -> str:
    """Text for a 404 about ``model``: its shutdown date and what to use instead, if known."""
    known = catalogue().models.get(model)
    said = advice(known) if known is not None else None
    return f" ({said})" if said else ""


def announce(info: ModelInfo) -> None:
    """Log once per process that ``info``'s model is retired or deprecated, naming what to
    use instead."""
    said = advice(info)
    if said and info.name not in _announced:
        _announced.add(info.name)
        logger.warning("%s.%s", said, " Calls will fail with 404." if info.retired() else "")


def image_capabilities(info: ModelInfo) -> GeneratorCapabilities:
    """An image model's capabilities (``info_for`` has checked the kind)."""
    caps = info.capabilities
    assert isinstance(caps, GeneratorCapabilities)
    return caps
