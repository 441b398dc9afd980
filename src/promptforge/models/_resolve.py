"""Defaults by role: the first preferred model these credentials can use, found once.

One ``models.list`` call per set of credentials per process tells which models a key or
project can call; each role then takes the first model of its preference list that was
listed. An environment variable per role overrides the choice; a failed listing falls back
to the first preference (said at debug level).
"""

from __future__ import annotations

import asyncio
import logging
import os
import weakref
from collections.abc import Hashable
from typing import TYPE_CHECKING

from ._load import catalogue
from ._schema import Role

if TYPE_CHECKING:
    from google.genai import Client

logger = logging.getLogger("promptforge")

ROLE_VARIABLES: dict[Role, str] = {
    "enhancer": "PROMPTFORGE_ENHANCER_MODEL",
    "image": "PROMPTFORGE_IMAGE_MODEL",
    "judge": "PROMPTFORGE_JUDGE_MODEL",
}
"""The environment variable that names the model for each role."""
_PAGE = 1000
"""Models per listing page: Google's maximum, so one call sees them all."""

_listed: dict[Hashable, frozenset[str] | None] = {}
_pending: dict[tuple[Hashable, asyncio.AbstractEventLoop], asyncio.Task[frozenset[str] | None]] = {}


def override(role: Role) -> str | None:
    """The model the environment names for ``role``, if any."""
    return os.environ.get(ROLE_VARIABLES[role], "").strip() or None


def first_choice(role: str) -> str:
    """The role's first preference: the default when nothing can be listed."""
    return catalogue().roles[role][0]


def choose(role: Role, listed: frozenset[str] | None) -> str:
    """The first preference for ``role`` among ``listed`` (``None``: listing failed)."""
    preferences = catalogue().roles[role]
    if listed is None:
        return preferences[0]
    found = next((name for name in preferences if name in listed), None)
    if found is None:
        logger.debug(
            "none of the %s models %s is listed for these credentials; using %s",
            role,
            ", ".join(preferences),
            preferences[0],
        )
        return preferences[0]
    return found


async def listed_models(client: Client, key: Hashable | None) -> frozenset[str] | None:
    """The model ids ``client`` can call, listed once per ``key`` per process (concurrent
    first callers share the one call); ``None`` when listing failed. ``key`` None: once per
    ``client`` object, forgotten with it."""
    if key is None:
        key = ("client", id(client))
        if key not in _listed:
            weakref.finalize(client, _listed.pop, key, None)
    if key in _listed:
        return _listed[key]
    loop = asyncio.get_running_loop()
    task = _pending.get((key, loop))
    if task is None:
        task = _pending[key, loop] = loop.create_task(_list(client))
    try:
        names = await asyncio.shield(task)
    finally:
        if task.done():
            _pending.pop((key, loop), None)
    _listed[key] = names
    return names


async def _list(client: Client) -> frozenset[str] | None:
    try:
        pager = await client.aio.models.list(config={"page_size": _PAGE})
    except Exception as exc:  # any failure: the first preference will do, and we say why
        status = getattr(exc, "code", None)
        logger.debug(
            "listing models failed (%s%s); each role uses its first preference",
            type(exc).__name__,
            f" {status}" if status else "",
        )
        return None
    # "models/gemini-x" (Gemini API) or "publishers/google/models/gemini-x" (Vertex AI)
    return frozenset(model.name.rsplit("/", 1)[-1] for model in pager.page if model.name)


def forget() -> None:
    """Forget every listing, so the next backend lists again (for tests)."""
    _listed.clear()
