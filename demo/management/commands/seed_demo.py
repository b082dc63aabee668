"""`manage.py seed_demo`: realistic Indian demo data, safe to run any number of times."""

from __future__ import annotations

import random
import uuid
from datetime import timedelta
from decimal import Decimal

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from accounts import services as accounts_services
from accounts.authz import SYSTEM
from accounts.models import User, UserKYC
from accounts.roles import SUPER_ADMIN, system_roles_sync
from analytics.services import analytics_refresh
from catalog.models import Category, Merchant, MerchantCommission, Product, ProductVariant
from cms import demo_content as cms_demo_content
from cms.models import CmsPage, SupportTicket
from cms.services import support
from couponali import rls
from demo import data
from demo.logos import logo_file
from offers.models import Offer, OfferClick
from offers.services import search_words_refresh, store_grant
from referrals.services import referral_bonuses_settle, referral_record_signup
from wallet import services as wallet
from wallet.gateways import FakePayoutGateway
from wallet.models import CashbackEvent, WalletTransaction, Withdrawal
from wallet.networks import NETWORKS, conversion_parse

DEMO_NETWORK = "demo"
OFFERS_PER_STORE = 10
# A store's own category earns its headline rate, its first two subcategories a share of it.
COMMISSION_FACTORS = (Decimal("1"), Decimal("0.6"), Decimal("0.4"))
_PARENTS = {slug: parent for slug, _name, parent, _description in data.CATEGORIES}


def round_rate(value: Decimal, ctype: str) -> Decimal:
    """The round figure a store would advertise near ``value``: a percentage to the half (5%, 7.5%, at least
    1%), a flat amount to ₹10 (at least ₹10)."""
    if ctype == "percentage":
        return max(Decimal("1"), (value * 2).quantize(Decimal("1")) / 2).quantize(Decimal("0.01"))
    return max(Decimal("10"), (value / 10).quantize(Decimal("1")) * 10).quantize(Decimal("0.01"))


def _offer_rule(
    store: tuple, ctype: str, value: str | None, cap: str | None
) -> tuple[str, Decimal | None, Decimal | None]:
    """An offer's own cashback rule, a step up on its store's headline rate (as real "extra cashback" offers are),
    so that stores keep their own figures: a sale pays 2 points more at a percentage store (8% -> 10%; capped on
    electronics) and half as much again at a flat-rate one (₹40 -> ₹60); "₹150 off for new users" keeps its flat
    ₹150 at a percentage store (the headline stays the percentage) and pays double the flat rate at a flat one."""
    store_type, store_value = store[4], Decimal(store[5])
    if store_type == "percentage":
        if ctype == "percentage":
            # Capped where orders are large (electronics), as stores do: "Up to 7% cashback (max ₹500)".
            capped = Decimal(cap) if cap and _top_level(store[2]) == "electronics" else None
            return "percentage", round_rate(store_value + 2, "percentage"), capped
        return ctype, Decimal(value) if value else None, Decimal(cap) if cap else None
    factor = Decimal("1.5") if ctype == "percentage" else Decimal("2")
    return "fixed", round_rate(store_value * factor, "fixed"), None


def _top_level(category_slug: str) -> str:
    parent = _PARENTS.get(category_slug)
    while parent:
        category_slug, parent = parent, _PARENTS.get(parent)
    return category_slug


def _offer_copy(category_slug: str) -> list[tuple[str, str, str]]:
    """The realistic offers of a store's category (its parent's when it has none of its own)."""
    if category_slug in data.OFFER_COPY:
        return data.OFFER_COPY[category_slug]
    parent = next((c[2] for c in data.CATEGORIES if c[0] == category_slug), None)
    return data.OFFER_COPY.get(parent or "", [])


class Command(BaseCommand):
    help = (
        "Load demo data: 21 categories, 70 Indian stores with commissions, 700 offers, 27 gift cards with "
        "denominations, a superuser and one login per staff role, a shopper with wallet history, a missing-cashback "
        "claim and a question, and 240 other shoppers with confirmed cashback. Idempotent: rows are matched by "
        "slug, SKU, e-mail or feed id and only what is missing is created. Prints the demo logins."
    )

    def add_arguments(self, parser):
        parser.add_argument("--quiet-logins", action="store_true", help="Do not print the demo logins.")

    def handle(self, *args, **options):
        # The demo logins have a published password: only the development and test settings define them, so
        # the command refuses to create them anywhere else (production).
        if not getattr(settings, "DEMO_PASSWORD", ""):
            raise CommandError(
                "seed_demo creates logins with a published password; it runs only with settings that define "
                "DEMO_STAFF_EMAIL, DEMO_SHOPPER_EMAIL and DEMO_PASSWORD (couponali.settings.development or .test)."
            )
        rng = random.Random(2026)  # same data on every machine
        with rls.bypass(reason="seed_demo"), transaction.atomic():
            categories = self._categories()
            merchants = self._merchants(categories)
            self._commissions(merchants, categories)
            created_offers = self._offers(merchants, categories, rng)
            self._gift_cards(merchants, categories)
            cms_demo_content.load()  # before _pages(): the Markdown pages win
            self._pages()
            staff, shopper = self._users()
            self._staff(staff, merchants)
            self._wallet_history(staff, shopper, merchants, rng)
            self._crowd(staff, merchants, rng)
            self._support(shopper, merchants)
        # The demo's approved withdrawal is paid once the data above is committed, as the payout job does: the
        # payout claims it in a committed transaction of its own before the gateway is called (durable).
        for withdrawal_id in Withdrawal.objects.filter(user=shopper, status=Withdrawal.Status.APPROVED).values_list(
            "id", flat=True
        ):
            wallet.withdrawal_pay(
                withdrawal_id=withdrawal_id,
                gateway=FakePayoutGateway(),
                actor=SYSTEM,
                scope=lambda: rls.bypass(reason="seed_demo payout"),
            )
        search_words_refresh()  # the words search corrects typos against (a beat job keeps them current)
        analytics_refresh()  # the admin's dashboard shows the demo's clicks and cashback at once
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready: {Category.objects.count()} categories, {Merchant.objects.count()} stores, "
                f"{Offer.objects.count()} offers ({created_offers} new), {Product.objects.count()} gift cards."
            )
        )
        if not options["quiet_logins"]:
            self.stdout.write(
                "Demo logins (password for all: " + settings.DEMO_PASSWORD + ")\n"
                f"  superuser (admin at /admin/): {staff.email}\n"
                + "".join(
                    f"  {'/'.join(roles) + ':':<29} {getattr(settings, setting)}\n"
                    for setting, _name, roles, _departments, _stores in data.STAFF
                )
                + f"  shopper:                      {shopper.email}"
            )

    # ------------------------------------------------------------ catalogue

    def _categories(self) -> dict[str, Category]:
        out: dict[str, Category] = {}
        for order, (slug, name, parent, description) in enumerate(data.CATEGORIES):
            cat, _ = Category.all_objects.get_or_create(
                slug=slug,
                defaults={
                    "name": name,
                    "description": description,
                    "parent": out.get(parent) if parent else None,
                    "type": Category.Type.BOTH,
                    "display_order": order,
                    "is_featured": parent is None,
                    "seo_title": f"{name} coupons, offers and cashback",
                    "seo_description": f"Verified {name.lower()} coupon codes and deals with extra cashback.",
                },
            )
            out[slug] = cat
        # Keywords for rows made before there were any (a database seeded by an older version); never overwrites
        # what staff have written.
        for slug, keywords in data.CATEGORY_KEYWORDS.items():
            Category.all_objects.filter(slug=slug, search_keywords="").update(search_keywords=keywords)
        return out

    def _merchants(self, categories: dict[str, Category]) -> dict[str, Merchant]:
        out: dict[str, Merchant] = {}
        for priority, (slug, name, cat_slug, network, ctype, value, featured) in enumerate(reversed(data.MERCHANTS)):
            tracking_hours, validation_days = data.TRACKING.get(_top_level(cat_slug), data.TRACKING_DEFAULT)
            merchant, _ = Merchant.all_objects.get_or_create(
                slug=slug,
                defaults={
                    "name": name,
                    "tracking_hours": tracking_hours,
                    "validation_days": validation_days,
                    "description": f"Shop at {name} through CouponAli and earn cashback on every eligible order.",
                    "website_url": f"https://www.{slug.replace('-', '')}.in/",
                    "logo_url": f"/static/img/stores/{slug}.svg",
                    "affiliate_network": network,
                    "affiliate_id": f"ca-{network[:3]}-{priority:04d}",
                    "tracking_url_template": (
                        f"https://track.{network}.example/click?aff={{affiliate_id}}&sub={{click_id}}"
                        f"&uid={{user_id}}&url={{url}}"
                    ),
                    "default_cashback_type": ctype,
                    "default_cashback_value": Decimal(value),
                    "is_featured": featured,
                    "priority": priority,
                    "seo_title": f"{name} coupons and cashback offers",
                    "seo_description": f"Latest {name} coupon codes, deals and up to {value}"
                    f"{'%' if ctype == 'percentage' else ' rupees'} cashback.",
                },
            )
            if not merchant.logo:
                artwork = logo_file(name, slug)
                merchant.logo.save(artwork.name, artwork, save=False)
                Merchant.all_objects.filter(pk=merchant.pk).update(logo=merchant.logo.name)
            out[slug] = merchant
        for slug, keywords in data.STORE_KEYWORDS.items():
            Merchant.all_objects.filter(slug=slug, search_keywords="").update(search_keywords=keywords)
        return out

    def _commissions(self, merchants: dict[str, Merchant], categories: dict[str, Category]) -> None:
        """The store's own category at its headline rate, two subcategories at lower ones, all round figures
        (5%, 7.5%, ₹150): the network pays twice the shopper's rate and the shopper gets half of it."""
        by_slug = {m[0]: m for m in data.MERCHANTS}
        for slug, merchant in merchants.items():
            _slug, _name, cat_slug, _net, ctype, value, _f = by_slug[slug]
            category = categories[cat_slug]
            related = [category, *[c for c in categories.values() if c.parent_id == category.pk][:2]]
            for cat, factor in zip(related, COMMISSION_FACTORS, strict=False):
                rate = round_rate(Decimal(value) * factor, ctype)
                MerchantCommission.objects.get_or_create(
                    merchant=merchant,
                    category=cat,
                    defaults={
                        "commission_type": ctype,
                        "commission_value": rate * 2,
                        "cashback_percentage": Decimal("50.00"),
                        "valid_from": timezone.localdate() - timedelta(days=30),
                    },
                )

    def _offers(self, merchants, categories, rng: random.Random) -> int:
        by_slug = {m[0]: m for m in data.MERCHANTS}
        existing = set(Offer.all_objects.filter(network=DEMO_NETWORK).values_list("network_offer_id", flat=True))
        now = timezone.now()
        new: list[Offer] = []
        for slug, merchant in merchants.items():
            category = categories[by_slug[slug][2]]
            copy = _offer_copy(by_slug[slug][2])
            templates = data.OFFER_TEMPLATES[:OFFERS_PER_STORE]
            for i, (otype, pattern, template_type, template_value, template_cap) in enumerate(templates):
                key = f"{slug}-{i}"
                if key in existing:
                    continue
                description = f"{pattern.format(m=merchant.name)}. Valid on selected products; see terms."
                if i < len(copy):  # the store category's own offers first, written as real ones are
                    otype, pattern, description = copy[i]
                    description = description.format(m=merchant.name) + " Valid on selected products; see terms."
                starts = now - timedelta(days=rng.randint(1, 20))
                # A few already expired (to show the friendly expired page) and some ending within days.
                expires = now + timedelta(days=rng.choice([-3, 1, 2, 3, 5, 7, 14, 21, 30, 45, 60, None]) or 365)
                ctype, value, cap = None, None, None
                if template_type:  # an offer with a rule of its own: a step up on the store's rate, as real ones are
                    ctype, value, cap = _offer_rule(by_slug[slug], template_type, template_value, template_cap)
                code = None
                if otype == "code":
                    code = f"{slugify(merchant.name).replace('-', '').upper()[:6]}{rng.randint(10, 99)}"
                new.append(
                    Offer(
                        merchant=merchant,
                        category=category,
                        title=pattern.format(m=merchant.name),
                        description=description,
                        offer_type=otype,
                        coupon_code=code,
                        cashback_type=ctype,
                        cashback_value=value,
                        max_cashback=cap,
                        affiliate_url=f"{merchant.website_url}offers/{i}",
                        terms_conditions="Cashback is not valid with other wallets. One use per user.",
                        starts_at=starts,
                        expires_at=expires,
                        is_exclusive=rng.random() < 0.12,
                        is_verified=rng.random() < 0.7,
                        is_featured=merchant.is_featured and i < 2,
                        network=DEMO_NETWORK,
                        network_offer_id=key,
                    )
                )
        Offer.objects.bulk_create(new, batch_size=500)
        return len(new)

    def _gift_cards(self, merchants, categories) -> None:
        store_category: dict[str | None, Category] = {m[0]: categories[m[2]] for m in data.MERCHANTS}
        for n, (stem, name, merchant_slug, denominations, discount) in enumerate(data.GIFT_CARDS):
            product, _ = Product.all_objects.get_or_create(
                sku=f"EGV{stem}{n + 1:03d}",
                defaults={
                    "name": name,
                    "slug": slugify(name),
                    "merchant": merchants.get(merchant_slug),
                    "category": store_category.get(merchant_slug),
                    "description": f"Instant {name} delivered by e-mail. Redeem online or in store.",
                    "terms_conditions": "Non-refundable. Cannot be exchanged for cash.",
                    "card_type": Product.CardType.E_GIFT,
                    "delivery_method": Product.Delivery.EMAIL,
                    "validity_days": 365,
                    "discount_percentage": Decimal(discount),
                    "gallery_images": [],  # the page shows the brand store's logo (gift_card_image)
                    "is_featured": n < 8,
                    "is_bestseller": n < 4,
                    "priority": 100 - n,
                },
            )
            # An older seed wrote a picture that never existed (/static/img/giftcards/<stem>.svg): drop that exact
            # path from the rows it made, and nothing staff have added.
            bogus = f"/static/img/giftcards/{stem.lower()}.svg"
            gallery = product.gallery_images or []
            if bogus in gallery:
                product.gallery_images = [path for path in gallery if path != bogus]
                product.save(update_fields=["gallery_images"])
            for value in denominations:
                price = Decimal(value) * (Decimal(100) - Decimal(discount)) / Decimal(100)
                ProductVariant.objects.get_or_create(
                    product=product,
                    denomination=Decimal(value),
                    defaults={
                        "selling_price": price.quantize(Decimal("0.01")),
                        "cost_price": (Decimal(value) * Decimal("0.95")).quantize(Decimal("0.01")),
                    },
                )

    def _pages(self) -> None:
        pages = [
            (
                "how-cashback-works",
                "How cashback works",
                "static",
                "<p>Click out to a store from CouponAli, shop as usual, and the store tells us about your order. "
                "Your cashback shows as pending within 72 hours and is confirmed once the return period is over."
                "</p>",
            ),
            ("terms", "Terms of use", "terms", "<p>Cashback is paid only for orders the store confirms.</p>"),
            (
                "privacy",
                "Privacy policy",
                "privacy",
                "<p>We store your KYC details encrypted and show them masked.</p>",
            ),
            (
                "faq",
                "Frequently asked questions",
                "faq",
                "<p><strong>When can I withdraw?</strong> Once your confirmed balance reaches ₹250.</p>",
            ),
        ]
        for slug, title, ptype, content in pages:
            CmsPage.objects.get_or_create(
                slug=slug,
                defaults={
                    "title": title,
                    "page_type": ptype,
                    "content": content,
                    "is_published": True,
                    "published_at": timezone.now(),
                    "seo_title": f"{title} · CouponAli",
                },
            )

    # ------------------------------------------------------------ people and money

    def _users(self) -> tuple[User, User]:
        staff = User.all_objects.filter(email=settings.DEMO_STAFF_EMAIL).first()
        if staff is None:
            staff = User.objects.create_superuser(
                email=settings.DEMO_STAFF_EMAIL,
                password=settings.DEMO_PASSWORD,
                full_name="Asha Admin",
                mobile="9000000001",
                email_verified_at=timezone.now(),
            )
        shopper = User.all_objects.filter(email=settings.DEMO_SHOPPER_EMAIL).first()
        if shopper is None:
            shopper = User.objects.create_user(
                email=settings.DEMO_SHOPPER_EMAIL,
                password=settings.DEMO_PASSWORD,
                full_name="Priya Sharma",
                mobile="9876543210",
                email_verified_at=timezone.now(),
                mobile_verified_at=timezone.now(),
                is_verified=True,
            )
        return staff, shopper

    def _staff(self, superuser: User, merchants: dict[str, Merchant]) -> None:
        """The seeded roles and departments (again, for a flushed database), and one staff login per role, given
        through the same services as `manage.py grant_role` (audited, acting as SYSTEM)."""
        system_roles_sync(apps)
        via = {"via": "seed_demo"}
        accounts_services.role_grant(user_id=superuser.pk, role_slug=SUPER_ADMIN, actor=SYSTEM, context=via)
        accounts_services.department_join(user_id=superuser.pk, department_slug="finance", actor=SYSTEM, context=via)
        for setting, name, roles, departments, stores in data.STAFF:
            email = getattr(settings, setting)
            user = User.all_objects.filter(email=email).first()
            if user is None:
                user = User.objects.create_user(
                    email=email,
                    password=settings.DEMO_PASSWORD,
                    full_name=name,
                    is_staff=True,
                    email_verified_at=timezone.now(),
                )
            for role in roles:
                accounts_services.role_grant(user_id=user.pk, role_slug=role, actor=SYSTEM, context=via)
            for department in departments:
                accounts_services.department_join(
                    user_id=user.pk, department_slug=department, actor=SYSTEM, context=via
                )
            for slug in stores:
                store_grant(user_id=user.pk, merchant_id=merchants[slug].pk, actor=SYSTEM)

    def _click(self, merchant: Merchant, user: User, when) -> OfferClick:
        """A shopper's click on ``merchant``'s first offer at ``when``, from a phone."""
        return OfferClick.objects.create(
            offer=merchant.offers.earliest("id"),
            merchant=merchant,
            user=user,
            click_id=uuid.uuid4(),
            device_type="mobile",
            ip_address="49.36.120.15",
            user_agent="Mozilla/5.0 (Linux; Android 14) Chrome/130 Mobile",
            created_at=when,
        )

    def _conversion(self, staff: User, merchant: Merchant, user: User, amount: str, status: str, txn: str, when):
        """A click on ``merchant`` at ``when`` and the network's report of its sale, through the wallet service."""
        click = self._click(merchant, user, when)
        params = {"click_id": str(click.click_id), "transaction_id": txn, "sale_amount": amount, "status": status}
        conversion = conversion_parse(NETWORKS["manual"], params)
        return wallet.cashback_record(conversion=conversion, source="seed", actor=staff)

    def _crowd(self, staff: User, merchants: dict[str, Merchant], rng: random.Random) -> None:
        """data.CROWD_SIZE other shoppers (no password: they cannot sign in), each with one to three confirmed
        cashbacks from the last 90 days, through the wallet services like Priya's."""
        if User.all_objects.filter(email__endswith="@" + data.CROWD_DOMAIN).exists():
            return
        now = timezone.now()
        slugs = sorted(merchants)
        for n in range(data.CROWD_SIZE):
            first, last = rng.choice(data.CROWD_FIRST_NAMES), rng.choice(data.CROWD_LAST_NAMES)
            user = User.objects.create_user(
                email=f"{first}.{last}.{n + 1}@{data.CROWD_DOMAIN}".lower(),
                full_name=f"{first} {last}",
                email_verified_at=now,
            )
            for k in range(rng.randint(1, 3)):
                amount = f"{rng.choice([499, 799, 1299, 1999, 2499, 3499, 4999, 8999])}.00"
                when = now - timedelta(days=rng.randint(16, 90), minutes=rng.randint(0, 24 * 60))
                self._conversion(staff, merchants[rng.choice(slugs)], user, amount, "confirmed", f"CROWD-{n}-{k}", when)

    def _support(self, shopper: User, merchants: dict[str, Merchant]) -> None:
        """Priya's missing-cashback claim for an Ajio order that did not track, answered by the support agent, and
        a question of hers still open: the claims page and the support desk have something to show."""
        if SupportTicket.objects.filter(user=shopper).exists():
            return
        now = timezone.now()
        ajio = merchants["ajio"]
        click = self._click(ajio, shopper, now - timedelta(days=4))
        claim = support.missing_cashback_claim_create(
            user_id=shopper.pk,
            click_id=click.click_id,
            order_reference="FN4821937465",
            order_amount=Decimal("1799.00"),
            order_date=timezone.localdate() - timedelta(days=4),
            description="I bought a kurta set through CouponAli but the cashback never showed up.",
        )
        agent = User.objects.get(email=settings.DEMO_AGENT_EMAIL)
        support.ticket_reply_by_agent(
            actor=agent,
            ticket_id=claim.pk,
            body="Thanks, Priya. We have sent your order to Ajio for checking; they usually answer within 7 days.",
        )
        support.ticket_open(
            user_id=shopper.pk,
            subject="How do I change my UPI id for withdrawals?",
            category=SupportTicket.Category.WITHDRAWAL,
            body="I have a new UPI id. Where do I change it before my next withdrawal?",
        )

    def _wallet_history(self, staff: User, shopper: User, merchants, rng: random.Random) -> None:
        """The shopper's cashback, a welcome bonus and a paid withdrawal, all through the wallet services (so
        the ledger, snapshots and reconcile_wallets agree), plus a referred friend with a confirmed cashback."""
        if CashbackEvent.objects.filter(user=shopper, network="manual").exists():
            return
        now = timezone.now()

        def conversion(user, slug, amount, status, txn, days_ago):
            return self._conversion(staff, merchants[slug], user, amount, status, txn, now - timedelta(days=days_ago))

        history = [
            ("myntra", "2499.00", "confirmed", 40),
            ("amazon", "5999.00", "confirmed", 32),
            ("swiggy", "649.00", "confirmed", 20),
            ("nykaa", "1899.00", "pending", 6),
            ("makemytrip", "12450.00", "pending", 2),
        ]
        for slug, amount, status, days_ago in history:
            conversion(shopper, slug, amount, status, f"DEMO-{slug.upper()}-{days_ago}", days_ago)
        wallet.wallet_post(
            user_id=shopper.pk,
            amount=Decimal("50.00"),
            type=WalletTransaction.Type.ADMIN_CREDIT,
            reference_type="welcome_bonus",
            reference_id=shopper.pk,
            description="Welcome bonus",
        )
        # Withdrawals need verified KYC; the demo KYC holds no account number, PAN or UPI id (those are
        # encrypted by the accounts services); the UPI id travels with the withdrawal.
        UserKYC.objects.get_or_create(
            user=shopper,
            defaults={
                "account_holder_name": shopper.full_name,
                "ifsc_code": "HDFC0001234",
                "bank_name": "HDFC Bank",
                "city": "Bengaluru",
                "state": "Karnataka",
                "pincode": "560001",
                "status": UserKYC.Status.VERIFIED,
                "verified_at": now,
            },
        )
        withdrawal = wallet.withdrawal_request(
            user_id=shopper.pk, amount=Decimal("250.00"), method="upi", details={"vpa": "priya.sharma@okhdfcbank"}
        )
        wallet.withdrawal_approve(withdrawal_id=withdrawal.pk, actor=staff)  # paid once committed (handle)
        # A friend who signed up with Priya's code and whose first cashback is confirmed.
        friend = User.all_objects.filter(email="rahul@couponali.in").first()
        if friend is None:
            friend = User.objects.create_user(
                email="rahul@couponali.in",
                password=settings.DEMO_PASSWORD,
                full_name="Rahul Verma",
                referred_by_user=shopper,
                email_verified_at=now,
            )
        referral_record_signup(user_id=friend.pk)
        conversion(friend, "flipkart", "3299.00", "confirmed", "DEMO-FLIPKART-FRIEND", 12)
        referral_bonuses_settle(referred_user_id=friend.pk)
