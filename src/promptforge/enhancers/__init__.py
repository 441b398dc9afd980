"""Enhancers: turn a short idea into a detailed prompt."""

from ._base import EnhanceFunction, Enhancer, FunctionEnhancer
from .gemini import GeminiEnhancer

__all__ = ["EnhanceFunction", "Enhancer", "FunctionEnhancer", "GeminiEnhancer"]
