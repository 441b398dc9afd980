from __future__ import annotations

import pickle

import pytest

from promptforge import (
    BackendError,
    ConfigurationError,
    ContentBlockedError,
    InvalidRequestError,
    PromptforgeError,
    RateLimitedError,
    TransientError,
)


def test_tree() -> None:
    assert issubclass(RateLimitedError, BackendError)
    assert issubclass(TransientError, BackendError)
    for cls in (ConfigurationError, InvalidRequestError, ContentBlockedError, BackendError):
        assert issubclass(cls, PromptforgeError)
    assert not issubclass(ContentBlockedError, BackendError)


def test_constructors_take_message_then_keywords() -> None:
    limited = RateLimitedError("quota", retry_after=2.0)
    assert (str(limited), limited.retry_after, limited.status, limited.retryable) == (
        "quota", 2.0, 429, True,
    )  # fmt: skip
    failed = BackendError("down", status=503, retryable=True)
    assert (failed.status, failed.retryable, failed.stage, failed.backend) == (
        503, True, None, None,
    )  # fmt: skip
    assert not BackendError("bad key", status=400).retryable
    assert TransientError("reset").retryable
    blocked = ContentBlockedError("no", reasons=["violence"])
    assert (blocked.reasons, blocked.retryable) == (("violence",), False)
    invalid = InvalidRequestError("n: too big", field="n", allowed=["1", "2"])
    assert (invalid.field, invalid.allowed) == ("n", ("1", "2"))


@pytest.mark.parametrize(
    "error",
    [
        RateLimitedError("quota", retry_after=3.5, stage="generate", backend="X"),
        ContentBlockedError("blocked", reasons=["a", "b"], stage="enhance"),
        InvalidRequestError("bad", field="aspect_ratio", allowed=["1:1"]),
        BackendError("boom", status=500, retryable=True),
    ],
)
def test_errors_pickle_with_their_attributes(error: PromptforgeError) -> None:
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error)
    assert vars(copy) == vars(error)
    assert str(copy) == str(error)


def test_module_docstring_draws_the_tree() -> None:
    from promptforge import _errors

    assert _errors.__doc__ is not None
    for name in ("PromptforgeError", "RateLimitedError", "TransientError", "ContentBlockedError"):
        assert name in _errors.__doc__
