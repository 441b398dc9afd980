"""The base every promptforge data type shares: frozen, strict, self-documenting."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Annotated, Any, NoReturn, Self, TypeAlias, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    PlainSerializer,
    ValidationInfo,
    WithJsonSchema,
)

K = TypeVar("K")
V = TypeVar("V")


class Model(BaseModel):
    """Frozen pydantic model; unknown fields are errors; bytes travel as base64 in JSON.

    Collections on these models are immutable too (tuples, ``FrozenDict``), and
    ``model_copy(update=...)`` validates the update, so a copy keeps that promise.
    """

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        use_attribute_docstrings=True,
        ser_json_bytes="base64",
        val_json_bytes="base64",
        defer_build=True,
    )

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy with ``update`` applied; unlike pydantic's, the update is validated."""
        copied = super().model_copy(deep=deep)
        if not update:
            return copied
        values = {name: getattr(copied, name) for name in type(self).model_fields}
        fresh = self.model_validate({**values, **update})
        object.__setattr__(fresh, "__pydantic_fields_set__", self.model_fields_set | set(update))
        return fresh


class FrozenDict(dict[K, V]):
    """A ``dict`` that refuses every change: the mapping fields of frozen models."""

    __slots__ = ()

    def _refuse(self, *args: object, **kwargs: object) -> NoReturn:
        raise TypeError(f"{type(self).__name__} is immutable")

    __setitem__ = __delitem__ = __ior__ = _refuse
    clear = pop = popitem = setdefault = update = _refuse

    def __reduce__(self) -> tuple[type[FrozenDict[K, V]], tuple[dict[K, V]]]:
        return type(self), (dict(self),)


def _freeze(value: Mapping[K, V]) -> Mapping[K, V]:
    return value if isinstance(value, FrozenDict) else FrozenDict(value)


def _from_base64(value: Any, info: ValidationInfo) -> Any:
    """In JSON, bytes are base64: standard (RFC 4648 section 4), or URL-safe as earlier
    releases wrote, padded or not. Python input is left to pydantic."""
    if info.mode != "json" or not isinstance(value, str):
        return value
    text = value.translate(_URLSAFE).rstrip("=")
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("not valid base64") from None


def _to_base64(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


_URLSAFE = str.maketrans("-_", "+/")

Base64Bytes: TypeAlias = Annotated[
    bytes,
    BeforeValidator(_from_base64),
    PlainSerializer(_to_base64, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "base64"}, mode="serialization"),
    WithJsonSchema({"type": "string", "format": "base64"}, mode="validation"),
]
"""Bytes, as standard base64 in JSON (``+`` and ``/``, padded); both alphabets are read."""

FrozenMap: TypeAlias = Annotated[Mapping[K, V], AfterValidator(_freeze)]
"""A model field holding a read-only mapping: a dict on input and in JSON, frozen inside."""
