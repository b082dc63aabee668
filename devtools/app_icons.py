"""Draw the home-screen icons of the web app manifest (static/img/icons/*.png) with Pillow.

The icons are ours: a white coupon ticket with a percent sign on CouponAli green, drawn from shapes (no font, no
artwork from elsewhere). The PNGs are committed (a few kilobytes each); run this again after changing the design:

    .venv/bin/python -m devtools.app_icons [--out static/img/icons]

"any" icons are a rounded square on a transparent background; "maskable" ones fill the whole square and keep the
ticket inside the central safe zone (80 % of the width), as the launcher may cut them into a circle.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from PIL import Image, ImageDraw

GREEN = (11, 110, 79, 255)  # --green of static/css/site.css, the manifest's theme_color
ORANGE = (242, 140, 40, 255)
WHITE = (255, 255, 255, 255)
CLEAR = (0, 0, 0, 0)
SUPERSAMPLE = 4  # draw large, then shrink: smooth edges without an anti-aliasing pass
DEFAULT_OUT = Path(__file__).resolve().parent.parent / "static" / "img" / "icons"


def _ticket(draw: ImageDraw.ImageDraw, *, size: int, scale: float) -> None:
    """A coupon ticket (notched on both sides) with a percent sign, centred, ``scale`` of the canvas wide."""
    w = size * scale
    h = w * 0.62
    left, top = (size - w) / 2, (size - h) / 2
    right, bottom = left + w, top + h
    draw.rounded_rectangle((left, top, right, bottom), radius=w * 0.08, fill=WHITE)
    notch = h * 0.16
    cy = size / 2
    for x in (left, right):
        draw.ellipse((x - notch, cy - notch, x + notch, cy + notch), fill=CLEAR)
    # the dashed tear line, a third of the way in
    tear = left + w * 0.34
    dash = h * 0.09
    y = top + dash
    while y + dash < bottom - dash / 2:
        draw.rounded_rectangle((tear - w * 0.012, y, tear + w * 0.012, y + dash), radius=w * 0.01, fill=GREEN)
        y += dash * 1.9
    # the percent sign on the larger part
    px0, px1 = tear + w * 0.12, right - w * 0.1
    py0, py1 = top + h * 0.2, bottom - h * 0.2
    r = (px1 - px0) * 0.16
    stroke = max(2, round(w * 0.055))
    draw.line((px1 - r * 0.4, py0, px0 + r * 0.4, py1), fill=ORANGE, width=stroke)
    for cx, cy2 in ((px0 + r, py0 + r), (px1 - r, py1 - r)):
        draw.ellipse((cx - r, cy2 - r, cx + r, cy2 + r), outline=ORANGE, width=max(2, round(stroke * 0.8)))


def draw_icon(size: int, *, maskable: bool) -> Image.Image:
    big = size * SUPERSAMPLE
    background = Image.new("RGBA", (big, big), CLEAR)
    draw = ImageDraw.Draw(background)
    if maskable:
        draw.rectangle((0, 0, big, big), fill=GREEN)
    else:
        draw.rounded_rectangle((0, 0, big - 1, big - 1), radius=big * 0.22, fill=GREEN)
    # the notches must show the green behind the ticket, so the ticket is drawn on its own layer and pasted
    layer = Image.new("RGBA", (big, big), CLEAR)
    _ticket(ImageDraw.Draw(layer), size=big, scale=0.62 if maskable else 0.74)
    background.alpha_composite(layer)
    return background.resize((size, size), Image.Resampling.LANCZOS)


def write_icons(out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    wanted = [
        ("icon-192.png", 192, False),
        ("icon-512.png", 512, False),
        ("maskable-192.png", 192, True),
        ("maskable-512.png", 512, True),
        # iOS rounds the corners itself and shows transparency as black: a full-bleed square
        ("apple-touch-icon.png", 180, True),
    ]
    written = []
    for name, size, maskable in wanted:
        path = out / name
        draw_icon(size, maskable=maskable).save(path, optimize=True)
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Draw the web app manifest's PNG icons with Pillow.")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"output folder (default: {DEFAULT_OUT})")
    args = parser.parse_args(argv)
    for path in write_icons(args.out):
        print(path)


if __name__ == "__main__":
    main()
