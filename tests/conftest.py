from __future__ import annotations

from collections.abc import Iterator

import pytest

from promptforge.testing import forbid_real_backends, instant_retries


@pytest.fixture(autouse=True)
def _no_real_backends() -> Iterator[None]:
    with forbid_real_backends():
        yield


@pytest.fixture
def waits() -> Iterator[list[float]]:
    """Retries without waiting; the list holds the delays that would have been slept."""
    with instant_retries() as recorded:
        yield recorded
