"""A conversation's image parts: one place for the bytes, checked when read."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from promptforge._conversation import Conversation, Turn, TurnPart
from promptforge._google._turns import drawn
from promptforge._provenance import Provenance, embed
from promptforge.testing import image_bytes

PNG = image_bytes(8, 8)


def test_a_part_holds_its_bytes_in_one_place_and_names_their_hash() -> None:
    with pytest.raises(ValidationError, match="one place"):
        TurnPart(data=PNG, drawn=True, sha256="0" * 64, mime_type="image/png")
    with pytest.raises(ValidationError, match="needs its sha256"):
        TurnPart(path="/x.png", mime_type="image/png")
    with pytest.raises(ValidationError, match="sha256"):
        TurnPart(drawn=True, sha256="not hex", mime_type="image/png")


def test_parts_that_cannot_be_read_say_why() -> None:
    named = TurnPart(reference=0, sha256="0" * 64, mime_type="image/png")
    with pytest.raises(ValueError, match=r"reference 0 .* GenerationResult\.load"):
        named.bytes_of(bytes)
    relative = TurnPart(path="conversation/x.png", sha256="0" * 64, mime_type="image/png")
    with pytest.raises(ValueError, match="relative to its result folder"):
        Conversation(backend="B", model="m", turns=(Turn(role="user", parts=(relative,)),)).replay(
            bytes
        )


def test_an_image_whose_bytes_provenance_would_change_stays_inline() -> None:
    stamped = embed(PNG, Provenance(software="elsewhere"))  # already carries XMP: not restorable
    turn = Turn(role="model", parts=(TurnPart(data=stamped, mime_type="image/png"),))
    assert drawn(turn, stamped) == turn
    plain = Turn(role="model", parts=(TurnPart(data=PNG, mime_type="image/png"),))
    (part,) = drawn(plain, PNG).parts
    assert (part.drawn, part.data) == (True, None)
    assert drawn(plain, image_bytes(9, 9)) == plain  # not one of its images: as it is
