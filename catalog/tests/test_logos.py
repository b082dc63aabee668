"""Store logos: an upload becomes a 256 x 256 WebP (Pillow), served by the site with a long cache; a file that is
not an image is refused with a message; without a logo the two-letter tile is drawn."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from accounts.factories import UserFactory
from catalog.factories import MerchantFactory
from catalog.logos import LOGO_SIZE, LogoError, logo_webp
from catalog.models import Merchant


def _png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 60)).save(out, format="PNG")
    return out.getvalue()


def test_logo_webp_fits_the_picture_into_a_square_without_stretching():
    file = logo_webp(_png(1200, 300), stem="myntra")
    with Image.open(io.BytesIO(file.read())) as image:
        assert (image.format, image.size) == ("WEBP", (LOGO_SIZE, LOGO_SIZE))
        assert image.convert("RGBA").getpixel((128, 10))[3] == 0  # padding above a wide logo is transparent
        assert image.convert("RGBA").getpixel((128, 128))[:3] != (0, 0, 0)
    assert file.name.startswith("myntra-") and file.name.endswith(".webp")
    with pytest.raises(LogoError, match="not an image"):
        logo_webp(b"%PDF-1.7 not a picture", stem="x")


def _form(merchant: Merchant, **extra) -> dict:
    data = {
        "name": merchant.name,
        "slug": merchant.slug,
        "priority": 0,
        "validation_days": 45,
        "tracking_hours": 24,
        "is_active": "on",
        "commissions-TOTAL_FORMS": 0,
        "commissions-INITIAL_FORMS": 0,
    }
    data.update(extra)
    return data


@pytest.mark.django_db
def test_admin_upload_stores_a_webp_that_the_site_serves(client):
    store = MerchantFactory(name="Nykaa", slug="nykaa")
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    url = reverse("admin:catalog_merchant_change", args=[store.pk])

    bad = client.post(url, _form(store, logo=SimpleUploadedFile("logo.png", b"not really a png")))
    assert bad.status_code == 200 and "logo" in bad.context["adminform"].form.errors
    store.refresh_from_db()
    assert not store.logo

    response = client.post(url, _form(store, logo=SimpleUploadedFile("logo.png", _png(640, 640))))
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    store.refresh_from_db()
    assert store.logo.name.startswith("stores/nykaa-") and store.logo.name.endswith(".webp")
    assert store.tracking_hours == 24 and store.validation_days == 45

    served = client.get(store.logo_src)
    assert served.status_code == 200 and served["Content-Type"] == "image/webp"
    assert "immutable" in served["Cache-Control"]
    with Image.open(io.BytesIO(b"".join(served.streaming_content))) as image:
        assert image.size == (LOGO_SIZE, LOGO_SIZE)
    page = client.get(reverse("store", args=[store.slug])).content.decode()
    assert f'src="{store.logo_src}"' in page
    assert client.get("/media/stores/..%2Fsecret.webp").status_code == 404


@pytest.mark.django_db
def test_a_store_without_a_logo_gets_the_two_letter_tile(client):
    store = MerchantFactory(name="Tata CLiQ", logo_url=None)
    page = client.get(reverse("store", args=[store.slug])).content.decode()
    assert "store-logo-fallback" in page and ">TC<" in page
