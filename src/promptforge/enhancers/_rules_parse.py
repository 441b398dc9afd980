"""Take a short idea apart into the prompt levers, by word rules alone.

The idea is split into clauses at commas and semicolons, and each clause into segments at
marker words: ``with``/``wearing`` open an attribute, a preposition opens a setting, a verb
in -ing (or a pose such as "curled") opens an action, ``without``/``no`` open a negative.
Segments that name a medium, light, framing or mood move to those levers. Every word the
user wrote lands somewhere; only the glue words (``with``, ``wearing``, ``without``...) go.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal, TypeAlias

from .._text import unique
from ._rules_words import (
    ATTRIBUTE_MARKERS,
    COMPOSITION_WORDS,
    CONJUNCTIONS,
    DETERMINERS,
    GARMENTS,
    GENERIC_MEDIUM_NOUNS,
    ING_NOUNS,
    LIGHTING_WORDS,
    MEDIA,
    MEDIUM_NOUNS,
    MOOD_FILLERS,
    MOOD_WORDS,
    NEGATIVE_MARKERS,
    PARTICLES,
    POSE_PARTICIPLES,
    POSSESSIVES,
    PREPOSITIONS,
    SETTING_MARKERS,
    STYLE_FILLERS,
    STYLE_PHRASES,
)

Kind: TypeAlias = Literal["lead", "attribute", "action", "setting", "negative"]
_PREFIX = re.compile(r"^(?:(?:an?|the)\s+)?(?P<head>\S+(?:\s+\S+){0,3}?)\s+of\s+(?P<rest>\S.*)$")
_STRIP = "'\"()[]!?.:;,"
_GLUE = DETERMINERS | CONJUNCTIONS


@dataclass
class Parsed:
    """The levers found in the words; empty lists where the words said nothing."""

    subject: str
    attributes: list[str] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)
    settings: list[str] = field(default_factory=list)
    style: list[str] = field(default_factory=list)
    composition: list[str] = field(default_factory=list)
    lighting: list[str] = field(default_factory=list)
    mood: list[str] = field(default_factory=list)
    negative: list[str] = field(default_factory=list)
    medium: str | None = None


@dataclass
class _Segment:
    kind: Kind
    words: list[str] = field(default_factory=list)
    substance: bool = False
    """Whether any word so far is more than a determiner or conjunction (kept as words come,
    so asking costs nothing however long the segment grows)."""

    def add(self, word: str, bare: str) -> None:
        self.words.append(word)
        self.substance = self.substance or bare not in _GLUE

    @property
    def text(self) -> str:
        words = self.words
        start, end = 0, len(words)
        while start < end and _bare(words[end - 1]) in CONJUNCTIONS:
            end -= 1
        while start < end and _bare(words[start]) in CONJUNCTIONS:
            start += 1
        return " ".join(words[start:end]).strip(" ,.;:")


def _bare(word: str) -> str:
    return word.lower().strip(_STRIP)


def normalize(text: str) -> str:
    """Collapse whitespace and drop closing punctuation."""
    return " ".join(text.split()).strip(" .!;,")


def has_phrase(text: str, phrases: tuple[str, ...] | frozenset[str]) -> bool:
    """Whether ``text`` contains any phrase as whole words (case-insensitive)."""
    padded = f" {' '.join(_bare(w) for w in text.split())} "
    return any(f" {phrase} " in padded for phrase in phrases)


def detect_medium(text: str) -> str | None:
    """The medium whose keyword appears first in ``text``, if any."""
    padded = f" {' '.join(_bare(w) for w in text.split())} "
    found = [
        (padded.find(f" {keyword} "), number, medium.name)
        for number, medium in enumerate(MEDIA)
        for keyword in medium.keywords
        if f" {keyword} " in padded
    ]
    return min(found)[2] if found else None


def parse(prompt: str) -> Parsed:
    """Split ``prompt`` into levers. The subject is always the user's own words."""
    text = normalize(prompt)
    parsed = Parsed(subject=text, medium=detect_medium(text))
    subject: str | None = None
    for clause in re.split(r"\s*[,;]\s*", _take_prefix(text, parsed)):
        segments = [s for s in _segments(clause.split()) if s.text]
        whole = " ".join(s.text for s in segments)
        plain = not any(s.kind in ("action", "negative") for s in segments)
        if segments and subject is not None and plain and _classify(whole, parsed):
            continue  # a clause that is all cue: "at golden hour", "shot from above"
        for segment in segments:
            words = segment.text
            if segment.kind == "negative":
                parsed.negative.extend(_negative_terms(words))
            elif subject is None and segment.kind == "lead" and not _only_cues(words):
                subject = words
            elif segment.kind in ("lead", "setting") and _classify(words, parsed):
                pass
            elif segment.kind in ("lead", "attribute"):
                parsed.attributes.append(words)
            elif segment.kind == "action":
                parsed.actions.append(words)
            else:
                parsed.settings.append(words)
    if subject is None:  # no plain noun phrase came first: borrow the first thing named
        found = next(
            (lever for lever in (parsed.attributes, parsed.actions, parsed.settings) if lever), None
        )
        subject = found.pop(0) if found else text
    parsed.subject = subject
    parsed.negative = unique(parsed.negative)
    return parsed


def _take_prefix(text: str, parsed: Parsed) -> str:
    """Move a leading "an oil painting of" / "a close-up of" to style or composition."""
    match = _PREFIX.match(text)
    if not match or _bare(match["head"].split()[-1]) not in MEDIUM_NOUNS:
        return text
    head = match["head"]
    if has_phrase(head, COMPOSITION_WORDS):
        parsed.composition.append(head)
    elif _bare(head) not in GENERIC_MEDIUM_NOUNS:
        parsed.style.append(head)
    return str(match["rest"])


def _segments(words: list[str]) -> list[_Segment]:
    """Split a clause's words at marker words; one pass, linear in the words."""
    lower = [_bare(w) for w in words]
    segments = [_Segment("lead")]
    position = 0
    while position < len(words):
        found = _marker(lower, position, segments[-1])
        if found is None:
            segments[-1].add(words[position], lower[position])
            position += 1
            continue
        kind, length, keep = found
        segment = _Segment(kind)
        if keep:
            for at in range(position, position + length):
                segment.add(words[at], lower[at])
        segments.append(segment)
        position += length
    return segments


def _marker(lower: list[str], at: int, current: _Segment) -> tuple[Kind, int, bool] | None:
    """The marker starting at ``lower[at]`` (bare words): (segment kind, its length, keep
    its words)."""
    opening = at == 0
    if not (opening or current.substance):
        return None
    following = lower[at + 1] if at + 1 < len(lower) else None
    word = lower[at]
    if word in _MARKER_WORDS:  # else no marker starts here, and only a verb can
        if length := _match(lower, at, _NEGATIVE_OPENING if opening else _NEGATIVE):
            return "negative", length, False
        if current.kind in ("lead", "attribute") or opening:
            if length := _match(lower, at, _ATTRIBUTE):
                return "attribute", length, False
            if word == "in" and GARMENTS & set(lower[at + 1 : at + 4]):
                return "attribute", 1, False  # "in shining armour": worn, not a place
        if length := _match(lower, at, _SETTING):
            after = lower[at + length] if at + length < len(lower) else None
            return None if after in POSSESSIVES else ("setting", length, True)
    verb = (word.endswith("ing") and len(word) > 4 and word not in ING_NOUNS) or (
        word in POSE_PARTICIPLES
    )
    if verb and _takes_object(following):
        return "action", 1, True
    return None


def _by_first_word(markers: tuple[tuple[str, ...], ...]) -> dict[str, list[tuple[str, ...]]]:
    """``markers`` grouped by their first word, each group in the original order."""
    groups: dict[str, list[tuple[str, ...]]] = {}
    for marker in markers:
        groups.setdefault(marker[0], []).append(marker)
    return groups


_NEGATIVE = _by_first_word(NEGATIVE_MARKERS)
_NEGATIVE_OPENING = _by_first_word((*NEGATIVE_MARKERS, ("no",)))
_ATTRIBUTE = _by_first_word(ATTRIBUTE_MARKERS)
_SETTING = _by_first_word(SETTING_MARKERS)
_MARKER_WORDS = frozenset([*_NEGATIVE_OPENING, *_ATTRIBUTE, *_SETTING, "in"])


def _match(lower: list[str], at: int, markers: dict[str, list[tuple[str, ...]]]) -> int:
    """The length of the first of ``markers`` that starts at ``lower[at]``, else 0."""
    for marker in markers.get(lower[at], ()):
        if tuple(lower[at : at + len(marker)]) == marker:
            return len(marker)
    return 0


def _takes_object(following: str | None) -> bool:
    """Whether a verb followed by this word reads as an action ("sitting on", "reading a")."""
    return (
        following is None
        or following in DETERMINERS
        or following in PREPOSITIONS
        or following in PARTICLES
        or following in CONJUNCTIONS
        or following.endswith("ly")
    )


def _content(words: str) -> list[str]:
    """The words of ``words`` that are not determiners or prepositions."""
    bare = [_bare(w) for w in words.split()]
    return [w for w in bare if w and w not in DETERMINERS and w not in PREPOSITIONS]


def _only_style(words: str) -> bool:
    """Whether ``words`` name only a medium or style ("watercolor", "in pixel art style")."""
    content = _content(words)
    if not content or not all(w in _STYLE_VOCABULARY for w in content):
        return False  # a word no phrase or filler covers: settled without the phrase scan
    padded = f" {' '.join(content)} "
    for phrase in STYLE_PHRASES:
        padded = padded.replace(f" {phrase} ", " ")
    return all(w in STYLE_FILLERS for w in padded.split())


_STYLE_VOCABULARY = STYLE_FILLERS | {w for phrase in STYLE_PHRASES for w in phrase.split()}


def _only_mood(words: str) -> bool:
    content = _content(words)
    return bool(content) and all(w in MOOD_WORDS or w in MOOD_FILLERS for w in content)


def _only_cues(words: str) -> bool:
    return _only_style(words) or _only_mood(words)


def _classify(words: str, parsed: Parsed) -> bool:
    """File a lead or setting segment under style, lighting, framing or mood if it is one."""
    if _only_style(words) or has_phrase(words, ("style", "style of")):
        parsed.style.append(words)
    elif has_phrase(words, LIGHTING_WORDS):
        parsed.lighting.append(words)
    elif has_phrase(words, COMPOSITION_WORDS):
        parsed.composition.append(words)
    elif _only_mood(words):
        parsed.mood.append(words)
    else:
        return False
    return True


def _negative_terms(words: str) -> list[str]:
    terms = re.split(r"\s+(?:or|and|nor)\s+", words)
    return [" ".join(w for w in t.split() if _bare(w) not in DETERMINERS) for t in terms]
