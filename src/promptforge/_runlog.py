"""The run log: every run in a SQLite database, searchable by idea and prompt.

Standard library ``sqlite3`` in WAL mode, so several processes (two CLI batches) and many
tasks (a batch at concurrency 16) write at once without losing a row; a ``schema_version``
table says what the file holds; FTS5 indexes the idea and the prompt (``LIKE`` where this
Python's SQLite lacks FTS5). Nothing secret is written: no keys, no reference image bytes.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
import threading
import time
from pathlib import Path
from typing import Any

from pydantic import Field

from ._errors import ConfigurationError
from ._model import FrozenMap, Model
from ._result import GenerationResult

HOME_VARIABLE = "PROMPTFORGE_HOME"
"""Where promptforge keeps its data (the run log); default: the user's data directory."""
LOG_VARIABLE = "PROMPTFORGE_LOG"
"""``0`` turns the command line's run log off (as ``--no-log`` does)."""
LOG_FILE = "runs.sqlite3"
SCHEMA = 1

_TABLES = (
    "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)",
    """CREATE TABLE IF NOT EXISTS runs (
        id TEXT PRIMARY KEY, time TEXT NOT NULL, idea TEXT, prompt TEXT, negative TEXT,
        spec TEXT, models TEXT NOT NULL, seed INTEGER, options TEXT, usage TEXT NOT NULL,
        cost REAL, status TEXT NOT NULL, error TEXT, folder TEXT, parent_id TEXT
    )""",
    "CREATE INDEX IF NOT EXISTS runs_time ON runs (time)",
)
_FTS = (
    """CREATE VIRTUAL TABLE IF NOT EXISTS runs_fts USING fts5(
        idea, prompt, content='runs', content_rowid='rowid'
    )""",
    """CREATE TRIGGER IF NOT EXISTS runs_fts_insert AFTER INSERT ON runs BEGIN
        INSERT INTO runs_fts (rowid, idea, prompt) VALUES (new.rowid, new.idea, new.prompt);
    END""",
    """CREATE TRIGGER IF NOT EXISTS runs_fts_delete AFTER DELETE ON runs BEGIN
        INSERT INTO runs_fts (runs_fts, rowid, idea, prompt)
        VALUES ('delete', old.rowid, old.idea, old.prompt);
    END""",
)
_COLUMNS = (
    "id", "time", "idea", "prompt", "negative", "spec", "models", "seed", "options", "usage",
    "cost", "status", "error", "folder", "parent_id",
)  # fmt: skip
_JSON = {"spec", "models", "options", "usage"}


class LogEntry(Model):
    """One logged run."""

    id: str
    """The result id (the folder name ``save`` writes)."""
    time: str
    """When the run started, ISO 8601 UTC."""
    idea: str | None = None
    """The user's words (the instruction, for an edit)."""
    prompt: str | None = None
    """The prompt the generator rendered."""
    negative: str | None = None
    """The negative prompt."""
    spec: FrozenMap[str, Any] | None = None
    """The prompt's levers, when the enhancer wrote them."""
    models: FrozenMap[str, str | None] = Field(default_factory=dict)
    """The model of each stage."""
    seed: int | None = None
    """The seed asked for."""
    options: FrozenMap[str, Any] | None = None
    """The options asked for (reference images by role and size, not their bytes)."""
    usage: FrozenMap[str, Any] = Field(default_factory=dict)
    """What each stage consumed (``Usage`` as JSON)."""
    cost: float | None = None
    """Estimated USD; None when a price was unknown."""
    status: str
    """``"ok"`` or ``"failed"``."""
    error: str | None = None
    """``Type: message`` of a failed run."""
    folder: str | None = None
    """Where the result was saved, when it was."""
    parent_id: str | None = None
    """The result this one refines or edits."""


def home() -> Path:
    """``PROMPTFORGE_HOME``, else the user's data directory for promptforge: XDG data home
    (``~/.local/share/promptforge``) on Linux, ``~/Library/Application Support/promptforge``
    on macOS, ``%LOCALAPPDATA%\\promptforge`` on Windows."""
    given = os.environ.get(HOME_VARIABLE)
    if given:
        return Path(given).expanduser()
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / "promptforge"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "promptforge"
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "promptforge"


def default_path() -> Path:
    """The run log's file: ``<home>/runs.sqlite3``."""
    return home() / LOG_FILE


class RunLog:
    """A run log database; ``RunLog()`` opens (and creates) the default one.

    Safe to share between threads and tasks; several processes may write the same file.

    Raises:
        ConfigurationError: the file cannot be opened or was written by a newer release.
    """

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else default_path()
        self._lock = threading.Lock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(
                self.path, timeout=30, check_same_thread=False, isolation_level=None
            )
            self.fts = self._setup()
        except (OSError, sqlite3.Error) as exc:
            raise ConfigurationError(
                f"run log {str(self.path)!r}: cannot open it ({exc}); set {HOME_VARIABLE} "
                f"to a writable folder, or turn the log off ({LOG_VARIABLE}=0 / --no-log)"
            ) from None

    def __repr__(self) -> str:
        return f"RunLog({str(self.path)!r})"

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()

    def _setup(self) -> bool:
        """Create the tables once; True when full-text search (FTS5) is available."""
        for attempt in range(50):  # another process may be setting the file up this moment
            try:
                self._db.execute("PRAGMA journal_mode=WAL")
                break
            except sqlite3.OperationalError:
                time.sleep(0.01 * (attempt + 1))
        self._db.execute("BEGIN IMMEDIATE")
        try:
            for statement in _TABLES:
                self._db.execute(statement)
            (version,) = self._db.execute("SELECT max(version) FROM schema_version").fetchone()
            if version is None:
                self._db.execute("INSERT INTO schema_version (version) VALUES (?)", (SCHEMA,))
            elif not isinstance(version, int):
                raise sqlite3.DatabaseError(f"schema version {version!r}: not a promptforge log")
            elif version > SCHEMA:
                raise sqlite3.DatabaseError(
                    f"schema version {version} is newer than this release's ({SCHEMA})"
                )
            try:
                for statement in _FTS:
                    self._db.execute(statement)
                fts = True
            except sqlite3.OperationalError:  # no FTS5 in this SQLite: searched with LIKE
                fts = False
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        return fts

    def record(self, result: GenerationResult, *, folder: str | Path | None = None) -> None:
        """Add ``result`` (a run that ended, well or not); recording it again only sets
        ``folder`` once the result has been saved."""
        row = _row(result, folder)
        placeholders = ", ".join("?" for _ in _COLUMNS)
        with self._lock:
            self._db.execute(
                f"INSERT INTO runs ({', '.join(_COLUMNS)}) VALUES ({placeholders}) "
                "ON CONFLICT (id) DO UPDATE SET folder = coalesce(excluded.folder, folder)",
                [row[name] for name in _COLUMNS],
            )

    def search(self, query: str | None = None, *, limit: int = 20) -> list[LogEntry]:
        """The newest runs first; with ``query``, those whose idea or prompt hold every word."""
        sql = f"SELECT {', '.join('runs.' + c for c in _COLUMNS)} FROM runs"
        words = (query or "").split()
        params: list[Any] = []
        if words and self.fts:
            sql += " JOIN runs_fts ON runs.rowid = runs_fts.rowid WHERE runs_fts MATCH ?"
            params.append(" ".join('"' + word.replace('"', '""') + '"' for word in words))
        elif words:
            either = "(idea LIKE ? ESCAPE '!' OR prompt LIKE ? ESCAPE '!')"
            sql += " WHERE " + " AND ".join(either for _ in words)
            for word in words:
                pattern = "%" + _escape_like(word) + "%"
                params += [pattern, pattern]
        sql += " ORDER BY runs.time DESC, runs.rowid DESC LIMIT ?"
        params.append(limit)
        with self._lock:
            rows = self._db.execute(sql, params).fetchall()
        return [self._entry(row) for row in rows]

    def get(self, run_id: str) -> LogEntry | None:
        """The run with id ``run_id`` (or the only one starting with it)."""
        sql = f"SELECT {', '.join(_COLUMNS)} FROM runs WHERE id = ? OR id LIKE ? ESCAPE '!'"
        with self._lock:
            rows = self._db.execute(
                sql + " LIMIT 2", (run_id, _escape_like(run_id) + "%")
            ).fetchall()
        exact = [row for row in rows if row[0] == run_id]
        chosen = exact or (rows if len(rows) == 1 else [])
        return self._entry(chosen[0]) if chosen else None

    def _entry(self, row: tuple[Any, ...]) -> LogEntry:
        """The row as a ``LogEntry``; a damaged one is a ``ConfigurationError`` naming it."""
        try:
            return _entry(row)
        except ValueError as exc:
            reason = " ".join(str(exc).split())[:200]
            raise ConfigurationError(
                f"run log {str(self.path)!r}: run {row[0]!r} is damaged ({reason}); move the "
                f"file aside to start a fresh log"
            ) from None

    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT count(*) FROM runs").fetchone()[0])


def _row(result: GenerationResult, folder: str | Path | None) -> dict[str, Any]:
    request, prompt = result.request, result.prompt
    options = None
    if request is not None:
        options = request.options.model_dump(mode="json", exclude={"references"}, exclude_none=True)
        if request.options.references:
            options["references"] = [
                {"role": ref.role, "note": ref.note, "bytes": len(ref.data)}
                for ref in request.options.references
            ]
    error = result.error
    row = {
        "id": result.id,
        "time": result.created_at.isoformat(),
        "idea": result.instruction or (request.prompt if request else None),
        "prompt": prompt.text if prompt else None,
        "negative": prompt.negative_prompt if prompt else None,
        "spec": prompt.spec.model_dump(mode="json") if prompt and prompt.spec else None,
        "models": {stage: report.model for stage, report in result.stages.items()},
        "seed": request.options.seed if request else None,
        "options": options,
        "usage": {stage: used.model_dump(mode="json") for stage, used in result.usage.items()},
        "cost": result.cost.usd if result.cost else None,
        "status": "ok" if result.ok else "failed",
        "error": f"{error.type}: {error.message}" if error else None,
        "folder": str(folder) if folder is not None else None,
        "parent_id": result.parent_id,
    }
    for name in _JSON:
        if row[name] is not None:
            row[name] = json.dumps(row[name], ensure_ascii=False, sort_keys=True)
    return row


def _entry(row: tuple[Any, ...]) -> LogEntry:
    values = dict(zip(_COLUMNS, row, strict=True))
    for name in _JSON:
        if values[name] is not None:
            values[name] = json.loads(values[name])
    return LogEntry.model_validate(values)


def _escape_like(text: str) -> str:
    return text.replace("!", "!!").replace("%", "!%").replace("_", "!_")


def open_log(log: object) -> RunLog | None:
    """The run log ``Pipeline(log=...)`` asks for: None/False (none), True (the default
    file), a path to a database file, or a ``RunLog``.

    Raises:
        InvalidRequestError: ``log`` is none of those.
    """
    from ._errors import InvalidRequestError

    if log is None or log is False:
        return None
    if log is True:
        return RunLog()
    if isinstance(log, RunLog):
        return log
    if isinstance(log, str | Path) and str(log):
        return RunLog(log)
    raise InvalidRequestError(
        f"log: expected True, a path to the log database or a RunLog, got {type(log).__name__}",
        field="log",
    )
