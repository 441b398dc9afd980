"""Enhancers: turn a short idea into a detailed prompt."""

from ._base import EnhanceFunction, Enhancer, FunctionEnhancer

__all__ = ["EnhanceFunction", "Enhancer", "FunctionEnhancer"]
