"""The base every promptforge data type shares: frozen, strict, self-documenting."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Model(BaseModel):
    """Frozen pydantic model; unknown fields are errors; bytes travel as base64 in JSON."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        use_attribute_docstrings=True,
        ser_json_bytes="base64",
        val_json_bytes="base64",
        defer_build=True,
    )
