"""Test doubles and checks for code that uses promptforge, and for custom backends.

- ``FakeEnhancer`` / ``FakeGenerator``: scripted, recorded (references and edits
  too), deterministic; real image bytes.
- ``instant_retries()``: no waiting between retries; records the waits instead.
- ``forbid_real_backends()``: networked backends refuse to run.
- ``FakeJudge``: scripted verdicts (or scores), recorded calls.
- ``check_enhancer`` / ``check_generator`` / ``check_judge`` (and async ``acheck_*``):
  contract checks.
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
from ._judges import FakeJudge, JudgeCall, acheck_judge, check_judge, scripted_verdict
from ._switches import forbid_real_backends, instant_retries

__all__ = [
    "ContractError",
    "EditCall",
    "FakeEnhancer",
    "FakeGenerator",
    "FakeJudge",
    "GenerateCall",
    "JudgeCall",
    "acheck_enhancer",
    "acheck_generator",
    "acheck_judge",
    "check_enhancer",
    "check_generator",
    "check_judge",
    "forbid_real_backends",
    "image_bytes",
    "instant_retries",
    "scripted_verdict",
    "size_for",
]
