"""Generators: render a prompt into images."""

from ._base import Generator, GeneratorCapabilities
from .gemini_image import GeminiImageGenerator
from .imagen import ImagenGenerator
from .preview import PreviewGenerator

__all__ = [
    "GeminiImageGenerator",
    "Generator",
    "GeneratorCapabilities",
    "ImagenGenerator",
    "PreviewGenerator",
]
