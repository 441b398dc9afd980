from __future__ import annotations

import io
import subprocess
import sys

import pytest
from PIL import Image

from promptforge import (
    EnhancedPrompt,
    ImageOptions,
    InvalidRequestError,
    Pipeline,
    PromptSpec,
)
from promptforge.enhancers import RuleEnhancer
from promptforge.generators import PreviewGenerator
from promptforge.generators._palette import palette_from_text
from promptforge.generators._sizes import IMAGEN_SIZES, pixel_size
from promptforge.testing import check_generator

CORGI = "fluffy corgi wearing a tiny golden crown, sitting on a deep crimson velvet cushion"


@pytest.fixture(scope="module")
def pipe() -> Pipeline:
    return Pipeline(enhancer=RuleEnhancer(), generator=PreviewGenerator())


@pytest.mark.parametrize(("ratio", "size"), IMAGEN_SIZES.items())
def test_each_aspect_ratio_gets_the_real_output_size(
    pipe: Pipeline, ratio: str, size: tuple[int, int]
) -> None:
    (image,) = pipe.run(CORGI, aspect_ratio=ratio).images
    assert (image.width, image.height) == size
    decoded = Image.open(io.BytesIO(image.data))
    decoded.verify()
    assert decoded.format == "PNG"
    assert decoded.size == size


def test_it_says_it_is_a_preview(pipe: Pipeline) -> None:
    (image,) = pipe.run(CORGI, seed=7).images
    assert image.metadata["preview"] == "true"
    assert image.metadata["generator"] == "PreviewGenerator"
    assert image.metadata["palette"].startswith("golden #daa520, deep crimson")
    assert image.seed == 7
    png = image.to_pil()
    assert png.info["promptforge:preview"] == "true"
    assert "not a rendered image" in png.info["Comment"]
    assert png.info["Description"].startswith("Fluffy corgi")


def test_same_input_same_bytes_and_variants_differ(pipe: Pipeline) -> None:
    prompt = pipe.enhance(CORGI, style="cinematic")
    generator = PreviewGenerator()
    first = generator.render(prompt, ImageOptions(n=2, seed=3))
    again = generator.render(prompt, ImageOptions(n=2, seed=3))
    assert [i.data for i in first.images] == [i.data for i in again.images]
    assert first.images[0].data != first.images[1].data
    assert [i.metadata["variant"] for i in first.images] == ["1/2", "2/2"]
    other_seed = generator.render(prompt, ImageOptions(seed=4)).images[0]
    assert other_seed.data != first.images[0].data


def test_contract() -> None:
    check_generator(PreviewGenerator())  # Imagen sizes are within 7% of the exact ratio


def test_capabilities_are_honest() -> None:
    caps = PreviewGenerator().capabilities
    assert caps.aspect_ratios == tuple(IMAGEN_SIZES)
    assert caps.negative_prompt
    assert caps.seed
    assert not (caps.prompt_rewriter)
    assert not (caps.guidance_scale)
    assert not (caps.safety_filter_level)
    assert caps.image_sizes == ()
    assert repr(PreviewGenerator()) == "PreviewGenerator()"


def test_jpeg_and_a_plain_text_prompt() -> None:
    prompt = EnhancedPrompt(original="a lighthouse", text="A lighthouse at night, centered.")
    options = ImageOptions(output_mime_type="image/jpeg", output_compression_quality=70)
    (image,) = PreviewGenerator().render(prompt, options).images
    assert image.mime_type == "image/jpeg"
    assert image.metadata["preview"] == "true"
    assert b"promptforge PREVIEW" in image.data  # the JPEG comment


def test_long_specs_are_cut_to_fit() -> None:
    spec = PromptSpec(
        subject="a very long subject " * 10,
        attributes=[f"detail number {i} with several extra words" for i in range(60)],
        composition="close-up, off-center on a third",
        negative=[f"thing {i}" for i in range(80)],
    )
    prompt = EnhancedPrompt(original="x", text=spec.render(), spec=spec)
    for ratio in IMAGEN_SIZES:
        (image,) = PreviewGenerator().render(prompt, ImageOptions(aspect_ratio=ratio)).images
        assert image.metadata["preview"] == "true"
    wide = spec.model_copy(update={"composition": "wide aerial panorama, symmetrical"})
    wide_prompt = EnhancedPrompt(original="x", text=wide.render(), spec=wide)
    assert PreviewGenerator().render(wide_prompt, ImageOptions()).images


def test_palette_comes_from_named_colours_else_from_the_words() -> None:
    named = palette_from_text("a pale blue sky over dark green hills and a neon pink sign")
    assert [name for name, _ in named][:3] == ["pale blue", "dark green", "pink"]
    derived = palette_from_text("a fox")
    assert len(derived) == 3
    assert all(name.startswith("#") for name, _ in derived)
    assert palette_from_text("a fox") == derived
    assert palette_from_text("red red red")[0] == ("red", (200, 30, 45))


def test_unknown_aspect_ratio_is_refused_before_rendering(pipe: Pipeline) -> None:
    with pytest.raises(InvalidRequestError, match="allowed: 1:1, 3:4, 4:3, 9:16, 16:9"):
        pipe.run(CORGI, aspect_ratio="21:9")
    with pytest.raises(InvalidRequestError, match="'2:1' is not one of"):
        pixel_size("2:1")


def test_importing_the_generators_does_not_load_pillow() -> None:
    code = (
        "import sys; before = set(sys.modules); "
        "from promptforge.generators import PreviewGenerator; "
        "from promptforge.enhancers import RuleEnhancer; "
        "print(sorted(m for m in set(sys.modules) - before if m.startswith('PIL')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
