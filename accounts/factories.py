from __future__ import annotations

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from .models import (
    AccessPermission,
    AuditLog,
    Department,
    Notification,
    Role,
    RolePermission,
    User,
    UserDepartment,
    UserKYC,
    UserRole,
    UserSession,
)


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


class UserSessionFactory(DjangoModelFactory):
    class Meta:
        model = UserSession

    user = factory.SubFactory(UserFactory)
    token = factory.Sequence(lambda n: f"{n:064x}")
    device_info = factory.LazyFunction(lambda: {"browser": "Chrome", "os": "Android", "device": "mobile"})
    ip_address = "203.0.113.10"
    expires_at = factory.LazyFunction(lambda: timezone.now() + timezone.timedelta(days=14))


class UserKYCFactory(DjangoModelFactory):
    class Meta:
        model = UserKYC

    user = factory.SubFactory(UserFactory)
    account_holder_name = factory.SelfAttribute("user.full_name")
    ifsc_code = "HDFC0001234"
    bank_name = "HDFC Bank"
    city = "Bengaluru"
    state = "Karnataka"
    pincode = "560001"


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


class AuditLogFactory(DjangoModelFactory):
    class Meta:
        model = AuditLog

    actor_user = factory.SubFactory(StaffUserFactory)
    action = "user.update"
    entity_type = "user"
    entity_id = 1
    metadata = factory.LazyFunction(dict)
