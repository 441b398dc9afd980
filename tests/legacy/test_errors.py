"""``google.api_core.exceptions`` onto the promptforge tree (what REST tests cannot reach)."""

from __future__ import annotations

from typing import Any

import pytest

from promptforge import (
    BackendError,
    ContentBlockedError,
    PromptforgeError,
    RateLimitedError,
    TransientError,
)
from promptforge._google._errors import map_error
from promptforge.legacy._sdk import GENERATIVEAI, load


@pytest.fixture
def exceptions() -> Any:
    load(GENERATIVEAI)  # imports google.api_core with its import-time warnings handled
    from google.api_core import exceptions

    return exceptions


def mapped(exc: BaseException, model: str = "imagen-3.0-generate-002") -> PromptforgeError:
    error = map_error(exc, model=model)
    assert error is not None
    return error


def test_a_grpc_retry_info_is_the_hint(exceptions: Any) -> None:
    from google.protobuf import duration_pb2
    from google.rpc import error_details_pb2

    info = error_details_pb2.RetryInfo(
        retry_delay=duration_pb2.Duration(seconds=4, nanos=5 * 10**8)
    )
    error = mapped(exceptions.TooManyRequests("Quota exceeded", details=[info]))
    assert isinstance(error, RateLimitedError)
    assert error.retry_after == 4.5
    assert str(error) == "imagen-3.0-generate-002: 429: Quota exceeded"


@pytest.mark.parametrize(
    ("name", "kind", "status"),
    [
        ("ServiceUnavailable", TransientError, 503),
        ("InternalServerError", TransientError, 500),
        ("DeadlineExceeded", TransientError, 504),
        ("BadRequest", BackendError, 400),
        ("Forbidden", BackendError, 403),
        ("Unauthenticated", BackendError, 401),
    ],
)
def test_each_exception_lands_in_its_branch(
    exceptions: Any, name: str, kind: type[BackendError], status: int
) -> None:
    error = mapped(getattr(exceptions, name)("POST https://example/v1:predict: it failed"))
    assert type(error) is kind
    assert isinstance(error, BackendError)
    assert error.status == status
    assert error.retryable is (kind is TransientError)
    assert "it failed" in str(error)
    assert "https://example" not in str(error)


def test_not_found_names_the_replacement(exceptions: Any) -> None:
    error = mapped(exceptions.NotFound("Publisher Model not found"))
    assert isinstance(error, BackendError)
    assert "was retired on 2026-08-17" in str(error)
    assert "use GeminiImageGenerator(model='gemini-nano-banana-2.1') instead" in str(error)


def test_a_responsible_ai_bad_request_is_a_block(exceptions: Any) -> None:
    error = mapped(exceptions.InvalidArgument("violates Responsible AI practices"))
    assert isinstance(error, ContentBlockedError)


def test_a_retry_error_is_transient(exceptions: Any) -> None:
    error = mapped(exceptions.RetryError("Deadline of 600.0s exceeded", cause=None))
    assert isinstance(error, TransientError)


def test_an_error_without_a_message_still_says_what_it_was(exceptions: Any) -> None:
    error = mapped(exceptions.GoogleAPICallError(""))
    assert isinstance(error, BackendError)
    assert not error.retryable
    assert "GoogleAPICallError" in str(error)


def test_other_api_core_errors_pass_through(exceptions: Any) -> None:
    assert map_error(exceptions.GoogleAPIError("not a call"), model="m") is None
