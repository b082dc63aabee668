from __future__ import annotations

import factory
from factory.django import DjangoModelFactory

from accounts.factories import UserFactory

from .models import CmsPage, SeoRedirect, SupportTicket


class CmsPageFactory(DjangoModelFactory):
    class Meta:
        model = CmsPage

    title = factory.Sequence(lambda n: f"Page {n}")
    slug = factory.Sequence(lambda n: f"page-{n}")
    content = "How **cashback** works."
    page_type = CmsPage.PageType.STATIC
    is_published = True


class SeoRedirectFactory(DjangoModelFactory):
    class Meta:
        model = SeoRedirect

    source_path = factory.Sequence(lambda n: f"/old-{n}/")
    target_path = "/"


class SupportTicketFactory(DjangoModelFactory):
    class Meta:
        model = SupportTicket

    user = factory.SubFactory(UserFactory)
    subject = "Cashback not tracked for my Myntra order"
