"""Generators: render a prompt into images."""

from ._base import Generator, GeneratorCapabilities
from .gemini_image import GeminiImageGenerator
from .imagen import ImagenGenerator

__all__ = ["GeminiImageGenerator", "Generator", "GeneratorCapabilities", "ImagenGenerator"]
