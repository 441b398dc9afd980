"""Judges: look at an image and say how well it matches its prompt.

``Judge`` is the interface (one async method, ``judge(prompt, image) -> Verdict``);
``GeminiJudge`` asks a Gemini model yes/no questions about the image; ``PixelJudge``
measures what pixels can show, offline.
"""

from ._base import WEIGHTS, Check, Judge, Question, Verdict, questions, score_of, verdict_from
from .gemini import GeminiJudge
from .pixels import PixelJudge

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
