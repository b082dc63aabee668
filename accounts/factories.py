from __future__ import annotations

import secrets
from datetime import timedelta

import factory
from django.apps import apps
from django.contrib.auth.models import Permission
from django.utils import timezone
from factory.django import DjangoModelFactory

from . import crypto, tokens
from .models import (
    AccessPermission,
    Department,
    Notification,
    Role,
    RolePermission,
    User,
    UserDepartment,
    UserKYC,
    UserRole,
    UserSession,
    VerificationCode,
)
from .roles import system_roles_sync


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"shopper{n}@example.in")
    mobile = factory.Sequence(lambda n: f"9{n:09d}")
    full_name = factory.Faker("name", locale="en_IN")
    referral_code = factory.Sequence(lambda n: f"REF{n:06d}")
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery")

    @classmethod
    def _after_postgeneration(cls, instance, create, results=None):
        if create and results:
            instance.save(update_fields=["password"])


class StaffUserFactory(UserFactory):
    is_staff = True
    is_superuser = True
    role = User.Role.ADMIN


def grant_permissions(user: User, *perms: str) -> User:
    """Give the user these permissions (``app.codename``) the way staff get them: through a role of their own
    (the roles backend is the only source of staff permissions). Returns the user fetched again: permissions
    are cached on the user object, and a request loads its own instance anyway."""
    role, _ = Role.objects.get_or_create(slug=f"test-user-{user.pk}", defaults={"name": f"Test role of user {user.pk}"})
    for perm in perms:
        app_label, codename = perm.split(".")
        Permission.objects.get(content_type__app_label=app_label, codename=codename)  # a typo fails here
        permission, _ = AccessPermission.objects.get_or_create(code=perm)
        RolePermission.objects.get_or_create(role=role, permission=permission)
    UserRole.objects.get_or_create(user=user, role=role)
    return User.all_objects.get(pk=user.pk)


def revoke_permissions(user: User) -> User:
    """Take every role away from the user (the opposite of grant_permissions, and of grant_role)."""
    UserRole.objects.filter(user=user).delete()
    Role.objects.filter(slug=f"test-user-{user.pk}").delete()
    return User.all_objects.get(pk=user.pk)


def system_roles() -> None:
    """The seeded system roles and departments (accounts migration 0006), again: a transactional test's flush
    empties the tables that the migration filled."""
    system_roles_sync(apps)


def grant_role(user: User, *slugs: str, departments: tuple[str, ...] = ()) -> User:
    """Give the user seeded system roles (``finance``, ``support``...) and departments; returns it fetched again."""
    system_roles()
    for slug in slugs:
        UserRole.objects.get_or_create(user=user, role=Role.objects.get(slug=slug))
    for slug in departments:
        UserDepartment.objects.get_or_create(user=user, department=Department.objects.get(slug=slug))
    return User.all_objects.get(pk=user.pk)


class _KeepsPlaintext(DjangoModelFactory):
    """Attributes named in ``_plaintext`` are not model fields: they are kept on the instance after creation
    (a session's secret, an OTP, the plain PAN) so that tests can use them as a person would."""

    _plaintext: tuple[str, ...] = ()

    class Meta:
        abstract = True

    @classmethod
    def _split(cls, kwargs):
        return {k: kwargs.pop(k) for k in cls._plaintext if k in kwargs}

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        kept = cls._split(kwargs)
        obj = super()._create(model_class, *args, **kwargs)
        obj.__dict__.update(kept)
        return obj

    @classmethod
    def _build(cls, model_class, *args, **kwargs):
        kept = cls._split(kwargs)
        obj = super()._build(model_class, *args, **kwargs)
        obj.__dict__.update(kept)
        return obj


class UserSessionFactory(_KeepsPlaintext):
    """A session row; the secret whose hash is stored is on ``obj.secret`` (as a sign-in would hand it out)."""

    _plaintext = ("secret",)

    class Meta:
        model = UserSession

    user = factory.SubFactory(UserFactory)
    secret = factory.LazyFunction(tokens.new_secret)
    token = factory.LazyAttribute(lambda o: tokens.token_hash(o.secret))
    device_info = factory.LazyFunction(lambda: {"browser": "Chrome", "os": "Android", "device": "mobile"})
    ip_address = "203.0.113.10"
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=14))


class UserKYCFactory(_KeepsPlaintext):
    """KYC with encrypted PAN, account number and UPI id (pass ``pan=``, ``account=``, ``upi=`` in plain text)."""

    _plaintext = ("pan", "account", "upi")

    class Meta:
        model = UserKYC

    user = factory.SubFactory(UserFactory)
    pan = factory.Sequence(lambda n: f"ABCPK{n % 10000:04d}L")
    account = factory.Sequence(lambda n: f"5010{n:08d}")
    upi = factory.Sequence(lambda n: f"shopper{n}@okhdfcbank")
    pan_number = factory.LazyAttribute(lambda o: crypto.encrypt(o.pan))
    pan_hash = factory.LazyAttribute(lambda o: crypto.blind_index(o.pan))
    account_number = factory.LazyAttribute(lambda o: crypto.encrypt(o.account))
    upi_id = factory.LazyAttribute(lambda o: crypto.encrypt(o.upi))
    account_holder_name = factory.SelfAttribute("user.full_name")
    address_line1 = "12, MG Road"
    ifsc_code = "HDFC0001234"
    bank_name = "HDFC Bank"
    city = "Bengaluru"
    state = "Karnataka"
    pincode = "560001"


class VerificationCodeFactory(_KeepsPlaintext):
    """A live 6-digit SMS code; the code itself is on ``obj.code``."""

    _plaintext = ("code",)

    class Meta:
        model = VerificationCode

    user = factory.SubFactory(UserFactory)
    purpose = VerificationCode.Purpose.VERIFY
    channel = VerificationCode.Channel.SMS
    target = factory.SelfAttribute("user.mobile")
    code = factory.LazyFunction(tokens.new_otp)
    salt = factory.LazyFunction(lambda: secrets.token_hex(8))
    secret_hash = factory.LazyAttribute(lambda o: tokens.code_hash(f"{o.salt}:{o.code}"))
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(minutes=10))


class RoleFactory(DjangoModelFactory):
    class Meta:
        model = Role
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Role {n}")
    slug = factory.Sequence(lambda n: f"role-{n}")


class AccessPermissionFactory(DjangoModelFactory):
    class Meta:
        model = AccessPermission
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"app.permission_{n}")
    description = "A permission"


class RolePermissionFactory(DjangoModelFactory):
    class Meta:
        model = RolePermission

    role = factory.SubFactory(RoleFactory)
    permission = factory.SubFactory(AccessPermissionFactory)


class DepartmentFactory(DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Department {n}")
    slug = factory.Sequence(lambda n: f"department-{n}")


class UserRoleFactory(DjangoModelFactory):
    class Meta:
        model = UserRole

    user = factory.SubFactory(UserFactory)
    role = factory.SubFactory(RoleFactory)


class UserDepartmentFactory(DjangoModelFactory):
    class Meta:
        model = UserDepartment

    user = factory.SubFactory(UserFactory)
    department = factory.SubFactory(DepartmentFactory)


class NotificationFactory(DjangoModelFactory):
    class Meta:
        model = Notification

    user = factory.SubFactory(UserFactory)
    title = "Cashback confirmed"
    body = "₹45.00 from Myntra is now in your wallet."
