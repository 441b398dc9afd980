"""promptforge: turn a short idea into finished images.

An ``Enhancer`` (an LLM such as Gemini) writes a detailed, structured prompt from a few
words; a ``Generator`` (a diffusion model such as Imagen) renders it; a ``Pipeline``
composes the two with retries and returns a ``GenerationResult``. An optional ``Judge``
looks at the images and the pipeline fixes them in rounds.

>>> from promptforge import Pipeline
"""

from typing import TYPE_CHECKING

from . import _lazy
from ._cost import Cost, TotalCost, total_cost
from ._drain import Drain
from ._errors import (
    BackendError,
    BudgetExceededError,
    ConfigurationError,
    ContentBlockedError,
    InvalidRequestError,
    PromptforgeError,
    RateLimitedError,
    TransientError,
)
from ._image import FilteredImage, GeneratedImage, GenerationOutput
from ._options import MAX_PROMPT_CHARS, ImageOptions
from ._pipeline import Pipeline
from ._prompt import EnhancedPrompt, EnhanceRequest, PromptSpec
from ._ratelimit import RateLimit
from ._reference import Reference
from ._request import Request
from ._result import ErrorInfo, GenerationResult, Round, StageReport, SucceededResult
from ._retry import RetryPolicy
from ._usage import Usage
from .enhancers import Enhancer, FunctionEnhancer
from .generators import Generator, GeneratorCapabilities
from .judges import Check, Judge, Verdict
from .styles import StylePreset

if TYPE_CHECKING:
    from ._bible import Bible
    from ._budget import Estimate
    from ._provenance import Provenance, read_provenance, strip_provenance
    from ._series_result import SeriesCoherence, SeriesItem, SeriesResult
    from ._store import ResultStore, ResumeReport
    from .batchmode import BatchJob

# Used by few programs and costly to import: loaded on first use (``_lazy``).
_LAZY = {
    "BatchJob": ".batchmode",
    "Bible": "._bible",
    "Estimate": "._budget",
    "Provenance": "._provenance",
    "read_provenance": "._provenance",
    "strip_provenance": "._provenance",
    "SeriesCoherence": "._series_result",
    "SeriesItem": "._series_result",
    "SeriesResult": "._series_result",
    "ResultStore": "._store",
    "ResumeReport": "._store",
}

__version__ = "0.1.0"

__all__ = [
    "MAX_PROMPT_CHARS",
    "BackendError",
    "BatchJob",
    "Bible",
    "BudgetExceededError",
    "Check",
    "ConfigurationError",
    "ContentBlockedError",
    "Cost",
    "Drain",
    "EnhanceRequest",
    "EnhancedPrompt",
    "Enhancer",
    "ErrorInfo",
    "Estimate",
    "FilteredImage",
    "FunctionEnhancer",
    "GeneratedImage",
    "GenerationOutput",
    "GenerationResult",
    "Generator",
    "GeneratorCapabilities",
    "ImageOptions",
    "InvalidRequestError",
    "Judge",
    "Pipeline",
    "PromptSpec",
    "PromptforgeError",
    "Provenance",
    "RateLimit",
    "RateLimitedError",
    "Reference",
    "Request",
    "ResultStore",
    "ResumeReport",
    "RetryPolicy",
    "Round",
    "SeriesCoherence",
    "SeriesItem",
    "SeriesResult",
    "StageReport",
    "StylePreset",
    "SucceededResult",
    "TotalCost",
    "TransientError",
    "Usage",
    "Verdict",
    "read_provenance",
    "strip_provenance",
    "total_cost",
]

# Tracebacks and reprs show the public home of each name, not its private module.
for _name in __all__:
    _obj = globals().get(_name)
    if isinstance(_obj, type):
        _obj.__module__ = "promptforge"
del _name, _obj


def __getattr__(name: str) -> object:
    return _lazy.load(__name__, _LAZY, name, rehome=True)


def __dir__() -> list[str]:
    return _lazy.names(globals(), __all__)
