"""The word lists behind ``RuleEnhancer``: markers, media, and cue words for each lever.

Everything is data, in tuples and dicts, so the rules stay deterministic and easy to extend.
"""

from __future__ import annotations

from dataclasses import dataclass


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


DETERMINERS = _words(
    "a an the this that these those some any one two three several many his her its their "
    "my our your"
)
POSSESSIVES = _words("his her its their my our your")
CONJUNCTIONS = _words("and or but while as")
PREPOSITIONS = _words(
    "on in at under beneath below beside inside against near by atop above over among "
    "amid amidst through across behind along within underneath around into onto from to "
    "toward towards past between before after during"
)
PARTICLES = _words(
    "up down out away around off back together alone upright regally quietly calmly "
    "happily proudly peacefully gracefully gently softly"
)

# Words that end in -ing but are nouns, never the start of an action.
ING_NOUNS = _words(
    "awning bedding building ceiling clearing clothing darling duckling dumpling earring "
    "evening frosting icing king landing lightning lodging morning offering opening "
    "painting drawing pudding railing ring sapling sibling sling spring sterling stocking "
    "string swing thing viking wedding wing ping bling something nothing anything "
    "everything lighting setting rendering feeling crossing ending beginning blessing"
)
# Past participles that start an action or pose: "a fox curled up", "a cat perched on".
POSE_PARTICIPLES = _words(
    "curled perched seated sprawled nestled crouched huddled tucked stretched poised "
    "balanced hidden buried covered wrapped draped surrounded frozen caught trapped lost "
    "bathed silhouetted lit framed suspended tangled"
)

# Clothing: "a knight in shining armour" is dressed, not placed (an attribute, not a setting).
GARMENTS = _words(
    "armour armor dress gown suit tuxedo coat jacket robe robes cloak cape uniform costume "
    "kimono sweater hoodie scarf hat helmet boots overalls apron raincoat pyjamas pajamas"
)

# Markers that open a segment. "attribute" markers are glue words dropped from the text
# ("wearing a tiny crown" -> attribute "a tiny crown"); the others stay in the segment.
ATTRIBUTE_MARKERS: tuple[tuple[str, ...], ...] = (
    ("dressed", "in"),
    ("clad", "in"),
    ("wearing",),
    ("with",),
    ("sporting",),
    ("featuring",),
    ("having",),
)
NEGATIVE_MARKERS: tuple[tuple[str, ...], ...] = (
    ("with", "no"),
    ("but", "no"),
    ("and", "no"),
    ("without",),
)
SETTING_MARKERS: tuple[tuple[str, ...], ...] = (
    ("in", "front", "of"),
    ("on", "top", "of"),
    ("next", "to"),
    *((word,) for word in sorted(PREPOSITIONS)),
)

# Words that introduce a medium before "of": "an oil painting of a lighthouse".
MEDIUM_NOUNS = _words(
    "photo photograph photography snapshot picture image painting watercolor watercolour "
    "illustration drawing sketch render rendering portrait poster sticker icon logo print "
    "still shot view close-up closeup"
)
GENERIC_MEDIUM_NOUNS = _words("picture image")


@dataclass(frozen=True)
class Medium:
    """Defaults for one broad medium, used when no preset (or the preset) leaves a gap."""

    name: str
    keywords: tuple[str, ...]
    style: str
    composition: str
    lighting: str
    mood: str
    negative: tuple[str, ...]


MEDIA: tuple[Medium, ...] = (
    Medium(
        name="photo",
        keywords=(
            "photo", "photograph", "photography", "photographic", "photorealistic", "dslr",
            "35mm", "polaroid", "snapshot", "film still", "camera", "lens",
        ),
        style="high-resolution photograph, natural detail",
        composition="eye-level shot, the subject in sharp focus against a softly blurred "
        "background",
        lighting="soft natural light",
        mood="natural and inviting",
        negative=(
            "blurry", "out of focus", "distorted anatomy", "extra limbs", "watermark", "text",
            "low resolution",
        ),
    ),
    Medium(
        name="painting",
        keywords=(
            "painting", "painted", "watercolor", "watercolour", "oil painting", "oil paint",
            "gouache", "acrylic", "impasto", "fresco", "impressionist",
            "brushstrokes",
        ),
        style="fine art painting, visible brushwork",
        composition="balanced composition with the subject as the clear focal point",
        lighting="soft, painterly light",
        mood="expressive",
        negative=("photo", "3d render", "watermark", "signature", "text"),
    ),
    Medium(
        name="illustration",
        keywords=(
            "illustration", "illustrated", "cartoon", "comic", "anime", "manga", "storybook",
            "children's book", "drawing", "drawn", "sketch", "pencil", "charcoal", "ink",
            "line art", "doodle", "linework",
        ),
        style="detailed illustration, clean linework",
        composition="clear, readable composition with the subject centred",
        lighting="even, gentle lighting",
        mood="charming",
        negative=("photo", "photorealistic", "blurry", "watermark", "text"),
    ),
    Medium(
        name="digital",
        keywords=(
            "3d", "3-d", "render", "rendered", "cgi", "blender", "octane", "unreal engine",
            "pixel art", "pixel", "8-bit", "16-bit", "voxel", "low poly", "low-poly",
            "isometric", "claymation", "digital art",
        ),
        style="polished digital artwork, crisp detail",
        composition="three-quarter view, the subject centred with clear separation from "
        "the background",
        lighting="clean studio lighting with soft shadows",
        mood="vivid",
        negative=("blurry", "noisy", "watermark", "text", "jpeg artifacts"),
    ),
    Medium(
        name="design",
        keywords=(
            "logo", "icon", "poster", "sticker", "emblem", "badge", "vector", "flat design",
            "infographic", "typography", "mascot",
        ),
        style="clean vector design, bold shapes, flat colour",
        composition="centred on a plain background with generous margins",
        lighting="flat, even lighting",
        mood="clean and bold",
        negative=("photo", "clutter", "noise", "watermark", "blurry"),
    ),
)  # fmt: skip
MEDIA_BY_NAME = {medium.name: medium for medium in MEDIA}
DEFAULT_MEDIUM = "photo"
# A preset's category -> the medium whose defaults fill what the preset leaves empty.
CATEGORY_MEDIUM = {
    "photography": "photo",
    "painting": "painting",
    "illustration": "illustration",
    "digital": "digital",
    "design": "design",
}

# Medium keywords, longest first, for matching a segment that names only a style.
STYLE_PHRASES: tuple[str, ...] = tuple(
    sorted({k for m in MEDIA for k in m.keywords}, key=lambda k: (-len(k.split()), k))
)
STYLE_FILLERS = _words(
    "style styled art artwork aesthetic look minimal minimalist simple detailed highly ultra "
    "intricate realistic hyperrealistic hyper-realistic stylized stylised abstract vintage "
    "retro modern 4k 8k hd high-resolution"
)
# Words saying the image should show writing: then "text" is not a default negative.
TEXT_CUES = _words(
    "text sign signs says saying reads lettering letters words title caption label "
    "typography headline quote slogan banner menu logo wordmark poster"
)
LIGHTING_WORDS: tuple[str, ...] = (
    "light", "lights", "lighting", "lit", "sunlight", "moonlight", "candlelight",
    "lamplight", "firelight", "starlight", "backlit", "backlight", "golden hour",
    "blue hour", "sunset", "sunrise", "dusk", "dawn", "twilight", "glow", "glowing",
    "shadows", "neon", "chiaroscuro", "spotlight", "overcast",
)  # fmt: skip
COMPOSITION_WORDS: tuple[str, ...] = (
    "close-up", "closeup", "close up", "wide shot", "wide-angle", "wide angle", "aerial view",
    "aerial", "top-down", "top down", "overhead", "bird's-eye", "birds-eye", "bird's eye",
    "low angle", "low-angle", "high angle", "high-angle", "full body", "full-body",
    "full-length", "macro", "panorama", "panoramic", "from above", "from below", "shot",
    "framing", "rule of thirds", "symmetrical", "centered", "centred", "headshot", "profile",
    "medium shot", "establishing shot", "point of view", "pov", "flat lay",
)  # fmt: skip
MOOD_WORDS = _words(
    "moody cozy cosy eerie serene melancholic melancholy whimsical playful dramatic "
    "peaceful calm joyful happy sad mysterious romantic nostalgic epic dreamy ominous "
    "tense cheerful gloomy somber sombre regal majestic spooky magical tranquil energetic "
    "lonely hopeful festive haunting uplifting gritty surreal ethereal intimate warm cold"
)
MOOD_FILLERS = _words("mood atmosphere vibe vibes feel feeling tone and very")
