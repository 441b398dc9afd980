"""Test doubles and checks for code that uses promptforge, and for custom backends.

- ``FakeEnhancer`` / ``FakeGenerator``: scripted, recorded (references and edits
  too), deterministic; real image bytes.
- ``instant_retries()``: no waiting between retries; records the waits instead.
- ``forbid_real_backends()``: networked backends refuse to run.
- ``check_enhancer`` / ``check_generator`` (and async ``acheck_*``): contract checks.
"""

from ._contract import (
    ContractError,
    acheck_enhancer,
    acheck_generator,
    check_enhancer,
    check_generator,
)
from ._fakes import EditCall, FakeEnhancer, FakeGenerator, GenerateCall
from ._images import image_bytes, size_for
from ._switches import forbid_real_backends, instant_retries

__all__ = [
    "ContractError",
    "EditCall",
    "FakeEnhancer",
    "FakeGenerator",
    "GenerateCall",
    "acheck_enhancer",
    "acheck_generator",
    "check_enhancer",
    "check_generator",
    "forbid_real_backends",
    "image_bytes",
    "instant_retries",
    "size_for",
]
