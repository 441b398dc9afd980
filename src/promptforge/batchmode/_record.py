"""The job record in ``out_dir``: what was submitted, under which name, what is collected.

Files, all hidden so ``ResultStore`` leaves them alone:

- ``.promptforge-job.json``: the record (``JobRecord``), rewritten atomically;
- ``.promptforge-job.input.jsonl``: the requests as sent in a file job (kept for a re-send);
- ``.promptforge-job.output.jsonl``: a file job's answers, downloaded while collecting;
- ``.promptforge-job.collected.jsonl``: one line per collected item, appended and synced
  as each is written, so a collect cut off part way resumes where it stopped.
"""

from __future__ import annotations

import json
import logging
import os
import uuid
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, Literal, TypeAlias

from pydantic import Field, field_validator, model_validator

from .._errors import InvalidRequestError
from .._files import (
    MAX_JSON_BYTES,
    open_append,
    open_regular,
    parse_json,
    read_regular,
    replacing,
    write_atomic,
)
from .._model import Model
from .._options import ImageOptions
from .._prompt import EnhancedPrompt
from .._request import Request
from .._result import ErrorInfo, StageReport, check_id
from .._usage import Usage

State: TypeAlias = Literal["pending", "running", "succeeded", "failed", "cancelled", "expired"]
"""Where a job is: ``pending`` (recorded or queued), ``running``, or ended: ``succeeded``,
``failed``, ``cancelled``, ``expired`` (not finished within Google's window)."""
ENDED: frozenset[State] = frozenset({"succeeded", "failed", "cancelled", "expired"})

JOB_FILE = ".promptforge-job.json"
INPUT_FILE = ".promptforge-job.input.jsonl"
OUTPUT_FILE = ".promptforge-job.output.jsonl"
COLLECTED_FILE = ".promptforge-job.collected.jsonl"
HISTORY = ".promptforge-jobs"
"""Where the record of a collected job is moved when a new job is submitted to the folder."""
MAX_LINE_BYTES = 256 << 20
"""The longest line of the job's output file read (256 MiB: one answer holds one image,
as base64); a longer line is skipped, and its request reads as unanswered."""

logger = logging.getLogger("promptforge")


class JobItem(Model):
    """One input of the job: its result id, the request and the prompt sent."""

    index: int
    """Position in the prompts given to ``submit``."""
    id: str
    """The id of its result (its folder in ``out_dir``)."""
    created_at: datetime
    """When its run started (enhancing)."""
    request: Request | None = None
    """What was asked; None when the input itself was invalid."""
    prompt: EnhancedPrompt | None = None
    """The prompt sent (negatives folded in where the model takes none)."""
    options: ImageOptions | None = None
    """The options sent, adapted to the model; each call asks for one image."""
    calls: int = 0
    """Requests in the job for this input: one per image."""
    enhance: StageReport | None = None
    """How enhancing went (done locally, before submitting)."""
    enhance_usage: Usage = Field(default_factory=Usage)
    """What enhancing consumed (priced at the list price: it ran live)."""
    warnings: tuple[str, ...] = ()
    """Adaptations made while preparing it."""
    error: ErrorInfo | None = None
    """Why it failed before submission (invalid, or enhancing failed); not sent."""

    @field_validator("id")
    @classmethod
    def _check_id(cls, value: str) -> str:
        return check_id(value)  # the folder its result is saved in

    def key(self, call: int) -> str:
        """The key its ``call``-th request carries in the job."""
        return f"{self.id}:{call}"


class JobRecord(Model):
    """A Batch Mode job as recorded in ``out_dir``."""

    version: Literal[1] = 1
    display_name: str
    """Generated here before the job exists; finds the job if its name was never recorded."""
    model: str
    enhancer: StageReport
    """The enhancer (backend and model) that wrote the prompts."""
    enhancer_offline: bool = False
    """Whether the enhancer runs offline (free unless the catalogue prices its model)."""
    generator: str
    """The generator backend named on results (their resume key)."""
    source: Literal["inline", "file"]
    created_at: datetime
    input_file: str | None = None
    """The uploaded input file (``files/...``) of a file job."""
    sent_at: datetime | None = None
    """When the create call first went out: a record with it but no ``name`` may have a job
    at Google already (look it up by ``display_name`` before sending again)."""
    name: str | None = None
    """The job's name at Google (``batches/...``); None until the create call answered."""
    submitted_at: datetime | None = None
    state: State = "pending"
    checked_at: datetime | None = None
    """When ``state`` was last read from Google."""
    ended_at: datetime | None = None
    output_file: str | None = None
    """A file job's answers (``files/...``), once it succeeded."""
    collected_at: datetime | None = None
    items: tuple[JobItem, ...] = ()

    @field_validator("display_name")
    @classmethod
    def _check_name(cls, value: str) -> str:
        return check_id(value)  # the record's file name once it is retired

    @model_validator(mode="after")
    def _check_items(self) -> JobRecord:
        ids = [item.id for item in self.items]
        if len(set(ids)) < len(ids):
            twice = next(i for i in ids if ids.count(i) > 1)
            raise ValueError(f"items: the id {twice!r} is there twice")
        return self

    @property
    def requests(self) -> int:
        """Requests in the job (one per image)."""
        return sum(item.calls for item in self.items)


def new_display_name() -> str:
    """A name to find the job by before Google has named it."""
    return f"promptforge-{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:12]}"


def read(root: Path) -> JobRecord | None:
    """The record in ``root``, or None when there is none.

    Raises:
        InvalidRequestError: the record exists but cannot be read.
    """
    path = root / JOB_FILE
    if not os.path.lexists(path):
        return None
    try:
        return JobRecord.model_validate_json(read_regular(path, cap=MAX_JSON_BYTES))
    except (OSError, ValueError) as exc:
        raise InvalidRequestError(
            f"out_dir {root}: {JOB_FILE} cannot be read ({exc})", field="out_dir"
        ) from None


def write(root: Path, record: JobRecord) -> JobRecord:
    """Write ``record`` atomically (whole or not at all); return it."""
    write_atomic(root / JOB_FILE, record.model_dump_json(indent=1).encode())
    return record


def retire(root: Path, record: JobRecord) -> None:
    """Move a collected job's files into ``HISTORY`` to make room for a new job.

    Raises:
        InvalidRequestError: ``HISTORY`` is a symbolic link or not a folder.
    """
    history = root / HISTORY
    if history.is_symlink() or (os.path.lexists(history) and not history.is_dir()):
        raise _unreadable(root, HISTORY, "it is a symbolic link or not a folder")
    history.mkdir(exist_ok=True)
    os.replace(root / JOB_FILE, history / f"{check_id(record.display_name)}.json")
    for name in (INPUT_FILE, COLLECTED_FILE):
        if os.path.lexists(root / name):
            suffix = name.removeprefix(".promptforge-job")
            os.replace(root / name, history / f"{record.display_name}{suffix}")


def collected(root: Path) -> dict[str, dict[str, Any]]:
    """The items collected so far, by result id. A line cut off by a crash, or one that is
    not a log entry (``id``, ``ok`` and, when not ok, an ``error``), is ignored: the item
    is collected again.

    Raises:
        InvalidRequestError: the log is not a regular file (a planted link, say).
    """
    path = root / COLLECTED_FILE
    if not os.path.lexists(path):
        return {}
    try:
        data = read_regular(path, cap=MAX_JSON_BYTES)
    except (OSError, ValueError) as exc:
        raise _unreadable(root, COLLECTED_FILE, exc) from None
    found: dict[str, dict[str, Any]] = {}
    for line in data.decode("utf-8", "replace").splitlines():
        try:
            entry = parse_json(line)
            if not isinstance(entry.get("id"), str) or not isinstance(entry.get("ok"), bool):
                continue
            if not entry["ok"]:
                failure = entry.get("error") or {"type": "BackendError", "message": "failed"}
                entry["error"] = ErrorInfo.model_validate(failure)
        except (ValueError, AttributeError):
            continue
        found[entry["id"]] = entry
    return found


class CollectedLog:
    """Appends one synced line per collected item (never through a link)."""

    def __init__(self, root: Path) -> None:
        try:
            self._handle = open_append(root / COLLECTED_FILE)
        except (OSError, ValueError) as exc:
            raise _unreadable(root, COLLECTED_FILE, exc) from None

    def add(self, entry: dict[str, Any]) -> None:
        self._handle.write(b"\n" + json.dumps(entry).encode() + b"\n")
        self._handle.flush()
        os.fsync(self._handle.fileno())

    def close(self) -> None:
        self._handle.close()


def lines(path: Path) -> Iterator[dict[str, Any]]:
    """The JSON objects of a JSONL file, one at a time (bounded memory: a line longer than
    ``MAX_LINE_BYTES``, or one that is not a JSON object, is skipped with a warning).

    Raises:
        InvalidRequestError: the file is not a regular file (a planted link, say).
    """
    try:
        handle = open_regular(path)
    except (OSError, ValueError) as exc:
        raise _unreadable(path.parent, path.name, exc) from None
    return _objects(path, handle)


def _objects(path: Path, handle: IO[bytes]) -> Iterator[dict[str, Any]]:
    with handle:
        number = 0
        while raw := handle.readline(MAX_LINE_BYTES + 1):
            number += 1
            if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
                while (rest := handle.readline(1 << 20)) and not rest.endswith(b"\n"):
                    pass  # the rest of the long line, dropped
                logger.warning("%s:%d: longer than %d bytes; skipped", path, number, MAX_LINE_BYTES)
                continue
            try:
                entry = parse_json(raw) if raw.strip() else {}
            except ValueError:
                entry = None
            if not isinstance(entry, dict):
                logger.warning("%s:%d: not a JSON object; skipped", path, number)
            elif entry:
                yield entry


def _unreadable(root: Path, name: str, why: object) -> InvalidRequestError:
    return InvalidRequestError(
        f"out_dir {root}: {name} cannot be used ({why}); remove it and run again",
        field="out_dir",
    )


def write_lines(path: Path, entries: Iterable[dict[str, Any]]) -> int:
    """Write ``entries`` as JSONL atomically; return the file's size in bytes."""
    size = 0
    with replacing(path) as handle:
        for entry in entries:
            data = json.dumps(entry, separators=(",", ":")).encode() + b"\n"
            handle.write(data)
            size += len(data)
    return size
