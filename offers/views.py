"""The shopper site: home, stores, categories, offers, search, and the tracked click-out.

Views are thin: they parse the request, call a selector (reads) or a service (writes), and render.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from catalog.gift_card_selectors import gift_cards_for_home, gift_cards_matching
from catalog.models import Merchant
from catalog.selectors import merchant_listed_by_slug
from couponali.links import absolute_url
from couponali.ratelimit import RateLimited, client_ip_address, too_many_requests
from couponali.rls import no_protected_tables

from . import clickout, pagecache, selectors, services, suggestions
from .clickout_request import click_write, clickout_limit_hit
from .models import Offer
from .pagecache import cached_public_page

MAX_PAGE = selectors.MAX_PAGE
HERO_SLIDES = 4  # featured offers rotating in the home page's hero


def _page(request: HttpRequest) -> int:
    try:
        page = int(request.GET.get("page", "1"))
    except ValueError:
        return 1
    return min(max(page, 1), MAX_PAGE)


def _offer_type(request: HttpRequest) -> str:
    value = request.GET.get("type", "")
    return value if value in Offer.Type.values else ""


def _user_id(request: HttpRequest) -> int | None:
    user = request.user
    return user.pk if user.is_authenticated else None


def _impressions(request: HttpRequest, cards) -> None:
    ids = [c.id for c in cards]
    # For the page cache: it counts these impressions again on a hit, and keeps the page no longer than its
    # first offer stays live.
    request.shown_offer_ids = ids  # type: ignore[attr-defined]
    request.shown_until = min((c.expires_at for c in cards if c.expires_at), default=None)  # type: ignore[attr-defined]
    if pagecache.is_fill(request):
        return  # a copy rendered for nobody: the request it was made for counts these (pagecache.record_impressions)
    services.impressions_record(
        ids,
        user_id=_user_id(request),
        ip_address=client_ip_address(request),
        user_agent=request.META.get("HTTP_USER_AGENT", ""),
    )


def _canonical(request: HttpRequest, page: int = 1) -> str:
    return absolute_url(request.path + (f"?page={page}" if page > 1 else ""))


def _page_links(request: HttpRequest, page: int, has_next: bool) -> dict:
    """Previous/next links that keep the other query parameters."""

    def url(n: int) -> str:
        params = request.GET.copy()
        params["page"] = str(n)
        if n == 1:
            params.pop("page")
        query = params.urlencode()
        return f"{request.path}?{query}" if query else request.path

    return {
        "prev_url": url(page - 1) if page > 1 else "",
        "next_url": url(page + 1) if has_next else "",
        "page": page,
    }


# ---------------------------------------------------------------- pages


@no_protected_tables
@cached_public_page
@require_GET
def home(request):
    data = selectors.home_data()
    featured = selectors.with_usage(cards=data.featured)
    exclusive = selectors.with_usage(cards=data.exclusive)
    ending_soon = selectors.with_usage(cards=data.ending_soon)
    _impressions(request, [*featured, *exclusive, *ending_soon])
    return render(
        request,
        "offers/home.html",
        {
            "featured": featured,
            "hero_slides": featured[:HERO_SLIDES],
            "exclusive": exclusive,
            "ending_soon": ending_soon,
            "stores": data.top_stores,
            "categories": data.categories,
            "gift_cards": gift_cards_for_home(),
            "canonical_url": absolute_url("/"),
        },
    )


@no_protected_tables
@cached_public_page
@require_GET
def stores(request):
    index = selectors.stores_a_to_z()
    return render(request, "catalog/stores.html", {"index": index, "canonical_url": _canonical(request)})


@no_protected_tables
@cached_public_page
@require_GET
def store(request, slug: str):
    merchant = merchant_listed_by_slug(slug)
    if merchant is None:
        raise Http404("no such store")
    page, offer_type = _page(request), _offer_type(request)
    data = selectors.store_page(merchant=merchant, page=page, offer_type=offer_type)
    offers = selectors.with_usage(cards=data.offers)
    _impressions(request, offers)
    return render(
        request,
        "catalog/store.html",
        {
            "store": data,
            "merchant": merchant,
            "offers": offers,
            "canonical_url": _canonical(request, page),
            "type_choices": Offer.Type.choices,
            **_page_links(request, page, data.has_next),
        },
    )


@no_protected_tables
@cached_public_page
@require_GET
def categories(request):
    return render(
        request,
        "catalog/categories.html",
        {"categories": selectors.categories_index(), "canonical_url": _canonical(request)},
    )


@no_protected_tables
@cached_public_page
@require_GET
def category(request, slug: str):
    node = selectors.category_listed_by_slug(slug=slug)
    if node is None:
        raise Http404("no such category")
    page, offer_type = _page(request), _offer_type(request)
    data = selectors.category_page(node=node, page=page, offer_type=offer_type)
    offers = selectors.with_usage(cards=data.offers)
    _impressions(request, offers)
    return render(
        request,
        "catalog/category.html",
        {
            "data": data,
            "category": node,
            "offers": offers,
            "canonical_url": _canonical(request, page),
            "type_choices": Offer.Type.choices,
            **_page_links(request, page, data.has_next),
        },
    )


@no_protected_tables
@cached_public_page
@require_GET
def offer_detail(request, offer_uuid: uuid.UUID):
    offer = selectors.offer_for_page(offer_uuid=offer_uuid)
    if offer is None:
        raise Http404("no such offer")
    if not offer.is_live_at(timezone.now()):
        return _gone(
            request,
            title=offer.title,
            merchant=offer.merchant,
            category_id=offer.category_id,
            exclude_id=offer.pk,
            reason="removed" if offer.deleted_at else "expired",
        )
    card = selectors.with_usage(cards=selectors.offer_cards(offers=[offer]))[0]
    alternatives = selectors.offer_alternatives(merchant_id=offer.merchant_id, category_id=None, exclude_id=offer.pk)
    _impressions(request, [card])
    return render(
        request,
        "offers/offer_detail.html",
        {
            "offer": offer,
            "card": card,
            "reveal": request.GET.get("reveal") == "1",
            "more": alternatives,
            "canonical_url": absolute_url(reverse("offer", args=[offer.uuid])),
        },
    )


def _gone(request, *, title: str, merchant: Merchant | None, category_id, exclude_id, reason: str, status=410):
    """The friendly page for an expired or deleted offer (or an unavailable store): live alternatives, never a
    redirect."""
    listed = merchant if merchant is not None and merchant.is_active and merchant.deleted_at is None else None
    alternatives = selectors.offer_alternatives(
        merchant_id=listed.pk if listed is not None else None, category_id=category_id, exclude_id=exclude_id
    )
    return render(
        request,
        "offers/offer_gone.html",
        {
            "title": title,
            "merchant": listed,
            "reason": reason,
            "alternatives": alternatives,
        },
        status=status,
    )


@no_protected_tables
@cached_public_page
@require_GET
def search(request):
    page, offer_type = _page(request), _offer_type(request)
    results = selectors.search(
        raw_query=request.GET.get("q", ""),
        category_slug=request.GET.get("category", "")[:100],
        store_slug=request.GET.get("store", "")[:255],
        offer_type=offer_type,
        page=page,
    )
    offers = selectors.with_usage(cards=results.offers)
    _impressions(request, offers)
    return render(
        request,
        "offers/search.html",
        {
            "results": results,
            "offers": offers,
            "gift_cards": gift_cards_matching(results.query) if page == 1 else [],
            "category_options": selectors.categories_for_filter(),
            "type_choices": Offer.Type.choices,
            **_page_links(request, page, results.has_next),
        },
    )


@no_protected_tables
@cached_public_page
@require_GET
def search_suggest(request):
    """GET /search/suggest/?q=: typeahead suggestions (stores, categories, offers) as JSON for static/js/suggest.js.
    No database query on the usual path (offers.suggestions); the answer may be cached by the browser briefly."""
    found = suggestions.suggest(raw_query=request.GET.get("q", ""))
    response = JsonResponse({"query": request.GET.get("q", "")[:100], "suggestions": [s.as_json() for s in found]})
    response["Cache-Control"] = "public, max-age=60"
    response["X-Robots-Tag"] = "noindex"
    return response


@no_protected_tables
@require_GET
def robots_txt(request):
    lines = [
        "User-agent: *",
        "Disallow: /go/",
        "Disallow: /search/",
        "Disallow: /admin/",
        "Disallow: /api/",
        "Disallow: /accounts/",
        "Disallow: /healthz",
        "",
        f"Sitemap: {absolute_url(reverse('sitemap'))}",
        "",
    ]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")


# ---------------------------------------------------------------- click-out
#
# Two paths answer a click-out. The lean path (click_out_lean, called by offers.middleware before sessions and
# authentication) answers an anonymous click on a live offer with a usable link; it hands every other request to
# the full path (go_offer, go_store) untouched, before anything is counted. Both then run _click_out, whose first
# step is the click-out's one rate-limit decision (clickout_rate_limit): every click-out is counted once.


def clickout_rate_limit(request: HttpRequest) -> HttpResponse | None:
    """The click-out's rate-limit decision (clickout_request.clickout_limit_hit, shared with the API): the 429
    answer past the limit, else None."""
    try:
        clickout_limit_hit(request)
    except RateLimited as exc:
        return too_many_requests(request, exc)
    return None


def click_redirect(url: str) -> HttpResponse:
    """The click-out's 302 (bench/views.py answers its bare baseline with it too, so that both send the same
    headers)."""
    response = HttpResponseRedirect(url)
    # The lean path answers before CommonMiddleware, which would add the length; without it the server would
    # send the empty body chunked (a second write per click).
    response["Content-Length"] = str(len(response.content))
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def click_out_lean(request, offer_uuid: uuid.UUID) -> HttpResponse | None:
    """The anonymous offer click-out's happy path, answered by offers.middleware.ClickoutLeanPathMiddleware before
    sessions, authentication, messages and URL resolving: cached redirect data, rate limit, one INSERT
    (committed: autocommit), 302. An unknown, expired or removed offer, or one without a usable link, returns
    None before the request is counted, and the full path (go_offer, with its pages) answers and counts it."""
    target = clickout.target_for_offer(offer_uuid)
    if target is None or target.url_pattern is None or not target.is_live(timezone.now()):
        return None
    return _click_out(request, lambda: target, user_id=None)


def _record_and_redirect(
    request, target: clickout.ClickTarget, *, user_id: int | None, landing: str | None = None
) -> HttpResponse | None:
    """Write the click row (committed before this returns, in autocommit) and answer the 302 to the tracking
    URL, or to ``landing`` (the "Cashback activated" page) with the click id in the fragment; None when there is
    nothing to send the shopper to (clickout_request.click_write)."""
    written = click_write(request, target, user_id=user_id)
    if written is None:
        return None
    return click_redirect(f"{landing}#{written.click_id}" if landing else written.url)


def _click_out_gone(request, target: clickout.ClickTarget, *, reason: str, status: int = 410) -> HttpResponse:
    return _gone(
        request,
        title=target.title,
        merchant=Merchant.all_objects.filter(pk=target.merchant_id).first(),
        category_id=target.category_id,
        exclude_id=target.offer_id,
        reason=reason,
        status=status,
    )


def _click_out(
    request, load_target: Callable[[], clickout.ClickTarget], *, user_id: int | None, landing: str | None = None
) -> HttpResponse:
    """Both paths of the click-out: the rate-limit decision first (nothing is read for a client over its limit),
    then the target (``load_target`` raises Http404 for an unknown one), then the 302 or the page saying why
    not."""
    limited = clickout_rate_limit(request)
    if limited is not None:
        return limited
    target = load_target()
    if not target.is_live(timezone.now()):
        reason = "removed" if target.deleted else ("store" if not target.merchant_active else "expired")
        return _click_out_gone(request, target, reason=reason)
    response = _record_and_redirect(request, target, user_id=user_id, landing=landing)
    if response is not None:
        return response
    if target.url_pattern is not None:  # the row was removed for good since this process cached it
        raise Http404("no such offer")
    return _click_out_gone(request, target, reason="link", status=503)


@require_GET
def go_offer(request, offer_uuid: uuid.UUID):
    """GET /go/<offer uuid>/: record the click, then 302 to the offer's stored tracking URL."""

    def load_target() -> clickout.ClickTarget:
        target = clickout.target_for_offer(offer_uuid)
        if target is None:
            raise Http404("no such offer")
        return target

    return _click_out(
        request, load_target, user_id=_user_id(request), landing=_landing(request, "activated", offer_uuid)
    )


@require_GET
def go_store(request, slug: str):
    """GET /go/store/<slug>/: the same for a store-level click-out, recorded against the store's hidden
    store-visit offer (created on first use)."""

    landing = _landing(request, "store-activated", slug)
    return _click_out(request, lambda: _store_target(slug), user_id=_user_id(request), landing=landing)


def _store_target(slug: str) -> clickout.ClickTarget:
    """The redirect data of a store's store-visit offer, created on first use; Http404 for no such store."""
    target = clickout.target_for_store(slug)
    if target is clickout.MISSING_VISIT_OFFER:
        merchant = Merchant.objects.filter(slug=slug).first()
        if merchant is None:
            raise Http404("no such store")
        services.offer_store_visit_ensure(merchant_id=merchant.pk)
        clickout.forget_store(slug)
        target = clickout.target_for_store(slug)
    if not isinstance(target, clickout.ClickTarget):
        raise Http404("no such store")
    return target


# ---------------------------------------------------------------- "Cashback activated"
#
# The interstitial between a "Get code" / "Activate deal" / "Visit store" and the store. A signed-out shopper sees
# a prompt: sign in to earn cashback, or continue without it (the plain click-out, /go/). A signed-in shopper is
# sent through the tracked click-out with ?land=1 (one click row, exactly as without the page), which answers
# with this page and the click id in the URL fragment instead of the store's URL; the page's own script
# (static/js/activated.js) shows the click id as the tracking id, fills it into the store's link (rendered here,
# so nothing from the URL chooses where the shopper goes) and continues to the store. The page is rendered from
# the click-out's in-process cache: no query of its own, and /go/ stays one INSERT and a 302.


CLICK_SLOT = "ca0activated0click0ca"  # letters and digits: fill_url_pattern leaves it as it is


def _landing(request, name: str, key) -> str | None:
    """Where a signed-in click-out with ?land=1 lands: the activated page (the store otherwise)."""
    if request.GET.get("land") != "1" or _user_id(request) is None:
        return None
    return reverse(name, args=[key]) + "?done=1"


def _activated(request, target: clickout.ClickTarget, *, go_url: str) -> HttpResponse:
    if not target.is_live(timezone.now()) or target.url_pattern is None:
        return HttpResponseRedirect(go_url)  # the click-out answers with its page saying why not
    user_id = _user_id(request)
    done = request.GET.get("done") == "1"
    if user_id is not None and not done:
        return HttpResponseRedirect(f"{go_url}?land=1")
    response = render(
        request,
        "offers/activated.html",
        {
            "target": target,
            "signed_in": user_id is not None,
            "done": done and user_id is not None,
            "go_url": go_url,
            # The store's link with this shopper's id filled in; the script puts the click id in.
            "pattern": clickout.fill_url_pattern(target.url_pattern, click_id=CLICK_SLOT, user_id=user_id)
            if done
            else "",
            "click_slot": CLICK_SLOT,
        },
    )
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@require_GET
def activated(request, offer_uuid: uuid.UUID):
    """GET /go/<offer uuid>/activated/: the "Cashback activated" page of an offer (or the sign-in prompt)."""
    target = clickout.target_for_offer(offer_uuid)
    if target is None:
        raise Http404("no such offer")
    return _activated(request, target, go_url=reverse("go-offer", args=[offer_uuid]))


@require_GET
def store_activated(request, slug: str):
    """GET /go/store/<slug>/activated/: the same for a store-level click-out."""
    return _activated(request, _store_target(slug), go_url=reverse("go-store", args=[slug]))
