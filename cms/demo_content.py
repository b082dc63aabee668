"""Demo content of the cms app: the footer's pages, a few blog posts, and the support desk's people.

Called by `manage.py seed_demo` (one line there). Idempotent like the rest of the seed: rows are matched by slug
or e-mail and only what is missing is created, so a page an editor changed is left alone.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from .models import CannedAnswer, CmsPage

ABOUT = """\
CouponAli helps you pay less at the Indian stores you already use. We list **verified coupon codes and deals**
from more than seventy stores, and when you shop through us the store pays us a commission, most of which we
pass on to you as **cashback**.

## What we do

- We check codes every day and remove the ones that stopped working, so the code you copy is the code that works.
- We show the cashback you will earn on every offer *before* you click, and we honour that rate even if the
  store cuts it later.
- We pay cashback to your bank account or UPI once the store confirms your order, from ₹250 upwards.

## Who we are

We are a small team in Bengaluru of engineers, category editors and support agents who got tired of coupon
sites full of expired codes. Questions, ideas or a store you want us to add? Write to us from the
[Contact](/pages/contact/) page.
"""

HOW_CASHBACK_WORKS = """\
Cashback is money back on what you spend. Stores pay CouponAli a commission for every order we send them, and
we share most of it with you.

## Four steps

1. **Sign in** to CouponAli, so that we can tell your orders apart from everybody else's.
2. **Click out** to the store from an offer or the store's page. This opens the store with a tracking link.
3. **Shop as usual** in the same browser tab, without opening other coupon or cashback sites in between.
4. **Get paid.** The store reports your order within 72 hours and it shows as *pending* in your
   [wallet](/wallet/). Once the store's return period is over, the cashback is *confirmed* and you can withdraw it.

## How much, and when

The card of every offer shows the cashback you will earn, for example "Up to 7% cashback (max ₹500)". The rate
shown when you clicked is the rate we pay. Most stores confirm orders 30 to 60 days after delivery; fashion
stores wait until the return window closes, travel stores until the date of travel.

## If your cashback does not show up

Open [your store visits](/wallet/clicks/), find the visit and choose **Claim missing cashback**. Attach the
invoice (PDF, JPG or PNG) and our support team will chase the order with the store.
"""

FAQ = """\
## Is CouponAli free?

Yes. You never pay us anything: the stores pay us a commission and we share it with you as cashback.

## Why is my cashback still pending?

Stores confirm an order only after their return period, so that they do not pay commission on returned
orders. Your wallet shows the date we expect each cashback to be confirmed.

## When can I withdraw?

As soon as your confirmed balance reaches ₹250 and your KYC (PAN and bank account or UPI id) is verified.
Withdrawals to UPI usually arrive the same day; bank transfers within two working days.

## My cashback did not track. What now?

Claim it from [your store visits](/wallet/clicks/) with the order number and invoice. We reply within one
working day, and you can follow the conversation on [your tickets](/support/tickets/).

## Can cashback be cancelled?

Yes, if you return or cancel the order, or if the store finds that its rules were not followed (for example a
coupon from another site was used). We then take the cashback back and tell you why.

## How do referrals work?

Share your referral link. When a friend signs up and their first cashback is confirmed, you earn a joining
bonus plus a share of their confirmed cashback.
"""

TERMS = """\
These terms apply to your use of CouponAli (couponali.in) and its apps. By creating an account you accept them.

## Your account

You need one account per person, with a mobile number or e-mail address you control. Keep your password to
yourself; you are responsible for what happens in your account.

## Cashback

- Cashback is earned only on orders that the store confirms and pays us for. The amount shown on an offer is
  an estimate until the store confirms the order.
- Cashback is not earned on cancelled or returned orders, orders paid with store credit, or orders that break
  the store's own rules.
- We may reverse cashback that was paid for an order later cancelled. If your balance cannot cover it, the
  amount is recovered from your next cashback.

## Withdrawals

Withdrawals need a verified PAN and bank account or UPI id in your name. The minimum withdrawal is ₹250. We
may hold a withdrawal while we check unusual activity.

## Misuse

Creating several accounts, self-referrals, automated clicks or fake orders lead to the account being closed
and its unpaid cashback forfeited.

## Changes

We tell you by e-mail before these terms change. These terms are governed by the laws of India; the courts of
Bengaluru have jurisdiction.
"""

PRIVACY = """\
We collect only what we need to track your cashback and pay it to you, and we never sell your data.

## What we store

- **Account:** your name, mobile number and/or e-mail address, and a hash of your password.
- **Shopping:** the store visits you make through us (time, store, device type) and the orders the stores
  report for them.
- **KYC:** your PAN, bank account or UPI id, encrypted before they are stored and shown masked everywhere,
  also to our staff. Each time a staff member needs to see a full value, it is recorded.
- **Support:** your messages and attachments (for example invoices), stored privately and shown only to you and
  to the support staff handling your ticket.

## Who we share it with

Stores and affiliate networks receive a click id, never your name or contact details. Our payment partner
receives what is needed to pay you. Authorities receive data only when the law requires it.

## Your choices

You can download your statement, change your details or close your account from your profile at any time.
When you close it we delete your personal details, except the tax records of payouts already made.

Questions about privacy: privacy@couponali.in.
"""

CONTACT = """\
The fastest way to reach us is a support ticket: you can follow the whole conversation and attach files.

- **Cashback that did not track:** claim it from [your store visits](/wallet/clicks/).
- **Anything else** (withdrawals, gift cards, your account): [open a ticket](/support/tickets/new/).

We answer within one working day, Monday to Saturday, 9:00 to 19:00 IST.

**E-mail:** support@couponali.in
**Business and store partnerships:** partners@couponali.in
**Address:** CouponAli, 3rd floor, 80 Feet Road, Koramangala 4th Block, Bengaluru 560034
"""

GRIEVANCE_OFFICER = """\
As required by the Information Technology (Intermediary Guidelines and Digital Media Ethics Code) Rules, 2021 and
the Consumer Protection (E-Commerce) Rules, 2020, CouponAli has appointed a Grievance Officer. Write to them about
a complaint that our support team has not resolved, about content on the site, or about your personal data.

| | |
|---|---|
| **Grievance Officer** | Ms. Kavya Raman |
| **E-mail** | grievance@couponali.in |
| **Phone** | +91 80 4718 2210 (Monday to Friday, 10:00 to 18:00 IST) |
| **Address** | CouponAli, 3rd floor, 80 Feet Road, Koramangala 4th Block, Bengaluru 560034 |

**Response time.** We acknowledge a complaint within 24 hours and resolve it within 15 days of receiving it.
A request to remove content that exposes a person, or impersonates someone, is acted on within 24 hours.

Please include your registered e-mail address or mobile number, the ticket number if you have one, and what you
would like us to do. For everyday questions, [open a support ticket](/support/tickets/new/): it is faster.
"""

BLOG_SALES = """\
India's big sales come back at the same time every year. Plan your purchases around them and stack the store's
discount, a coupon and cashback.

| Sale | When | Best for |
|---|---|---|
| Republic Day sales | around 26 January | electronics, appliances |
| End of season sales | June and December | fashion, footwear |
| Independence Day sales | around 15 August | mobiles, laptops |
| Festive sales (Diwali) | October | everything |

**Tip:** add to your cart a few days early; on the first day of a sale, check out quickly before stock runs out,
and always click out from CouponAli first so that your cashback tracks.
"""

BLOG_STACKING = """\
The best price comes from three discounts on top of one another:

1. **The store's own price drop** during a sale.
2. **A coupon code**: copy it from the offer on CouponAli and paste it at checkout.
3. **Cashback**: paid by us once the store confirms the order.

A ₹4,000 pair of shoes at 40% off with a ₹300 coupon and 7% cashback costs ₹2,100 minus ₹147 of cashback:
₹1,953, less than half the label price.

Watch out for coupons from other sites: using one usually cancels the cashback for that order.
"""

BLOG_TRACKING = """\
Cashback tracks through a cookie the store sets when you click out. A few habits keep it working:

- Click out from CouponAli right before you buy, and finish the purchase in the same tab.
- Allow cookies for the store and switch off ad blockers while you shop.
- Do not open another coupon or cashback site before paying: the last click wins.
- Buying in the store's app? Open the app from our link on your phone, not from the home screen.

If an order still does not show up within three days, claim it from your store visits.
"""

PAGES = [
    ("about", "About CouponAli", CmsPage.PageType.STATIC, "Who we are and how CouponAli pays you back.", ABOUT),
    (
        "how-cashback-works",
        "How cashback works",
        CmsPage.PageType.STATIC,
        "Click out, shop as usual, get paid: how cashback tracks and when it is confirmed.",
        HOW_CASHBACK_WORKS,
    ),
    ("faq", "Frequently asked questions", CmsPage.PageType.FAQ, "Answers about cashback and withdrawals.", FAQ),
    ("terms", "Terms of use", CmsPage.PageType.TERMS, "The rules for accounts, cashback and withdrawals.", TERMS),
    ("privacy", "Privacy policy", CmsPage.PageType.PRIVACY, "What we store about you and who sees it.", PRIVACY),
    ("contact", "Contact us", CmsPage.PageType.STATIC, "Reach CouponAli support.", CONTACT),
    (
        "grievance-officer",
        "Grievance officer",
        CmsPage.PageType.STATIC,
        "Who handles complaints, how to reach them and how fast they answer (Indian IT rules).",
        GRIEVANCE_OFFICER,
    ),
]
# The help pages the footer and the help hub link to, by these exact slugs.
HELP_PAGE_SLUGS = ("about", "how-cashback-works", "faq", "terms", "privacy", "contact", "grievance-officer")
BLOG_POSTS = [
    ("india-sale-calendar", "India's sale calendar: when to buy what", "Plan around the big sales.", BLOG_SALES, 40),
    ("stack-coupon-and-cashback", "Stack a coupon and cashback", "Three discounts on one order.", BLOG_STACKING, 20),
    ("make-cashback-track", "Five habits that make cashback track", "Why an order goes missing.", BLOG_TRACKING, 5),
]


def pages_load(*, author=None) -> int:
    """Create the footer pages and the blog posts that are missing; returns how many were created."""
    rows = [(slug, title, ptype, excerpt, body, 0) for slug, title, ptype, excerpt, body in PAGES]
    blog = CmsPage.PageType.BLOG
    rows += [(slug, title, blog, excerpt, body, days) for slug, title, excerpt, body, days in BLOG_POSTS]
    return _pages_create(rows, author=author, publish=True)


def help_pages_load(*, publish: bool, author=None) -> list[str]:
    """Create the help pages (HELP_PAGE_SLUGS) that are missing, published or as drafts; a page that exists,
    edited or not, is left alone. Returns the slugs created. `manage.py create_help_pages` calls it, so that a
    production site gets the pages the footer links to (to be reviewed by its own legal team before publishing)."""
    rows = [(slug, title, ptype, excerpt, body, 0) for slug, title, ptype, excerpt, body in PAGES]
    missing = set(HELP_PAGE_SLUGS) - set(
        CmsPage.objects.filter(slug__in=HELP_PAGE_SLUGS).values_list("slug", flat=True)
    )
    _pages_create([r for r in rows if r[0] in missing], author=author, publish=publish)
    return sorted(missing)


def _pages_create(rows, *, author, publish: bool) -> int:
    now = timezone.now()
    created = 0
    for slug, title, ptype, excerpt, body, days_ago in rows:
        _page, new = CmsPage.objects.get_or_create(
            slug=slug,
            defaults={
                "title": title,
                "page_type": ptype,
                "content": body,
                "excerpt": excerpt,
                "seo_title": f"{title} · CouponAli",
                "seo_description": excerpt,
                "is_published": publish,
                "published_at": now - timedelta(days=days_ago) if publish else None,
                "created_by_user": author,
            },
        )
        created += new
    return created


CANNED_ANSWERS = [
    (
        "Claim received, checking with the store",
        "Hi {name}, thanks for the details. We have asked the store to check your order; stores usually answer "
        "within 7 working days and we will write to you here as soon as they do.",
    ),
    (
        "Cashback pending until the return period",
        "Hi {name}, your cashback is tracked and pending. It is confirmed once the store's return period is over; "
        "your wallet shows the expected date.",
    ),
    (
        "Invoice needed",
        "Hi {name}, please attach the invoice of the order (PDF, JPG or PNG) so that we can claim it with the store.",
    ),
]


def support_load() -> None:
    """The support desk's canned answers (its agent is one of the demo staff: demo.data.STAFF)."""
    for title, body in CANNED_ANSWERS:
        CannedAnswer.objects.get_or_create(title=title, defaults={"body": body})


def load() -> None:
    """Everything the cms app adds to the demo (the seed's one hook)."""
    pages_load()
    support_load()
