"""What a generator returns: images, the ones a safety filter withheld, and notes."""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import Field, model_validator

from ._conversation import Conversation
from ._files import read_regular, write_atomic
from ._imageinfo import EXTENSIONS, sniff
from ._model import Base64Bytes, FrozenMap, Model
from ._usage import Usage

if TYPE_CHECKING:
    from PIL.Image import Image


class GeneratedImage(Model):
    """One rendered image. ``mime_type``, ``width`` and ``height`` are read from the bytes."""

    data: Base64Bytes = Field(default=b"", repr=False)
    """The encoded image (PNG, JPEG or WebP); standard base64 (RFC 4648 section 4) in JSON.
    Empty when the bytes were left on disk (a batch with ``out_dir``, or
    ``GenerationResult.load(lazy=True)``): ``read()`` works either way."""
    mime_type: str
    """The encoding of ``data``, e.g. ``"image/png"``."""
    width: int = Field(strict=True)
    """Width in pixels, read from ``data``."""
    height: int = Field(strict=True)
    """Height in pixels, read from ``data``."""
    revised_prompt: str | None = None
    """The prompt as the generator rewrote it, when it did (e.g. Imagen's rewriter)."""
    seed: int | None = None
    """The seed this image was made with, when known."""
    metadata: FrozenMap[str, str] = Field(default_factory=dict)
    """Backend facts worth keeping (e.g. ``{"preview": "true"}`` for offline previews)."""
    path: str | None = None
    """The image file, when the bytes were left on disk instead of in ``data``: absolute
    once loaded (``GenerationResult.load``); relative to the result folder in
    ``result.json`` and in a result's JSON."""
    conversation: Conversation | None = Field(default=None, repr=False)
    """The turns that made this image, for a generator that continues them when editing
    (Gemini image models); saved with the result so an edit after ``load`` continues it."""

    @model_validator(mode="before")
    @classmethod
    def _read_header(cls, values: Any) -> Any:
        if not isinstance(values, dict) or not isinstance(values.get("data"), bytes):
            return values
        if not values["data"]:
            return values  # left on disk: checked after validation
        try:
            mime, width, height = sniff(values["data"])
        except ValueError as exc:
            raise ValueError(f"data: {exc}") from None
        claimed = values.get("mime_type")
        if claimed is not None and claimed != mime:
            raise ValueError(f"mime_type: {claimed!r} does not match the bytes, which are {mime}")
        for key, actual in (("width", width), ("height", height)):
            if values.get(key) not in (None, actual):
                raise ValueError(f"{key}: {values[key]} does not match the bytes ({actual})")
        return {**values, "mime_type": mime, "width": width, "height": height}

    @model_validator(mode="after")
    def _check_header(self) -> GeneratedImage:
        if not self.data:
            if self.path is None:
                raise ValueError("data: empty, and no path says where the image is")
            return self
        # Bytes arriving as base64 JSON skip the before-check above; verify them here.
        if sniff(self.data) != (self.mime_type, self.width, self.height):
            raise ValueError(
                f"mime_type/width/height ({self.mime_type}, {self.width}x{self.height}) "
                "do not match the image bytes"
            )
        return self

    @classmethod
    def from_bytes(
        cls,
        data: bytes,
        *,
        revised_prompt: str | None = None,
        seed: int | None = None,
        metadata: dict[str, str] | None = None,
        conversation: Conversation | None = None,
    ) -> GeneratedImage:
        """Wrap encoded image bytes; format and size are read from them.

        Raises:
            pydantic.ValidationError: the bytes are not a PNG, JPEG, WebP or GIF image.
        """
        return cls.model_validate(
            {
                "data": data,
                "revised_prompt": revised_prompt,
                "seed": seed,
                "metadata": metadata or {},
                "conversation": conversation,
            }
        )

    def read(self) -> bytes:
        """The encoded image, from memory or, when it was left on disk, from ``path``.

        Raises:
            ValueError: ``path`` is relative (read the result with ``GenerationResult.load``),
                not a regular file, or holds other bytes than ``mime_type`` / ``width`` /
                ``height`` declare.
            OSError: the file cannot be read.
        """
        if self.data or self.path is None:
            return self.data
        if not Path(self.path).is_absolute():
            raise ValueError(
                f"image path {self.path!r} is relative to its result folder; read the "
                "result with GenerationResult.load(folder)"
            )
        data = read_regular(Path(self.path))
        self.check(data, name=self.path)
        return data

    def check(self, data: bytes, *, name: str) -> None:
        """Raise ``ValueError`` naming ``name`` unless ``data`` is the image this declares."""
        try:
            found = sniff(data)
        except ValueError as exc:
            raise ValueError(f"{name}: {exc}") from None
        if found != (self.mime_type, self.width, self.height):
            raise ValueError(
                f"{name}: holds {found[0]} {found[1]}x{found[2]}, not the declared "
                f"{self.mime_type} {self.width}x{self.height}"
            )

    @property
    def extension(self) -> str:
        """The file extension for ``mime_type``, e.g. ``".png"``."""
        return EXTENSIONS.get(self.mime_type, ".bin")

    def to_pil(self) -> Image:
        """Decode into a ``PIL.Image.Image``."""
        from PIL import Image

        image = Image.open(io.BytesIO(self.read()))
        image.load()
        return image

    def save(self, path: str | Path) -> Path:
        """Write the bytes to ``path`` atomically; adds the extension if ``path`` has none."""
        path = Path(path)
        if not path.suffix:
            path = path.with_suffix(self.extension)
        return write_atomic(path, self.read())

    def __repr__(self) -> str:
        held = f"{len(self.data)} B" if self.data else f"on disk at {self.path}"
        return f"GeneratedImage({self.mime_type}, {self.width}x{self.height}, {held})"


class FilteredImage(Model):
    """An image the generator made but withheld (safety filter)."""

    reason: str
    """What the backend said, e.g. Imagen's ``rai_filtered_reason``."""


class GenerationOutput(Model):
    """A generator's answer to one call."""

    images: tuple[GeneratedImage, ...] = ()
    """Images returned."""
    filtered: tuple[FilteredImage, ...] = ()
    """Images withheld by a safety filter."""
    warnings: tuple[str, ...] = ()
    """Adaptations the generator made (e.g. "seed needs the watermark off; turned it off")."""
    usage: Usage = Field(default_factory=Usage)
    """Tokens the backend reported for the call (the pipeline counts the images itself)."""
