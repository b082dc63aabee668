"""Store logos: an uploaded image becomes one square WebP (Pillow), and :func:`logo_src` is the one rule for which
logo a page shows.

An upload is decoded (anything Pillow cannot read, or a picture too large to be a logo, is refused with a clear
message), fitted inside LOGO_SIZE x LOGO_SIZE without stretching on a transparent square, and saved as WebP under a
name that carries a hash of its bytes, so that it can be cached for a year and a new upload is a new URL.
"""

from __future__ import annotations

import hashlib
import io

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image, ImageOps, UnidentifiedImageError

LOGO_SIZE = 256
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 25_000_000  # a decompression bomb is refused before it is decoded


class LogoError(ValueError):
    """An upload that cannot be a logo; the message is for the person who uploaded it."""


def logo_webp(data: bytes, *, stem: str) -> ContentFile:
    """The logo in ``data`` (any format Pillow reads) as a LOGO_SIZE square WebP named ``<stem>-<hash>.webp``."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise LogoError("The logo is larger than 5 MB; upload a smaller image.")
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.width * probe.height > MAX_PIXELS:
                raise LogoError("The logo has too many pixels; upload an image under 5000 x 5000.")
            image = ImageOps.exif_transpose(probe).convert("RGBA")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise LogoError("This file is not an image Pillow can read (PNG, JPEG, WebP, GIF...).") from exc
    image.thumbnail((LOGO_SIZE, LOGO_SIZE), Image.Resampling.LANCZOS)
    square = Image.new("RGBA", (LOGO_SIZE, LOGO_SIZE), (255, 255, 255, 0))
    square.paste(image, ((LOGO_SIZE - image.width) // 2, (LOGO_SIZE - image.height) // 2), image)
    out = io.BytesIO()
    square.save(out, format="WEBP", quality=85, method=4)
    payload = out.getvalue()
    digest = hashlib.sha256(payload).hexdigest()[:12]
    return ContentFile(payload, name=f"{stem}-{digest}.webp")


def logo_url_for(logo: str | None, logo_url: str | None) -> str:
    """The URL of the logo a page shows: the uploaded WebP (``merchants.logo``, a storage name), else
    ``logo_url`` (a logo hosted elsewhere), else "" (the template draws the two-letter tile)."""
    if logo:
        return default_storage.url(logo)
    return logo_url or ""


def logo_src(merchant) -> str:
    """:func:`logo_url_for` of a Merchant."""
    return logo_url_for(merchant.logo.name if merchant.logo else None, merchant.logo_url)
