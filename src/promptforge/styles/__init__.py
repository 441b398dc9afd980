"""Style presets: named looks an enhancer folds into the prompt.

>>> from promptforge.styles import get_style
>>> get_style("watercolor").phrases[0]
'watercolor painting'
"""

from ._preset import StylePreset
from ._registry import CATEGORIES, get_style, list_styles, load_styles, register_style

__all__ = [
    "CATEGORIES",
    "StylePreset",
    "get_style",
    "list_styles",
    "load_styles",
    "register_style",
]
