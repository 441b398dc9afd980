"""``RuleEnhancer``: an offline, deterministic enhancer built from word rules."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from .._bible import Bible, describe, head_word
from .._errors import InvalidRequestError
from .._prompt import EnhancedPrompt, EnhanceRequest, PromptSpec
from .._text import join_and, unique
from ..generators._palette import COLOURS, RGB, palette_from_text
from ..styles import StylePreset, get_style
from ._base import Enhancer
from ._rules_parse import Parsed, has_phrase, parse
from ._rules_refine import apply_feedback
from ._rules_words import CATEGORY_MEDIUM, DEFAULT_MEDIUM, MEDIA_BY_NAME, TEXT_CUES, Medium


class RuleEnhancer(Enhancer):
    """Fills the prompt levers from the user's words and a style preset; no model, no network.

    What it does:

    - keeps the user's subject and attributes in their own words, in order ("fluffy corgi"
      with "a tiny crown"), and sorts the rest into action ("sitting"), setting ("on a velvet
      cushion"), and any lighting, framing, medium or mood the words name themselves;
    - turns "no X" / "without X" into negative terms;
    - fills style, composition, lighting and mood from the style preset, else from defaults
      for the medium it detects in the words (photo, painting, illustration, digital art or
      design; photo when nothing says otherwise);
    - adds the medium's usual negatives (e.g. "blurry", "watermark") unless the words ask for
      them, then finishes with ``EnhancedPrompt.from_spec`` like every enhancer;
    - ``refine`` applies simple feedback ("the crown looks too large", "make it brighter",
      "add a red scarf", "remove the hat");
    - ``bible`` writes a series' shared levers: the first idea's style, lighting, framing and
      mood, a palette (the colours the first idea names, else ones derived from its words,
      named), and each subject two or more ideas share, described once from the idea that
      details it most.

    Same input, same output: no randomness, no clock, no network.

    What it cannot do: understand meaning. It never invents details (no breed, colour or
    backdrop the user did not write), resolves ambiguous grammar only by word lists (it knows
    "a knight in shining armour" is dressed, since armour is clothing, but reads "a man in
    black" as a place -- the words survive, the lever may be wrong), and knows English only.
    Put the subject first for best results. For rich, imaginative prompts use an LLM
    enhancer such as ``GeminiEnhancer``.

    Args:
        default_medium: the medium assumed when neither the preset nor the words name one:
            ``"photo"``, ``"painting"``, ``"illustration"``, ``"digital"`` or ``"design"``.

    Example:
        >>> pipe = Pipeline(enhancer=RuleEnhancer(), generator=PreviewGenerator())
        >>> prompt = pipe.enhance("fluffy corgi wearing a tiny crown, sitting on a velvet cushion")
        >>> spec = prompt.spec
        >>> spec.subject, spec.attributes, spec.action, spec.setting
        ('fluffy corgi', ['a tiny crown'], 'sitting', 'on a velvet cushion')
    """

    model = "rules-1"

    def __init__(self, *, default_medium: str = DEFAULT_MEDIUM) -> None:
        if default_medium not in MEDIA_BY_NAME:
            raise InvalidRequestError(
                f"default_medium: {default_medium!r} is not one of {', '.join(MEDIA_BY_NAME)}",
                field="default_medium",
                allowed=list(MEDIA_BY_NAME),
            )
        self.default_medium = default_medium

    def __repr__(self) -> str:
        return f"RuleEnhancer(default_medium={self.default_medium!r})"

    async def enhance(self, request: EnhanceRequest) -> EnhancedPrompt:
        return EnhancedPrompt.from_spec(request, self.spec_for(request))

    async def refine(self, prompt: EnhancedPrompt, feedback: str) -> EnhancedPrompt:
        """Apply ``feedback`` to ``prompt``'s spec by the rules in the class docstring.

        A prompt without a spec (from a text-only enhancer) is first rebuilt from its
        original words, its style preset (when still registered) and its negative prompt.
        """
        if prompt.spec is None:
            request = EnhanceRequest(
                prompt=prompt.original,
                style=_registered(prompt.style),
                negative_prompt=prompt.negative_prompt,
            )
            prompt = await self.enhance(request)
        assert prompt.spec is not None  # enhance always writes a spec
        spec = apply_feedback(prompt.spec, feedback)
        return prompt.model_copy(
            update={
                "spec": spec,
                "text": spec.render(),
                "negative_prompt": ", ".join(spec.negative) or None,
            }
        )

    async def bible(self, ideas: Sequence[str], style: StylePreset | None) -> Bible:
        """The shared levers of a series, by the rules in the class docstring."""
        first = EnhancedPrompt.from_spec(
            EnhanceRequest(prompt=ideas[0], style=style),
            self.spec_for(EnhanceRequest(prompt=ideas[0], style=style)),
        )
        bible = Bible.from_prompt(first)
        specs = [self.spec_for(EnhanceRequest(prompt=idea, style=style)) for idea in ideas]
        heads = Counter(head_word(spec.subject) for spec in specs)
        subjects: dict[str, PromptSpec] = {}
        for spec in specs:
            head = head_word(spec.subject)
            if heads[head] > 1 and len(spec.attributes) > len(subjects.get(head, spec).attributes):
                subjects[head] = spec
            subjects.setdefault(head, spec)
        recurring = [describe(s.subject, s.attributes) for h, s in subjects.items() if heads[h] > 1]
        assert first.spec is not None  # from_spec always keeps the spec
        colours = " ".join([ideas[0], *first.spec.attributes, first.spec.setting or ""])
        names = unique(_colour_name(name, rgb) for name, rgb in palette_from_text(colours))
        return bible.model_copy(
            update={
                "palette": f"palette of {join_and(names[:4])}",
                "subjects": tuple(recurring) or bible.subjects,
            }
        )

    def spec_for(self, request: EnhanceRequest) -> PromptSpec:
        """The levers for ``request`` before the preset and negative prompt are applied."""
        parsed = parse(request.prompt)
        preset = request.style
        medium = MEDIA_BY_NAME[self._medium(parsed, preset)]

        def lever(found: list[str], name: str) -> str | None:
            if found:
                return ", ".join(found)
            if preset is not None and getattr(preset, name):
                return None  # EnhancedPrompt.from_spec fills it from the preset
            return str(getattr(medium, name))

        style = parsed.style if preset else [*parsed.style, medium.style]
        return PromptSpec(
            subject=parsed.subject,
            attributes=parsed.attributes,
            action=join_and(parsed.actions) or None,
            setting=" ".join(parsed.settings) or None,
            style=", ".join(style) or None,
            composition=lever(parsed.composition, "composition"),
            lighting=lever(parsed.lighting, "lighting"),
            mood=lever(parsed.mood, "mood"),
            negative=unique([*parsed.negative, *_default_negatives(medium, request.prompt)]),
        )

    def _medium(self, parsed: Parsed, preset: StylePreset | None) -> str:
        from_preset = CATEGORY_MEDIUM.get(preset.category) if preset else None
        return from_preset or parsed.medium or self.default_medium


def _default_negatives(medium: Medium, prompt: str) -> list[str]:
    """The medium's usual negatives, minus any the user's words ask for ("text" on a sign)."""
    wants_text = has_phrase(prompt, TEXT_CUES)
    return [
        term
        for term in medium.negative
        if not has_phrase(prompt, (term,)) and not (term == "text" and wants_text)
    ]


def _colour_name(name: str, rgb: RGB) -> str:
    """A palette entry as words: its own name, or the nearest named colour for a hex one."""
    if not name.startswith("#"):
        return name

    def distance(word: str) -> int:
        return sum((a - b) ** 2 for a, b in zip(COLOURS[word], rgb, strict=True))

    return min(COLOURS, key=distance)


def _registered(name: str | None) -> StylePreset | None:
    if name is None:
        return None
    try:
        return get_style(name)
    except InvalidRequestError:
        return None
