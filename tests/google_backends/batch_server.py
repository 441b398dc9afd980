"""Google's Batch Mode and Files API on the local test server (Gemini Developer API paths).

Plugged into ``GoogleServer`` as a hook (``BatchService(server)``), it answers what
google-genai's ``client.batches`` and ``client.files`` send:

- ``POST models/{model}:batchGenerateContent``: a job from inline requests (their
  ``metadata.key``) or from an uploaded JSONL file (``{"key", "request"}`` per line);
- ``GET batches/{id}``, ``POST batches/{id}:cancel``, ``GET batches`` (paged);
- the resumable upload (``upload/v1beta/files``: a ``start`` answered with
  ``x-goog-upload-url``, then ``upload`` / ``upload, finalize`` chunks answered with
  ``x-goog-upload-status``) and ``GET files/{id}:download?alt=media``.

Time is scripted in polls: each ``batches.get`` moves a job one step along its
``timeline`` (default pending, running, succeeded), so tests never sleep. When a job
succeeds, every request is answered by ``answer(key, request)`` (default: an image of the
requested shape): ``{"response": ...}`` or ``{"error": ...}``; inline jobs get inline
responses, file jobs a JSONL output file (``{"key", "response" | "error"}`` per line).
An expired, failed or cancelled job has no output.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeAlias
from urllib.parse import parse_qs, urlsplit

from .server import GoogleServer, Recorded, Reply, error, gemini_image_for_request

Answer: TypeAlias = Callable[[str, dict[str, Any]], dict[str, Any]]
"""``(key, request) -> {"response": ...}`` or ``{"error": {"code", "message"}}``."""

_CREATE = re.compile(r"/models/(?P<model>[^/:]+):batchGenerateContent$")
_JOB = re.compile(r"/batches/(?P<id>[^/:?]+)(?P<cancel>:cancel)?$")
_LIST = re.compile(r"/batches$")
_UPLOAD = re.compile(r"^/upload/[^/]+/files$")
_DOWNLOAD = re.compile(r"/files/(?P<id>[^/:?]+):download$")
ENDED = {"SUCCEEDED", "FAILED", "CANCELLED", "EXPIRED"}


def image_answer(key: str, request: dict[str, Any]) -> dict[str, Any]:
    """An image of the requested aspect ratio, as a Gemini image model answers."""
    recorded = Recorded("generateContent", "", "", {}, request)
    return {"response": gemini_image_for_request(recorded).body}


def item_error(code: int = 400, message: str = "Request contains an invalid argument.") -> Any:
    """A per-item error entry: a ``google.rpc.Status`` (``code``, ``message``), as Google
    writes it beside the item's key."""
    return {"error": {"code": code, "message": message}}


@dataclass
class Job:
    """One batch job as the service holds it."""

    id: str
    model: str
    display_name: str
    requests: list[tuple[str, dict[str, Any]]]
    inline: bool
    timeline: deque[str]
    state: str = "PENDING"
    output: dict[str, Any] | None = None
    gets: int = 0

    @property
    def name(self) -> str:
        return f"batches/{self.id}"


@dataclass
class _Upload:
    display_name: str | None
    mime_type: str | None
    size: int
    data: bytearray = field(default_factory=bytearray)


class BatchService:
    """The batch and file endpoints of one ``GoogleServer``; see the module docstring."""

    def __init__(self, server: GoogleServer) -> None:
        self.server = server
        self.jobs: dict[str, Job] = {}
        self.files: dict[str, bytes] = {}
        """Stored files by name (``files/...``): uploads and job outputs."""
        self.timeline: tuple[str, ...] = ("RUNNING", "SUCCEEDED")
        """The states a new job moves through, one per ``batches.get`` (it starts pending)."""
        self.answer: Answer = image_answer
        self.page_size = 50
        """The most jobs one ``batches.list`` page holds (google-genai pages on)."""
        self._uploads: dict[str, _Upload] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        server.hooks.append(self.route)

    # -- scripting --------------------------------------------------------------------

    def only_job(self) -> Job:
        (job,) = self.jobs.values()
        return job

    def finish(self, job: Job, state: str = "SUCCEEDED") -> None:
        """Move ``job`` to ``state`` now (its output made if it succeeded)."""
        with self._lock:
            job.timeline.clear()
            self._enter(job, state)

    # -- the hook ---------------------------------------------------------------------

    def route(
        self, verb: str, path: str, headers: dict[str, str], raw: bytes
    ) -> tuple[str, Reply] | None:
        url = urlsplit(path)
        query = parse_qs(url.query)
        with self._lock:
            if verb == "POST" and _UPLOAD.search(url.path):
                if "upload_id" in query:
                    return "uploadChunk", self._chunk(query["upload_id"][0], headers, raw)
                return "uploadStart", self._start(headers, raw)
            if verb == "GET" and (found := _DOWNLOAD.search(url.path)):
                data = self.files.get(f"files/{found['id']}")
                if data is None:
                    return "downloadFile", error(404, "NOT_FOUND", "no such file")
                return "downloadFile", Reply(raw=data)
            if verb == "POST" and (found := _CREATE.search(url.path)):
                return "batchGenerateContent", self._create(found["model"], json.loads(raw))
            if verb == "GET" and _LIST.search(url.path):
                return "listBatches", self._list(query)
            if found := _JOB.search(url.path):
                job = self.jobs.get(found["id"])
                if job is None:
                    return "getBatch", error(404, "NOT_FOUND", f"batches/{found['id']} not found")
                if verb == "POST" and found["cancel"]:
                    job.timeline.clear()
                    if job.state not in ENDED:
                        self._enter(job, "CANCELLED")
                    return "cancelBatch", Reply({})
                if verb == "GET":
                    job.gets += 1
                    if job.timeline:
                        self._enter(job, job.timeline.popleft())
                    return "getBatch", Reply(self._operation(job))
        return None

    # -- batches ----------------------------------------------------------------------

    def _create(self, model: str, body: dict[str, Any]) -> Reply:
        batch = body.get("batch", {})
        source = batch.get("inputConfig", {})
        if "fileName" in source:
            data = self.files.get(source["fileName"])
            if data is None:
                return error(400, "INVALID_ARGUMENT", f"{source['fileName']} does not exist")
            lines = [json.loads(line) for line in data.decode().splitlines() if line.strip()]
            requests = [(line["key"], line["request"]) for line in lines]
            inline = False
        else:
            entries = source.get("requests", {}).get("requests", [])
            requests = [(e.get("metadata", {}).get("key", ""), e["request"]) for e in entries]
            inline = True
        if not requests:
            return error(400, "INVALID_ARGUMENT", "a batch needs at least one request")
        job = Job(
            id=f"job{next(self._ids)}",
            model=model,
            display_name=batch.get("displayName", ""),
            requests=requests,
            inline=inline,
            timeline=deque(self.timeline),
        )
        self.jobs[job.id] = job
        return Reply(self._operation(job))

    def _enter(self, job: Job, state: str) -> None:
        job.state = state
        if state != "SUCCEEDED" or job.output is not None:
            return
        answers = [(key, self.answer(key, request)) for key, request in job.requests]
        if job.inline:
            job.output = {"inlinedResponses": {"inlinedResponses": [
                {**answer, "metadata": {"key": key}} for key, answer in answers
            ]}}  # fmt: skip
            return
        name = f"files/out-{job.id}"
        lines = [json.dumps({"key": key, **answer}) for key, answer in answers]
        self.files[name] = ("\n".join(lines) + "\n").encode()
        job.output = {"responsesFile": name}

    def _operation(self, job: Job) -> dict[str, Any]:
        """A job as the Gemini API answers it: a long-running operation."""
        metadata: dict[str, Any] = {
            "@type": "type.googleapis.com/google.ai.generativelanguage.v1beta.GenerateContentBatch",
            "model": f"models/{job.model}",
            "displayName": job.display_name,
            "state": f"BATCH_STATE_{job.state}",
            "createTime": "2026-11-30T10:00:00Z",
            "updateTime": "2026-11-30T10:05:00Z",
            "batchStats": {"requestCount": str(len(job.requests))},
        }
        if job.output is not None:
            metadata["output"] = job.output
        return {"name": job.name, "metadata": metadata, "done": job.state in ENDED}

    def _list(self, query: dict[str, list[str]]) -> Reply:
        size = int(query.get("pageSize", [self.page_size])[0])
        start = int(query.get("pageToken", ["0"])[0])
        jobs = list(self.jobs.values())[start : start + size]
        body: dict[str, Any] = {"operations": [self._operation(job) for job in jobs]}
        if start + size < len(self.jobs):
            body["nextPageToken"] = str(start + size)
        return Reply(body)

    # -- files ------------------------------------------------------------------------

    def _start(self, headers: dict[str, str], raw: bytes) -> Reply:
        if headers.get("x-goog-upload-command") != "start":
            return error(400, "INVALID_ARGUMENT", "expected X-Goog-Upload-Command: start")
        file = json.loads(raw or b"{}").get("file", {})
        upload_id = f"up{next(self._ids)}"
        self._uploads[upload_id] = _Upload(
            display_name=file.get("displayName"),
            mime_type=headers.get("x-goog-upload-header-content-type"),
            size=int(headers.get("x-goog-upload-header-content-length", "0")),
        )
        url = (
            f"{self.server.url}/upload/v1beta/files?upload_id={upload_id}&upload_protocol=resumable"
        )
        return Reply({}, headers={"x-goog-upload-url": url})

    def _chunk(self, upload_id: str, headers: dict[str, str], raw: bytes) -> Reply:
        upload = self._uploads.get(upload_id)
        if upload is None:
            return error(404, "NOT_FOUND", "no such upload")
        if int(headers.get("x-goog-upload-offset", "-1")) != len(upload.data):
            return error(400, "INVALID_ARGUMENT", "X-Goog-Upload-Offset does not match")
        upload.data += raw
        if "finalize" not in headers.get("x-goog-upload-command", ""):
            return Reply({}, headers={"x-goog-upload-status": "active"})
        del self._uploads[upload_id]
        name = f"files/in{next(self._ids)}"
        self.files[name] = bytes(upload.data)
        file = {
            "name": name,
            "displayName": upload.display_name,
            "mimeType": upload.mime_type,
            "sizeBytes": str(len(upload.data)),
            "state": "ACTIVE",
            "uri": f"{self.server.url}/v1beta/{name}",
        }
        return Reply({"file": file}, headers={"x-goog-upload-status": "final"})
