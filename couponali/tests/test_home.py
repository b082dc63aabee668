from datetime import timedelta

import pytest
from django.utils import timezone

from offers.factories import OfferFactory


@pytest.mark.django_db
def test_home_page_lists_live_offers_only(client):
    OfferFactory(title="Live Myntra deal")
    OfferFactory(title="Expired Ajio deal", expires_at=timezone.now() - timedelta(days=1))
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Live Myntra deal" in html
    assert "Expired Ajio deal" not in html


@pytest.mark.django_db
def test_unknown_page_gets_the_friendly_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "We couldn't find that page" in response.content.decode()
