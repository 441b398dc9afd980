"""``RuleEnhancer`` on long prompts: linear in the words, and cheap at the prompt cap.

The prompt is one long clause (no commas), the shape that made the parser quadratic: every
word re-read the whole clause. Timed on ``enhance`` directly, since ``Pipeline`` refuses
anything over ``MAX_PROMPT_CHARS`` before the enhancer sees it.
"""

from __future__ import annotations

import asyncio
import statistics
import time

from _common import Row

from promptforge import MAX_PROMPT_CHARS, EnhanceRequest
from promptforge.enhancers import RuleEnhancer

IDEA = "a fluffy corgi wearing a tiny crown sitting on a velvet cushion in soft light"
WORDS = IDEA.split(" ")


def clause(chars: int) -> str:
    """One comma-free clause of ``chars`` characters, built from ordinary prompt words."""
    words, size = [], 0
    while size < chars:
        word = WORDS[len(words) % len(WORDS)]
        words.append(word)
        size += len(word) + 1
    return " ".join(words)[:chars].strip()


def seconds(enhancer: RuleEnhancer, prompt: str, runs: int = 5) -> float:
    """Median wall time of one ``enhance`` call on ``prompt``."""
    request = EnhanceRequest(prompt=prompt)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        asyncio.run(enhancer.enhance(request))
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def rules() -> list[Row]:
    enhancer = RuleEnhancer()
    seconds(enhancer, "warm-up", runs=1)
    cap = seconds(enhancer, clause(MAX_PROMPT_CHARS))
    small = seconds(enhancer, clause(16 * 1024))
    large = seconds(enhancer, clause(64 * 1024))
    return [
        Row(
            f"RuleEnhancer at the cap ({MAX_PROMPT_CHARS:,} chars)",
            f"{cap * 1000:.1f} ms",
            "< 50 ms",
            cap < 0.05,
        ),
        Row("RuleEnhancer, 16 KB one-clause prompt", f"{small * 1000:.1f} ms"),
        Row("RuleEnhancer, 64 KB one-clause prompt", f"{large * 1000:.1f} ms"),
        Row(
            "  64 KB / 16 KB (linear 4, quadratic 16)",
            f"{large / small:.1f}",
            "<= 6",
            large / small <= 6,
        ),
    ]


if __name__ == "__main__":
    for row in rules():
        print(row)
