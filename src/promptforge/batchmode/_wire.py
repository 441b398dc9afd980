"""Batch Mode on the wire, through google-genai (imported only here, when used).

The requests are exactly what ``GeminiImageGenerator`` sends one by one (the same contents
and ``image_config``), converted by google-genai itself into the Gemini API's JSON, so an
inline job and a JSONL file job carry the same bytes. Each request carries its item's key:
``metadata.key`` inline, ``key`` in a file.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._errors import PromptforgeError
from .._files import replacing
from .._google._errors import _from_status
from .._google._turns import to_contents, user_turn
from ..generators.gemini_image import image_config
from ._record import JobItem, State

if TYPE_CHECKING:
    from google.genai import Client, types

_STATES: dict[str, State] = {
    "JOB_STATE_QUEUED": "pending",
    "JOB_STATE_PENDING": "pending",
    "JOB_STATE_PAUSED": "pending",
    "JOB_STATE_RUNNING": "running",
    "JOB_STATE_UPDATING": "running",
    "JOB_STATE_CANCELLING": "running",
    "JOB_STATE_SUCCEEDED": "succeeded",
    "JOB_STATE_PARTIALLY_SUCCEEDED": "succeeded",
    "JOB_STATE_FAILED": "failed",
    "JOB_STATE_CANCELLED": "cancelled",
    "JOB_STATE_EXPIRED": "expired",
}


def state_of(job: types.BatchJob) -> State:
    """The job's state in promptforge's words (an unknown one reads as ``pending``)."""
    name = str(getattr(job.state, "value", job.state) or "")
    return _STATES.get(name, "pending")


def inlined(item: JobItem) -> Iterator[tuple[str, types.InlinedRequest]]:
    """The requests of ``item``: one per image, each its own seed (as ``run`` splits ``n``)."""
    from google.genai import types

    assert item.prompt is not None
    assert item.options is not None
    turn, _ = user_turn(item.prompt.text, item.options.references)
    contents = to_contents([turn])
    for call in range(item.calls):
        options = item.options
        if options.seed is not None and call:
            options = options.model_copy(update={"seed": options.seed + call})
        config = image_config(options.model_copy(update={"n": 1}), options.aspect_ratio)
        key = item.key(call)
        yield key, types.InlinedRequest(contents=contents, config=config, metadata={"key": key})


def file_line(client: Client, key: str, request: types.InlinedRequest) -> dict[str, Any]:
    """One line of a JSONL input file: ``{"key", "request"}`` in the Gemini API's JSON."""
    from google.genai import _common
    from google.genai.batches import _InlinedRequest_to_mldev

    wire = _InlinedRequest_to_mldev(client._api_client, request)
    body = _common.encode_unserializable_types(_common.convert_to_dict(wire))
    return {"key": key, "request": body["request"]}


def response_of(entry: dict[str, Any]) -> types.GenerateContentResponse:
    """A ``generate_content`` answer from one line of a JSONL output file."""
    from google.genai import types
    from google.genai.batches import _GenerateContentResponse_from_mldev

    return types.GenerateContentResponse._from_response(
        response=_GenerateContentResponse_from_mldev(entry["response"]), kwargs={}
    )


def item_error(model: str, error: Any) -> PromptforgeError:
    """A per-item error of the job (``{"code", "message", "status"}``) as a promptforge
    error: 429 rate limited, 5xx transient, a safety refusal blocked, else a backend error."""
    if not isinstance(error, dict):
        error = {
            "code": getattr(error, "code", None),
            "message": getattr(error, "message", None),
            "status": getattr(error, "status", None),
        }
    code = error.get("code")
    code = code if isinstance(code, int) and 100 <= code <= 599 else 500  # a server's word
    return _from_status(
        model,
        code=code,
        status=str(error.get("status") or ""),
        message=str(error.get("message") or "the item failed in the batch job"),
        retry_after=None,
        bad_key=False,
    )


async def create(
    client: Client, model: str, source: str | list[types.InlinedRequest], display_name: str
) -> types.BatchJob:
    """Create the job (one request: never retried blindly, see ``_submit``)."""
    return await client.aio.batches.create(
        model=model, src=source, config={"display_name": display_name}
    )


async def find(client: Client, display_name: str) -> types.BatchJob | None:
    """The job called ``display_name``, if Google has one (``batches.list``, all pages)."""
    async for job in await client.aio.batches.list(config={"page_size": 100}):
        if job.display_name == display_name:
            return job
    return None


async def upload(client: Client, path: Path, display_name: str) -> str:
    """Upload the JSONL input file (resumable upload); its name, ``files/...``."""
    uploaded = await client.aio.files.upload(
        file=path, config={"mime_type": "jsonl", "display_name": display_name}
    )
    assert uploaded.name is not None
    return uploaded.name


async def download(client: Client, name: str, path: Path) -> None:
    """Stream the output file ``name`` to ``path`` (never whole in memory), through a fresh
    temp file: never through a file or link already there."""
    with replacing(path) as handle:
        await client.aio.files.download(file=name, destination=handle)
