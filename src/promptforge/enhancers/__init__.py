"""Enhancers: turn a short idea into a detailed prompt."""

from typing import TYPE_CHECKING

from .. import _lazy
from ._base import EnhanceFunction, Enhancer, FunctionEnhancer

if TYPE_CHECKING:
    from .gemini import GeminiEnhancer
    from .rules import RuleEnhancer

# Each backend is imported when first named (``_lazy``).
_LAZY = {"GeminiEnhancer": ".gemini", "RuleEnhancer": ".rules"}

__all__ = ["EnhanceFunction", "Enhancer", "FunctionEnhancer", "GeminiEnhancer", "RuleEnhancer"]


def __getattr__(name: str) -> object:
    return _lazy.load(__name__, _LAZY, name)


def __dir__() -> list[str]:
    return _lazy.names(globals(), __all__)
