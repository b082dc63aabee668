"""The site can be added to a phone's home screen: the manifest, its icons, theme colour and apple-touch-icon."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.conf import settings
from PIL import Image

from couponali.views import THEME_COLOR

ICONS = Path(settings.BASE_DIR) / "static"


@pytest.mark.django_db
def test_manifest_is_served_with_its_content_type_and_names_icons_that_exist(client):
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    manifest = json.loads(response.content)
    assert manifest["short_name"] == "CouponAli" and manifest["display"] == "standalone"
    assert manifest["start_url"] == "/" and manifest["theme_color"] == THEME_COLOR
    sizes = {(icon["sizes"], icon["purpose"]) for icon in manifest["icons"]}
    assert sizes == {("192x192", "any"), ("512x512", "any"), ("192x192", "maskable"), ("512x512", "maskable")}
    for icon in manifest["icons"]:
        path = ICONS / icon["src"].removeprefix(settings.STATIC_URL)
        with Image.open(path) as image:
            assert image.format == "PNG" and f"{image.width}x{image.height}" == icon["sizes"]
    assert client.post("/manifest.webmanifest").status_code == 405


@pytest.mark.django_db
def test_pages_link_the_manifest_theme_colour_and_apple_touch_icon(client):
    html = client.get("/").content.decode()
    assert '<link rel="manifest" href="/manifest.webmanifest">' in html
    assert f'<meta name="theme-color" content="{THEME_COLOR}">' in html
    assert 'rel="apple-touch-icon" href="/static/img/icons/apple-touch-icon.png"' in html
