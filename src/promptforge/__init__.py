"""promptforge: turn a short idea into finished images.

An ``Enhancer`` (an LLM such as Gemini) writes a detailed, structured prompt from a few
words; a ``Generator`` (a diffusion model such as Imagen) renders it; a ``Pipeline``
composes the two with retries and returns a ``GenerationResult``.

>>> from promptforge import Pipeline
"""

from ._errors import (
    BackendError,
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
from ._result import ErrorInfo, GenerationResult, StageReport, SucceededResult
from ._retry import RetryPolicy
from ._store import ResultStore, ResumeReport
from .batchmode import BatchJob
from .enhancers import Enhancer, FunctionEnhancer
from .generators import Generator, GeneratorCapabilities
from .styles import StylePreset

__version__ = "0.1.0"

__all__ = [
    "MAX_PROMPT_CHARS",
    "BackendError",
    "BatchJob",
    "ConfigurationError",
    "ContentBlockedError",
    "EnhanceRequest",
    "EnhancedPrompt",
    "Enhancer",
    "ErrorInfo",
    "FilteredImage",
    "FunctionEnhancer",
    "GeneratedImage",
    "GenerationOutput",
    "GenerationResult",
    "Generator",
    "GeneratorCapabilities",
    "ImageOptions",
    "InvalidRequestError",
    "Pipeline",
    "PromptSpec",
    "PromptforgeError",
    "RateLimit",
    "RateLimitedError",
    "Reference",
    "Request",
    "ResultStore",
    "ResumeReport",
    "RetryPolicy",
    "StageReport",
    "StylePreset",
    "SucceededResult",
    "TransientError",
]

# Tracebacks and reprs show the public home of each name, not its private module.
for _name in __all__:
    _obj = globals()[_name]
    if isinstance(_obj, type):
        _obj.__module__ = "promptforge"
del _name, _obj
