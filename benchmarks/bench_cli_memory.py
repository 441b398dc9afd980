"""Peak memory of ``promptforge batch`` (the command line, in process): 200 vs 10,000 items.

Each size runs in a fresh process (``python bench_cli_memory.py N DIR``) so the peak
is that batch's own peak. The enhancer is the offline ``RuleEnhancer``; the generator is the
offline ``FakeGenerator`` (small real PNGs; its record of calls
cleared), so what grows is the command's own bookkeeping,
not the images (``PreviewGenerator``'s 35 ms per card would make 10,000 items take minutes;
``--preview`` uses it anyway).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from _common import Row, peak_rss_kib

SMALL, LARGE = 200, 10_000


def _child(count: int, folder: str, *flags: str) -> None:
    from promptforge import Pipeline, cli
    from promptforge.enhancers import RuleEnhancer
    from promptforge.generators import PreviewGenerator
    from promptforge.testing import FakeGenerator

    class Forgetful(FakeGenerator):  # FakeGenerator records every call; this one does not
        async def generate(self, prompt: Any, options: Any) -> Any:
            try:
                return await super().generate(prompt, options)
            finally:
                self.calls.clear()

    generator = PreviewGenerator() if "--preview" in flags else Forgetful()
    cli.pipeline_for = lambda args: Pipeline(RuleEnhancer(), generator)  # type: ignore[assignment]
    source = Path(folder) / "prompts.txt"
    with source.open("w") as handle:
        for i in range(count):
            handle.write(f"a red fox number {i} curled up in fresh snow, at golden hour\n")
    argv = ["batch", str(source), "--out", str(Path(folder) / "out"), "--concurrency", "16"]
    argv += [flag for flag in flags if flag == "--json"]
    with (
        open(os.devnull, "w") as null,
        contextlib.redirect_stdout(null),
        contextlib.redirect_stderr(null),
    ):
        code = cli.main(argv)
    assert code == 0, code
    done = sum(1 for p in (Path(folder) / "out").iterdir() if not p.name.startswith("."))
    assert done == count, done
    print(peak_rss_kib())


def _peak(count: int, *flags: str) -> int:
    with tempfile.TemporaryDirectory() as folder:
        args = [sys.executable, __file__, str(count), folder, *flags]
        done = subprocess.run(args, capture_output=True, text=True, check=True)
    return int(done.stdout)


def memory() -> list[Row]:
    small, large, as_json = _peak(SMALL), _peak(LARGE), _peak(LARGE, "--json")
    growth, json_growth = large / small - 1, as_json / small - 1
    return [
        Row(f"CLI batch peak RSS, {SMALL} items", f"{small / 1024:.0f} MiB"),
        Row(f"CLI batch peak RSS, {LARGE:,} items", f"{large / 1024:.0f} MiB"),
        Row(f"  growth {SMALL} -> {LARGE:,}", f"{growth:+.1%}", "< 10%", growth < 0.1),
        Row(f"  growth {SMALL} -> {LARGE:,} with --json", f"{json_growth:+.1%}", "< 10%",
            json_growth < 0.1),
    ]  # fmt: skip


if __name__ == "__main__":
    _child(int(sys.argv[1]), sys.argv[2], *sys.argv[3:])
