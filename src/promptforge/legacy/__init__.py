"""Adapters for the deprecated Google SDKs, behind promptforge's interfaces.

For apps still on **google-generativeai** or **google-cloud-aiplatform**
(``vertexai.preview.vision_models``) that want promptforge before migrating. Both SDKs are
deprecated upstream; new code should use ``promptforge.enhancers.GeminiEnhancer`` and
``promptforge.generators.GeminiImageGenerator`` / ``ImagenGenerator`` (see docs/legacy.md).
Install them with ``pip install "promptforge[legacy]"``; nothing else in promptforge imports
them. Importing this package only checks that they are installed; each SDK is imported
when its first adapter is built, with its deprecation warning said once.

>>> from promptforge.legacy import LegacyGeminiEnhancer, LegacyImagenGenerator
"""

from ._sdk import LegacySDKWarning, check_installed

check_installed()

from .gemini import LegacyGeminiEnhancer  # noqa: E402
from .imagen import LegacyImagenGenerator  # noqa: E402

__all__ = ["LegacyGeminiEnhancer", "LegacyImagenGenerator", "LegacySDKWarning"]

LegacySDKWarning.__module__ = __name__  # its public home, in tracebacks and filters
