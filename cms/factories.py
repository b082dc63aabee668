from __future__ import annotations

import factory
from factory.django import DjangoModelFactory

from accounts.factories import UserFactory

from .models import CannedAnswer, CmsPage, SeoRedirect, SupportTicket, SupportTicketAttachment, SupportTicketMessage


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


class SupportTicketMessageFactory(DjangoModelFactory):
    class Meta:
        model = SupportTicketMessage

    ticket = factory.SubFactory(SupportTicketFactory)
    author = factory.SelfAttribute("ticket.user")
    body = "My order MYN-881 did not track."


class SupportTicketAttachmentFactory(DjangoModelFactory):
    class Meta:
        model = SupportTicketAttachment

    message = factory.SubFactory(SupportTicketMessageFactory)
    file = factory.django.FileField(filename="invoice.pdf", data=b"%PDF-1.4\n")
    original_name = "invoice.pdf"
    content_type = "application/pdf"
    size = 9


class CannedAnswerFactory(DjangoModelFactory):
    class Meta:
        model = CannedAnswer

    title = factory.Sequence(lambda n: f"Canned answer {n}")
    body = "Hi {name}, we are checking with the store."
