"""What a support attachment may be: an invoice as PDF, JPEG or PNG, at most 5 MB, at most 3 per message.

The type is decided by the content, never by the name or the browser's Content-Type: a PDF must parse (pypdf)
and carry no JavaScript or launch action anywhere in its object tree, an image must decode (Pillow) as JPEG or
PNG. Every check runs before anything is written, so a refused upload leaves nothing behind.
"""

from __future__ import annotations

import io
import os
import warnings
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError
from pypdf import PdfReader
from pypdf.errors import PdfReadError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

MAX_BYTES = 5 * 1024 * 1024
MAX_FILES = 3
ACCEPTED = "PDF, JPG or PNG"
EXTENSIONS = {"application/pdf": {".pdf"}, "image/jpeg": {".jpg", ".jpeg"}, "image/png": {".png"}}
# Keys and action types that make a PDF run something when opened or clicked.
_ACTIVE_KEYS = {"/JS", "/JavaScript", "/AA", "/Launch", "/RichMedia"}
_ACTIVE_ACTIONS = {"/JavaScript", "/Launch", "/ImportData", "/RichMediaExecute"}


class AttachmentRefused(Exception):
    """The file is not accepted; the message says why, naming the file."""


@dataclass(frozen=True)
class CheckedFile:
    name: str  # the shopper's file name (shown, never used as a path)
    content_type: str
    data: bytes


def _pdf_is_active(data: bytes) -> bool:
    reader = PdfReader(io.BytesIO(data), strict=False)
    if reader.is_encrypted:
        raise AttachmentRefused("is an encrypted PDF; upload it without a password")
    seen: set[int] = set()
    stack: list = [reader.trailer]
    while stack:
        obj = stack.pop()
        if isinstance(obj, IndirectObject):
            if obj.idnum in seen:
                continue
            seen.add(obj.idnum)
            obj = obj.get_object()
        if isinstance(obj, DictionaryObject):
            if _ACTIVE_KEYS & set(obj.keys()) or obj.get("/S") in _ACTIVE_ACTIONS:
                return True
            stack.extend(obj.values())
        elif isinstance(obj, ArrayObject):
            stack.extend(obj)
    return False


def _content_type(data: bytes) -> str:
    if data.startswith(b"%PDF-"):
        # A plain-text mention of a JavaScript name anywhere (even in an object nothing refers to) is refused too.
        if b"/JavaScript" in data or b"/JS" in data:
            raise AttachmentRefused("is a PDF with JavaScript, which we do not accept")
        try:
            active = _pdf_is_active(data)
        except AttachmentRefused:
            raise
        except (PdfReadError, ValueError, KeyError, TypeError, RecursionError):
            raise AttachmentRefused("is not a readable PDF") from None
        if active:
            raise AttachmentRefused("is a PDF with JavaScript or actions, which we do not accept")
        return "application/pdf"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                kind = image.format
                image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombWarning):
        raise AttachmentRefused(f"is not a {ACCEPTED} file") from None
    if kind == "JPEG":
        return "image/jpeg"
    if kind == "PNG":
        return "image/png"
    raise AttachmentRefused(f"is not a {ACCEPTED} file")


def attachments_check(files) -> list[CheckedFile]:
    """Check uploaded files (Django UploadedFile objects); raise AttachmentRefused for the first bad one."""
    files = [f for f in files or [] if f]
    if len(files) > MAX_FILES:
        raise AttachmentRefused(f"Attach at most {MAX_FILES} files to one message.")
    checked = []
    for upload in files:
        name = os.path.basename(upload.name or "file")[:200]
        if upload.size > MAX_BYTES:
            raise AttachmentRefused(f"{name} is larger than 5 MB.")
        data = upload.read(MAX_BYTES + 1)
        if len(data) > MAX_BYTES:
            raise AttachmentRefused(f"{name} is larger than 5 MB.")
        if not data:
            raise AttachmentRefused(f"{name} is empty.")
        try:
            content_type = _content_type(data)
        except AttachmentRefused as exc:
            raise AttachmentRefused(f"{name} {exc}.") from None
        if os.path.splitext(name)[1].lower() not in EXTENSIONS[content_type]:
            raise AttachmentRefused(f"{name}: the file name's extension does not match its content ({content_type}).")
        checked.append(CheckedFile(name=name, content_type=content_type, data=data))
    return checked
