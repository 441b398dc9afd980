from __future__ import annotations

from collections.abc import Iterator

import pytest

from promptforge.testing import forbid_real_backends, instant_retries


@pytest.fixture(autouse=True)
def _private_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No test writes to the real user's data directory (the CLI's run log lives there)."""
    monkeypatch.setenv("PROMPTFORGE_HOME", str(tmp_path_factory.mktemp("home")))
    monkeypatch.delenv("PROMPTFORGE_LOG", raising=False)


@pytest.fixture(autouse=True)
def _no_real_backends() -> Iterator[None]:
    with forbid_real_backends():
        yield


@pytest.fixture
def waits() -> Iterator[list[float]]:
    """Retries without waiting; the list holds the delays that would have been slept."""
    with instant_retries() as recorded:
        yield recorded
