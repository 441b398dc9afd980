"""Enhancers: turn a short idea into a detailed prompt."""

from ._base import EnhanceFunction, Enhancer, FunctionEnhancer
from .gemini import GeminiEnhancer
from .rules import RuleEnhancer

__all__ = ["EnhanceFunction", "Enhancer", "FunctionEnhancer", "GeminiEnhancer", "RuleEnhancer"]
