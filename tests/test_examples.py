"""Every example runs offline, as `make test` promises."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from promptforge import GenerationResult

EXAMPLES = Path(__file__).parent.parent / "examples"


def run(name: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / name), *args],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_quickstart_saves_a_result_that_loads_back(tmp_path: Path) -> None:
    out = run("quickstart.py", str(tmp_path))
    (folder,) = tmp_path.iterdir()
    result = GenerationResult.load(folder)
    assert len(result.images) == 2
    assert result.prompt is not None
    assert result.prompt.text in out
    assert "reads back equal: True" in out


@pytest.mark.parametrize("name", ["custom_enhancer.py", "batch.py"])
def test_example_runs(name: str, tmp_path: Path) -> None:
    assert run(name, str(tmp_path)).strip()


def test_references_example_edits_twice_and_keeps_the_chain(tmp_path: Path) -> None:
    out = run("references.py", str(tmp_path))
    results = {r.id: r for r in map(GenerationResult.load, tmp_path.glob("2*"))}
    (first,) = (r for r in results.values() if r.parent_id is None)
    (second,) = (r for r in results.values() if r.parent_id == first.id)
    (third,) = (r for r in results.values() if r.parent_id == second.id)
    assert first.request is not None
    assert [ref.role for ref in first.request.options.references] == ["character"]
    assert (second.instruction, third.instruction) == (
        "make the crown smaller",
        "smaller still: a thin circlet",
    )
    assert "edits kept: make the crown smaller | smaller still: a thin circlet" in out


def test_judging_example_fixes_the_crown_in_round_two(tmp_path: Path) -> None:
    out = run("judging.py", str(tmp_path))
    (folder,) = tmp_path.iterdir()
    best = GenerationResult.load(folder)
    assert [r.fix for r in best.rounds] == [None, "edit"]
    assert best.id == best.rounds[1].id
    assert (folder / "rounds" / "1" / "image-0.png").is_file()
    assert "round 2: score 1.00 (edit: Make the crown much smaller.)" in out
    assert "it cannot see what the image depicts" in out


def test_offline_reruns_resume_every_item(tmp_path: Path) -> None:
    for _ in range(2):  # a second run on the same OUT_DIR starts its own batch folder
        out = run("offline.py", str(tmp_path))
        assert "batch first run: done, done, done" in out
        assert "batch re-run: resumed, resumed, resumed" in out
    assert len(list(tmp_path.glob("batch-*"))) == 2


def test_cost_and_provenance_example_stops_at_the_budget(tmp_path: Path) -> None:
    out = run("cost_and_provenance.py", str(tmp_path))
    assert "cost: $0.480 (prices as of 2026-11-30)" in out
    assert "batch: ok, ok, BudgetExceededError" in out
    assert "log: 4 runs; search 'owl' -> ['an owl at night']" in out
    assert (tmp_path / "runs.sqlite3").exists()


def test_examples_do_not_promise_what_exists_already() -> None:
    for example in EXAMPLES.glob("*.py"):
        assert "later release" not in example.read_text("utf-8"), example.name


def test_series_example_saves_a_storyboard_with_its_page(tmp_path: Path) -> None:
    from promptforge import SeriesResult

    out = run("series.py", str(tmp_path))
    (folder,) = (p for p in tmp_path.iterdir() if p.is_dir())
    series = SeriesResult.load(folder)
    assert len(series.items) == 4
    assert series.coherence.worst == 2  # the neon magenta sign, off-palette on purpose
    assert (folder / "index.html").is_file()
    assert (folder / "contact.png").is_file()
    assert f"saved: {folder}/index.html" in out
