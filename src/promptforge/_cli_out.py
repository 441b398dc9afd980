"""The ``--out`` folder, checked before anything is spent."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from ._errors import InvalidRequestError


def output_folder(out: Path) -> Path:
    """Create ``out`` if needed and make sure a file can be written in it; return it.

    Raises:
        InvalidRequestError: ``out``, or a folder on its path, is a file.
        OSError: the folder cannot be created or written (read-only, no permission, disk
            full); the message names ``--out``.
    """
    if out.exists() and not out.is_dir():
        raise InvalidRequestError(f"--out {out}: is a file, not a folder", field="out")
    try:
        out.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".promptforge-probe-", dir=out)
        os.close(fd)
        os.unlink(probe)
    except (FileExistsError, NotADirectoryError):
        raise InvalidRequestError(
            f"--out {out}: a part of the path is a file, not a folder", field="out"
        ) from None
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise OSError(exc.errno, f"--out {out}: cannot write there ({reason})") from None
    return out
