"""Factories for the kernel tables (audit log, idempotency keys). The user comes from accounts' factory, named by
its dotted path (factory_boy imports it when used), so the kernel imports no app."""

from __future__ import annotations

import uuid

import factory
from factory.django import DjangoModelFactory

from .models import AuditLog, IdempotencyKey


class AuditLogFactory(DjangoModelFactory):
    class Meta:
        model = AuditLog

    actor_user = factory.SubFactory("accounts.factories.StaffUserFactory")
    action = AuditLog.Action.USER_PROFILE_UPDATE
    entity_type = "user"
    entity_id = 1
    metadata = factory.LazyFunction(dict)


class IdempotencyKeyFactory(DjangoModelFactory):
    class Meta:
        model = IdempotencyKey

    user = factory.SubFactory("accounts.factories.UserFactory")
    key = factory.LazyFunction(lambda: str(uuid.uuid4()))
    request_hash = "0" * 64
    response_status = 201
    response_body = "{}"
    response_content_type = "application/json"
