"""Small text helpers shared by the prompt models and the enhancers."""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def split_terms(text: str | None) -> list[str]:
    """Split a comma-separated negative prompt into its terms, blanks dropped."""
    if not text:
        return []
    return [term.strip() for term in text.split(",") if term.strip()]


def unique(terms: Iterable[str]) -> list[str]:
    """Keep the first of each term, comparing case-insensitively; blanks dropped."""
    seen: set[str] = set()
    kept: list[str] = []
    for term in terms:
        term = term.strip()
        key = term.casefold()
        if term and key not in seen:
            seen.add(key)
            kept.append(term)
    return kept


def sentence(text: str) -> str:
    """``"soft light"`` -> ``"Soft light."``: first letter up, one closing stop."""
    text = text.strip().rstrip(".")
    return text[:1].upper() + text[1:] + "." if text else ""


def join_and(items: Sequence[str]) -> str:
    """``["a", "b", "c"]`` -> ``"a, b and c"``."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]
