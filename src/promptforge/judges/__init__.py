"""Judges: look at an image and say how well it matches its prompt.

``Judge`` is the interface (one async method, ``judge(prompt, image) -> Verdict``);
``GeminiJudge`` asks a Gemini model yes/no questions about the image; ``PixelJudge``
measures what pixels can show, offline.
"""

from typing import TYPE_CHECKING

from .. import _lazy
from ._base import WEIGHTS, Check, Judge, Question, Verdict, questions, score_of, verdict_from

if TYPE_CHECKING:
    from .gemini import GeminiJudge
    from .pixels import PixelJudge

# Each backend is imported when first named (``_lazy``).
_LAZY = {"GeminiJudge": ".gemini", "PixelJudge": ".pixels"}

__all__ = [
    "WEIGHTS",
    "Check",
    "GeminiJudge",
    "Judge",
    "PixelJudge",
    "Question",
    "Verdict",
    "questions",
    "score_of",
    "verdict_from",
]


def __getattr__(name: str) -> object:
    return _lazy.load(__name__, _LAZY, name)


def __dir__() -> list[str]:
    return _lazy.names(globals(), __all__)
