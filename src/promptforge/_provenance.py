"""Provenance inside the image files: what made them, as XMP (and PNG text chunks).

Written into the bytes the model returned without decoding them: PNG gets ``iTXt`` chunks
(one per fact, plus the XMP packet) before its first ``IDAT``; JPEG an ``APP1`` XMP
segment; WebP an ``XMP `` chunk (with the ``VP8X`` header that announces it). The pixels
stay exactly as the model encoded them. GIF is left as it is.
"""

from __future__ import annotations

import re
import struct
import zlib
from collections.abc import Iterator, Mapping, Sequence
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

from ._files import read_regular
from ._image import GeneratedImage
from ._model import Model

if TYPE_CHECKING:
    from xml.etree import ElementTree

    from ._prompt import EnhancedPrompt
    from ._request import Request

DIGITAL_SOURCE_TYPE = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
"""IPTC's digital source type for media a trained model made from a prompt."""

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
NAMESPACES = {
    "Iptc4xmpExt": "http://iptc.org/std/Iptc4xmpExt/2008-02-29/",
    "xmp": "http://ns.adobe.com/xap/1.0/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "promptforge": "urn:promptforge:xmp:1.0/",
}
PF = NAMESPACES["promptforge"]


class Provenance(Model):
    """What made an image, as carried inside its file (``read_provenance``)."""

    idea: str | None = None
    """The user's words."""
    prompt: str | None = None
    """The prompt the generator rendered."""
    negative_prompt: str | None = None
    """What was kept out."""
    enhancer_model: str | None = None
    """The enhancer's model."""
    generator_model: str | None = None
    """The model that made (or edited) the image."""
    seed: int | None = None
    """The seed, when known."""
    result_id: str | None = None
    """The ``GenerationResult.id`` (the folder ``save`` writes)."""
    digital_source_type: str | None = None
    """IPTC digital source type; promptforge writes ``trainedAlgorithmicMedia``."""
    software: str | None = None
    """The tool that wrote it, e.g. ``"promptforge 0.1.0"``."""


# XMP property for each field: (namespace, name); the prompt is also dc:description.
_XMP = {
    "idea": (PF, "idea"),
    "prompt": (PF, "prompt"),
    "negative_prompt": (PF, "negativePrompt"),
    "enhancer_model": (PF, "enhancerModel"),
    "generator_model": (PF, "generatorModel"),
    "seed": (PF, "seed"),
    "result_id": (PF, "resultId"),
    "digital_source_type": (NAMESPACES["Iptc4xmpExt"], "DigitalSourceType"),
    "software": (NAMESPACES["xmp"], "CreatorTool"),
}
_PREFIX = {uri: prefix for prefix, uri in NAMESPACES.items()}
_TEXT_KEY = "promptforge:"  # PNG iTXt keywords: promptforge:idea, promptforge:prompt...
_XMP_KEY = b"XML:com.adobe.xmp"
_JPEG_XMP = b"http://ns.adobe.com/xap/1.0/\x00"
_PNG = b"\x89PNG\r\n\x1a\n"
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_JPEG_ROOM = 65533 - len(_JPEG_XMP)
MAX_IMAGE_BYTES = 256 << 20
"""The largest image file ``read_provenance`` reads (256 MiB)."""
MAX_TEXT_BYTES = 4 << 20
"""The most a PNG text chunk may hold, inflated (4 MiB); a larger one is not read."""


def stamp(
    images: Sequence[GeneratedImage],
    result_id: str,
    request: Request | None,
    prompt: EnhancedPrompt | None,
    models: Mapping[str, str | None],
) -> list[GeneratedImage]:
    """``images`` with the run's provenance written into their bytes (those in memory)."""
    from . import __version__

    stamped = []
    for image in images:
        if not image.data or image.mime_type == "image/gif":
            stamped.append(image)
            continue
        facts = Provenance(
            idea=request.prompt if request is not None else None,
            prompt=prompt.text if prompt is not None else None,
            negative_prompt=prompt.negative_prompt if prompt is not None else None,
            enhancer_model=models.get("enhance"),
            generator_model=models.get("generate") or models.get("edit"),
            seed=image.seed,
            result_id=result_id,
            digital_source_type=DIGITAL_SOURCE_TYPE,
            software=f"promptforge {__version__}",
        )
        data = embed(image.data, facts)
        stamped.append(image if data == image.data else image.model_copy(update={"data": data}))
    return stamped


def embed(data: bytes, provenance: Provenance) -> bytes:
    """``data`` (PNG, JPEG or WebP) with ``provenance`` written in, replacing any earlier
    promptforge provenance; other formats are returned unchanged. Pixels are not touched."""
    if data.startswith(_PNG):
        return _png_embed(data, provenance)
    if data.startswith(b"\xff\xd8"):
        packet = xmp_packet(provenance)
        if len(packet) > _JPEG_ROOM:
            packet = xmp_packet(provenance, clip=2000)
        return _jpeg_embed(data, packet)
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return _webp_embed(data, xmp_packet(provenance))
    return data


def strip_provenance(data: bytes) -> bytes:
    """``data`` without the provenance ``embed`` wrote: the bytes the model returned (for
    PNG and JPEG exactly; for WebP, a simple file gets its simple header back)."""
    if data.startswith(_PNG):
        kept = [
            _png_chunk(kind, body)
            for kind, body in _png_chunks(data)
            if not (kind == b"iTXt" and _ours(_png_text(kind, body)[0]))
        ]
        return _PNG + b"".join(kept)
    if data.startswith(b"\xff\xd8"):
        return _jpeg_embed(data, None)
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        chunks = [(kind, body) for kind, body in _riff_chunks(data) if kind != b"XMP "]
        if chunks and chunks[0][0] == b"VP8X":
            if [kind for kind, _ in chunks[1:]] in ([b"VP8 "], [b"VP8L"]):
                chunks = chunks[1:]  # only the XMP needed the extended header
            else:
                chunks[0] = (b"VP8X", bytes([chunks[0][1][0] & ~0x04]) + chunks[0][1][1:])
        return _riff(chunks)
    return data


def read_provenance(source: str | Path | bytes) -> Provenance | None:
    """The provenance in an image file (or its bytes): what promptforge wrote, or the same
    XMP properties written by another tool (``Iptc4xmpExt:DigitalSourceType``,
    ``xmp:CreatorTool``, ``dc:description`` as the prompt, and promptforge's own). None
    when the image carries none.

    Hostile files are read with care: at most ``MAX_IMAGE_BYTES``; a text chunk over
    ``MAX_TEXT_BYTES`` (inflated no further) is skipped; an XMP packet with a DTD (entity
    declarations) is skipped, so no entity is ever expanded; a truncated file gives what
    its whole chunks hold.

    Raises:
        ValueError: the file is not a regular file, or is larger than ``MAX_IMAGE_BYTES``.
        OSError: it cannot be read.
    """
    data = source if isinstance(source, bytes) else read_regular(Path(source), cap=MAX_IMAGE_BYTES)
    packets: list[bytes] = []
    texts: dict[str, str] = {}
    if data.startswith(_PNG):
        for kind, body in _png_chunks(data):
            if kind in (b"iTXt", b"tEXt", b"zTXt"):
                key, value = _png_text(kind, body)
                if value is None:
                    continue
                if key == _XMP_KEY.decode():
                    packets.append(value.encode("utf-8"))
                elif key.startswith(_TEXT_KEY):
                    texts[key[len(_TEXT_KEY) :]] = value
    elif data.startswith(b"\xff\xd8"):
        packets = [body[len(_JPEG_XMP) :] for _, body in _jpeg_segments(data) if _is_xmp(body)]
    elif data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        packets = [body for kind, body in _riff_chunks(data) if kind == b"XMP "]
    found: dict[str, object] = {}
    for packet in packets:
        for name, fact in _xmp_fields(packet).items():
            found.setdefault(name, fact)
    for name in Provenance.model_fields:
        if name not in found and name in texts:
            found[name] = texts[name]
    seed = found.get("seed")
    if isinstance(seed, str):
        seed = seed.strip()
        found["seed"] = int(seed) if re.fullmatch(r"-?\d{1,20}", seed) else None
    return Provenance.model_validate(found) if found else None


# -- XMP --------------------------------------------------------------------------------------


def _clean(text: str, clip: int | None) -> str:
    text = _NOT_XML.sub("", text)
    return text if clip is None or len(text) <= clip else text[: clip - 1] + "\u2026"


def xmp_packet(provenance: Provenance, *, clip: int | None = None) -> bytes:
    """An XMP packet holding ``provenance`` (long texts cut at ``clip`` characters)."""
    properties = []
    for name, (uri, local) in _XMP.items():
        value = getattr(provenance, name)
        if value is None:
            continue
        text = escape(_clean(str(value), clip), quote=False)
        properties.append(f"   <{_PREFIX[uri]}:{local}>{text}</{_PREFIX[uri]}:{local}>")
        if name == "prompt":
            properties.append(
                '   <dc:description><rdf:Alt><rdf:li xml:lang="x-default">'
                f"{text}</rdf:li></rdf:Alt></dc:description>"
            )
    declared = " ".join(f'xmlns:{prefix}="{uri}"' for prefix, uri in NAMESPACES.items())
    lines = [
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>',
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">',
        f' <rdf:RDF xmlns:rdf="{RDF}">',
        f'  <rdf:Description rdf:about="" {declared}>',
        *properties,
        "  </rdf:Description>",
        " </rdf:RDF>",
        "</x:xmpmeta>",
        '<?xpacket end="w"?>',
    ]
    return "\n".join(lines).encode("utf-8")


def _xmp_fields(packet: bytes) -> dict[str, object]:
    """The provenance fields in an XMP packet; an unreadable or hostile packet gives none."""
    if b"<!DOCTYPE" in packet or b"<!ENTITY" in packet:  # no entity expansion, ever
        return {}
    start, end = packet.find(b"<x:xmpmeta"), packet.rfind(b"</x:xmpmeta>")
    if start < 0 or end < 0:
        start, end = packet.find(b"<rdf:RDF"), packet.rfind(b"</rdf:RDF>")
        if start < 0 or end < 0:
            return {}
        end += len(b"</rdf:RDF>")
    else:
        end += len(b"</x:xmpmeta>")
    from xml.etree import ElementTree  # only reading needs the parser

    try:
        root = ElementTree.fromstring(packet[start:end])
    except ElementTree.ParseError:
        return {}
    found: dict[str, object] = {}
    wanted = {f"{{{uri}}}{local}": name for name, (uri, local) in _XMP.items()}
    description = f"{{{NAMESPACES['dc']}}}description"
    for node in root.iter(f"{{{RDF}}}Description"):
        for key, attribute in node.attrib.items():
            if key in wanted:
                found.setdefault(wanted[key], attribute)
        for child in node:
            value = _xmp_value(child)
            if value is None:
                continue
            if child.tag in wanted:
                found.setdefault(wanted[child.tag], value)
            elif child.tag == description:
                found.setdefault("_description", value)
    described = found.pop("_description", None)
    if "prompt" not in found and described is not None:
        found["prompt"] = described
    return found


def _xmp_value(node: ElementTree.Element) -> str | None:
    """A simple property's text, or a language alternative's / list's first item
    (``x-default`` preferred)."""
    items = list(node.iter(f"{{{RDF}}}li"))
    if items:
        lang = "{http://www.w3.org/XML/1998/namespace}lang"
        chosen = next((i for i in items if i.get(lang) == "x-default"), items[0])
        return chosen.text or ""
    resource = node.get(f"{{{RDF}}}resource")
    if resource is not None:
        return resource
    return node.text.strip() if node.text and node.text.strip() else None


# -- PNG ---------------------------------------------------------------------------------------


def _png_chunks(data: bytes) -> Iterator[tuple[bytes, bytes]]:
    pos = len(_PNG)
    while pos + 8 <= len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        yield kind, data[pos + 8 : pos + 8 + length]
        if kind == b"IEND":
            return
        pos += 12 + length


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    crc = zlib.crc32(kind + body) & 0xFFFFFFFF
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)


def _itxt(key: str, text: str) -> bytes:
    return _png_chunk(b"iTXt", key.encode("latin-1") + b"\x00\x00\x00\x00\x00" + text.encode())


def _png_text(kind: bytes, body: bytes) -> tuple[str, str | None]:
    """The keyword and text of a ``tEXt``, ``zTXt`` or ``iTXt`` chunk; the text is None
    when it cannot be read or is over ``MAX_TEXT_BYTES`` (inflated no further than that)."""
    key, _, rest = body.partition(b"\x00")
    name = key.decode("latin-1")
    try:
        if kind == b"tEXt":
            return name, _capped(rest).decode("latin-1")
        if kind == b"zTXt":
            return name, _inflate(rest[1:]).decode("latin-1")
        compressed, rest = rest[0], rest[2:]
        _lang, _, rest = rest.partition(b"\x00")
        _translated, _, text = rest.partition(b"\x00")
        return name, (_inflate(text) if compressed else _capped(text)).decode("utf-8")
    except (IndexError, zlib.error, UnicodeDecodeError):
        return name, None


def _inflate(data: bytes) -> bytes:
    inflater = zlib.decompressobj()
    text = inflater.decompress(data, MAX_TEXT_BYTES)
    if inflater.unconsumed_tail:
        raise zlib.error(f"inflates past {MAX_TEXT_BYTES} bytes")
    return text


def _capped(text: bytes) -> bytes:
    if len(text) > MAX_TEXT_BYTES:
        raise zlib.error(f"longer than {MAX_TEXT_BYTES} bytes")
    return text


def _ours(key: str) -> bool:
    return key.startswith(_TEXT_KEY) or key == _XMP_KEY.decode()


def _png_embed(data: bytes, provenance: Provenance) -> bytes:
    ours = [_itxt(_XMP_KEY.decode(), xmp_packet(provenance).decode())]
    for name, value in provenance.model_dump(exclude_none=True).items():
        ours.append(_itxt(_TEXT_KEY + name, _NOT_XML.sub("", str(value))))
    out, pos, placed = [_PNG], len(_PNG), False
    while pos + 8 <= len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        chunk = data[pos : pos + 12 + length]
        pos += 12 + length
        if kind == b"iTXt" and _ours(_png_text(kind, chunk[8:-4])[0]):
            continue  # an earlier stamp (or another tool's XMP): replaced
        if kind in (b"IDAT", b"IEND") and not placed:
            out.extend(ours)
            placed = True
        out.append(chunk)
        if kind == b"IEND":
            break
    return b"".join(out)


# -- JPEG --------------------------------------------------------------------------------------


def _is_xmp(body: bytes) -> bool:
    return body.startswith(_JPEG_XMP)


def _jpeg_segments(data: bytes) -> Iterator[tuple[int, bytes]]:
    """The marker and body of each segment before the image data (start of scan)."""
    pos = 2
    while pos + 4 <= len(data) and data[pos] == 0xFF:
        marker = data[pos + 1]
        if marker == 0xDA or marker == 0xD9:
            return
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        yield marker, data[pos + 4 : pos + 2 + length]
        pos += 2 + length


def _jpeg_embed(data: bytes, packet: bytes | None) -> bytes:
    """``data`` with its XMP segment replaced by ``packet`` (None: removed)."""
    body = _JPEG_XMP + (packet or b"")
    ours = b"" if packet is None else b"\xff\xe1" + struct.pack(">H", len(body) + 2) + body
    head, pos, placed = [b"\xff\xd8"], 2, False
    for marker, segment in _jpeg_segments(data):
        pos += 4 + len(segment)
        if marker == 0xE1 and _is_xmp(segment):
            continue  # replaced
        if not placed and marker not in (0xE0, 0xE1):  # after JFIF / Exif, before the rest
            head.append(ours)
            placed = True
        head.append(b"\xff" + bytes([marker]) + struct.pack(">H", len(segment) + 2) + segment)
    if not placed:
        head.append(ours)
    return b"".join(head) + data[pos:]


# -- WebP --------------------------------------------------------------------------------------


def _riff_chunks(data: bytes) -> Iterator[tuple[bytes, bytes]]:
    pos = 12
    while pos + 8 <= len(data):
        kind = data[pos : pos + 4]
        (length,) = struct.unpack("<I", data[pos + 4 : pos + 8])
        yield kind, data[pos + 8 : pos + 8 + length]
        pos += 8 + length + (length & 1)


def _riff_chunk(kind: bytes, body: bytes) -> bytes:
    return kind + struct.pack("<I", len(body)) + body + (b"\x00" if len(body) & 1 else b"")


def _webp_embed(data: bytes, packet: bytes) -> bytes:
    from ._imageinfo import sniff

    chunks = [(kind, body) for kind, body in _riff_chunks(data) if kind != b"XMP "]
    if chunks and chunks[0][0] == b"VP8X":
        extended = chunks[0][1]
        chunks[0] = (b"VP8X", bytes([extended[0] | 0x04]) + extended[1:])  # XMP present
    else:  # a simple file: the extended header is what lets a reader find the XMP chunk
        _, width, height = sniff(data)
        alpha = any(kind == b"ALPH" for kind, _ in chunks) or any(
            kind == b"VP8L" and len(body) >= 5 and body[4] & 0x10 for kind, body in chunks
        )
        flags = 0x04 | (0x10 if alpha else 0)
        header = bytes([flags, 0, 0, 0])
        header += (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
        chunks.insert(0, (b"VP8X", header))
    return _riff([*chunks, (b"XMP ", packet)])


def _riff(chunks: list[tuple[bytes, bytes]]) -> bytes:
    body = b"WEBP" + b"".join(_riff_chunk(kind, data) for kind, data in chunks)
    return b"RIFF" + struct.pack("<I", len(body)) + body
