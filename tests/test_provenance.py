"""Provenance inside the image files: written when the result is built, read back anywhere."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image, PngImagePlugin

from promptforge import (
    GenerationResult,
    ImageOptions,
    Pipeline,
    read_provenance,
    strip_provenance,
)
from promptforge._provenance import DIGITAL_SOURCE_TYPE, Provenance, embed, xmp_packet
from promptforge.testing import FakeEnhancer, FakeGenerator

MIMES = ["image/png", "image/jpeg", "image/webp"]


def model_bytes(mime: str) -> bytes:
    """An image as a generator returns it (no provenance yet)."""
    return FakeGenerator().default_output(ImageOptions(output_mime_type=mime)).images[0].data  # type: ignore[arg-type]


def pixels(data: bytes) -> tuple[str, tuple[int, int], bytes]:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image.mode, image.size, image.tobytes()


@pytest.mark.parametrize("mime", MIMES)
def test_each_format_carries_the_runs_provenance_through_save_and_load(
    mime: str, tmp_path: Path
) -> None:
    generator = FakeGenerator()
    pipe = Pipeline(FakeEnhancer(["Fluffy corgi, tiny crown."]), generator)
    result = pipe.run("a corgi", negative_prompt="large crown", seed=7, output_mime_type=mime)
    (image,) = result.images
    facts = read_provenance(image.data)
    assert facts == Provenance(
        idea="a corgi",
        prompt="Fluffy corgi, tiny crown.",
        negative_prompt="large crown",
        enhancer_model="fake-enhancer",
        generator_model="fake-generator",
        seed=7,
        result_id=result.id,
        digital_source_type=DIGITAL_SOURCE_TYPE,
        software="promptforge 0.1.0",
    )
    folder = result.save(tmp_path)
    file = folder / f"image-0{image.extension}"
    assert file.read_bytes() == image.data  # the saved file is the image, byte for byte
    assert read_provenance(file) == facts
    loaded = GenerationResult.load(folder)
    assert loaded == result
    assert loaded.images[0].data == image.data
    # the model's pixels are untouched, and stripping gives back its exact bytes
    returned = generator.default_output(result.request.options).images[0].data  # type: ignore[union-attr]
    assert strip_provenance(image.data) == returned
    assert pixels(image.data) == pixels(returned)
    assert read_provenance(returned) is None
    assert "xmp" in Image.open(io.BytesIO(image.data)).info  # Pillow finds the XMP too


@pytest.mark.parametrize("mime", MIMES)
def test_stamping_again_replaces_rather_than_adds(mime: str) -> None:
    data = model_bytes(mime)
    once = embed(data, Provenance(idea="one", seed=1))
    twice = embed(once, Provenance(idea="two", seed=2))
    assert read_provenance(twice) == Provenance(idea="two", seed=2)
    assert len(twice) - len(once) == len(embed(data, Provenance(idea="two", seed=2))) - len(once)
    assert pixels(twice) == pixels(data)


OTHER_TOOL_XMP = (
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
    'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    '<rdf:Description rdf:about="" '
    'xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:xmp="http://ns.adobe.com/xap/1.0/" '
    'xmlns:promptforge="urn:promptforge:xmp:1.0/" '
    f'Iptc4xmpExt:DigitalSourceType="{DIGITAL_SOURCE_TYPE}" xmp:CreatorTool="another tool" '
    'promptforge:seed="42">'
    '<dc:description><rdf:Alt><rdf:li xml:lang="de">ein Fuchs</rdf:li>'
    '<rdf:li xml:lang="x-default">a fox in the snow</rdf:li></rdf:Alt></dc:description>'
    "</rdf:Description></rdf:RDF></x:xmpmeta>"
)


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP"])
def test_reads_the_same_xmp_fields_written_by_other_tools(fmt: str, tmp_path: Path) -> None:
    path = tmp_path / f"other.{fmt.lower()}"
    image = Image.new("RGB", (20, 10), (10, 120, 200))
    if fmt == "PNG":
        info = PngImagePlugin.PngInfo()
        info.add_itxt("XML:com.adobe.xmp", OTHER_TOOL_XMP)
        image.save(path, fmt, pnginfo=info)
    else:
        image.save(path, fmt, xmp=OTHER_TOOL_XMP.encode())
    assert read_provenance(path) == Provenance(
        prompt="a fox in the snow",
        seed=42,
        digital_source_type=DIGITAL_SOURCE_TYPE,
        software="another tool",
    )


def test_hostile_or_broken_xmp_is_ignored() -> None:
    png = Image.new("RGB", (4, 4))
    buffer = io.BytesIO()
    info = PngImagePlugin.PngInfo()
    bomb = (
        '<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">]><x:xmpmeta xmlns:x="adobe:ns:meta/">&a;</x:xmpmeta>'
    )
    info.add_itxt("XML:com.adobe.xmp", bomb)
    png.save(buffer, "PNG", pnginfo=info)
    assert read_provenance(buffer.getvalue()) is None
    assert read_provenance(embed(buffer.getvalue(), Provenance(idea="ok"))) == Provenance(idea="ok")


def test_a_long_prompt_still_fits_a_jpeg_segment() -> None:
    data = model_bytes("image/jpeg")
    long = "\u00e9\U0001f98a" * 20_000
    facts = read_provenance(embed(data, Provenance(idea=long, prompt=long)))
    assert facts is not None
    assert facts.idea is not None
    assert facts.idea.endswith("\u2026")
    assert len(xmp_packet(Provenance(idea=long, prompt=long))) > 65_000
