"""The run log: what the library records when asked, searching it, concurrent writers."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from promptforge import ContentBlockedError, Pipeline, Reference
from promptforge._runlog import RunLog, home
from promptforge.testing import FakeEnhancer, FakeGenerator, image_bytes


def test_the_library_logs_only_when_asked(tmp_path: Path) -> None:
    Pipeline(FakeEnhancer(), FakeGenerator()).run("a fox")
    assert not (home() / "runs.sqlite3").exists()
    pipe = Pipeline(FakeEnhancer(), FakeGenerator(), log=True)
    result = pipe.run("a fox in the snow", seed=3)
    (entry,) = RunLog(home() / "runs.sqlite3").search()
    assert (entry.id, entry.idea, entry.status, entry.seed) == (
        result.id,
        "a fox in the snow",
        "ok",
        3,
    )
    assert entry.models == {"enhance": "fake-enhancer", "generate": "fake-generator"}
    assert entry.usage["generate"]["images"] == {"default": 1}
    assert entry.cost == 0.0


def test_failures_edits_and_batches_are_logged_with_their_folder(tmp_path: Path) -> None:
    log = RunLog(tmp_path / "log.sqlite3")
    generator = FakeGenerator([ContentBlockedError("no", reasons=["SAFETY"])])
    pipe = Pipeline(FakeEnhancer(), generator, log=log)
    with pytest.raises(ContentBlockedError):
        pipe.run("a forbidden owl")
    ok = pipe.run("a golden crown", references=[Reference(image_bytes(8, 8), role="style")])
    edited = pipe.edit(ok, "make the crown smaller")
    results = pipe.run_many(["a red kite", "a blue kite"], out_dir=tmp_path / "out")
    entries = {entry.idea: entry for entry in log.search(limit=10)}
    assert entries["a forbidden owl"].status == "failed"
    assert entries["a forbidden owl"].error == "ContentBlockedError: no"
    assert entries["a golden crown"].options is not None
    assert entries["a golden crown"].options["references"] == [
        {"role": "style", "note": None, "bytes": len(image_bytes(8, 8))}
    ]
    assert entries["make the crown smaller"].parent_id == ok.id
    assert entries["make the crown smaller"].id == edited.id
    for result in results:
        found = log.get(result.id)
        assert found is not None
        assert found.folder == str(tmp_path / "out" / result.id)
    log.record(ok, folder=tmp_path / "saved")  # saved later: the folder is filled in
    assert log.get(ok.id[:20]) == log.get(ok.id)
    assert log.get(ok.id).folder == str(tmp_path / "saved")  # type: ignore[union-attr]
    assert len(log) == 5


@pytest.mark.parametrize("fts", [True, False])
def test_search_finds_every_word_in_the_idea_or_the_prompt(tmp_path: Path, fts: bool) -> None:
    log = RunLog(tmp_path / "log.sqlite3")
    assert log.fts  # this Python's SQLite has FTS5; the LIKE fallback is tested too
    log.fts = fts
    pipe = Pipeline(
        FakeEnhancer(["A corgi wearing a tiny crown.", "An owl.", "A fox, 100%"]),
        FakeGenerator(),
        log=log,
    )
    for idea in ("a corgi", "an owl at night", "a fox"):
        pipe.run(idea)
    assert [e.idea for e in log.search("crown")] == ["a corgi"]
    assert [e.idea for e in log.search("owl night")] == ["an owl at night"]
    assert [e.idea for e in log.search()] == ["a fox", "an owl at night", "a corgi"]
    assert [e.idea for e in log.search(limit=1)] == ["a fox"]
    assert log.search('crown" OR "owl') == []  # the query is words, never FTS syntax
    assert [e.idea for e in log.search("100%")] == ["a fox"]  # LIKE wildcards escaped


WRITER = textwrap.dedent(
    """
    import sys
    from promptforge import Pipeline
    from promptforge.testing import FakeEnhancer, FakeGenerator

    pipe = Pipeline(FakeEnhancer(), FakeGenerator(), log=sys.argv[1])
    results = pipe.run_many([f"{sys.argv[2]} fox {n}" for n in range(200)], concurrency=16)
    assert all(r.ok for r in results)
    """
)


def test_two_processes_at_concurrency_16_lose_no_row(tmp_path: Path) -> None:
    path = tmp_path / "shared.sqlite3"
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(path), name], stderr=subprocess.PIPE)
        for name in ("red", "blue")
    ]
    for writer in writers:
        _, err = writer.communicate(timeout=120)
        assert writer.returncode == 0, err.decode()
    log = RunLog(path)
    assert len(log) == 400
    assert len(log.search("red", limit=1000)) == 200
    assert len(log.search("blue", limit=1000)) == 200


def test_the_default_home_follows_each_systems_convention(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PROMPTFORGE_HOME")
    monkeypatch.setenv("XDG_DATA_HOME", "/data")
    monkeypatch.setenv("LOCALAPPDATA", "C:/Users/me/AppData/Local")
    monkeypatch.setattr(sys, "platform", "linux")
    assert home() == Path("/data/promptforge")
    monkeypatch.delenv("XDG_DATA_HOME")
    assert home() == Path.home() / ".local/share/promptforge"
    monkeypatch.setattr(sys, "platform", "darwin")
    assert home() == Path.home() / "Library/Application Support/promptforge"
    monkeypatch.setattr(sys, "platform", "win32")
    assert home() == Path("C:/Users/me/AppData/Local/promptforge")


def test_a_log_of_a_newer_schema_is_refused(tmp_path: Path) -> None:
    import sqlite3

    from promptforge import ConfigurationError

    path = tmp_path / "log.sqlite3"
    RunLog(path).close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE schema_version SET version = 99")
    with pytest.raises(ConfigurationError, match="newer than this release"):
        RunLog(path)


def test_log_must_be_true_a_path_or_a_runlog() -> None:
    from promptforge import InvalidRequestError

    with pytest.raises(InvalidRequestError, match="log: expected True, a path"):
        Pipeline(FakeEnhancer(), FakeGenerator(), log=3)  # type: ignore[arg-type]
