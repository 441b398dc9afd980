"""``promptforge series`` and ``promptforge gallery``, called in-process, offline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from promptforge import SeriesResult, cli

IDEAS = [
    "Biscuit the corgi wearing a tiny gold crown, sitting in a sunny attic",
    "Biscuit the corgi digging in the sand at the beach",
    "Biscuit the corgi sailing a paper boat on a pond",
]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(["--backend", "offline", *argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def ideas(tmp_path: Path) -> Path:
    path = tmp_path / "ideas.txt"
    path.write_text("# a storyboard\n" + "\n".join(IDEAS) + "\n", "utf-8")
    return path


def test_series_saves_the_series_and_a_rerun_resumes(
    capsys: pytest.CaptureFixture[str], ideas: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    argv = ("series", str(ideas), "--style", "watercolor", "--out", str(out), "--min-coherence",
            "0.5")  # fmt: skip
    code, stdout, stderr = run(capsys, *argv)
    assert code == cli.OK, stderr
    (folder,) = (p for p in out.iterdir() if p.is_dir())
    series = SeriesResult.load(folder)
    assert [item.idea for item in series.items] == IDEAS
    assert f"page      {folder / 'index.html'}" in stdout
    assert "[1/3] done    item 1:" in stderr
    assert "anchor" in stderr
    assert (folder / "contact.png").is_file()

    code, _, stderr = run(capsys, *argv)
    assert code == cli.OK
    assert stderr.count("resumed") == 3
    assert [p for p in out.iterdir() if p.is_dir()] == [folder]


def test_series_json_summary(
    capsys: pytest.CaptureFixture[str], ideas: Path, tmp_path: Path
) -> None:
    code, stdout, _ = run(capsys, "--json", "series", str(ideas), "--out", str(tmp_path / "o"))
    assert code == cli.OK
    document = json.loads(stdout)
    assert [item["idea"] for item in document["items"]] == IDEAS
    assert document["coherence"]["method"] == "pixels"
    assert document["items"][0]["coherence"] is None  # the anchor


@pytest.mark.parametrize(
    ("extra", "lines", "said"),
    [
        ((), ['{"prompt": "a fox", "n": 2}'], "one idea per line"),
        (("--anchor", "missing.png"), ["a fox"], "anchor: "),
        (("--consistency", "both"), ["a fox"], "invalid choice"),
        (("--min-coherence", "3"), ["a fox"], "min_coherence"),
    ],
)
def test_bad_series_input_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    extra: tuple[str, ...],
    lines: list[str],
    said: str,
) -> None:
    path = tmp_path / "ideas.txt"
    path.write_text("\n".join(lines), "utf-8")
    code, _, stderr = run(capsys, "series", str(path), "--out", str(tmp_path / "o"), *extra)
    assert code == cli.BAD_INPUT
    assert said in stderr
    assert len(stderr.strip().splitlines()) == 1
    assert not any((tmp_path / "o").glob("*/*.json"))


def test_gallery_for_a_batch_folder(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    prompts = tmp_path / "prompts.txt"
    prompts.write_text("a red fox\na <i>hare</i>\n", "utf-8")
    assert run(capsys, "batch", str(prompts), "--out", str(tmp_path / "b"))[0] == cli.OK
    code, stdout, _ = run(capsys, "gallery", str(tmp_path / "b"))
    assert code == cli.OK
    page = (tmp_path / "b" / "index.html").read_text("utf-8")
    assert stdout.strip() == str(tmp_path / "b" / "index.html")
    assert "a &lt;i&gt;hare&lt;/i&gt;" in page
    code, _, stderr = run(capsys, "gallery", str(tmp_path))
    assert code == cli.BAD_INPUT
    assert "no saved results" in stderr
