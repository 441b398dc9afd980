"""Secrets under every error path: a server that echoes the credentials it was sent.

The local Google server (``google_backends/server.py``) answers every call with an error whose
body repeats the request's API key or bearer token (raw, URL-encoded, as a header line). Every
channel a user can see is then searched for the secret in all its forms: ``str`` and ``repr``
of the error and of every exception in its chain, ``traceback.format_exception``, logs at
DEBUG (every logger), ``ErrorInfo``, ``result.json`` and the other files written, and the
command line's stdout and stderr, ``--debug`` and ``batch --json`` included.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import traceback
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, quote_plus

import pytest

from google_backends import conftest as google_backends
from google_backends import server as wire
from promptforge import ErrorInfo, Pipeline, PromptforgeError, RetryPolicy
from promptforge.enhancers import GeminiEnhancer
from promptforge.generators import GeminiImageGenerator, ImagenGenerator
from promptforge.testing import FakeEnhancer, FakeGenerator

if TYPE_CHECKING:
    from google_backends.server import GoogleServer, Responder

# Google backends run here, against the local server only; no Google variables leak in.
server = google_backends.server
_no_google_environment = google_backends._no_google_environment
_no_real_backends = google_backends._no_real_backends

KEY = "AIza-Echo/Secret+Key=0123456789"
"""An API key with characters that URL-encoding changes (real keys are [A-Za-z0-9_-])."""
TOKEN = "ya29.Echo/Secret+Token"
MARKER = "Secret"
"""In every form of both secrets: any fragment of either that leaks contains it."""


def forms(secret: str) -> set[str]:
    """The ways a secret can be written: raw, URL-encoded, JSON- and repr-escaped, padded."""
    return {
        secret,
        quote(secret, safe=""),
        quote_plus(secret),
        json.dumps(secret)[1:-1],
        repr(secret)[1:-1],
        secret + "\n",
    }


def leaks(*texts: str) -> list[str]:
    """Every form of ``KEY`` or ``TOKEN`` (or the marker in them) found in ``texts``."""
    found = {form for text in texts for form in forms(KEY) | forms(TOKEN) if form in text}
    if any(MARKER in text for text in texts):
        found.add(MARKER)
    return sorted(found)


def chain(error: BaseException | None) -> Iterator[BaseException]:
    """``error`` and every exception reachable through ``__cause__`` / ``__context__``."""
    seen: set[int] = set()
    todo = [error]
    while todo:
        current = todo.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        todo += [current.__cause__, current.__context__]


def error_texts(error: BaseException) -> list[str]:
    """What a user can print from an error: its chain's str, repr, args, attributes."""
    texts = ["".join(traceback.format_exception(error))]
    for member in chain(error):
        texts += [str(member), repr(member), repr(member.args), repr(vars(member))]
        texts += [str(note) for note in getattr(member, "__notes__", [])]
    return texts


ERRORS: dict[str, Responder] = {
    "400": wire.echo_credentials(400, "INVALID_ARGUMENT"),
    "400-responsible-ai": wire.echo_credentials(
        400, "INVALID_ARGUMENT", "The prompt violates Responsible AI practices."
    ),
    "401": wire.echo_credentials(401, "UNAUTHENTICATED"),
    "403": wire.echo_credentials(403, "PERMISSION_DENIED"),
    "429": wire.echo_credentials(429, "RESOURCE_EXHAUSTED"),
    "503": wire.echo_credentials(503, "UNAVAILABLE"),
}


def _genai_client(server: GoogleServer, **kwargs: Any) -> Any:
    from google import genai
    from google.genai import types

    options = types.HttpOptions(
        base_url=server.url, retry_options=types.HttpRetryOptions(attempts=1)
    )
    return genai.Client(http_options=options, **kwargs)


def _token() -> Any:
    from google.oauth2.credentials import Credentials

    return Credentials(token=TOKEN)  # type: ignore[no-untyped-call]


# Each builds a pipeline whose Google backend holds the secret; the key comes as it would
# from a file: with a trailing newline (or CRLF).
BACKENDS: dict[str, Callable[[GoogleServer], Pipeline]] = {
    "enhancer-api-key": lambda s: Pipeline(
        GeminiEnhancer(api_key=KEY + "\n", base_url=s.url), FakeGenerator()
    ),
    "enhancer-client": lambda s: Pipeline(
        GeminiEnhancer(client=_genai_client(s, api_key=KEY + "\n")), FakeGenerator()
    ),
    "enhancer-client-header": lambda s: Pipeline(
        GeminiEnhancer(client=_header_client(s)), FakeGenerator()
    ),
    "image-api-key": lambda s: Pipeline(
        FakeEnhancer(), GeminiImageGenerator(api_key=KEY + "\r\n", base_url=s.url)
    ),
    "imagen-credentials": lambda s: Pipeline(
        FakeEnhancer(),
        ImagenGenerator(project="p", credentials=_token(), base_url=s.url),
    ),
    "imagen-client": lambda s: Pipeline(
        FakeEnhancer(),
        ImagenGenerator(
            client=_genai_client(
                s, vertexai=True, project="p", location="us-central1", credentials=_token()
            )
        ),
    ),
}


def _header_client(server: GoogleServer) -> Any:
    """A client whose key is not an ``api_key`` at all: a header the app set itself."""
    from google import genai
    from google.genai import types

    options = types.HttpOptions(
        base_url=server.url,
        headers={"x-goog-api-key": KEY},
        retry_options=types.HttpRetryOptions(attempts=1),
    )
    return genai.Client(api_key="AIza-placeholder", http_options=options)


@pytest.fixture
def everything_logged(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Every logger at DEBUG, formatted with exception text, as an app's debug logging would."""
    with caplog.at_level(logging.DEBUG):
        yield caplog


def log_texts(caplog: pytest.LogCaptureFixture) -> list[str]:
    formatter = logging.Formatter("%(name)s %(message)s")
    return [formatter.format(record) for record in caplog.records]


def files_under(folder: Path) -> list[str]:
    return [
        path.read_bytes().decode("utf-8", "replace") for path in folder.rglob("*") if path.is_file()
    ]


@pytest.mark.parametrize("reply", list(ERRORS))
@pytest.mark.parametrize("backend", list(BACKENDS))
def test_no_channel_shows_an_echoed_secret(
    server: GoogleServer,
    everything_logged: pytest.LogCaptureFixture,
    waits: list[float],
    tmp_path: Path,
    backend: str,
    reply: str,
) -> None:
    for method in ("generateContent", "predict"):
        server.default(method, ERRORS[reply])
    pipe = BACKENDS[backend](server)
    pipe.retry = RetryPolicy(max_attempts=2)

    with pytest.raises(PromptforgeError) as raised:
        pipe.run("a corgi")
    (result,) = pipe.run_many(["a corgi"], out_dir=tmp_path / "out")
    assert result.error is not None
    info = ErrorInfo.from_exception(raised.value)

    assert server.requests, "the request reached the echoing server"
    texts = [
        *error_texts(raised.value),
        info.model_dump_json(),
        result.model_dump_json(),
        repr(result),
        *files_under(tmp_path / "out"),
        *log_texts(everything_logged),
        repr(pipe),
    ]
    assert leaks(*texts) == []
    assert "***" in str(raised.value)  # the echo was there, and redacted


def test_the_error_carries_no_chain(server: GoogleServer) -> None:
    server.default("generateContent", ERRORS["400"])
    enhancer = GeminiEnhancer(api_key=KEY + "\n", base_url=server.url)
    with pytest.raises(PromptforgeError) as raised:
        Pipeline(enhancer, FakeGenerator(), retry=RetryPolicy.none()).enhance("a corgi")
    assert raised.value.__cause__ is None
    assert raised.value.__context__ is None


def test_an_unmapped_error_holding_the_key_is_redacted(server: GoogleServer) -> None:
    from promptforge._google._errors import translate

    with pytest.raises(PromptforgeError) as raised, translate(model="m", secrets=(KEY + "\n",)):
        raise RuntimeError(f"bad header value {KEY!r}")
    assert leaks(*error_texts(raised.value)) == []


def test_the_key_is_normalised_once() -> None:
    from promptforge._google._settings import resolve

    assert resolve(api_key=f"  {KEY}\r\n").api_key == KEY
    assert resolve(environ={"GOOGLE_API_KEY": KEY + "\n"}).api_key == KEY
    with pytest.raises(PromptforgeError, match="GOOGLE_API_KEY"):
        resolve(environ={"GOOGLE_API_KEY": " \n"})  # whitespace is no key


@pytest.mark.parametrize(
    "text",
    [
        "x-goog-api-key: {v}",
        "X-Goog-Api-Key={v}",
        "GET /v1/models?alt=json&key={v}&x=1",
        "Authorization: Bearer {v}",
        "'authorization': 'Bearer {v}'",
        "access_token={v}",
    ],
)
def test_credential_shaped_values_are_redacted_without_knowing_them(text: str) -> None:
    from promptforge._google._redact import redact

    unknown = "Zm9v-Unknown+Secret/Value"
    redacted = redact(text.format(v=unknown), ())
    assert "Unknown" not in redacted
    assert "***" in redacted


# -- the legacy adapters -------------------------------------------------------------------


@pytest.fixture
def legacy_quiet() -> Iterator[None]:
    from promptforge.legacy import LegacySDKWarning
    from promptforge.legacy._sdk import GENERATIVEAI, VISION, load

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LegacySDKWarning)
        load(GENERATIVEAI)  # import-time warnings handled as the adapters do
        load(VISION)
        yield


@pytest.mark.parametrize("built", ["api_key", "client", "genai.configure"])
@pytest.mark.parametrize("reply", ["400", "429", "503"])
def test_the_legacy_gemini_adapter_redacts_too(
    server: GoogleServer,
    legacy_quiet: None,
    everything_logged: pytest.LogCaptureFixture,
    waits: list[float],
    reply: str,
    built: str,
) -> None:
    import google.generativeai as genai
    from google.ai import generativelanguage
    from google.generativeai import client as sdk

    from promptforge.legacy import LegacyGeminiEnhancer

    server.default("generateContent", ERRORS[reply])
    manager = sdk._client_manager
    saved = (manager.client_config, manager.default_metadata, manager.clients)
    try:
        if built == "api_key":
            enhancer = LegacyGeminiEnhancer(api_key=KEY + "\n", api_endpoint=server.url)
        elif built == "client":
            options = {"api_key": KEY, "api_endpoint": server.url}
            client = generativelanguage.GenerativeServiceClient(
                transport="rest", client_options=options
            )
            enhancer = LegacyGeminiEnhancer(client=client)
        else:
            genai.configure(
                api_key=KEY, transport="rest", client_options={"api_endpoint": server.url}
            )
            enhancer = LegacyGeminiEnhancer()
        pipe = Pipeline(enhancer, FakeGenerator(), retry=RetryPolicy(max_attempts=2))
        with pytest.raises(PromptforgeError) as raised:
            pipe.enhance("a corgi")
    finally:
        manager.client_config, manager.default_metadata, manager.clients = saved
    assert server.requests
    assert server.requests[0].headers["x-goog-api-key"] == KEY  # normalised before sending
    assert "***" in str(raised.value)
    assert leaks(*error_texts(raised.value), *log_texts(everything_logged)) == []


def test_the_legacy_imagen_adapter_redacts_the_token(
    server: GoogleServer, legacy_quiet: None, everything_logged: pytest.LogCaptureFixture
) -> None:
    from google.cloud.aiplatform import initializer

    from promptforge.legacy import LegacyImagenGenerator

    saved = dict(vars(initializer.global_config))
    try:
        server.default("getPublisherModel", wire.publisher_model)
        server.default("predict", ERRORS["403"])
        generator = LegacyImagenGenerator(
            project="p", credentials=_token(), api_endpoint=server.url, api_transport="rest"
        )
        with pytest.raises(PromptforgeError) as raised:
            Pipeline(FakeEnhancer(), generator, retry=RetryPolicy.none()).run("a corgi")
    finally:
        vars(initializer.global_config).clear()
        vars(initializer.global_config).update(saved)
    assert server.calls("predict")
    assert leaks(*error_texts(raised.value), *log_texts(everything_logged)) == []


# -- the command line ----------------------------------------------------------------------


def cli(server: GoogleServer, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GOOGLE_", "GEMINI_"))}
    env.update(GOOGLE_API_KEY=KEY + "\n", GOOGLE_GEMINI_BASE_URL=server.url)
    return subprocess.run(
        [sys.executable, "-m", "promptforge", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=120,
    )


@pytest.mark.parametrize(
    "args",
    [
        ["enhance", "a corgi"],
        ["enhance", "a corgi", "--debug"],
        ["generate", "a corgi", "--out", "out", "--json"],
        ["generate", "a corgi", "--out", "out", "--debug"],
        ["batch", "prompts.txt", "--out", "out", "--json"],
        ["batch", "prompts.txt", "--out", "out", "--debug"],
    ],
    ids=" ".join,
)
def test_the_command_line_shows_no_echoed_key(
    server: GoogleServer, tmp_path: Path, args: list[str]
) -> None:
    server.default("generateContent", ERRORS["400"])
    (tmp_path / "prompts.txt").write_text("a corgi\na fox\n")
    done = cli(server, tmp_path, *args)
    assert done.returncode != 0
    assert server.requests
    assert "***" in done.stdout + done.stderr  # the echo arrived, redacted
    assert leaks(done.stdout, done.stderr, *files_under(tmp_path / "out")) == []
    if "--debug" in args and args[0] != "batch":
        assert "Traceback" in done.stderr
