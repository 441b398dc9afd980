"""Reference images: what a generator should keep (a character, an object, a style), and the
check that a request's references fit the generator's limits before anything is sent."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeAlias, get_args

from pydantic import Field, ValidationError, field_validator

from ._errors import InvalidRequestError
from ._imageinfo import sniff
from ._model import Model

if TYPE_CHECKING:
    from .generators import GeneratorCapabilities

ReferenceRole: TypeAlias = Literal["style", "subject", "character", "object"]
REFERENCE_ROLES: tuple[ReferenceRole, ...] = get_args(ReferenceRole)
"""The roles a reference can play, in the order generators are shown them: who and what
the image is about first, then how it should look."""
ROLE_ORDER: tuple[ReferenceRole, ...] = ("character", "subject", "object", "style")


class Reference(Model):
    """An image the generator should take from: a character sheet, an object, a style.

    ``Reference(data, role="character")`` or ``Reference.from_file("knight.png",
    role="character")``. Format and size are read from the bytes (PNG, JPEG, WebP, GIF).

    Example:
        >>> Reference.from_file("knight.png", role="character", note="the knight, Sir Ash")
        Reference(character, image/png, 512x512, 'the knight, Sir Ash')
    """

    data: bytes = Field(repr=False)
    """The encoded image; base64 in JSON."""
    role: ReferenceRole = "subject"
    """What to take from it: ``"character"`` (who, kept consistent), ``"subject"`` (the
    thing shown), ``"object"`` (an item to include), ``"style"`` (the look only)."""
    note: str | None = None
    """A few words on what to take from it, sent beside the image (e.g. "the crown")."""

    def __init__(
        self,
        data: bytes | None = None,
        /,
        role: ReferenceRole = "subject",
        note: str | None = None,
        **fields: Any,
    ) -> None:
        if data is not None:
            fields["data"] = data
        fields.update(role=role, note=note)
        super().__init__(**fields)

    @field_validator("data")
    @classmethod
    def _is_an_image(cls, data: bytes) -> bytes:
        sniff(data)  # ValueError names what it is not
        return data

    @classmethod
    def from_file(
        cls, path: str | Path, *, role: ReferenceRole = "subject", note: str | None = None
    ) -> Reference:
        """Read an image file as a reference.

        Raises:
            InvalidRequestError: the file cannot be read, is not an image, or ``role`` is
                not one of the roles (each names the file or the allowed values).
        """
        check_role(role)
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise InvalidRequestError(
                f"references: cannot read {str(path)!r} ({exc.strerror or exc})",
                field="references",
            ) from None
        try:
            return cls(data, role=role, note=note)
        except ValidationError:
            raise InvalidRequestError(
                f"references: {str(path)!r} is not an image (PNG, JPEG, WebP or GIF)",
                field="references",
            ) from None

    @property
    def mime_type(self) -> str:
        """The encoding of ``data``, e.g. ``"image/png"``."""
        return sniff(self.data)[0]

    @property
    def size(self) -> tuple[int, int]:
        """``(width, height)`` in pixels, read from ``data``."""
        _, width, height = sniff(self.data)
        return width, height

    def __repr__(self) -> str:
        width, height = self.size
        note = f", {self.note!r}" if self.note else ""
        return f"Reference({self.role}, {self.mime_type}, {width}x{height}{note})"


def check_role(role: object) -> ReferenceRole:
    """``role`` if it is one of ``REFERENCE_ROLES``, else ``InvalidRequestError``."""
    if role not in REFERENCE_ROLES:
        raise InvalidRequestError(
            f"references: role {role!r} is not one of {', '.join(REFERENCE_ROLES)}",
            field="references",
            allowed=REFERENCE_ROLES,
        )
    return role


def in_role_order(references: Iterable[Reference]) -> list[Reference]:
    """``references`` grouped by role in ``ROLE_ORDER``, keeping the caller's order within."""
    return sorted(references, key=lambda ref: ROLE_ORDER.index(ref.role))


def check_references(
    references: tuple[Reference, ...], caps: GeneratorCapabilities, *, extra: int = 0
) -> None:
    """Refuse references the generator cannot take, naming the limit; never drop any.

    ``extra`` counts input images besides the references (the image an edit changes).

    Raises:
        InvalidRequestError: references for a generator that takes none, more than
            ``max_references`` in all, or more of one role than ``reference_limits`` allows.
    """
    if not references:
        return
    if caps.max_references == 0:
        raise InvalidRequestError(
            f"references: this generator takes no reference images (max_references=0), "
            f"got {len(references)}; use a generator that does (e.g. GeminiImageGenerator)",
            field="references",
        )
    total = len(references) + extra
    if total > caps.max_references:
        besides = " (with the image being edited)" if extra else ""
        raise InvalidRequestError(
            f"references: {total} images{besides}, this generator takes at most "
            f"{caps.max_references} (max_references={caps.max_references})",
            field="references",
        )
    _check_roles(Counter(ref.role for ref in references), caps.reference_limits)


def _check_roles(counts: Mapping[ReferenceRole, int], limits: Mapping[ReferenceRole, int]) -> None:
    for role, count in counts.items():
        limit = limits.get(role)
        if limit is not None and count > limit:
            raise InvalidRequestError(
                f"references: {count} with role {role!r}, this generator takes at most "
                f"{limit} (reference_limits[{role!r}]={limit})",
                field="references",
            )
