"""Apply plain-language feedback to a ``PromptSpec`` by rules: "the crown looks too large".

Understood, one sentence at a time:

- "the X looks/is too Q"        -> X gets the opposite of Q (attribute, lighting, style, or
                                   framing when X is the subject's size), and "Q X" joins
                                   the negatives ("large crown");
- "make the X/it Q", "more/less Q"-> X (or the whole image) gets Q;
- "add/include X"              -> X becomes an attribute (or lighting, if it is light);
- "remove/no/without X"        -> X joins the negatives and leaves the attributes.

Anything else is kept as an extra attribute, in the user's words.
"""

from __future__ import annotations

import re

from .._prompt import PromptSpec
from .._text import unique
from ._rules_parse import has_phrase, normalize
from ._rules_words import DETERMINERS, LIGHTING_WORDS

# quality -> (what to ask for instead, the negative term, or None for "<quality> <thing>")
OPPOSITES: dict[str, tuple[str, str | None]] = {
    "large": ("noticeably smaller", None),
    "big": ("noticeably smaller", None),
    "huge": ("noticeably smaller", None),
    "oversized": ("noticeably smaller", None),
    "tall": ("shorter", None),
    "long": ("shorter", None),
    "wide": ("narrower", None),
    "thick": ("thinner", None),
    "small": ("noticeably larger", None),
    "tiny": ("noticeably larger", None),
    "short": ("taller", None),
    "thin": ("thicker", None),
    "dark": ("brighter", "underexposed"),
    "bright": ("darker", "overexposed"),
    "busy": ("simpler, uncluttered", "clutter"),
    "cluttered": ("simpler, uncluttered", "clutter"),
    "saturated": ("more muted", "oversaturated"),
    "dull": ("more vivid", "dull colours"),
    "flat": ("more depth and contrast", "flat lighting"),
    "blurry": ("sharp focus", "blurry"),
    "plain": ("more detailed", None),
    "cartoonish": ("more realistic", "cartoonish"),
    "realistic": ("more stylized", None),
    "close": ("further away in the frame", None),
    "far": ("closer in the frame", None),
}
SIZE_WORDS = frozenset(
    ["tiny", "small", "little", "large", "big", "huge", "giant", "oversized", "miniature"]
)
WHOLE_IMAGE = frozenset(["it", "image", "picture", "photo", "scene", "everything", "result"])
LIGHT_THINGS = frozenset(["light", "lighting", "lights", "exposure", "shadows"])
COLOUR_THINGS = frozenset(["colors", "colours", "color", "colour", "palette"])

_TOO = re.compile(
    r"^(?:the\s+|its\s+|his\s+|her\s+)?(?P<thing>.+?)\s+(?:looks?|is|are|seems?|feels?|appears?)"
    r"\s+(?:way\s+|much\s+|a\s+bit\s+|a\s+little\s+|slightly\s+|far\s+|still\s+)?too\s+"
    r"(?P<quality>[\w-]+)"
)
_MAKE = re.compile(
    r"^(?:please\s+)?make\s+(?:the\s+)?(?P<thing>.+?)\s+(?P<quality>(?:more|less)\s+[\w-]+|[\w-]+)$"
)
_MORE = re.compile(r"^(?P<quality>(?:more|less)\s+.+)$")
_ADD = re.compile(r"^(?:please\s+)?(?:add|include|put in|show)\s+(?P<what>.+)$")
_REMOVE = re.compile(
    r"^(?:please\s+)?(?:remove|drop|delete|get rid of|lose|no|without|"
    r"(?:i\s+)?(?:don't|do not)\s+(?:want|show))\s+(?:any\s+)?(?P<what>.+)$"
)


def apply_feedback(spec: PromptSpec, feedback: str) -> PromptSpec:
    """``spec`` revised by ``feedback``; deterministic, one sentence at a time."""
    for sentence in re.split(r"[.;!?]+", feedback):
        text = normalize(sentence).lower()
        if text:
            spec = _apply_one(spec, text)
    return spec


def _apply_one(spec: PromptSpec, text: str) -> PromptSpec:
    if match := _TOO.match(text):
        quality = match["quality"]
        fix, negative = OPPOSITES.get(quality, (f"less {quality}", None))
        thing = _noun(match["thing"])
        negative = negative or (
            f"{quality} {thing}" if thing not in WHOLE_IMAGE else f"too {quality}"
        )
        spec = _give(spec, thing, fix)
        return spec.model_copy(update={"negative": unique([*spec.negative, negative])})
    if match := _MAKE.match(text):
        return _give(spec, _noun(match["thing"]), match["quality"])
    if match := _MORE.match(text):
        return _give(spec, "it", match["quality"])
    if match := _ADD.match(text):
        what = match["what"]
        if has_phrase(what, LIGHTING_WORDS):
            return spec.model_copy(update={"lighting": _join(what, spec.lighting)})
        return spec.model_copy(update={"attributes": unique([*spec.attributes, what])})
    if match := _REMOVE.match(text):
        unwanted = _noun(match["what"])
        kept = [a for a in spec.attributes if not has_phrase(a, (unwanted,))]
        return spec.model_copy(
            update={"attributes": kept, "negative": unique([*spec.negative, unwanted])}
        )
    return spec.model_copy(update={"attributes": unique([*spec.attributes, text])})


def _give(spec: PromptSpec, thing: str, quality: str) -> PromptSpec:
    """Ask for ``quality`` on ``thing``: the lighting, the colours, the image, or a detail."""
    words = set(thing.split())
    if words & LIGHT_THINGS:
        return spec.model_copy(update={"lighting": _join(f"{quality} lighting", spec.lighting)})
    if words & COLOUR_THINGS:
        return spec.model_copy(update={"style": _join(spec.style, f"{quality} colours")})
    if thing in WHOLE_IMAGE:
        if quality in ("brighter", "darker"):
            return spec.model_copy(update={"lighting": _join(f"{quality} overall", spec.lighting)})
        return spec.model_copy(update={"style": _join(spec.style, f"{quality} overall")})
    head = thing.split()[-1]
    if has_phrase(spec.subject, (head,)) and ("smaller" in quality or "larger" in quality):
        framing = f"the {head} {quality} in the frame"
        return spec.model_copy(update={"composition": _join(framing, spec.composition)})
    attributes, changed = [], False
    for attribute in spec.attributes:
        if has_phrase(attribute, (head,)):
            attribute, changed = _reshape(attribute, head, quality), True
        attributes.append(attribute)
    if not changed:
        attributes.append(f"{quality} {thing}")
    return spec.model_copy(update={"attributes": unique(attributes)})


def _reshape(attribute: str, head: str, quality: str) -> str:
    """ "a tiny crown" + "noticeably smaller" -> "a noticeably smaller crown"."""
    words = attribute.split()
    at = next(i for i, w in enumerate(words) if has_phrase(w, (head,)))
    resize = "smaller" in quality or "larger" in quality  # old size words would contradict
    before = [w for w in words[:at] if not (resize and w.lower() in SIZE_WORDS)]
    if before and before[-1].lower() in DETERMINERS:
        return " ".join([*before, quality, *words[at:]])
    article = [before.pop(0)] if before and before[0].lower() in DETERMINERS else []
    return " ".join([*article, quality, *before, *words[at:]])


def _noun(phrase: str) -> str:
    """``phrase`` without leading determiners: "the tiny crown" -> "tiny crown"."""
    words = phrase.split()
    while len(words) > 1 and words[0] in DETERMINERS:
        words.pop(0)
    return " ".join(words)


def _join(first: str | None, second: str | None) -> str:
    return ", ".join(part for part in (first, second) if part)
