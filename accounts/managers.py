from __future__ import annotations

import re

from django.contrib.auth.base_user import BaseUserManager

from couponali.codes import random_code
from couponali.models import SoftDeleteQuerySet


# django-stubs cannot type a from_queryset() call in a class statement; the class works the same at run time.
class UserManager(BaseUserManager.from_queryset(SoftDeleteQuerySet)):  # type: ignore[misc]
    """Default user manager: soft-deleted accounts are invisible (they cannot sign in either)."""

    use_in_migrations = True

    def get_queryset(self):
        return super().get_queryset().filter(deleted_at__isnull=True)

    def referral_code_generate(self, *, name: str | None = None) -> str:
        """A unique, readable referral code such as ``PRIYA7K3Q``: up to 5 letters of the name plus 4 random
        (deleted accounts keep theirs, so they are counted too)."""
        stem = re.sub(r"[^A-Z]", "", (name or "").split("@")[0].upper())[:5] or "CA"
        taken = self.model.all_objects.filter
        for _ in range(20):
            code = stem + random_code(4)
            if not taken(referral_code=code).exists():
                return code
        # 31^4 codes per stem; after 20 collisions fall back to a longer random tail.
        return stem + random_code(10)

    def _create_user(self, email: str | None, mobile: str | None, password: str | None, **extra):
        if not email and not mobile:
            raise ValueError("A user needs an email address or a mobile number.")
        email = self.normalize_email(email) if email else None
        if email:
            email = email.lower()
        extra.setdefault("referral_code", self.referral_code_generate(name=extra.get("full_name") or email or mobile))
        user = self.model(email=email, mobile=mobile or None, **extra)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_user(self, email: str | None = None, password: str | None = None, *, mobile: str | None = None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, mobile, password, **extra)

    def create_superuser(self, email: str | None = None, password: str | None = None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        extra.setdefault("role", "admin")
        if not extra["is_staff"] or not extra["is_superuser"]:
            raise ValueError("A superuser needs is_staff and is_superuser.")
        return self._create_user(email, extra.pop("mobile", None), password, **extra)

    def get_by_natural_key(self, username):
        return self.get(**{f"{self.model.USERNAME_FIELD}__iexact": username})
