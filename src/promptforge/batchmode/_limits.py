"""Google's Batch Mode limits, as data with their sources, checked before anything is sent."""

from __future__ import annotations

from dataclasses import dataclass

from .._errors import InvalidRequestError


@dataclass(frozen=True)
class Limit:
    """One limit: its value and where it comes from."""

    value: int
    source: str


INLINE_BYTES = Limit(
    20_000_000,
    "Gemini API Batch Mode docs (2026-11-30): inline requests keep the total request size "
    "under 20 MB",
)
"""Above this, the requests go as a JSONL file through the Files API."""
FILE_BYTES = Limit(
    2_000_000_000,
    "Gemini API rate limits, Batch API (2026-11-30): input file size limit 2 GB",
)
"""The largest input file a job may have."""
MAX_REQUESTS = Limit(
    200_000,
    "Vertex AI batch prediction docs (2026-11-30): up to 200,000 requests per Gemini job; the "
    "Gemini API's Batch Mode docs state no count, so promptforge applies the same ceiling",
)
"""The most requests (one per image) one job may hold."""
INLINE_ITEMS = Limit(
    50,
    "promptforge: inline answers come back in one batches.get body holding every image "
    "(about 1.5 MB each as base64), so larger jobs go as a file and stream from disk",
)
"""The most requests sent inline; more go as a file whatever their size."""
LIMITS = {
    "inline_bytes": INLINE_BYTES,
    "file_bytes": FILE_BYTES,
    "max_requests": MAX_REQUESTS,
    "inline_items": INLINE_ITEMS,
}


def check_count(requests: int) -> None:
    """Refuse a job of more than ``MAX_REQUESTS`` requests (one per image)."""
    if requests > MAX_REQUESTS.value:
        raise InvalidRequestError(
            f"prompts: {requests:,} image requests in one Batch Mode job; the most is "
            f"{MAX_REQUESTS.value:,} ({MAX_REQUESTS.source}); split the prompts across "
            "several out_dir folders",
            field="prompts",
        )


def check_file(size: int) -> None:
    """Refuse an input file above ``FILE_BYTES``."""
    if size > FILE_BYTES.value:
        raise InvalidRequestError(
            f"prompts: the job's input file would be {size / 1e9:.2f} GB; the most is "
            f"{FILE_BYTES.value / 1e9:.0f} GB ({FILE_BYTES.source}); split the prompts "
            "(reference images count: each request carries its own copy)",
            field="prompts",
        )


def goes_inline(requests: int, size: int) -> bool:
    """Whether ``requests`` totalling ``size`` bytes can be sent inline."""
    return requests <= INLINE_ITEMS.value and size < INLINE_BYTES.value
