"""Argument types the commands share, so a bad value is one line naming what was expected."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable


def positive(unit: str) -> Callable[[str], float]:
    """An argparse ``type`` for a finite number above 0, named by ``unit`` in its error."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not 0 < value < math.inf:
            raise argparse.ArgumentTypeError(f"must be {unit} above 0, got {text!r}")
        return value

    return parse
