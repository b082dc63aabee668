"""The help pages the footer and the help hub link to (by these exact slugs): seed_demo publishes them, and
`manage.py create_help_pages` creates the missing ones on any site (drafts unless --publish)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from cms.demo_content import HELP_PAGE_SLUGS
from cms.factories import CmsPageFactory
from cms.models import CmsPage

SLUGS = ("about", "how-cashback-works", "faq", "terms", "privacy", "contact", "grievance-officer")


@pytest.mark.django_db
def test_create_help_pages_makes_the_missing_ones_as_drafts_and_leaves_edited_ones_alone(client):
    assert HELP_PAGE_SLUGS == SLUGS
    CmsPageFactory(slug="terms", title="Our own terms", content="Edited by legal.", is_published=True)
    out = StringIO()

    call_command("create_help_pages", stdout=out)

    assert "Created 6 help page(s) (drafts" in out.getvalue()
    assert CmsPage.objects.get(slug="terms").content == "Edited by legal."
    assert not CmsPage.objects.filter(slug__in=SLUGS, is_published=True).exclude(slug="terms").exists()
    assert client.get("/pages/grievance-officer/").status_code == 404  # a draft until someone publishes it
    call_command("create_help_pages", "--publish", stdout=(again := StringIO()))
    assert "nothing changed" in again.getvalue()


@pytest.mark.django_db
def test_published_help_pages_include_the_grievance_officer(client):
    call_command("create_help_pages", "--publish", stdout=StringIO())
    for slug in SLUGS:
        page = client.get(f"/pages/{slug}/")
        assert page.status_code == 200, slug
        assert len(CmsPage.objects.get(slug=slug).content) > 400, slug
    grievance = client.get("/pages/grievance-officer/").content.decode()
    # the Indian IT rules: a name, a way to reach them, and how fast they answer
    assert "Grievance Officer" in grievance and "Kavya Raman" in grievance
    assert "grievance@couponali.in" in grievance and "+91 80 4718 2210" in grievance
    assert "within 24 hours" in grievance and "within 15 days" in grievance
