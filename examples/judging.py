"""Judging and rounds, offline: look at the image, fix what is wrong, keep the best.

1. a scripted judge stands in for ``GeminiJudge``: the crown is too large in round 1, and
   the edit its verdict asks for ("make the crown much smaller") passes in round 2;
2. the offline ``PixelJudge`` measures what pixels can show (named colours, brightness
   against the mood, shape, size) on preview cards, and says that is all it can see;
3. every round is saved under ``rounds/<n>/`` beside the winner.

With Google credentials, ``Pipeline(GeminiEnhancer(), GeminiImageGenerator(),
judge=GeminiJudge())`` runs the same loop on real images.

Usage:
    python examples/judging.py [OUT_DIR]

OUT_DIR defaults to ``out/``.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from promptforge import Check, Pipeline, Verdict
from promptforge.enhancers import RuleEnhancer
from promptforge.generators import PreviewGenerator
from promptforge.judges import PixelJudge, verdict_from
from promptforge.testing import FakeJudge

CORGI = "fluffy corgi wearing a tiny crown, sitting on a velvet cushion"


def crown_too_large() -> Verdict:
    """What GeminiJudge says of a corgi whose crown covers half its head."""
    checks = [
        Check(question="Is there a fluffy corgi in the image?", lever="subject", passed=True),
        Check(
            question="Does the fluffy corgi have a tiny crown?",
            lever="attribute",
            passed=False,
            evidence="the crown covers half the head",
        ),
        Check(question="Is the fluffy corgi on a velvet cushion?", lever="setting", passed=True),
    ]
    return verdict_from(checks, fixes=["make the crown much smaller"], negative=["large crown"])


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", default="out", type=Path)
    out = parser.parse_args(argv).out

    pipe = Pipeline(RuleEnhancer(), PreviewGenerator(), judge=FakeJudge([crown_too_large()]))
    best = pipe.run(CORGI, target=0.8, max_rounds=3)
    for held in best.rounds:
        made = f"{held.fix}: {held.instruction}" if held.fix else "first render"
        print(f"round {held.number}: score {held.score:.2f} ({made})")
    assert best.verdict is not None
    winner = [r.id for r in best.rounds].index(best.id) + 1
    calls = best.stages["judge"].attempts
    print(f"winner: round {winner}, score {best.verdict.score:.2f}, judge calls {calls}")
    print(f"saved: {best.save(out)}")

    offline = Pipeline(RuleEnhancer(), PreviewGenerator(), judge=PixelJudge())
    beach = offline.run("a sunny beach with a bright yellow umbrella", max_rounds=2)
    assert beach.verdict is not None
    print(f"pixel judge: {beach.verdict.judge}")
    for check in beach.verdict.checks:
        print(f"  {'yes' if check.passed else 'no ':<4}{check.question}  ({check.evidence})")


if __name__ == "__main__":
    main()
