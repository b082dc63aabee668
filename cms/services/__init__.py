"""Writes of the cms app, one module per topic; import them from here."""

from .pages import cms_page_publish, cms_page_unpublish
from .redirects import (
    ImportRefused,
    RedirectRefused,
    seo_redirect_check,
    seo_redirect_delete,
    seo_redirect_for_rename,
    seo_redirect_save,
    seo_redirects_import,
)
from .support import ClaimRefused, missing_cashback_claim_create

__all__ = [
    "ClaimRefused",
    "ImportRefused",
    "RedirectRefused",
    "cms_page_publish",
    "cms_page_unpublish",
    "missing_cashback_claim_create",
    "seo_redirect_check",
    "seo_redirect_delete",
    "seo_redirect_for_rename",
    "seo_redirect_save",
    "seo_redirects_import",
]
