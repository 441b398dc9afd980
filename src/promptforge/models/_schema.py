"""The catalogue's data types: a model, what it can do, and where each fact comes from."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any, Literal, TypeAlias

from pydantic import Field, field_validator

from .._model import FrozenMap, Model
from .._options import ThinkingLevel
from ..generators._base import GeneratorCapabilities

Kind: TypeAlias = Literal["text", "image"]
Status: TypeAlias = Literal["current", "deprecated", "retired", "unknown"]
"""``unknown``: a model the catalogue does not list, given its family's capabilities."""
Role: TypeAlias = Literal["enhancer", "image", "judge"]
"""What a default model is for: writing prompts, rendering images, judging images."""
FACTS = ("status", "released", "deprecated", "shutdown", "replacement", "price", "batch")
"""The dated facts of an entry that must each cite a source."""


class Citation(Model):
    """Where a fact comes from, and when it was read there."""

    source: str
    """The page or document, e.g. ``"Gemini API deprecations"``."""
    date: date
    """When the source said so (our reading, unless the source dates the fact itself)."""


class Price(Model):
    """Published list prices in USD; ``None`` where the price is not known (then a cost
    that needs it is unknown too: promptforge never guesses a price)."""

    input_per_mtok: float | None = Field(default=None, ge=0)
    """USD per million input tokens (text and images sent)."""
    output_per_mtok: float | None = Field(default=None, ge=0)
    """USD per million text output tokens, thinking excluded."""
    thinking_per_mtok: float | None = Field(default=None, ge=0)
    """USD per million thinking tokens (Google bills them at the output price: set both)."""
    per_image: float | FrozenMap[str, float] | None = None
    """USD per generated image: one number for every size, or by ``image_size``
    (``{"1K": 0.039, "2K": 0.134}``; the key ``"default"`` prices a request without one)."""
    batch_discount: float | None = Field(default=None, ge=0, le=1)
    """The fraction Google Batch Mode takes off (``0.5``: half price)."""

    @field_validator("per_image")
    @classmethod
    def _not_negative(cls, value: float | Mapping[str, float] | None) -> Any:
        values = value.values() if isinstance(value, Mapping) else [value]
        if any(v is not None and v < 0 for v in values):
            raise ValueError("a price cannot be negative")
        return value

    def image_price(self, image_size: str) -> float | None:
        """USD for one image of ``image_size`` (``"default"``: none asked), if known."""
        if isinstance(self.per_image, Mapping):
            return self.per_image.get(image_size)
        return self.per_image


class TextCapabilities(Model):
    """What a text model can do that promptforge uses."""

    thinking_levels: tuple[ThinkingLevel, ...] = ()
    """Values the model's ``thinking_level`` may take; empty when it has none."""


class ModelInfo(Model):
    """One model in the catalogue: its kind, status, dates, replacement and capabilities."""

    name: str
    """The model id, as the API takes it."""
    kind: Kind
    """``"text"`` or ``"image"``."""
    family: str
    """The family whose defaults fill what the entry leaves out (e.g. ``"gemini-image"``)."""
    backend: str
    """The promptforge backend class that calls it, e.g. ``"GeminiImageGenerator"``."""
    status: Status
    """``current``, ``deprecated`` (still callable, on its way out), ``retired`` (shut
    down: calls fail with 404) or ``unknown`` (not in the catalogue)."""
    released: date | None = None
    """General availability."""
    deprecated: date | None = None
    """When Google deprecated it or closed it to new projects."""
    shutdown: date | None = None
    """When calls stop working (announced or past)."""
    replacement: str | None = None
    """The model Google names as its replacement, when it names one."""
    note: str | None = None
    """Anything else worth knowing, in a few words."""
    capabilities: GeneratorCapabilities | TextCapabilities
    """What it can do: ``GeneratorCapabilities`` for image models."""
    price: Price | None = None
    """Published prices, where known."""
    batch: bool | None = None
    """Whether Google's Batch Mode (Gemini API ``batches``, half price) takes this model;
    ``None``: not known, treated as no (``Pipeline.submit`` refuses it before any request)."""
    cite: dict[str, Citation] = Field(default_factory=dict)
    """The source of each fact: ``"status"``, ``"shutdown"``, ``"capabilities.image_sizes"``,
    ``"price"`` (or one price, ``"price.per_image"``)..."""

    def price_date(self, field: str) -> date | None:
        """The date of the source of price ``field`` (e.g. ``"per_image"``), when cited."""
        cited = self.cite.get(f"price.{field}") or self.cite.get("price")
        return cited.date if cited is not None else None

    @property
    def thinking_levels(self) -> tuple[ThinkingLevel, ...]:
        """The thinking levels the model takes (empty: none)."""
        return self.capabilities.thinking_levels

    def status_on(self, day: date | None = None) -> Status:
        """The status on ``day`` (today by default): a passed shutdown date means retired."""
        if self.shutdown is not None and (day or date.today()) >= self.shutdown:
            return "retired"
        return self.status

    def retired(self, day: date | None = None) -> bool:
        """Whether calls to it fail on ``day`` (today by default)."""
        return self.status_on(day) == "retired"


# -- the file format: validated as read, then merged and turned into ``ModelInfo`` ----------


class SourceEntry(Model):
    """A source the file cites by key."""

    title: str
    date: date


class FamilyEntry(Model):
    """A family: how to recognise its members, their backend and default capabilities."""

    kind: Kind
    match: str
    """A regular expression a model id of this family matches (``re.search``)."""
    backend: str
    capabilities: dict[str, Any] = Field(default_factory=dict)
    cite: dict[str, str] = Field(default_factory=dict)


class ModelEntry(Model):
    """A model as written in a catalogue file (a user file may give only some fields)."""

    family: str | None = None
    status: Literal["current", "deprecated", "retired"] | None = None
    released: date | None = None
    deprecated: date | None = None
    shutdown: date | None = None
    replacement: str | None = None
    note: str | None = None
    capabilities: dict[str, Any] = Field(default_factory=dict)
    price: Price | None = None
    batch: bool | None = None
    cite: dict[str, str] = Field(default_factory=dict)
    """Fact name -> source key, or ``"key@YYYY-MM-DD"`` for a fact the source dates."""


class CatalogueFile(Model):
    """A whole catalogue file: the shipped one, or a user's (every section optional)."""

    as_of: date | None = None
    about: str | None = None
    sources: dict[str, SourceEntry] = Field(default_factory=dict)
    roles: dict[str, list[str]] = Field(default_factory=dict)
    families: dict[str, FamilyEntry] = Field(default_factory=dict)
    models: dict[str, ModelEntry] = Field(default_factory=dict)
