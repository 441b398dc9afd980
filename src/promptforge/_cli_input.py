"""The ``batch`` input file, read as a stream: a prompt per line, or JSON lines.

The file is read twice, a line at a time: once to check every line before anything is
spent, then again to run them. Memory stays flat whatever its size; a line longer than
``MAX_LINE_BYTES`` (or a file with no line breaks, such as ``/dev/zero``) is refused.
Input that is not a regular file (a pipe, ``/dev/stdin``) is copied to a temporary file
during the first pass, so it can be read again.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from ._cli_report import Line
from ._errors import InvalidRequestError

MAX_LINE_BYTES = 1 << 20
"""The longest input line accepted, in bytes (1 MiB)."""
BOM = b"\xef\xbb\xbf"
JSON_STARTS = ("{", "[", '"')
"""A line starting with one of these is read as JSON when it parses as JSON."""


class BatchFile:
    """An open batch file: ``lines()`` yields its inputs, from the start each time.

    Raises:
        InvalidRequestError: the file cannot be opened or read (use as a context manager).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self._source: IO[bytes] = open(path, "rb")  # noqa: SIM115  # closed by close()
        except OSError as exc:
            raise self.error(exc.strerror or str(exc)) from None
        # A pipe or a device cannot be read twice: the first pass keeps a copy.
        self._copy = None if path.is_file() else tempfile.TemporaryFile()  # noqa: SIM115
        self._passes = 0

    def __enter__(self) -> BatchFile:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the file (and remove the copy of a pipe)."""
        self._source.close()
        if self._copy is not None:
            self._copy.close()

    def error(self, reason: str, number: int | None = None) -> InvalidRequestError:
        """An input error naming the file, and the line when there is one."""
        where = f"{self.path}:{number}" if number is not None else f"batch file {str(self.path)!r}"
        return InvalidRequestError(f"{where}: {reason}", field="file")

    def lines(self) -> Iterator[Line]:
        """The inputs, in file order; blank lines and ``#`` comments skipped.

        Raises:
            InvalidRequestError: naming the line: too long, not UTF-8, bad JSON, JSON that is
                neither an object nor a string, or text with a lone surrogate.
        """
        for number, raw in enumerate(self._raw_lines(), start=1):
            if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
                limit = f"{MAX_LINE_BYTES // (1 << 20)} MiB"
                raise self.error(f"line longer than {limit}; is this a batch file?", number)
            if number == 1 and raw.startswith(BOM):
                raw = raw[len(BOM) :]
            line = self._parse(number, raw)
            if line is not None:
                yield line

    def _raw_lines(self) -> Iterator[bytes]:
        self._passes += 1
        handle, copy = self._source, self._copy
        if copy is None:
            handle.seek(0)
        elif self._passes > 1:
            handle, copy = copy, None
            handle.seek(0)
        while raw := handle.readline(MAX_LINE_BYTES + 1):
            if copy is not None:
                copy.write(raw)
            yield raw

    def _parse(self, number: int, raw: bytes) -> Line | None:
        try:
            text = raw.decode("utf-8").strip()
        except UnicodeDecodeError as exc:
            reason = f"not valid UTF-8 (byte 0x{raw[exc.start]:02x} at byte {exc.start + 1})"
            raise self.error(reason, number) from None
        if not text or text.startswith("#"):
            return None
        if not text.startswith(JSON_STARTS):
            return Line(number, {"prompt": text})
        try:
            item = json.loads(text)
        except RecursionError:
            raise self.error("JSON nested too deeply", number) from None
        except ValueError as exc:
            if not text.startswith("{"):  # '[draft] a fox', '"Hi" she said': a prompt
                return Line(number, {"prompt": text})
            raise self.error(f"not valid JSON ({exc})", number) from None
        if isinstance(item, str):
            item = {"prompt": item}
        if not isinstance(item, dict):  # a '[' line that parses: an array
            raise self.error("a JSON array; a line is a prompt, a JSON string or an object", number)
        if (bad := lone_surrogate(item)) is not None:
            raise self.error(f"text with a lone surrogate ({bad}), which is not Unicode", number)
        return Line(number, item)


def lone_surrogate(value: Any) -> str | None:
    """The first lone surrogate (as ``\\udXXX``) in the strings of a JSON value, if any."""
    stack = [value]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
        elif isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError as exc:
                return f"\\u{ord(value[exc.start]):04x}"
    return None
