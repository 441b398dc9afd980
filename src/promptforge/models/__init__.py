"""The model catalogue: which Google models exist, what they can do, when they retire.

Model facts are data, not code: ``catalogue.json`` in this package lists each model's kind,
status, release / deprecation / shutdown dates, replacement, capabilities and prices, each
with its source and date. ``PROMPTFORGE_MODELS=path`` merges a user's file over it (same
format; every section optional; an entry overrides field by field), so a team can record a
new model or a changed date without a release.

>>> from promptforge import models
>>> [m.name for m in models.list(kind="image", status="current")]  # doctest: +SKIP
>>> models.get(models.preferences("image")[0]).capabilities.aspect_ratios  # doctest: +SKIP

A backend built without ``model=`` picks its model by role (``enhancer``, ``image``,
``judge``): the first of ``preferences(role)`` the credentials can use; see ``docs/google.md``.
"""

from __future__ import annotations

import builtins
from datetime import date

from .._errors import InvalidRequestError
from ._load import USER_FILE_VARIABLE, catalogue
from ._resolve import ROLE_VARIABLES
from ._schema import Citation, Kind, ModelInfo, Price, Role, Status, TextCapabilities

__all__ = [
    "ROLE_VARIABLES",
    "USER_FILE_VARIABLE",
    "Citation",
    "Kind",
    "ModelInfo",
    "Price",
    "Role",
    "Status",
    "TextCapabilities",
    "as_of",
    "get",
    "list",
    "preferences",
]


def get(name: str) -> ModelInfo:
    """The catalogue entry for ``name``; a model it does not list yet gets its family's
    conservative capabilities (status ``"unknown"``).

    Raises:
        InvalidRequestError: no entry and no family matches ``name``.
    """
    book = catalogue()
    known = book.models.get(name)
    if known is not None:
        return known
    family = book.family_for(name)
    if family is None:
        raise InvalidRequestError(
            f"model: {name!r} is not in the model catalogue and matches no model family "
            f"(families: {', '.join(book.families)}); see `promptforge models`",
            field="model",
        )
    return book.unknown(name, family)


def list(kind: Kind | None = None, *, status: Status | None = None) -> builtins.list[ModelInfo]:
    """The catalogued models, in catalogue order, optionally of one kind and status (as of
    today: a model past its shutdown date counts as retired)."""
    return [
        info
        for info in catalogue().models.values()
        if (kind is None or info.kind == kind) and (status is None or info.status_on() == status)
    ]


def preferences(role: Role) -> tuple[str, ...]:
    """The models a backend built without ``model=`` tries for ``role``, best first."""
    return catalogue().roles[role]


def as_of() -> date:
    """The date of the newest reading behind the catalogue's facts."""
    return catalogue().as_of
