"""Logo artwork for the demo stores, drawn with Pillow at seed time: each store gets its own colours, a shape and
its name in full (not a two-letter tile), and goes through the same upload path as a logo staff upload
(catalog.logos.logo_webp: a 256 x 256 WebP). Deterministic: the same store always gets the same picture."""

from __future__ import annotations

import hashlib
import io
from colorsys import hls_to_rgb

from PIL import Image, ImageDraw, ImageFont

from catalog.logos import logo_webp

CANVAS = 512
SHAPES = ("circle", "rounded", "diamond", "stripes", "arc", "ring")


def _rgb(hue: float, lightness: float, saturation: float) -> tuple[int, int, int]:
    r, g, b = hls_to_rgb(hue, lightness, saturation)
    return int(r * 255), int(g * 255), int(b * 255)


def _fit_font(draw: ImageDraw.ImageDraw, lines: list[str], width: int, height: int):
    # Pillow's bundled scalable font: no system font needed, the same picture on every machine.
    size = 150
    while size > 28:
        font = ImageFont.load_default(size=size)
        boxes = [draw.textbbox((0, 0), line, font=font) for line in lines]
        if max(b[2] - b[0] for b in boxes) <= width and size * 1.1 * len(lines) <= height:
            return font
        size -= 6
    return ImageFont.load_default(size=size)


def _lines(name: str) -> list[str]:
    words = name.split()
    if len(name) <= 10 or len(words) == 1:
        return [name]
    half = (len(words) + 1) // 2
    return [" ".join(words[:half]), " ".join(words[half:])]


def _shape(draw: ImageDraw.ImageDraw, shape: str, colour: tuple[int, int, int]) -> None:
    c = CANVAS
    if shape == "circle":
        draw.ellipse((c * 0.3, c * 0.06, c * 0.7, c * 0.46), fill=colour)
    elif shape == "rounded":
        draw.rounded_rectangle((c * 0.22, c * 0.08, c * 0.78, c * 0.44), radius=c // 12, fill=colour)
    elif shape == "diamond":
        draw.polygon([(c / 2, c * 0.04), (c * 0.72, c * 0.26), (c / 2, c * 0.48), (c * 0.28, c * 0.26)], fill=colour)
    elif shape == "stripes":
        for i in range(3):
            y = c * (0.08 + i * 0.13)
            draw.rounded_rectangle((c * 0.2, y, c * 0.8, y + c * 0.09), radius=c // 40, fill=colour)
    elif shape == "arc":
        draw.pieslice((c * 0.2, c * 0.06, c * 0.8, c * 0.66), start=180, end=360, fill=colour)
    else:
        draw.ellipse((c * 0.3, c * 0.06, c * 0.7, c * 0.46), outline=colour, width=c // 16)


def logo_png(name: str, slug: str) -> bytes:
    """A PNG of the store's logo: a light background, a coloured shape chosen by the slug, the name below."""
    digest = hashlib.sha256(slug.encode()).digest()
    hue = digest[0] / 255
    accent = _rgb(hue, 0.42, 0.75)
    background = _rgb((hue + 0.5) % 1, 0.95, 0.6)
    ink = _rgb(hue, 0.22, 0.7)
    image = Image.new("RGB", (CANVAS, CANVAS), background)
    draw = ImageDraw.Draw(image)
    _shape(draw, SHAPES[digest[1] % len(SHAPES)], accent)
    lines = _lines(name)
    font = _fit_font(draw, lines, int(CANVAS * 0.92), int(CANVAS * 0.44))
    step = font.size * 1.1 if isinstance(font, ImageFont.FreeTypeFont) else 40
    y = CANVAS * 0.76 - step * (len(lines) - 1) / 2
    for line in lines:
        draw.text((CANVAS / 2, y), line, font=font, fill=ink, anchor="mm")
        y += step
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def logo_file(name: str, slug: str):
    """The store's demo logo as the WebP file a Merchant.logo holds."""
    return logo_webp(logo_png(name, slug), stem=slug)
