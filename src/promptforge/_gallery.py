"""A folder of results, shown: a contact sheet (``contact.png``) and a page (``index.html``).

The page is one self-contained file: inline CSS, no script, no external asset; images are
linked by their path inside the folder, so it opens from disk without a server and on a
phone. Every piece of user text (ideas, prompts, checks) is escaped.
"""

from __future__ import annotations

import html
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from ._files import write_atomic
from ._result import RESULT_FILE, GenerationResult
from ._series_result import INDEX_FILE, SeriesResult, is_series

THUMB = 256
"""Side of a contact-sheet cell's image area, in pixels."""


@dataclass(frozen=True)
class Entry:
    """One tile of the page: an idea, its prompt and levers, its image, its score."""

    title: str
    idea: str
    image: str | None = None
    """The image's path relative to the page."""
    prompt: str | None = None
    negative: str | None = None
    levers: tuple[tuple[str, str], ...] = ()
    score: str | None = None
    notes: tuple[str, ...] = ()
    failed_checks: tuple[str, ...] = ()
    error: str | None = None


def write_gallery(folder: str | Path) -> Path:
    """Write ``folder/index.html`` for a saved series, or for any folder of saved results
    (a ``batch`` output); return its path.

    A result folder that is a symbolic link is left out; one that does not load (damaged
    or hostile, see ``GenerationResult.load``) is shown as a tile saying why.

    Raises:
        FileNotFoundError: ``folder`` holds neither a series nor any saved result.
        ValueError: the series in ``folder`` is damaged (see ``SeriesResult.load``).
    """
    folder = Path(folder)
    if is_series(folder):
        page = series_page(SeriesResult.load(folder, lazy=True), folder)
    else:
        saved = [
            sub
            for sub in sorted(folder.iterdir())
            if not sub.name.startswith(".")
            and not sub.is_symlink()
            and (sub / RESULT_FILE).is_file()
        ]
        entries = [_loaded(f"{number + 1}", sub, folder) for number, sub in enumerate(saved)]
        if not entries:
            raise FileNotFoundError(f"{folder}: no saved results (folders with {RESULT_FILE})")
        summary = (("results", str(len(entries))), ("folder", folder.name))
        page = render_page(f"promptforge: {folder.name}", entries, summary=summary)
    return write_atomic(folder / INDEX_FILE, page.encode("utf-8"))


def _loaded(title: str, sub: Path, folder: Path) -> Entry:
    """The tile of the result saved in ``sub``, or one saying why it cannot be shown."""
    try:
        result = GenerationResult.load(sub, lazy=True)
    except (ValueError, OSError) as exc:
        return Entry(title=title, idea=sub.name, error=f"not shown: {exc}")
    return _entry(title, result, folder)


def series_page(series: SeriesResult, folder: Path) -> str:
    """The ``index.html`` of a saved series."""
    coherence = series.coherence
    scores = coherence.scores
    entries = []
    for item in series.items:
        entry = _entry(f"#{item.index + 1}", item.result, folder, idea=item.idea)
        score = scores[item.index] if item.index < len(scores) else None
        notes = list(entry.notes)
        if item.index == series.anchor_index:
            notes.insert(0, "the anchor: every other item is scored against it")
        if item.rounds > 1:
            notes.append(f"made {item.rounds} times for min_coherence; the best is shown")
        entries.append(
            Entry(
                **{
                    **entry.__dict__,
                    "score": "anchor" if item.index == series.anchor_index else _score(score),
                    "notes": tuple(notes),
                    "failed_checks": item.failed_checks,
                }
            )
        )
    summary = [
        ("style", series.style or "none"),
        ("consistency", series.consistency),
        ("coherence", f"{_score(coherence.mean)} mean ({coherence.method})"),
    ]
    if coherence.worst is not None:
        summary.append(("worst", f"#{coherence.worst + 1} at {_score(scores[coherence.worst])}"))
    if coherence.min_coherence is not None:
        below = ", ".join(f"#{i + 1}" for i in coherence.below) or "none"
        summary.append(("min coherence", f"{coherence.min_coherence} (still below: {below})"))
    if series.anchor_index is None and series.anchor is not None:
        summary.append(("anchor", "the caller's image"))
    return render_page(
        f"promptforge series {series.id}",
        entries,
        summary=tuple(summary),
        bible=series.bible.levers(),
        warnings=series.warnings,
        contact="contact.png",
        anchor=f"anchor{series.anchor.extension}" if series.anchor is not None else None,
    )


def render_page(
    title: str,
    entries: Sequence[Entry],
    *,
    summary: Sequence[tuple[str, str]] = (),
    bible: Sequence[tuple[str, str]] = (),
    warnings: Sequence[str] = (),
    contact: str | None = None,
    anchor: str | None = None,
) -> str:
    """The page: a summary, the bible, then a tile per entry (all text escaped)."""
    e = _escape
    head = (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{e(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        f"<header><h1>{e(title)}</h1>\n{_rows(summary)}</header>\n"
    )
    parts = [head]
    if bible:
        parts.append(f'<section class="bible"><h2>Bible: what every image shares</h2>\n'
                     f"{_rows(bible)}</section>\n")  # fmt: skip
    if warnings:
        items = "".join(f"<li>{e(w)}</li>" for w in warnings)
        parts.append(f'<section class="warnings"><h2>Warnings</h2><ul>{items}</ul></section>\n')
    links = [f'<a href="{_href(contact)}">contact sheet</a>'] if contact else []
    if anchor:
        links.append(f'<a href="{_href(anchor)}">anchor image</a>')
    if links:
        parts.append(f'<p class="links">{" · ".join(links)}</p>\n')
    parts.append('<main class="grid">\n')
    parts.extend(_tile(entry) for entry in entries)
    parts.append("</main>\n</body>\n</html>\n")
    return "".join(parts)


def contact_sheet(series: SeriesResult) -> bytes:
    """A PNG of every item's first image as a thumbnail, with its number and score."""
    from PIL import Image, ImageDraw

    from .generators._card import _font

    columns = max(1, min(4, len(series.items)))
    rows = max(1, -(-len(series.items) // columns))
    pad, caption = 16, 40
    cell = (THUMB + pad, THUMB + caption + pad)
    sheet = Image.new("RGB", (columns * cell[0] + pad, rows * cell[1] + pad), (246, 244, 240))
    draw = ImageDraw.Draw(sheet)
    font = _font(22)
    for item in series.items:
        x = pad + (item.index % columns) * cell[0]
        y = pad + (item.index // columns) * cell[1]
        if item.result.images:
            thumb = item.result.images[0].to_pil().convert("RGB")
            thumb.thumbnail((THUMB, THUMB))
            sheet.paste(thumb, (x + (THUMB - thumb.width) // 2, y + (THUMB - thumb.height) // 2))
        else:
            draw.rectangle((x, y, x + THUMB - 1, y + THUMB - 1), fill=(200, 200, 200))
            draw.text((x + THUMB // 2, y + THUMB // 2), "failed", font=font, fill=(150, 20, 30),
                      anchor="mm")  # fmt: skip
        score = series.coherence.scores[item.index] if series.coherence.scores else None
        said = "anchor" if item.index == series.anchor_index else _score(score)
        draw.text((x, y + THUMB + 8), f"{item.index + 1}   {said}", font=font, fill=(30, 30, 36))
    buffer = io.BytesIO()
    sheet.save(buffer, "PNG")
    return buffer.getvalue()


def _entry(title: str, result: GenerationResult, folder: Path, *, idea: str | None = None) -> Entry:
    prompt = result.prompt
    image = None
    if result.images and result.images[0].path is not None:
        image = Path(result.images[0].path).resolve().relative_to(folder.resolve()).as_posix()
    elif result.images:
        image = f"{result.id}/image-0{result.images[0].extension}"
    levers: tuple[tuple[str, str], ...] = ()
    if prompt is not None and prompt.spec is not None:
        dumped = prompt.spec.model_dump(exclude={"negative"})
        levers = tuple(
            (name, "; ".join(value) if isinstance(value, list) else str(value))
            for name, value in dumped.items()
            if value
        )
    words = idea or (result.request.prompt if result.request else result.instruction or "")
    error = f"{result.error.type}: {result.error.message}" if result.error else None
    return Entry(
        title=title,
        idea=words,
        image=image,
        prompt=prompt.text if prompt else result.instruction,
        negative=prompt.negative_prompt if prompt else None,
        levers=levers,
        notes=tuple(result.warnings),
        error=error,
    )


def _tile(entry: Entry) -> str:
    e = _escape
    score = f'<span class="score">{e(entry.score)}</span>' if entry.score else ""
    parts = [f"<article>\n<h2><span>{e(entry.title)}</span>{score}</h2>\n"]
    if entry.image:
        parts.append(f'<a href="{_href(entry.image)}"><img src="{_href(entry.image)}" '
                     f'alt="{e(entry.idea)}" loading="lazy"></a>\n')  # fmt: skip
    parts.append(f'<p class="idea">{e(entry.idea)}</p>\n')
    if entry.error:
        parts.append(f'<p class="error">{e(entry.error)}</p>\n')
    if entry.prompt:
        parts.append(f'<p class="prompt">{e(entry.prompt)}</p>\n')
    if entry.negative:
        parts.append(f'<p class="negative">avoid: {e(entry.negative)}</p>\n')
    if entry.failed_checks:
        checks = "".join(f"<li>{e(check)}</li>" for check in entry.failed_checks)
        parts.append(f'<div class="failed">failed checks<ul>{checks}</ul></div>\n')
    if entry.levers:
        parts.append(f"<details><summary>levers</summary>\n{_rows(entry.levers)}</details>\n")
    for note in entry.notes:
        parts.append(f'<p class="note">{e(note)}</p>\n')
    parts.append("</article>\n")
    return "".join(parts)


def _rows(rows: Sequence[tuple[str, str]]) -> str:
    if not rows:
        return ""
    cells = "".join(f"<dt>{_escape(k)}</dt><dd>{_escape(v)}</dd>" for k, v in rows)
    return f"<dl>{cells}</dl>\n"


def _escape(text: str) -> str:
    return html.escape(text, quote=True)


def _href(path: str) -> str:
    return html.escape(quote(path), quote=True)


def _score(score: float | None) -> str:
    return "-" if score is None else f"{score:.2f}"


_CSS = """
:root{color-scheme:light dark;--fg:#1d1d22;--bg:#f6f4f0;--card:#fff;--muted:#66666e;--bad:#b3261e}
@media (prefers-color-scheme:dark){:root{--fg:#ececf0;--bg:#16161a;--card:#222228;--muted:#a0a0aa}}
*{box-sizing:border-box}
body{margin:0;padding:12px;font:16px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;
color:var(--fg);background:var(--bg)}
h1{font-size:1.25rem;margin:.2em 0 .4em;overflow-wrap:anywhere}
h2{font-size:1rem;margin:0 0 .5em;display:flex;justify-content:space-between;gap:.5em}
header,section,.links{max-width:70rem;margin:0 auto 12px}
section{background:var(--card);border-radius:10px;padding:10px 14px}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.15em .8em;margin:0}
dt{color:var(--muted)}dd{margin:0;overflow-wrap:anywhere}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,300px),1fr));gap:12px;
max-width:70rem;margin:0 auto}
article{background:var(--card);border-radius:10px;padding:10px;overflow-wrap:anywhere}
article img{width:100%;height:auto;border-radius:6px;display:block}
.score{background:#2b6a4f;color:#fff;border-radius:999px;padding:0 .6em;font-weight:600}
.idea{font-weight:600;margin:.5em 0 .3em}.prompt{margin:.3em 0}
.negative,.note{color:var(--muted);font-size:.9rem;margin:.3em 0}
.error,.failed{color:var(--bad)}.failed ul{margin:.2em 0;padding-left:1.2em}
details{margin-top:.4em;font-size:.9rem}summary{cursor:pointer;color:var(--muted)}
"""
