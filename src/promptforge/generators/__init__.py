"""Generators: render a prompt into images."""

from ._base import Generator, GeneratorCapabilities

__all__ = ["Generator", "GeneratorCapabilities"]
