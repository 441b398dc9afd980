"""References, edits and multi-turn conversations through the real google-genai client."""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from promptforge import (
    GenerationResult,
    InvalidRequestError,
    Pipeline,
    Reference,
    strip_provenance,
)
from promptforge.generators import GeminiImageGenerator
from promptforge.testing import FakeEnhancer, check_generator, image_bytes

from . import server as wire

if TYPE_CHECKING:
    from google.genai import Client

    from .server import GoogleServer

KNIGHT = image_bytes(48, 64, shade=1)
WATERCOLOUR = image_bytes(64, 48, "image/jpeg", shade=2)
FIRST, SECOND, THIRD = (image_bytes(64, 64, shade=s) for s in (3, 4, 5))


def pipe(client: Client, model: str = "gemini-3.1-flash-image") -> Pipeline:
    return Pipeline(FakeEnhancer(), GeminiImageGenerator(model=model, client=client))


def test_references_go_as_labelled_inline_parts_before_the_prompt(
    server: GoogleServer, api_client: Client
) -> None:
    server.script("generateContent", wire.image(FIRST))
    refs = [
        Reference(WATERCOLOUR, role="style"),
        Reference(KNIGHT, role="character", note="Sir Ash"),
    ]
    pipe(api_client).run("the knight rides through a misty forest", references=refs)
    (call,) = server.requests
    (turn,) = wire.turns(call)
    assert turn["role"] == "user"
    parts = turn["parts"]
    assert [list(p) for p in parts] == [["text"], ["inlineData"]] * 2 + [["text"]]
    assert parts[0]["text"] == (
        "Reference image 1, a character: keep their face, build, clothing and colours the "
        "same (Sir Ash)."
    )
    assert parts[2]["text"].startswith("Reference image 2, the style to follow")
    assert parts[4]["text"] == "The knight rides through a misty forest."
    assert wire.inline_images(call) == [KNIGHT, WATERCOLOUR]  # character first, bytes exact
    assert [p["inlineData"]["mimeType"] for p in parts[1::2][:2]] == ["image/png", "image/jpeg"]


def test_a_signature_from_turn_one_comes_back_in_turn_two(
    server: GoogleServer, api_client: Client, tmp_path: Path
) -> None:
    server.default(
        "generateContent",
        wire.by_turn(
            wire.signed_image(FIRST, b"sig-1", note="Here he is.", thought="Plan: a knight."),
            wire.signed_image(SECOND, b"sig-2"),
            wire.signed_image(THIRD, b"sig-3"),
        ),
    )
    pipeline = pipe(api_client)
    ref = Reference(KNIGHT, role="character")
    first = pipeline.run("a knight with a crown", references=[ref])
    assert first.images[0].metadata == {"note": "Here he is.", "thoughts": "Plan: a knight."}
    assert repr(first.images[0].conversation) == "Conversation(gemini-3.1-flash-image, 2 turns)"
    assert "sig-1" not in repr(first)
    assert "conversation" not in repr(first.images[0])
    loaded = GenerationResult.load(first.save(tmp_path))  # the conversation survives a save
    second = pipeline.edit(loaded, "make the crown smaller")
    assert second.parent_id == first.id
    assert strip_provenance(second.images[0].data) == SECOND  # as the model sent it

    turn_one, turn_two = server.requests
    user, model, edit = wire.turns(turn_two)
    assert user == wire.turns(turn_one)[0]  # the earlier user turn, exactly as sent
    assert model["role"] == "model"
    assert wire.unb64(model["parts"][-1]["thoughtSignature"]) == b"sig-1"
    assert wire.unb64(model["parts"][-1]["inlineData"]["data"]) == FIRST
    assert {"text": "Here he is."} in model["parts"]
    assert {"text": "Plan: a knight.", "thought": True} not in model["parts"]  # unsigned thought
    assert edit == {"role": "user", "parts": [{"text": "make the crown smaller"}]}
    assert "aspectRatio" not in turn_two.body["generationConfig"].get("imageConfig", {})

    third = pipeline.edit(second, "smaller still, a thin circlet")  # an edit of an edit
    assert third.parent_id == second.id
    assert strip_provenance(third.images[0].data) == THIRD
    assert wire.signatures(server.requests[2]) == [b"sig-1", b"sig-2"]
    assert len(wire.turns(server.requests[2])) == 5


def test_a_reference_larger_than_the_input_limit_is_downscaled(
    server: GoogleServer, api_client: Client
) -> None:
    from PIL import Image

    server.script("generateContent", wire.image(FIRST))
    big = Reference(image_bytes(4000, 1000), role="object")
    result = pipe(api_client).run("a knight", references=[big])
    (sent,) = wire.inline_images(server.requests[0])
    assert Image.open(io.BytesIO(sent)).size == (3072, 768)
    assert any(
        "reference 1 (object) was 4000x1000; downscaled to 3072x768" in w for w in result.warnings
    )


def test_a_gif_reference_is_sent_as_png(server: GoogleServer, api_client: Client) -> None:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (20, 10), (200, 30, 30)).save(buffer, "GIF")
    server.script("generateContent", wire.image(FIRST))
    result = pipe(api_client).run("a knight", references=[Reference(buffer.getvalue())])
    part = wire.turns(server.requests[0])[0]["parts"][1]
    assert part["inlineData"]["mimeType"] == "image/png"
    assert any("was image/gif; sent as PNG" in w for w in result.warnings)


def test_editing_an_outside_image_sends_it_first(
    server: GoogleServer, api_client: Client, tmp_path: Path
) -> None:
    server.script("generateContent", wire.image(SECOND))
    photo = tmp_path / "photo.png"
    photo.write_bytes(FIRST)
    edited = pipe(api_client).edit(photo, "make the crown smaller", aspect_ratio="4:3")
    assert edited.ok
    assert edited.parent_id is None
    (turn,) = wire.turns(server.requests[0])
    assert turn["parts"][0] == {"text": "The image to edit:"}
    assert wire.inline_images(server.requests[0]) == [FIRST]
    assert turn["parts"][-1] == {"text": "make the crown smaller"}
    assert server.requests[0].body["generationConfig"]["imageConfig"] == {"aspectRatio": "4:3"}


def test_another_models_conversation_is_not_continued(
    server: GoogleServer, api_client: Client
) -> None:
    server.default("generateContent", wire.by_turn(wire.signed_image(FIRST, b"sig-1")))
    first = pipe(api_client).run("a knight")
    edited = pipe(api_client, "gemini-3-pro-image").edit(first, "make the crown smaller")
    assert len(wire.turns(server.requests[1])) == 1
    assert wire.signatures(server.requests[1]) == []
    assert any("cannot continue on gemini-3-pro-image" in w for w in edited.warnings)


def test_thinking_level_is_sent_and_thought_images_are_not_results(
    server: GoogleServer, api_client: Client
) -> None:
    server.script(
        "generateContent",
        wire.signed_image(FIRST, b"s", thought="Sketching first.", thought_image=SECOND),
    )
    result = pipe(api_client).run("a knight", thinking="high")
    assert [strip_provenance(image.data) for image in result.images] == [FIRST]
    assert result.images[0].metadata["thoughts"] == "Sketching first."
    config = wire.camel(server.requests[0].body["generationConfig"])
    assert config["thinkingConfig"] == {"includeThoughts": True, "thinkingLevel": "HIGH"}
    assert result.prompt is not None
    assert "Sketching" not in result.prompt.text


def test_per_model_limits_are_checked_before_any_request(
    server: GoogleServer, api_client: Client
) -> None:
    objects = [Reference(KNIGHT, role="object")] * 7
    with pytest.raises(InvalidRequestError, match=r"reference_limits\['object'\]=6"):
        pipe(api_client, "gemini-3-pro-image").run("a knight", references=objects)
    with pytest.raises(InvalidRequestError, match=r"15 images, .*max_references=14"):
        pipe(api_client).run("a knight", references=[Reference(KNIGHT)] * 15)
    with pytest.raises(InvalidRequestError, match="thinking: 'low'"):
        pipe(api_client).run("a knight", thinking="low")
    assert server.requests == []


def test_contract_with_references_and_edit(server: GoogleServer, api_client: Client) -> None:
    server.default("generateContent", wire.gemini_image_for_request)
    check_generator(GeminiImageGenerator(model="gemini-3.1-flash-image", client=api_client))
    assert any(wire.inline_images(r) for r in server.requests)


def test_a_turn_with_no_script_is_a_400(server: GoogleServer, api_client: Client) -> None:
    server.default("generateContent", wire.by_turn(wire.signed_image(FIRST, b"s")))
    pipeline = pipe(api_client)
    first = pipeline.run("a knight")
    with pytest.raises(Exception, match="no scripted answer for turn 2"):
        pipeline.edit(first, "again", n=1)


def _chain_server(server: GoogleServer) -> None:
    server.default(
        "generateContent",
        wire.by_turn(
            wire.signed_image(FIRST, b"sig-1", note="Here he is."),
            wire.signed_image(SECOND, b"sig-2"),
            wire.signed_image(THIRD, b"sig-3"),
        ),
    )


def test_no_image_is_held_twice_and_an_edit_after_a_lazy_load_sends_the_same_turns(
    server: GoogleServer, api_client: Client, tmp_path: Path
) -> None:
    _chain_server(server)
    pipeline = pipe(api_client)
    refs = [Reference(KNIGHT, role="character"), Reference(WATERCOLOUR, role="style")]
    first = pipeline.run("a knight with a crown", references=refs)
    (user, model) = first.images[0].conversation.turns  # type: ignore[union-attr]
    drawn = model.parts[-1]
    assert (drawn.drawn, drawn.data, drawn.thought_signature) == (True, None, b"sig-1")
    assert [p.data for p in user.parts if p.data] == [KNIGHT, WATERCOLOUR]

    folder = first.save(tmp_path)
    text = (folder / "result.json").read_text()
    assert wire.b64(FIRST)[:40] not in text  # the drawn image is its own file only
    assert text.count(wire.b64(KNIGHT)[:40]) == 1  # the reference: in the request only
    assert not (folder / "conversation").exists()

    lazy = GenerationResult.load(folder, lazy=True)
    assert lazy == GenerationResult.load(folder).model_copy(update={"images": lazy.images})
    assert GenerationResult.load(folder) == first
    turns = lazy.images[0].conversation.turns  # type: ignore[union-attr]
    held = [p.data for turn in turns for p in turn.parts if p.data is not None]
    assert held == [KNIGHT, WATERCOLOUR]  # the request's reference bytes, shared
    assert held[0] is lazy.request.options.references[0].data  # type: ignore[union-attr]

    second = pipeline.edit(lazy, "make the crown smaller")
    assert second.warnings == ()
    turn_one, turn_two = server.requests
    assert wire.turns(turn_two)[0] == wire.turns(turn_one)[0]  # the user turn, exactly
    assert wire.unb64(wire.turns(turn_two)[1]["parts"][-1]["inlineData"]["data"]) == FIRST
    assert wire.signatures(turn_two) == [b"sig-1"]

    # An edit of an edit, after save and a lazy load: the whole chain, exactly as sent.
    second_folder = second.save(tmp_path)
    kept = sorted(p.read_bytes() for p in (second_folder / "conversation").iterdir())
    assert kept == sorted([KNIGHT, WATERCOLOUR, FIRST])  # the earlier turns' images, once
    assert GenerationResult.load(second_folder) == second
    third = pipeline.edit(GenerationResult.load(second_folder, lazy=True), "a thin circlet")
    assert strip_provenance(third.images[0].data) == THIRD
    sent = wire.turns(server.requests[2])
    assert sent[:3] == wire.turns(turn_two)
    assert wire.unb64(sent[3]["parts"][-1]["inlineData"]["data"]) == SECOND
    assert wire.signatures(server.requests[2]) == [b"sig-1", b"sig-2"]
    third_folder = third.save(tmp_path)
    kept = sorted(p.read_bytes() for p in (third_folder / "conversation").iterdir())
    assert kept == sorted([KNIGHT, WATERCOLOUR, FIRST, SECOND])


def test_a_version_1_result_with_inline_conversation_images_still_continues(
    server: GoogleServer, api_client: Client, tmp_path: Path
) -> None:
    import json

    _chain_server(server)
    pipeline = pipe(api_client)
    first = pipeline.run("a knight", references=[Reference(KNIGHT, role="character")])
    folder = first.save(tmp_path)
    document = json.loads((folder / "result.json").read_text())
    image = first.images[0]
    assert image.conversation is not None
    inline = image.conversation.replay(lambda: FIRST)  # what release 1 wrote, base64 inline
    document["version"] = 1
    document["images"][0]["conversation"]["turns"] = [
        {
            "role": turn.role,
            "parts": [
                {
                    "text": p.text,
                    "data": wire.b64(p.data) if p.data else None,
                    "mime_type": p.mime_type,
                    "thought": p.thought,
                    "thought_signature": wire.b64(p.thought_signature)
                    if p.thought_signature
                    else None,
                }
                for p in turn.parts
            ],
        }
        for turn in inline
    ]
    (folder / "result.json").write_text(json.dumps(document))
    for lazy in (False, True):
        pipeline.edit(GenerationResult.load(folder, lazy=lazy), "smaller")
        assert wire.turns(server.requests[-1])[:2] == [
            *wire.turns(server.requests[0]),
            wire.turns(server.requests[1])[1],
        ]
        assert wire.signatures(server.requests[-1]) == [b"sig-1"]


def test_a_conversation_whose_image_changed_is_not_continued(
    server: GoogleServer, api_client: Client, tmp_path: Path
) -> None:
    _chain_server(server)
    pipeline = pipe(api_client)
    second = pipeline.edit(pipeline.run("a knight"), "smaller")
    folder = second.save(tmp_path)
    (kept,) = (folder / "conversation").iterdir()
    kept.write_bytes(THIRD)  # another image under the first one's name
    lazy = GenerationResult.load(folder, lazy=True)  # not read until an edit needs it
    with pytest.raises(ValueError, match=r"conversation\.turns\[1\]\.parts\[1\]\.path: .*sha256"):
        GenerationResult.load(folder)
    third = pipeline.edit(lazy, "a thin circlet")
    assert any("conversation cannot be continued" in w for w in third.warnings)
    assert len(wire.turns(server.requests[-1])) == 1  # sent as an image to edit
    assert wire.signatures(server.requests[-1]) == []
