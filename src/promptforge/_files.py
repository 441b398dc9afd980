"""Atomic file writes, reads that follow no links (and read no more than a cap), the
folder lock, safe file names."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import stat
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any, TypeVar

from ._errors import InvalidRequestError

T = TypeVar("T")
LOCK_FILE = ".promptforge-batch.lock"
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
MAX_JSON_BYTES = 256 << 20
"""The largest JSON document read back whole (``result.json``, ``series.json``...): 256 MiB,
room for a request's reference images inline as base64."""


def write_atomic(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temp file in the same folder and a rename."""
    path = Path(path)
    with replacing(path) as handle:
        handle.write(data)
    return path


@contextlib.contextmanager
def replacing(path: Path) -> Iterator[io.BufferedWriter]:
    """A new file to fill that replaces ``path`` (whole, or not at all) when the block ends.

    It is a fresh temp file in the same folder (never an existing file or a planted link),
    synced, then renamed over ``path``. It gets the permissions of any new file (``0o666``
    less the umask), not the private ``0o600`` of ``tempfile``: a saved result is as
    readable as the user's others.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW
    tmp, fd = _fresh(path.parent, f".{path.name}.", lambda p: os.open(p, flags, 0o666))
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def read_regular(path: Path, limit: int | None = None, *, cap: int | None = None) -> bytes:
    """The bytes of ``path`` (the first ``limit`` of them), which must be a regular file
    (see ``open_regular``) of at most ``cap`` bytes.

    Raises:
        ValueError: ``path`` is a symbolic link, a folder, anything but a regular file, or
            larger than ``cap``.
        OSError: it cannot be read (missing, no permission).
    """
    with open_regular(path) as handle:
        if cap is None:
            return handle.read() if limit is None else handle.read(limit)
        data = handle.read(cap + 1 if limit is None else min(limit, cap + 1))
    if len(data) > cap:
        raise ValueError(f"{path.name!r} is larger than {cap:,} bytes, the most read back")
    return data


def open_regular(path: Path) -> IO[bytes]:
    """``path`` opened for binary reading; it must be a regular file.

    The last component is opened without following a symbolic link, and without blocking
    (a FIFO is refused, not waited on).

    Raises:
        ValueError: ``path`` is a symbolic link, a folder or anything but a regular file.
        OSError: it cannot be read (missing, no permission).
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | _NOFOLLOW)
    except OSError:
        if path.is_symlink():
            raise ValueError(f"{path.name!r} is a symbolic link, not a file") from None
        raise
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        kind = "a folder, not a file" if stat.S_ISDIR(mode) else "not a regular file"
        raise ValueError(f"{path.name!r} is {kind}")
    return open(fd, "rb")


def read_json(path: Path, cap: int = MAX_JSON_BYTES) -> Any:
    """The JSON document in ``path``: a regular file of at most ``cap`` bytes.

    Raises:
        ValueError: not a regular file, larger than ``cap``, not JSON, or nested too deep.
        OSError: it cannot be read.
    """
    return parse_json(read_regular(path, cap=cap))


def parse_json(data: bytes | str) -> Any:
    """``json.loads``, with nesting too deep for the parser a ``ValueError`` too."""
    try:
        return json.loads(data)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None


def open_append(path: Path) -> IO[bytes]:
    """``path`` opened to append to (created if missing), never through a symbolic link.

    Raises:
        ValueError: ``path`` is a symbolic link or not a regular file.
    """
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NONBLOCK | _NOFOLLOW
    try:
        fd = os.open(path, flags, 0o666)
    except OSError:
        if path.is_symlink():
            raise ValueError(f"{path.name!r} is a symbolic link, not a file") from None
        raise
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise ValueError(f"{path.name!r} is not a regular file")
    return open(fd, "ab")


def replace_dir_atomic(staging: Path, target: Path) -> None:
    """Move a finished ``staging`` folder to ``target``, replacing what was there.

    What was at ``target`` is renamed aside and removed; a symbolic link there is removed,
    never followed.
    """
    if not os.path.lexists(target):
        os.replace(staging, target)
        return
    old = target.with_name(f".{target.name}.old-{os.getpid()}")
    os.replace(target, old)
    os.replace(staging, target)
    if old.is_dir() and not old.is_symlink():
        shutil.rmtree(old, ignore_errors=True)
    else:
        old.unlink()


def move_aside(folder: Path, into: Path) -> Path:
    """Rename ``folder`` to ``into/<name>`` (``<name>-1``, ``-2``... if taken); never delete.

    Returns:
        Where the folder now is.
    """
    into.mkdir(exist_ok=True)
    for number in range(1_000_000):
        target = into / (folder.name if number == 0 else f"{folder.name}-{number}")
        if not os.path.lexists(target):
            os.rename(folder, target)
            return target
    raise FileExistsError(f"{into}: no free name for {folder.name}")  # pragma: no cover


@contextlib.contextmanager
def folder_lock(folder: Path, *, what: str = "out_dir") -> Iterator[None]:
    """Hold ``folder``'s batch lock (``.promptforge-batch.lock``) for the ``with`` block.

    Two batches writing one folder would both run an input, so the second is refused. The
    lock is advisory (``flock``) and dies with the process, so a crash never leaves it
    stuck. The lock file is opened without following links and must be a regular file. On
    Windows there is no lock.

    Raises:
        InvalidRequestError: another batch holds the lock, or the lock file is not a
            regular file (a planted symbolic link, say). ``field`` is ``what``.
    """
    folder.mkdir(parents=True, exist_ok=True)
    if sys.platform == "win32":  # pragma: no cover
        yield
        return
    import fcntl

    path = folder / LOCK_FILE
    flags = os.O_RDWR | os.O_CREAT | os.O_NONBLOCK | _NOFOLLOW
    try:
        fd = os.open(path, flags, 0o644)
    except OSError as exc:
        raise InvalidRequestError(
            f"{what} {folder}: cannot open the lock file {LOCK_FILE} ({_kind(path, exc)}); "
            "remove it and run again",
            field=what,
        ) from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise InvalidRequestError(
                f"{what} {folder}: the lock file {LOCK_FILE} is not a regular file; remove it "
                "and run again",
                field=what,
            )
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise InvalidRequestError(
                f"{what} {folder}: another promptforge batch is writing there; wait for it to "
                "finish or choose another folder",
                field=what,
            ) from None
        yield
    finally:
        os.close(fd)


def _kind(path: Path, exc: OSError) -> str:
    if path.is_symlink():
        return "it is a symbolic link"
    return exc.strerror or type(exc).__name__


def staging_dir(root: Path, name: str) -> Path:
    """A fresh hidden folder beside ``root/name`` to fill before ``replace_dir_atomic``
    (``0o777`` less the umask, as any new folder: not ``tempfile``'s private ``0o700``)."""
    root.mkdir(parents=True, exist_ok=True)
    folder, _ = _fresh(root, f".{name}.", lambda p: os.mkdir(p, 0o777))
    return folder


def _fresh(parent: Path, prefix: str, make: Callable[[Path], T]) -> tuple[Path, T]:
    """``make(path)`` for a new random ``parent/<prefix>XXXXXXXX.tmp`` that did not exist."""
    for _ in range(100):
        path = parent / f"{prefix}{uuid.uuid4().hex[:8]}.tmp"
        try:
            return path, make(path)
        except FileExistsError:
            continue
    raise FileExistsError(f"{parent}: no free temporary name after 100 tries")


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_name(text: str, *, limit: int = 80) -> str:
    """A file-name-safe version of ``text``: no separators, no leading dots."""
    return _UNSAFE.sub("-", text).strip("-.")[:limit] or "unnamed"
