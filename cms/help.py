"""The help pages every shopper should find: the footer and the /help/ hub list these CMS pages, in this order.

The pages themselves are CMS pages (/pages/<slug>/) that staff edit in the admin; only their slugs and the short
labels of the links live here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class HelpLink:
    slug: str
    label: str
    blurb: str


HELP_LINKS: tuple[HelpLink, ...] = (
    HelpLink("about", "About", "Who we are and how CouponAli earns its money."),
    HelpLink("how-cashback-works", "How cashback works", "From the click to the store to cashback in your bank."),
    HelpLink("faq", "FAQ", "Answers to the questions shoppers ask most."),
    HelpLink("terms", "Terms", "The rules of using CouponAli, cashback and gift cards."),
    HelpLink("privacy", "Privacy", "What we keep about you, why, and how to have it deleted."),
    HelpLink("contact", "Contact", "How to reach our support team."),
    HelpLink("grievance-officer", "Grievance officer", "Our grievance officer under India's IT Rules, 2021."),
)
