"""Time against the local server: timeouts bound whole requests and say so, deadlines bound
whole calls, and an unreachable host is named (never the key)."""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING

import pytest

from promptforge import (
    EnhancedPrompt,
    EnhanceRequest,
    ImageOptions,
    Pipeline,
    RetryPolicy,
    TransientError,
)
from promptforge._google._errors import map_error
from promptforge.enhancers import GeminiEnhancer
from promptforge.generators import GeminiImageGenerator
from promptforge.models._resolve import first_choice
from promptforge.testing import FakeGenerator

from . import server as wire
from .conftest import API_KEY

ENHANCER = first_choice("enhancer")
IMAGE = first_choice("image")

if TYPE_CHECKING:
    from .server import GoogleServer

HOST = "generativelanguage.googleapis.com"
URL = f"https://{HOST}/v1beta/models/m:generateContent"
LONG_SPEC = wire.spec(subject="a corgi " * 60).body  # ~500 bytes: 25 s at 20 bytes a second


def enhancer(server: GoogleServer, timeout: float) -> GeminiEnhancer:
    return GeminiEnhancer(api_key=API_KEY, base_url=server.url, timeout=timeout)


async def test_a_silent_server_is_a_timeout_with_its_value(server: GoogleServer) -> None:
    server.script("generateContent", wire.Reply(wire.spec(subject="x").body, delay=2.0))
    with pytest.raises(TransientError) as caught:
        await enhancer(server, 0.2).enhance(EnhanceRequest(prompt="a corgi"))
    assert str(caught.value) == f"{ENHANCER}: no answer within 0.2 s"


async def test_the_timeout_bounds_the_whole_request_not_each_read(server: GoogleServer) -> None:
    # Every read sees a byte within 0.05 s, so a per-read timeout of 0.3 s never fires.
    server.script("generateContent", wire.Reply(LONG_SPEC, trickle=0.05))
    with pytest.raises(TransientError) as caught:
        await enhancer(server, 0.3).enhance(EnhanceRequest(prompt="a corgi"))
    assert str(caught.value) == f"{ENHANCER}: no answer within 0.3 s"


async def test_the_image_generators_bound_their_requests_too(server: GoogleServer) -> None:
    server.script("generateContent", wire.Reply(LONG_SPEC, trickle=0.05))
    generator = GeminiImageGenerator(api_key=API_KEY, base_url=server.url, timeout=0.3)
    request = EnhanceRequest(prompt="a corgi")
    with pytest.raises(TransientError) as caught:
        await generator.generate(EnhancedPrompt.from_text(request, "a corgi"), ImageOptions())
    assert str(caught.value) == f"{IMAGE}: no answer within 0.3 s"


def test_the_deadline_bounds_the_whole_call_against_a_trickle(server: GoogleServer) -> None:
    server.default("generateContent", wire.Reply(LONG_SPEC, trickle=0.05))
    pipe = Pipeline(enhancer(server, 30), FakeGenerator(), retry=RetryPolicy(deadline=0.4))
    with pytest.raises(TransientError) as caught:
        pipe.enhance("a corgi")
    assert str(caught.value) == "no result within the 0.4 s deadline (1 attempt)"
    assert caught.value.stage == "enhance"


async def test_an_unreachable_host_is_named() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    refused = GeminiEnhancer(api_key=API_KEY, base_url=f"http://127.0.0.1:{port}")
    with pytest.raises(TransientError) as caught:
        await refused.enhance(EnhanceRequest(prompt="a corgi"))
    message = str(caught.value)
    assert message.startswith(f"{ENHANCER}: could not reach 127.0.0.1 (")
    assert API_KEY not in message


def test_httpx_timeouts_carry_their_value() -> None:
    import httpx2

    limits = {"connect": 30.0, "read": 30.0, "write": 30.0, "pool": 30.0}
    request = httpx2.Request("POST", URL, extensions={"timeout": limits})
    read = map_error(httpx2.ReadTimeout("", request=request), model="m")
    assert isinstance(read, TransientError)
    assert str(read) == "m: no answer within 30 s"
    connect = map_error(httpx2.ConnectTimeout("", request=request), model="m")
    assert str(connect) == f"m: could not reach {HOST} within 30 s"
    bare = map_error(httpx2.ReadTimeout(""), model="m", timeout=12.5)
    assert str(bare) == "m: no answer within 12.5 s"


def test_a_dns_failure_names_the_host() -> None:
    import httpx2

    request = httpx2.Request("POST", URL + f"?key={API_KEY}")
    failed = httpx2.ConnectError("[Errno -2] Name or service not known", request=request)
    mapped = map_error(failed, model="m")
    assert isinstance(mapped, TransientError)
    assert str(mapped) == f"m: could not reach {HOST} ([Errno -2] Name or service not known)"


def test_legacy_requests_timeouts_and_dns_failures() -> None:
    import requests
    from urllib3 import HTTPSConnectionPool
    from urllib3.exceptions import MaxRetryError, NameResolutionError

    read = requests.exceptions.ReadTimeout(
        f"HTTPSConnectionPool(host='{HOST}', port=443): Read timed out. (read timeout=60.0)"
    )
    assert str(map_error(read, model="m")) == "m: no answer within 60 s"
    pool = HTTPSConnectionPool(HOST)
    gaierror = socket.gaierror(-2, "Name or service not known")
    lookup = NameResolutionError(HOST, None, gaierror)  # type: ignore[arg-type]
    lookup.__cause__ = gaierror  # as urllib3 raises it
    dns = requests.exceptions.ConnectionError(MaxRetryError(pool, "/v1beta", reason=lookup))
    assert str(map_error(dns, model="m")) == (
        f"m: could not reach {HOST} ([Errno -2] Name or service not known)"
    )


def test_the_server_side_error_is_still_a_server_error(server: GoogleServer) -> None:
    server.script("generateContent", wire.Reply(None, drop=True))
    pipe = Pipeline(enhancer(server, 5), FakeGenerator(), retry=RetryPolicy.none())
    with pytest.raises(TransientError, match=rf"^{ENHANCER}: connection to 127.0.0.1 failed"):
        pipe.enhance("a corgi")
