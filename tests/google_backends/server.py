"""A local HTTP server on 127.0.0.1 speaking Google's REST wire format, for tests.

It answers google-genai's ``models/{model}:generateContent`` and ``:predict`` calls (any
API version, Gemini Developer API or Vertex AI paths), ``models.list`` (``listModels``:
``GET .../models``, ``GET .../publishers/google/models``), and the legacy Vertex AI SDK's
model lookup (``getPublisherModel``), from a script of replies, records every request, and can
inject latency, error bodies, dropped connections and bodies trickled a byte at a time.
"""

from __future__ import annotations

import base64
import json
import random
import re
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeAlias

_ROUTE = re.compile(r"/models/(?P<model>[^/:]+):(?P<method>[A-Za-z]+)")
_PUBLISHER_MODEL = re.compile(r"/publishers/[^/]+/models/(?P<model>[^/:?]+)(?:\?|$)")
"""``GET .../publishers/google/models/{model}``: the Vertex AI SDK's model lookup."""
_LIST_MODELS = re.compile(r"/models/?(?:\?|$)")
"""``GET .../models`` (Gemini API) or ``GET .../publishers/google/models`` (Vertex AI)."""
CURRENT_MODELS = (
    "gemini-nano-banana-2.1", "gemini-3-pro-image", "gemini-3.1-flash-lite-image",
    "gemini-3.8-flash", "gemini-3.6-flash", "gemini-3.5-flash-lite", "gemini-3.1-flash-lite",
)  # fmt: skip
"""What ``models.list`` answers by default: the current models of the catalogue."""


@dataclass
class Reply:
    """One scripted answer."""

    body: dict[str, Any] | list[Any] | None = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    drop: bool = False
    """Close the connection without answering (a reset)."""
    trickle: float = 0.0
    """Send the body one byte every ``trickle`` seconds (each read sees progress)."""
    raw: bytes | None = None
    """Send these bytes as the body (``application/octet-stream``) instead of ``body``."""


@dataclass
class Recorded:
    """One request the server received."""

    method: str
    model: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    at: float = field(default_factory=time.monotonic)
    """When it arrived (``time.monotonic``)."""


Responder: TypeAlias = "Reply | Callable[[Recorded], Reply]"
Hook: TypeAlias = "Callable[[str, str, dict[str, str], bytes], tuple[str, Reply] | None]"
"""A plug-in route: ``(verb, path, headers, body)`` -> ``(method, reply)``, or None to pass."""


class GoogleServer:
    """Scripted fake of Google's generative endpoints. Use as a context manager."""

    def __init__(self, *, keep_alive: bool = False) -> None:
        self.keep_alive = keep_alive
        """Keep connections open between requests (off in tests: no pooled sockets linger)."""
        self.scripts: dict[str, deque[Reply]] = {}
        self.defaults: dict[str, Responder] = {}
        self.requests: list[Recorded] = []
        self.latency = 0.0
        self.method_latency: dict[str, float] = {}
        """Extra seconds per method, e.g. ``{"predict": 0.3}``."""
        self.in_flight: Counter[str] = Counter()
        self.max_in_flight: Counter[str] = Counter()
        self.statuses: Counter[tuple[str, int]] = Counter()
        """How many answers of each (method, status) were sent."""
        self._quota: dict[str, _Bucket] = {}
        self._faults: dict[str, tuple[float, float, random.Random]] = {}
        self._lock = threading.Lock()
        self.listed: list[str] = list(CURRENT_MODELS)
        """The model ids ``models.list`` answers with (its default reply)."""
        self.defaults["listModels"] = self.models_for_request
        self.hooks: list[Hook] = []
        """Plug-in routes asked first (e.g. ``batch_server.BatchService``)."""
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                server._handle(self)

            def do_GET(self) -> None:
                if server._hooked(self, "GET"):
                    return
                if _PUBLISHER_MODEL.search(self.path) or _LIST_MODELS.search(self.path):
                    server._handle(self)  # "getPublisherModel" or "listModels"
                else:
                    server._send_json(self, 200, server.stats())

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._httpd = _Server(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._httpd.server_port}"

    def __enter__(self) -> GoogleServer:
        threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        ).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def script(self, method: str, *replies: Reply) -> None:
        """Queue replies for ``method`` ("generateContent" or "predict")."""
        with self._lock:
            self.scripts.setdefault(method, deque()).extend(replies)

    def default(self, method: str, reply: Responder) -> None:
        """The reply (or a function of the request) for ``method`` once its script is empty."""
        self.defaults[method] = reply

    def quota(self, method: str, rpm: float, burst: int = 2) -> None:
        """Answer 429 when ``method`` is called faster than ``rpm`` (a token bucket)."""
        self._quota[method] = _Bucket(rpm / 60.0, burst)

    def faults(self, method: str, *, p429: float, p503: float, seed: int = 1) -> None:
        """Fail that share of ``method`` calls with 429 (``retryDelay``) or 503, at random."""
        self._faults[method] = (p429, p503, random.Random(seed))

    def calls(self, method: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == method]

    def models_for_request(self, request: Recorded) -> Reply:
        """``models.list``'s answer listing ``self.listed``, in the shape of the API asked."""
        if "/publishers/" in request.path:  # Vertex AI lists publisher models
            return Reply({"publisherModels": [
                {"name": f"publishers/google/models/{name}", "versionId": "001"}
                for name in self.listed
            ]})  # fmt: skip
        return Reply({"models": [
            {"name": f"models/{name}", "version": "001", "displayName": name,
             "supportedGenerationMethods": ["generateContent", "countTokens"]}
            for name in self.listed
        ]})  # fmt: skip

    def _hooked(self, handler: BaseHTTPRequestHandler, verb: str, raw: bytes = b"") -> bool:
        """Answer through the first hook that takes the request; False when none does."""
        headers = {k.lower(): v for k, v in handler.headers.items()}
        for hook in self.hooks:
            taken = hook(verb, handler.path, headers, raw)
            if taken is not None:
                method, reply = taken
                try:
                    body = json.loads(raw) if raw.startswith(b"{") else {}
                except ValueError:
                    body = {}
                with self._lock:
                    self.requests.append(Recorded(method, "", handler.path, headers, body))
                self._send(handler, method, reply)
                with self._lock:
                    self.statuses[method, reply.status] += 1
                return True
        return False

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("content-length") or 0)
        raw = handler.rfile.read(length) if length else b"{}"
        if self._hooked(handler, "POST", raw):
            return
        headers = {k.lower(): v for k, v in handler.headers.items()}
        method, reply, wait = self.answer(handler.path, headers, raw)
        try:
            time.sleep(wait)
            self._send(handler, method, reply)
        finally:
            self.done(method, reply)

    def answer(self, path: str, headers: dict[str, str], raw: bytes) -> tuple[str, Reply, float]:
        """Record a request and choose its reply; ``(method, reply, seconds to wait)``.

        The transport-free half of the server, shared by the threaded front end (tests)
        and the asyncio one (benchmarks). Call ``done`` once the reply is sent.
        """
        method, model = _route(path)
        recorded = Recorded(
            method=method, model=model, path=path, headers=headers, body=json.loads(raw or b"{}")
        )
        with self._lock:
            self.requests.append(recorded)
            self.in_flight[method] += 1
            self.max_in_flight[method] = max(self.max_in_flight[method], self.in_flight[method])
            reply: Responder | None = self._fault(method)
            if reply is None:
                queue = self.scripts.get(method)
                reply = queue.popleft() if queue else self.defaults.get(method)
        if callable(reply):
            reply = reply(recorded)
        if reply is None:
            reply = error(404, "NOT_FOUND", f"no scripted reply for {method}")
        return method, reply, self.latency + self.method_latency.get(method, 0.0) + reply.delay

    def done(self, method: str, reply: Reply) -> None:
        """Count a sent reply and end its request."""
        with self._lock:
            self.in_flight[method] -= 1
            self.statuses[method, 0 if reply.drop else reply.status] += 1

    def _fault(self, method: str) -> Reply | None:
        """A quota or injected failure for this call, if any (called under the lock)."""
        bucket = self._quota.get(method)
        if bucket is not None and not bucket.take():
            return rate_limited("1s")
        if method in self._faults:
            p429, p503, rng = self._faults[method]
            draw = rng.random()
            if draw < p429:
                return rate_limited("0.2s")
            if draw < p429 + p503:
                return error(503, "UNAVAILABLE", "The service is currently unavailable.")
        return None

    def _send(self, handler: BaseHTTPRequestHandler, method: str, reply: Reply) -> None:
        if reply.drop:
            handler.close_connection = True
            handler.connection.close()
            return
        if reply.raw is not None:
            self._send_raw(handler, reply.status, reply.raw, reply.headers)
            return
        self._send_json(handler, reply.status, reply.body or {}, reply.headers, reply.trickle)

    def _send_json(
        self,
        handler: BaseHTTPRequestHandler,
        status: int,
        body: object,
        headers: dict[str, str] | None = None,
        trickle: float = 0.0,
    ) -> None:
        data = json.dumps(body).encode()
        handler.send_response(status)
        handler.send_header("content-type", "application/json")
        handler.send_header("content-length", str(len(data)))
        if not self.keep_alive:
            handler.send_header("connection", "close")
            handler.close_connection = True
        for key, value in (headers or {}).items():
            handler.send_header(key, value)
        handler.end_headers()
        if not trickle:
            handler.wfile.write(data)
            return
        for byte in data:  # until the client hangs up (a write then fails) or it is all sent
            handler.wfile.write(bytes([byte]))
            handler.wfile.flush()
            time.sleep(trickle)

    def _send_raw(
        self, handler: BaseHTTPRequestHandler, status: int, data: bytes, headers: dict[str, str]
    ) -> None:
        handler.send_response(status)
        handler.send_header("content-type", "application/octet-stream")
        handler.send_header("content-length", str(len(data)))
        if not self.keep_alive:
            handler.send_header("connection", "close")
            handler.close_connection = True
        for key, value in headers.items():
            handler.send_header(key, value)
        handler.end_headers()
        handler.wfile.write(data)

    def stats(self) -> dict[str, Any]:
        """Counters as JSON-ready data (also served at ``GET /``)."""
        with self._lock:
            return {
                "statuses": [[m, s, n] for (m, s), n in self.statuses.items()],
                "max_in_flight": dict(self.max_in_flight),
                "arrivals": {
                    method: [r.at for r in self.requests if r.method == method]
                    for method in {r.method for r in self.requests}
                },
            }


def _route(path: str) -> tuple[str, str]:
    """The method ("generateContent", "predict", "getPublisherModel", "listModels") and the
    model ``path`` names."""
    match = _ROUTE.search(path)
    if match:
        return match["method"], match["model"]
    lookup = _PUBLISHER_MODEL.search(path)
    if lookup:
        return "getPublisherModel", lookup["model"]
    if _LIST_MODELS.search(path):
        return "listModels", ""
    return "?", "?"


class _Server(ThreadingHTTPServer):
    request_queue_size = 256  # many concurrent clients; the default backlog is 5

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a dropped connection (Reply(drop=True)) is the point, not an error


class _Bucket:
    """A token bucket: ``rate`` tokens a second, at most ``burst`` saved up."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, burst
        self.tokens, self.stamp = float(burst), time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


# -- bodies in Google's wire format ------------------------------------------------------


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def usage(prompt: int = 120, output: int = 80) -> dict[str, int]:
    return {
        "promptTokenCount": prompt,
        "candidatesTokenCount": output,
        "totalTokenCount": prompt + output,
    }


def content(
    parts: list[dict[str, Any]],
    finish: str = "STOP",
    *,
    usage_metadata: dict[str, Any] | None = None,
    **extra: Any,
) -> Reply:
    """A ``generateContent`` answer with one candidate (and ``usage_metadata``, default
    120 prompt and 80 output tokens)."""
    candidate = {"content": {"role": "model", "parts": parts}, "finishReason": finish, **extra}
    return Reply({"candidates": [candidate], "usageMetadata": usage_metadata or usage()})


def image_usage(prompt: int, text: int, image: int, thinking: int = 0) -> dict[str, Any]:
    """Usage as a Gemini image model reports it: candidates split by modality."""
    return {
        "promptTokenCount": prompt,
        "candidatesTokenCount": text + image,
        "candidatesTokensDetails": [
            {"modality": "TEXT", "tokenCount": text},
            {"modality": "IMAGE", "tokenCount": image},
        ],
        "thoughtsTokenCount": thinking,
        "totalTokenCount": prompt + text + image + thinking,
    }


def text(value: str, finish: str = "STOP") -> Reply:
    return content([{"text": value}], finish)


def spec(**fields: Any) -> Reply:
    """A structured-output answer carrying a PromptSpec as JSON text."""
    return text(json.dumps(fields))


def image(
    data: bytes,
    note: str | None = None,
    mime: str = "image/png",
    usage_metadata: dict[str, Any] | None = None,
) -> Reply:
    parts: list[dict[str, Any]] = [{"inlineData": {"mimeType": mime, "data": b64(data)}}]
    if note is not None:
        parts.insert(0, {"text": note})
    return content(parts, usage_metadata=usage_metadata)


def prompt_blocked(reason: str = "SAFETY") -> Reply:
    return Reply({"promptFeedback": {"blockReason": reason}, "usageMetadata": usage()})


def predictions(
    images: list[bytes] = (),  # type: ignore[assignment]
    filtered: list[str] = (),  # type: ignore[assignment]
    rewritten: str | None = None,
    mime: str = "image/png",
) -> Reply:
    """An Imagen ``:predict`` answer."""
    items: list[dict[str, Any]] = []
    for data in images:
        item = {"bytesBase64Encoded": b64(data), "mimeType": mime}
        if rewritten:
            item["prompt"] = rewritten
        items.append(item)
    items += [{"raiFilteredReason": reason} for reason in filtered]
    return Reply({"predictions": items} if items else {})


def error(
    code: int,
    status: str,
    message: str,
    *,
    details: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> Reply:
    body = {"error": {"code": code, "message": message, "status": status}}
    if details:
        body["error"]["details"] = details  # type: ignore[index]
    return Reply(body, status=code, headers=headers or {})


def rate_limited(retry_delay: str | None = "2s", retry_after: str | None = None) -> Reply:
    details = (
        [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": retry_delay}]
        if retry_delay
        else None
    )
    headers = {"Retry-After": retry_after} if retry_after else None
    return error(429, "RESOURCE_EXHAUSTED", "Quota exceeded", details=details, headers=headers)


def credentials_of(request: Recorded) -> list[str]:
    """The credentials a request carried: its API key header, ``key=`` query, bearer token."""
    from urllib.parse import parse_qs, urlsplit

    found = [request.headers.get("x-goog-api-key", ""), request.headers.get("authorization", "")]
    found += parse_qs(urlsplit(request.path).query).get("key", [])
    return [value for value in found if value]


def echo_credentials(
    code: int = 400, status: str = "INVALID_ARGUMENT", message: str = ""
) -> Responder:
    """An error whose body repeats the request's credentials, as some servers and proxies do:
    each one raw, URL-encoded and as a header line, in the message and in the details."""
    from urllib.parse import quote, quote_plus

    def reply(request: Recorded) -> Reply:
        echoed = [
            f"{value} / {quote(value, safe='')} / {quote_plus(value)} / x-goog-api-key: {value}"
            f" / ?key={quote(value, safe='')}"
            for value in credentials_of(request)
        ]
        text = f"{message} API key not valid: {'; '.join(echoed)}".strip()
        details = [
            {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID",
             "metadata": {"key": "; ".join(credentials_of(request))}},
        ]  # fmt: skip
        if code == 429:
            details.append(
                {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "1s"}
            )
        return error(code, status, text, details=details)

    return reply


IMAGEN_INSTANCE_SCHEMA = (
    "gs://google-cloud-aiplatform/schema/predict/instance/vision_generative_model_1.0.0.yaml"
)


def publisher_model(request: Recorded) -> Reply:
    """The Vertex AI SDK's model lookup (``ImageGenerationModel.from_pretrained``)."""
    name = f"publishers/google/models/{request.model}"
    return Reply(
        {
            "name": name,
            "publisherModelTemplate": f"projects/{{project}}/locations/{{location}}/{name}",
            "predictSchemata": {"instanceSchemaUri": IMAGEN_INSTANCE_SCHEMA},
        }
    )


def imagen_for_request(request: Recorded) -> Reply:
    """``sampleCount`` images at the requested aspect ratio, as Imagen would answer."""
    from promptforge.testing import image_bytes, size_for

    parameters = request.body.get("parameters", {})
    width, height = size_for(parameters.get("aspectRatio", "1:1"), 64)
    count = int(parameters.get("sampleCount", 1))
    mime = parameters.get("outputOptions", {}).get("mimeType", "image/png")
    return predictions(
        [image_bytes(width, height, mime, shade) for shade in range(count)], mime=mime
    )


def gemini_image_for_request(request: Recorded) -> Reply:
    """One image at the requested aspect ratio, as a Gemini image model would answer."""
    from promptforge.testing import image_bytes, size_for

    config = request.body.get("generationConfig", {}).get("imageConfig", {})
    width, height = size_for(config.get("aspectRatio", "1:1"), 64)
    return image(image_bytes(width, height), note="Here is your image.")


# -- conversations: inline images, thought signatures, answers by turn ---------------------


def unb64(text: str) -> bytes:
    """Bytes from base64 as google-genai sends it (URL-safe alphabet, padding optional)."""
    return base64.urlsafe_b64decode(
        text.replace("+", "-").replace("/", "_") + "=" * (-len(text) % 4)
    )


def camel(value: Any) -> Any:
    """``value`` with every key in lowerCamelCase: google-genai sends some nested fields in
    snake_case (``mime_type``, ``thinking_level``), which Google's JSON parser also takes."""
    if isinstance(value, dict):
        return {re.sub(r"_([a-z])", lambda m: m[1].upper(), k): camel(v) for k, v in value.items()}
    if isinstance(value, list):
        return [camel(item) for item in value]
    return value


def turns(request: Recorded) -> list[dict[str, Any]]:
    """The request's ``contents`` (keys in lowerCamelCase): user and model turns, oldest first."""
    return list(camel(request.body.get("contents", [])))


def inline_images(request: Recorded, turn: int = -1) -> list[bytes]:
    """The inline image bytes of one turn (default: the last, the user's new one)."""
    parts = turns(request)[turn].get("parts", [])
    return [unb64(p["inlineData"]["data"]) for p in parts if "inlineData" in p]


def signatures(request: Recorded) -> list[bytes]:
    """Every thought signature the request sends back, in order."""
    return [
        unb64(part["thoughtSignature"])
        for turn in turns(request)
        for part in turn.get("parts", [])
        if "thoughtSignature" in part
    ]


def signed_image(
    data: bytes,
    signature: bytes,
    *,
    note: str | None = None,
    thought: str | None = None,
    thought_image: bytes | None = None,
) -> Reply:
    """A thinking image model's answer: optional thought text and an interim thought image
    (``thought: true``), then the note and the final image, the image signed."""
    parts: list[dict[str, Any]] = []
    if thought is not None:
        parts.append({"text": thought, "thought": True})
    if thought_image is not None:
        parts.append({"inlineData": {"mimeType": "image/png", "data": b64(thought_image)},
                      "thought": True})  # fmt: skip
    if note is not None:
        parts.append({"text": note})
    parts.append(
        {"inlineData": {"mimeType": "image/png", "data": b64(data)},
         "thoughtSignature": b64(signature)}
    )  # fmt: skip
    return content(parts)


def by_turn(*replies: Reply) -> Callable[[Recorded], Reply]:
    """A multi-turn script: answer with ``replies[k]`` when the request carries ``k`` earlier
    model turns (k = 0 for a new conversation), whatever order the calls arrive in."""

    def answer(request: Recorded) -> Reply:
        k = sum(1 for turn in turns(request) if turn.get("role") == "model")
        if k >= len(replies):
            return error(400, "INVALID_ARGUMENT", f"no scripted answer for turn {k + 1}")
        return replies[k]

    return answer


# -- judge calls: a text model answering yes/no questions about an inline image ----------------

_QUESTION = re.compile(r"^(\d+)\. (.+)$", re.MULTILINE)


def judge_questions(request: Recorded) -> list[str]:
    """The numbered questions a judge call asks, in order."""
    parts = turns(request)[-1].get("parts", [])
    text = "\n".join(part.get("text", "") for part in parts)
    return [question for _, question in _QUESTION.findall(text)]


def answers(*items: dict[str, Any]) -> Reply:
    """A judge's structured answer: ``{"number": 1, "answer": true, ...}`` per question."""
    return text(json.dumps({"answers": list(items)}))


def judge_answering(no: dict[str, dict[str, str]] | None = None) -> Callable[[Recorded], Reply]:
    """Answer every question of a judge call: yes, except those containing a key of ``no``,
    answered no with that key's ``evidence`` / ``fix`` / ``avoid``."""
    failing = no or {}

    def answer(request: Recorded) -> Reply:
        items = []
        for number, question in enumerate(judge_questions(request), start=1):
            hit = next((extra for words, extra in failing.items() if words in question), None)
            items.append({"number": number, "answer": hit is None, **(hit or {})})
        return answers(*items)

    return answer


# -- series: the bible (issue 14) --------------------------------------------------------


def bible(**fields: Any) -> Reply:
    """A structured-output answer carrying a series ``Bible`` as JSON text."""
    return text(json.dumps(fields))


def series_answer(bible_fields: dict[str, Any]) -> Callable[[Recorded], Reply]:
    """Answer a bible request (its system instruction names the bible) with ``bible_fields``
    and any other ``generateContent`` with a spec whose subject is the request's idea."""

    def answer(request: Recorded) -> Reply:
        system = request.body.get("systemInstruction", {}).get("parts", [{}])[0].get("text", "")
        if "series bible" in system:
            return bible(**bible_fields)
        words = turns(request)[-1]["parts"][0]["text"]
        idea = words.split("<idea>\n", 1)[-1].split("\n</idea>", 1)[0]
        return spec(subject=idea, setting="somewhere", lighting="its own light")

    return answer


def serve(config: dict[str, Any]) -> None:
    """Run a server on an asyncio front end until stdin closes; print its URL first.

    ``config``: ``latency`` (per method), ``quota`` (per method ``[rpm, burst]``), ``faults`` (per
    method ``[p429, p503, seed]``). Answers a Gemini spec to ``generateContent`` and
    images of the requested shape to ``predict``. Used by the benchmarks: in a process of
    its own, and on asyncio rather than a thread per connection, so the server's own cost
    stays out of what is measured.
    """
    import asyncio
    import sys

    server = GoogleServer(keep_alive=True)
    server._httpd.server_close()  # the threaded front end is not used here
    server.default("generateContent", spec(subject="a corgi", lighting="soft light"))
    server.default("predict", imagen_for_request)
    server.method_latency.update(config.get("latency", {}))
    for method, (rpm, burst) in config.get("quota", {}).items():
        server.quota(method, rpm=rpm, burst=burst)
    for method, (p429, p503, seed) in config.get("faults", {}).items():
        server.faults(method, p429=p429, p503=p503, seed=seed)

    async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while head := await reader.readuntil(b"\r\n\r\n"):
                lines = head.decode("latin-1").split("\r\n")
                verb, path, _ = lines[0].split(" ", 2)
                headers = {
                    k.strip().lower(): v.strip()
                    for k, v in (line.split(":", 1) for line in lines[1:] if ":" in line)
                }
                raw = await reader.readexactly(int(headers.get("content-length", 0)))
                if verb == "GET":
                    status, body, extra = 200, server.stats(), {}
                else:
                    method, reply, wait = server.answer(path, headers, raw)
                    await asyncio.sleep(wait)
                    server.done(method, reply)
                    status, body, extra = reply.status, reply.body or {}, reply.headers
                data = json.dumps(body).encode()
                head_lines = [f"HTTP/1.1 {status} X", "content-type: application/json"]
                head_lines += [f"content-length: {len(data)}"]
                head_lines += [f"{k}: {v}" for k, v in extra.items()]
                writer.write(("\r\n".join(head_lines) + "\r\n\r\n").encode() + data)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass  # the client hung up, or the server is shutting down
        finally:
            writer.close()

    async def main() -> None:
        listener = await asyncio.start_server(connection, "127.0.0.1", 0, backlog=256)
        port = listener.sockets[0].getsockname()[1]
        print(f"http://127.0.0.1:{port}", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
        listener.close()

    asyncio.run(main())


if __name__ == "__main__":
    import sys

    serve(json.loads(sys.argv[1]) if len(sys.argv) > 1 else {})
