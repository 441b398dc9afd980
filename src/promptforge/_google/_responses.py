"""Reading ``generate_content`` answers: safety blocks, finish reasons, usable parts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._errors import ContentBlockedError
from .._usage import Usage

if TYPE_CHECKING:
    from google.genai import types

BLOCKING_FINISH = {
    "SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY",
    "IMAGE_PROHIBITED_CONTENT", "IMAGE_RECITATION",
}  # fmt: skip


def _name(value: object) -> str:
    return str(getattr(value, "name", None) or value or "")


def finish_reason(response: types.GenerateContentResponse) -> str:
    """The first candidate's finish reason (``"STOP"``, ``"MAX_TOKENS"``...), or ``""``."""
    candidates = response.candidates or []
    return _name(candidates[0].finish_reason) if candidates else ""


def raise_if_blocked(response: types.GenerateContentResponse, model: str) -> None:
    """Raise ``ContentBlockedError`` when the prompt or the answer was withheld."""
    feedback = response.prompt_feedback
    if feedback is not None and feedback.block_reason is not None:
        reason = _name(feedback.block_reason)
        detail = f": {feedback.block_reason_message}" if feedback.block_reason_message else ""
        raise ContentBlockedError(
            f"{model} refused the prompt ({reason}){detail}", reasons=[reason]
        )
    reason = finish_reason(response)
    if reason in BLOCKING_FINISH:
        candidate = (response.candidates or [])[0]
        flagged = [
            _name(rating.category)
            for rating in candidate.safety_ratings or []
            if rating.blocked or _name(rating.probability) in ("HIGH", "MEDIUM")
        ]
        detail = f": {candidate.finish_message}" if candidate.finish_message else ""
        raise ContentBlockedError(
            f"{model} withheld its answer ({reason}){detail}", reasons=[reason, *flagged]
        )


def answer_parts(response: types.GenerateContentResponse) -> list[types.Part]:
    """The first candidate's parts, thoughts left out."""
    candidates = response.candidates or []
    content = candidates[0].content if candidates else None
    return [part for part in (content.parts or []) if not part.thought] if content else []


def usage_of(response: types.GenerateContentResponse) -> Usage:
    """The tokens a response reports (``usage_metadata``): prompt, text output, thinking,
    and image output (the ``IMAGE`` part of the candidates' count)."""
    meta = response.usage_metadata
    if meta is None:
        return Usage()
    details = meta.candidates_tokens_details or []
    image = sum(d.token_count or 0 for d in details if _name(d.modality) == "IMAGE")
    return Usage(
        input_tokens=meta.prompt_token_count or 0,
        output_tokens=max((meta.candidates_token_count or 0) - image, 0),
        thinking_tokens=meta.thoughts_token_count or 0,
        image_tokens=image,
    )
