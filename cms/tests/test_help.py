"""The footer's help links and the /help/ hub: the CMS pages of cms.help and the ways to reach support."""

from __future__ import annotations

import pytest

from cms.factories import CmsPageFactory
from cms.help import HELP_LINKS

REQUIRED = {
    "about": "About",
    "how-cashback-works": "How cashback works",
    "faq": "FAQ",
    "terms": "Terms",
    "privacy": "Privacy",
    "contact": "Contact",
    "grievance-officer": "Grievance officer",
}


def _footer(html: str) -> str:
    return html[html.index('<footer class="site-footer">') : html.index("</footer>")]


@pytest.mark.django_db
def test_every_page_has_the_help_links_in_its_footer_and_no_health_check(client):
    for path in ("/", "/stores/", "/help/", "/accounts/login/"):
        footer = _footer(client.get(path).content.decode())
        for slug, label in REQUIRED.items():
            assert f'<a href="/pages/{slug}/">{label}</a>' in footer, (path, slug)
        assert '<a href="/help/">Help centre</a>' in footer
        assert "healthz" not in footer
    assert {link.slug: link.label for link in HELP_LINKS} == REQUIRED


@pytest.mark.django_db
def test_help_hub_lists_the_help_pages_with_their_published_excerpts_and_support(client):
    CmsPageFactory(slug="faq", title="Frequently asked questions", excerpt="Where is my cashback, and more.")
    CmsPageFactory(slug="privacy", title="Secret draft of privacy", is_published=False)
    response = client.get("/help/")
    assert response.status_code == 200
    html = response.content.decode()
    main = html[html.index("<main") : html.index("</main>")]
    for slug in REQUIRED:
        assert f'href="/pages/{slug}/"' in main
    # a published page shows its own title and excerpt; a draft shows nothing of itself
    assert "Frequently asked questions" in main and "Where is my cashback, and more." in main
    assert "Secret draft" not in main and "<strong>Privacy</strong>" in main
    # and the ways to support: claim missing cashback, a new ticket, the shopper's tickets
    for href in ('href="/wallet/clicks/"', 'href="/support/tickets/new/"', 'href="/support/tickets/"'):
        assert href in main
    assert client.head("/help/").status_code == 200
