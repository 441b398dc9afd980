"""Generators: render a prompt into images."""

from typing import TYPE_CHECKING

from .. import _lazy
from ._base import Generator, GeneratorCapabilities

if TYPE_CHECKING:
    from .gemini_image import GeminiImageGenerator
    from .imagen import ImagenGenerator
    from .preview import PreviewGenerator

# Each backend is imported when first named (``_lazy``).
_LAZY = {
    "GeminiImageGenerator": ".gemini_image",
    "ImagenGenerator": ".imagen",
    "PreviewGenerator": ".preview",
}

__all__ = [
    "GeminiImageGenerator",
    "Generator",
    "GeneratorCapabilities",
    "ImagenGenerator",
    "PreviewGenerator",
]


def __getattr__(name: str) -> object:
    return _lazy.load(__name__, _LAZY, name)


def __dir__() -> list[str]:
    return _lazy.names(globals(), __all__)
