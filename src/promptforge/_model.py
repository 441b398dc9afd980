"""The base every promptforge data type shares: frozen, strict, self-documenting."""

from __future__ import annotations

import ast
import base64
import binascii
import inspect
import linecache
import sys
import textwrap
from collections.abc import Mapping
from types import FrameType
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
from pydantic._internal._docs_extraction import extract_docstrings_from_cls

K = TypeVar("K")
V = TypeVar("V")


class Model(BaseModel):
    """Frozen pydantic model; unknown fields are errors; bytes travel as base64 in JSON.

    Collections on these models are immutable too (tuples, ``FrozenDict``), and
    ``model_copy(update=...)`` validates the update, so a copy keeps that promise.
    A field's description is the docstring under it (``_attribute_docs``).
    """

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        ser_json_bytes="base64",
        val_json_bytes="base64",
        defer_build=True,
    )

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        docs = _attribute_docs(cls)
        for name, info in cls.__pydantic_fields__.items():
            if info.description is None and name in docs:
                info.description = docs[name]
        if docs and cls.__pydantic_complete__:  # built already: build it with them
            cls.model_rebuild(force=True)

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy with ``update`` applied; unlike pydantic's, the update is validated."""
        copied = super().model_copy(deep=deep)
        if not update:
            return copied
        values = {name: getattr(copied, name) for name in type(self).model_fields}
        fresh = self.model_validate({**values, **update})
        object.__setattr__(fresh, "__pydantic_fields_set__", self.model_fields_set | set(update))
        return fresh


def _attribute_docs(cls: type[BaseModel]) -> dict[str, str]:
    """Each field's docstring, by field name: what pydantic's ``use_attribute_docstrings``
    finds, at a fraction of its cost at import (it walks every frame through ``inspect``
    and tokenizes the source for each class). This reads the class's own lines from the
    frame that is defining it, by indentation, and parses them once; anything unusual
    (no source, lines the indentation cannot delimit) is left to pydantic's way."""
    module = sys.modules.get(cls.__module__)
    frame: FrameType | None = sys._getframe(1)
    while frame is not None and (module is None or frame.f_globals is not vars(module)):
        frame = frame.f_back
    if frame is None or frame.f_globals is globals():
        return extract_docstrings_from_cls(cls)
    lines = linecache.getlines(frame.f_code.co_filename, frame.f_globals)
    start = frame.f_lineno - 1
    if not 0 <= start < len(lines):
        return extract_docstrings_from_cls(cls)
    indent = _indent(lines[start])
    end = start + 1
    while end < len(lines) and (not lines[end].strip() or _indent(lines[end]) > indent):
        end += 1
    try:
        tree = ast.parse(textwrap.dedent("".join(lines[start:end])))
    except SyntaxError:  # e.g. a string's line further left than the class body
        return extract_docstrings_from_cls(cls)
    node = tree.body[0] if tree.body else None
    if not isinstance(node, ast.ClassDef) or node.name != cls.__name__:
        return extract_docstrings_from_cls(cls)
    return {
        field.target.id: inspect.cleandoc(doc.value.value)
        for field, doc in zip(node.body, node.body[1:], strict=False)
        if isinstance(field, ast.AnnAssign)
        and isinstance(field.target, ast.Name)
        and isinstance(doc, ast.Expr)
        and isinstance(doc.value, ast.Constant)
        and isinstance(doc.value.value, str)
    }


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


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
