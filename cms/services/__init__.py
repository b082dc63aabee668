"""Writes of the cms app, one module per topic; import them from here."""

from .pages import cms_page_publish, cms_page_unpublish
from .support import ClaimRefused, missing_cashback_claim_create

__all__ = ["ClaimRefused", "cms_page_publish", "cms_page_unpublish", "missing_cashback_claim_create"]
