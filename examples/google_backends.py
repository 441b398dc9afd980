"""The Google pipeline: Gemini writes the prompt, a Gemini image model renders it.

With Google credentials configured (GOOGLE_API_KEY, or Vertex AI settings), this makes one
real image and saves it. Without them it says what to set and exits 0, so `make test` can
run it offline.

Usage:
    python examples/google_backends.py [OUT_DIR]
"""

from __future__ import annotations

import sys

from promptforge import ConfigurationError, Pipeline, RetryPolicy
from promptforge.enhancers import GeminiEnhancer
from promptforge.generators import GeminiImageGenerator


def main(out: str = "out") -> int:
    try:
        pipe = Pipeline(
            enhancer=GeminiEnhancer(),
            generator=GeminiImageGenerator(),  # ImagenGenerator() on Vertex: a one-line swap
            retry=RetryPolicy(max_attempts=4, deadline=120),
        )
    except ConfigurationError as exc:
        print(f"not configured for Google: {exc}")
        return 0
    result = pipe.run("fluffy corgi wearing a tiny crown", aspect_ratio="16:9", style="cinematic")
    print(f"prompt: {result.raise_for_error().prompt.text}")
    print(f"saved:  {result.save(out)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(*sys.argv[1:2]))
