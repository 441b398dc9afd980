"""What a run returns: the prompt used, the images, per-stage reports, and any failure."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import stat
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any, Literal

from pydantic import (
    Field,
    SerializerFunctionWrapHandler,
    ValidationError,
    field_serializer,
    field_validator,
)

from . import _errors
from ._conversation import Conversation
from ._cost import Cost
from ._errors import BackendError, PromptforgeError, Stage
from ._files import read_json, read_regular, replace_dir_atomic, staging_dir
from ._image import FilteredImage, GeneratedImage
from ._imageinfo import EXTENSIONS
from ._model import FrozenMap, Model
from ._prompt import EnhancedPrompt
from ._reference import Reference
from ._request import Request
from ._usage import Usage
from .judges._base import Verdict

RESULT_FILE = "result.json"
CONVERSATION_DIR = "conversation"
"""The folder of a saved result holding its conversations' images, one file per content."""
SCHEMA_VERSION: Literal[2] = 2
"""The version of the result JSON (and ``result.json``) this release writes."""
READ_VERSIONS = (1, 2)
"""The versions this release reads: 1 kept conversation images inline, as base64."""

_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
_SNIFF_BYTES = 64 * 1024  # enough for any header but a JPEG with large metadata first


def new_id() -> str:
    """A result id that sorts by creation time: ``20261125T141530-3f9a2c1d``."""
    return f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"


def check_id(value: str) -> str:
    """``value`` if it is a safe single folder name (what ``new_id`` makes, or any 1-128
    letters, digits, ``.``, ``_``, ``-`` not starting with ``.`` or ``-``), else ValueError."""
    if not _ID.fullmatch(value):
        raise ValueError(
            f"{value!r} is not a result id: 1-128 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit (a single folder name)"
        )
    return value


class StageReport(Model):
    """How one stage (enhance or generate) went."""

    backend: str
    """The backend that ran it, e.g. ``"GeminiEnhancer"``."""
    model: str | None = None
    """The backend's model, when it has one."""
    attempts: int = 0
    """Backend calls made, retries included."""
    seconds: float = 0.0
    """Wall time of the stage, retries and waits included."""
    batch: bool = False
    """True when the stage ran in a Google Batch Mode job (billed at the batch price)."""


class Round(Model):
    """One round of a judged run: its images, their verdicts, and how it was made."""

    number: int = Field(ge=1)
    """1 for the first render, 2 for the first fix, ..."""
    id: str
    """The id of the result this round made (a later fix's ``parent_id``)."""
    fix: Literal["edit", "refine"] | None = None
    """How this round was made from the best one before it; None for the first."""
    instruction: str | None = None
    """The edit instruction or the feedback that fix used."""
    prompt: EnhancedPrompt | None = None
    """The prompt this round's images were made from (an edit's: its instruction)."""
    images: tuple[GeneratedImage, ...] = ()
    """The round's images, in the generator's order."""
    verdicts: tuple[Verdict, ...] = ()
    """The judge's verdict on each image, in the same order."""
    stages: FrozenMap[Stage, StageReport] = Field(default_factory=dict)
    """This round's own stage reports (``"judge"`` included)."""
    warnings: tuple[str, ...] = ()
    """Adaptations and fallbacks of this round."""

    @property
    def best(self) -> int:
        """The index of the best image (the earlier on a tie)."""
        scores = [verdict.score for verdict in self.verdicts]
        return scores.index(max(scores)) if scores else 0

    @property
    def verdict(self) -> Verdict | None:
        """The best image's verdict."""
        return self.verdicts[self.best] if self.verdicts else None

    @property
    def score(self) -> float:
        """The best image's score (0 when nothing was judged)."""
        return self.verdict.score if self.verdict else 0.0


class ErrorInfo(Model):
    """Why a run failed, kept on the result (``run_many`` / ``stream`` never raise per item)."""

    type: str
    """The exception's class name, e.g. ``"RateLimitedError"``."""
    message: str
    """The exception's message."""
    stage: Stage | None = None
    """The stage that failed, when a backend did."""
    retryable: bool = False
    """Whether running the item again may succeed."""
    status: int | None = None
    """The backend's HTTP status, when there was one."""

    @classmethod
    def from_exception(cls, exc: BaseException) -> ErrorInfo:
        """Describe ``exc``; promptforge errors carry their stage, status and retryability."""
        if isinstance(exc, PromptforgeError):
            return cls(
                type=type(exc).__name__,
                message=str(exc),
                stage=exc.stage,
                retryable=exc.retryable,
                status=exc.status if isinstance(exc, BackendError) else None,
            )
        return cls(type=type(exc).__name__, message=str(exc))


class GenerationResult(Model):
    """The outcome of one ``Pipeline.run``: prompt, images, reports, or why it failed.

    Its JSON (``model_dump_json``) is also what ``save`` writes to ``result.json``; the
    schema is described in ``docs/results.md``.
    """

    version: Literal[2] = SCHEMA_VERSION
    """The version of this schema; a reader refuses a version it does not know."""
    id: str = Field(default_factory=new_id)
    """Stable, unique, sortable by time; the folder name ``save`` writes."""
    parent_id: str | None = None
    """The result this one refines or edits (``Pipeline.refine`` / ``Pipeline.edit``)."""
    instruction: str | None = None
    """The edit instruction, for a result ``Pipeline.edit`` made."""
    index: int | None = None
    """Position of the input in a ``run_many`` / ``stream`` batch."""
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    """When the run started (UTC)."""
    request: Request | None = None
    """What was asked; None only when a batch item was itself invalid."""
    prompt: EnhancedPrompt | None = None
    """The prompt sent to the generator; None if the run failed before it existed."""
    images: tuple[GeneratedImage, ...] = ()
    """The images, in the generator's order."""
    filtered: tuple[FilteredImage, ...] = ()
    """Images the generator's safety filter withheld."""
    stages: FrozenMap[Stage, StageReport] = Field(default_factory=dict)
    """Per-stage reports, keyed ``"enhance"`` and ``"generate"`` (``"edit"`` for an edit)."""
    usage: FrozenMap[Stage, Usage] = Field(default_factory=dict)
    """What each stage consumed (tokens the backend reported, images returned), summed over
    its calls and retries; see ``docs/cost.md``."""
    cost: Cost | None = None
    """The estimated cost in USD from the model catalogue's prices, with their date; None
    when a price it needs is unknown (never a guess)."""
    warnings: tuple[str, ...] = ()
    """Adaptations made for the backends, and fallbacks taken."""
    error: ErrorInfo | None = None
    """Why the run failed; None when it succeeded."""
    verdict: Verdict | None = None
    """The judge's verdict on the best image, when the pipeline has a judge."""
    rounds: tuple[Round, ...] = ()
    """Every round of a judged run, in order (the returned result is the best of them);
    saved under ``rounds/<n>/`` beside the winner's images."""
    resumed: bool = Field(default=False, exclude=True)
    """True when a batch with ``out_dir`` took this result from an earlier run instead of
    running it again. Not saved: it describes this batch, not the result."""

    @field_validator("id")
    @classmethod
    def _check_id(cls, value: str) -> str:
        return check_id(value)

    @field_validator("parent_id")
    @classmethod
    def _check_parent_id(cls, value: str | None) -> str | None:
        return None if value is None else check_id(value)

    @field_serializer("images", mode="wrap", when_used="json")
    def _relative_paths(
        self, images: tuple[GeneratedImage, ...], handler: SerializerFunctionWrapHandler
    ) -> Any:
        """In JSON, an image file inside this result's folder (``.../<id>/``) is named
        relative to it, so the JSON stays true wherever the folder is moved."""
        entries = handler(images)
        for entry in entries:
            path = entry.get("path") if isinstance(entry, dict) else None
            if path and PurePath(path).is_absolute() and PurePath(path).parent.name == self.id:
                entry["path"] = PurePath(path).name
            for part in _conversation_parts(entry).values():
                path = PurePath(part.get("path") or "")
                if path.is_absolute() and path.parent.parent.name == self.id:
                    part["path"] = f"{path.parent.name}/{path.name}"
        return entries

    @property
    def ok(self) -> bool:
        """True when the run succeeded (``error`` is None)."""
        return self.error is None

    def raise_for_error(self) -> SucceededResult:
        """This result, typed as succeeded (``prompt`` and ``request`` not None); or raise.

        Like httpx's ``raise_for_status()``: ``run_many`` / ``stream`` record a failure on
        the result instead of raising, and this turns it back into the exception.

        Example:
            >>> image = pipe.run_many(["a fox"])[0].raise_for_error().images[0]

        Raises:
            PromptforgeError: the recorded error, as its own class (``ContentBlockedError``,
                ``RateLimitedError``...) with its ``stage`` and ``status``; a failure that
                was not a promptforge error comes back as ``PromptforgeError`` naming its
                type.
            ValueError: the result has no error but no prompt either (not made by a run).
        """
        if self.error is not None:
            raise _rebuild(self.error)
        if self.prompt is None or self.request is None:
            raise ValueError("result: has no error but no prompt or request; not made by a run")
        return self  # type: ignore[return-value]  # SucceededResult is this class, narrowed

    def save(self, root: str | Path) -> Path:
        """Write ``root/<id>/``: each image as a file plus ``result.json``; return the folder.

        The images of the images' conversations that are not the images themselves or the
        request's references are written once each, as ``conversation/<sha256>.<ext>``.

        The folder appears whole or not at all (it is filled under a temporary name, then
        renamed), and replaces an earlier save of the same result. Nothing is written
        outside ``root/<id>/`` (the id is a single folder name).
        """
        root = Path(root)
        folder = root / check_id(self.id)
        staging = staging_dir(root, self.id)
        try:
            images: dict[str, Any] = {"images": {"__all__": {"data", "conversation"}}}
            skip: dict[str, Any] = {**images, "rounds": {"__all__": images}}
            document = self.model_dump(mode="json", exclude=skip)
            files = _ConversationFiles(staging, self.request)
            _write_images(self.images, document["images"], staging, "", files)
            for held, entry in zip(self.rounds, document["rounds"], strict=True):
                prefix = f"rounds/{held.number}/"
                (staging / prefix).mkdir(parents=True, exist_ok=True)
                _write_images(held.images, entry["images"], staging, prefix, files)
            with open(staging / RESULT_FILE, "w", encoding="utf-8") as handle:
                json.dump(document, handle, indent=2, ensure_ascii=False)
                handle.flush()
                os.fsync(handle.fileno())
            replace_dir_atomic(staging, folder)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return folder

    @classmethod
    def load(cls, location: str | Path, *, lazy: bool = False) -> GenerationResult:
        """Read back a folder written by ``save`` (or its ``result.json``).

        Every image entry must name a regular file inside the folder (no symbolic link,
        no ``..``) whose bytes are the format and size the entry declares, and so must each
        conversation image (its bytes the ``sha256`` it declares). With ``lazy``, only each
        image file's header is read: each image gets an absolute ``path`` and an empty
        ``data``, and ``image.read()`` loads it when needed; conversation images are not
        read until an edit continues the conversation.

        Raises:
            ValueError: the folder's content is damaged or hostile; the message names the
                file and the entry (e.g. ``images[0].path``).
            OSError: the folder or ``result.json`` cannot be read.
        """
        location = Path(location)
        file = location / RESULT_FILE if location.is_dir() else location
        folder = file.parent
        try:
            document = read_json(file)
        except ValueError as exc:
            raise ValueError(f"{file}: {exc}") from None
        if not isinstance(document, dict):
            raise ValueError(f"{file}: not a JSON object")
        _upgrade(document)
        base = Path(os.path.realpath(folder))
        references = _Referenced(document)
        for where, entry in _image_entries(document, f"{file}: "):
            path = inside(base, entry.get("path"), where)
            if lazy:
                entry["path"] = str(path)
            else:
                entry.pop("path")
                entry["data"] = read_image_file(path, where)
            _load_conversation(entry, base, where, lazy, references)
        try:
            result = cls.model_validate(document)
        except ValidationError as exc:
            raise ValueError(f"{file}: {exc}") from None
        if lazy:
            for number, image in enumerate(result.images):
                check_header(image, f"{file}: images[{number}]")
            for held_number, held in enumerate(result.rounds):
                for number, image in enumerate(held.images):
                    check_header(image, f"{file}: rounds[{held_number}].images[{number}]")
        return result


def _image_entries(document: dict[str, Any], prefix: str) -> list[tuple[str, dict[str, Any]]]:
    """Each image entry of a ``result.json`` (the winner's, then every round's), labelled
    for error messages; a malformed list or entry is a ``ValueError`` naming it."""
    groups: list[tuple[str, object]] = [(f"{prefix}images", document.get("images", []))]
    rounds = document.get("rounds", [])
    if not isinstance(rounds, list):
        raise ValueError(f"{prefix}rounds: expected a list")
    for number, held in enumerate(rounds):
        if not isinstance(held, dict):
            raise ValueError(f"{prefix}rounds[{number}]: expected an object")
        groups.append((f"{prefix}rounds[{number}].images", held.get("images", [])))
    found: list[tuple[str, dict[str, Any]]] = []
    for label, entries in groups:
        if not isinstance(entries, list):
            raise ValueError(f"{label}: expected a list")
        for number, entry in enumerate(entries):
            if not isinstance(entry, dict):
                raise ValueError(f"{label}[{number}]: expected an object")
            found.append((f"{label}[{number}]", entry))
    return found


def _write_images(
    images: Sequence[GeneratedImage],
    entries: list[dict[str, Any]],
    folder: Path,
    prefix: str,
    files: _ConversationFiles,
) -> None:
    """Write each image to ``folder/<prefix>image-<n>.<ext>`` and name the file in its entry;
    and its conversation, the images in it through ``files``."""
    for number, (image, entry) in enumerate(zip(images, entries, strict=True)):
        entry["path"] = f"{prefix}image-{number}{image.extension}"
        (folder / entry["path"]).write_bytes(image.read())
        entry["conversation"] = files.document(image.conversation)


class _ConversationFiles:
    """Where a saved result keeps its conversations' images: a request's reference is
    named by its index, any other image written once to ``conversation/<sha256>.<ext>``."""

    def __init__(self, folder: Path, request: Request | None) -> None:
        self.folder = folder
        self.references = {
            hashlib.sha256(ref.data).hexdigest(): number
            for number, ref in reversed(list(enumerate(request.options.references)))
        } if request is not None else {}  # fmt: skip
        self.written: set[str] = set()

    def document(self, conversation: Conversation | None) -> dict[str, Any] | None:
        """``conversation``'s JSON with no image bytes in it."""
        if conversation is None:
            return None
        no_data = {"turns": {"__all__": {"parts": {"__all__": {"data"}}}}}
        document = conversation.model_dump(mode="json", exclude=no_data)
        for turn, entry in zip(conversation.turns, document["turns"], strict=True):
            for part, part_entry in zip(turn.parts, entry["parts"], strict=True):
                named = part.drawn or part.reference is not None  # as they are
                data = None if named else part.bytes_of(bytes)  # a file is checked as read
                if data is not None:
                    part_entry.update(self.place(data, part.mime_type))
                part_entry.setdefault("data", None)
        return document

    def place(self, data: bytes, mime_type: str | None) -> dict[str, Any]:
        """The fields that name ``data``: a reference's index, or a file written once."""
        digest = hashlib.sha256(data).hexdigest()
        if digest in self.references:
            return {"reference": self.references[digest], "path": None, "sha256": digest}
        name = f"{CONVERSATION_DIR}/{digest}{EXTENSIONS.get(mime_type or '', '.bin')}"
        if name not in self.written:
            (self.folder / CONVERSATION_DIR).mkdir(exist_ok=True)
            (self.folder / name).write_bytes(data)
            self.written.add(name)
        return {"path": name, "sha256": digest}


class _Referenced:
    """The request's reference bytes of a ``result.json`` being loaded, decoded once each
    (a conversation part naming one shares its bytes)."""

    def __init__(self, document: dict[str, Any]) -> None:
        request = document.get("request")
        options = request.get("options") if isinstance(request, dict) else None
        found = options.get("references") if isinstance(options, dict) else None
        self.entries = found if isinstance(found, list) else []

    def data(self, number: object, where: str) -> bytes:
        if not isinstance(number, int) or not 0 <= number < len(self.entries):
            raise ValueError(
                f"{where}.reference: {number!r} is not the index of one of the request's "
                f"{len(self.entries)} references"
            )
        entry = self.entries[number]
        if not isinstance(entry, dict):
            raise ValueError(f"request.options.references[{number}]: expected an object")
        if not isinstance(entry.get("data"), bytes):
            try:
                entry["data"] = Reference.model_validate(entry).data
            except ValidationError as exc:
                raise ValueError(f"request.options.references[{number}]: {exc}") from None
        data: bytes = entry["data"]
        return data


def _conversation_parts(entry: object) -> dict[str, dict[str, Any]]:
    """The part objects of an image entry's conversation by label (``conversation.turns[1]
    .parts[0]``); malformed ones are left for validation to name."""
    conversation = entry.get("conversation") if isinstance(entry, dict) else None
    turns = conversation.get("turns") if isinstance(conversation, dict) else None
    found: dict[str, dict[str, Any]] = {}
    for t, turn in enumerate(turns if isinstance(turns, list) else []):
        parts = turn.get("parts") if isinstance(turn, dict) else None
        for p, part in enumerate(parts if isinstance(parts, list) else []):
            if isinstance(part, dict):
                found[f"conversation.turns[{t}].parts[{p}]"] = part
    return found


def _load_conversation(
    entry: dict[str, Any], base: Path, where: str, lazy: bool, references: _Referenced
) -> None:
    """Put back the bytes of the conversation images ``entry`` names by reference, and by
    file (confined to ``base`` and checked; with ``lazy``, left on disk, named absolutely)."""
    for name, part in _conversation_parts(entry).items():
        label = f"{where}.{name}"
        if part.get("reference") is not None:
            data = references.data(part["reference"], label)
            _check_digest(data, part.get("sha256"), f"{label}.reference")
            part.update(data=data, reference=None, sha256=None)
        elif part.get("path") is not None:
            path = inside(base, part["path"], label)
            if lazy:
                _check_regular(path, label)
                part["path"] = str(path)
            else:
                data = read_image_file(path, label)
                _check_digest(data, part.get("sha256"), f"{label}.path")
                part.update(data=data, path=None, sha256=None)


def _check_digest(data: bytes, digest: object, where: str) -> None:
    if hashlib.sha256(data).hexdigest() != digest:
        raise ValueError(f"{where}: the image is not the one its sha256 ({digest!r}) names")


def _check_regular(path: Path, where: str) -> None:
    """Raise unless ``path`` is a regular file (not a link), without reading it."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        raise ValueError(f"{where}.path: {path.name!r} does not exist") from None
    if not stat.S_ISREG(mode):
        raise ValueError(f"{where}.path: {path.name!r} is not a regular file")


if TYPE_CHECKING:

    class SucceededResult(GenerationResult):
        """A ``GenerationResult`` that succeeded: ``request`` and ``prompt`` are set."""

        request: Request
        prompt: EnhancedPrompt
        error: None

else:
    SucceededResult = GenerationResult
    """For the type checker, what ``raise_for_error`` returns; at runtime the same class."""


def _rebuild(error: ErrorInfo) -> PromptforgeError:
    """The exception ``error`` describes, as its own promptforge class where it is one."""
    cls = getattr(_errors, error.type, None)
    exc: PromptforgeError
    if not (isinstance(cls, type) and issubclass(cls, PromptforgeError)):
        exc = PromptforgeError(f"{error.type}: {error.message}")
    elif cls is BackendError:
        exc = BackendError(error.message, status=error.status, retryable=error.retryable)
    elif issubclass(cls, BackendError):
        exc = cls(error.message, status=error.status)
    else:
        exc = cls(error.message)
    exc.stage = error.stage
    return exc


def _upgrade(document: dict[str, Any]) -> None:
    """Read a ``result.json`` of an earlier release: version 1 (conversation images inline,
    read as they are), or no ``version`` (``file`` per image)."""
    if "version" in document:
        if document["version"] not in READ_VERSIONS:
            raise ValueError(
                f"version: {document['version']!r} is not a result schema version this "
                f"release reads ({', '.join(map(str, READ_VERSIONS))})"
            )
        document["version"] = SCHEMA_VERSION
        return
    document["version"] = SCHEMA_VERSION
    for entry in document.get("images", []) if isinstance(document.get("images"), list) else []:
        if isinstance(entry, dict) and "file" in entry and "path" not in entry:
            entry["path"] = entry.pop("file")


def inside(base: Path, name: object, where: str, *, field: str = "path") -> Path:
    """``base/name`` if ``name`` is a relative path that stays inside ``base`` (the real
    path of a folder); else ValueError naming ``where.field``."""
    if not isinstance(name, str) or not name:
        raise ValueError(f"{where}.{field}: missing; expected the image file's name")
    relative = PurePath(name)
    if relative.is_absolute() or ".." in relative.parts or "\\" in name or "\x00" in name:
        raise ValueError(f"{where}.{field}: {name!r} is not a file inside the result folder")
    path = base / relative
    if os.path.commonpath([os.path.realpath(path), base]) != str(base):
        raise ValueError(f"{where}.{field}: {name!r} leads outside the result folder")
    return path


def read_image_file(
    path: Path, where: str, limit: int | None = None, *, field: str = "path"
) -> bytes:
    """The bytes of the regular file ``path``; else ValueError naming ``where.field``."""
    try:
        return read_regular(path, limit)
    except FileNotFoundError:
        raise ValueError(f"{where}.{field}: {path.name!r} does not exist") from None
    except ValueError as exc:
        raise ValueError(f"{where}.{field}: {exc}") from None


def check_header(image: GeneratedImage, where: str) -> None:
    """Check the file behind a lazy image is the format and size it declares."""
    assert image.path is not None
    head = read_image_file(Path(image.path), where, _SNIFF_BYTES)
    try:
        image.check(head, name=where)
    except ValueError:
        if len(head) < _SNIFF_BYTES:
            raise
        image.check(
            read_image_file(Path(image.path), where), name=where
        )  # a JPEG with long headers
