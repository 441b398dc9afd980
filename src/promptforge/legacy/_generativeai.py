"""Between google-generativeai and the shared Gemini code: the schema it takes, its answers.

google-generativeai 0.8 cannot take ``PromptSpec`` as a response schema (its converter
chokes on ``minLength`` and drops ``required``), and it answers with protobuf messages whose
unset fields read as ``0`` / ``*_UNSPECIFIED`` rather than ``None``. So the schema is given
as the OpenAPI subset its ``Schema`` message holds, and each answer is read into a
google-genai ``GenerateContentResponse`` keeping only what the shared checks read.
"""

from __future__ import annotations

import copy
from functools import cache
from typing import TYPE_CHECKING, Any

from .._prompt import PromptSpec

if TYPE_CHECKING:
    from google.genai import types

_SCHEMA_KEYS = ("type", "description", "nullable", "enum", "required")

# What the block, finish-reason, parsing and usage rules read; everything else is dropped
# (google-genai's models refuse fields they do not know, and the two APIs' extras differ).
_Shape = dict[str, "_Shape | None"]
_RESPONSE: _Shape = {
    "prompt_feedback": {"block_reason": None},
    "candidates": {
        "content": {"role": None, "parts": {"text": None, "thought": None}},
        "finish_reason": None,
        "finish_message": None,
        "safety_ratings": {"category": None, "probability": None, "blocked": None},
    },
    "usage_metadata": {
        "prompt_token_count": None,
        "candidates_token_count": None,
        "thoughts_token_count": None,
        "total_token_count": None,
    },
}


def response_schema() -> dict[str, Any]:
    """``PromptSpec`` as the OpenAPI subset google-generativeai's ``Schema`` accepts."""
    return copy.deepcopy(_spec_schema())


@cache
def _spec_schema() -> dict[str, Any]:
    return _openapi(PromptSpec.model_json_schema())


def _openapi(node: dict[str, Any]) -> dict[str, Any]:
    options = [option for option in node.get("anyOf", []) if option.get("type") != "null"]
    if options:  # ``str | None``
        node = {**node, **options[0], "nullable": True}
    out = {key: node[key] for key in _SCHEMA_KEYS if key in node}
    if "items" in node:
        out["items"] = _openapi(node["items"])
    if "properties" in node:
        out["properties"] = {name: _openapi(sub) for name, sub in node["properties"].items()}
    return out


def to_genai(response: Any) -> types.GenerateContentResponse:
    """A google-generativeai ``GenerateContentResponse`` as a google-genai one."""
    from google.genai import types

    data = {
        "prompt_feedback": _as_dict(response.prompt_feedback),
        "candidates": [_as_dict(candidate) for candidate in response.candidates],
        "usage_metadata": _as_dict(response.usage_metadata),
    }
    return types.GenerateContentResponse.model_validate(_pick(data, _RESPONSE))


def _as_dict(message: Any) -> dict[str, Any]:
    """A proto-plus message as a dict: field names, enum names, unset fields left out."""
    from google.protobuf import json_format  # type: ignore[import-untyped]

    converted: dict[str, Any] = json_format.MessageToDict(
        type(message).pb(message), preserving_proto_field_name=True
    )
    return converted


def _pick(data: Any, shape: _Shape | None) -> Any:
    if shape is None:
        return data
    if isinstance(data, list):
        return [_pick(item, shape) for item in data]
    return {key: _pick(value, shape[key]) for key, value in data.items() if key in shape}
