"""Public CMS pages (/pages/<slug>/) and the blog list (/blog/)."""

from __future__ import annotations

from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.http import Http404
from django.shortcuts import render

from . import selectors
from .help import HELP_LINKS


def page(request, slug):
    found = selectors.page_published(slug=slug)
    if found is None:
        raise Http404("No such page")
    return render(request, "cms/page.html", {"page": found, "body": selectors.page_html(found), "preview": False})


def blog(request):
    paginator = Paginator(selectors.blog_posts(), selectors.BLOG_PAGE_SIZE)
    try:
        current = paginator.page(request.GET.get("page") or 1)
    except (PageNotAnInteger, EmptyPage):
        raise Http404("No such page of the blog") from None
    return render(
        request,
        "cms/blog.html",
        {
            "posts": current.object_list,
            "page": current.number,
            "prev_url": f"?page={current.previous_page_number()}" if current.has_previous() else None,
            "next_url": f"?page={current.next_page_number()}" if current.has_next() else None,
        },
    )


def help_hub(request):
    """The help centre: the help pages (cms.help), each with its excerpt once staff have published it, and the
    ways to reach support."""
    published = {p.slug: p for p in selectors.pages_published().filter(slug__in=[link.slug for link in HELP_LINKS])}
    topics = [(link, published.get(link.slug)) for link in HELP_LINKS]
    return render(request, "cms/help.html", {"topics": topics})
