"""Model building blocks shared by every app: seed-style timestamps, uuids, money and soft deletion.

Every default that the seed puts in the database is also a database default (``db_default``), so SQL
clients see the same schema as the ORM; the Python ``default`` beside it lets a new instance carry the value
before it is saved (Django uses the Python default when both are set).
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.contrib.postgres.functions import RandomUUID
from django.db import models
from django.db.models.functions import Now
from django.utils import timezone

ZERO = Decimal("0.00")


def UuidField(**kwargs) -> models.UUIDField:  # noqa: N802 - reads like a field class
    return models.UUIDField(unique=True, default=uuid.uuid4, db_default=RandomUUID(), editable=False, **kwargs)


def MoneyField(*, max_digits: int = 10, default: Decimal | None = None, **kwargs) -> models.DecimalField:  # noqa: N802
    """DECIMAL(max_digits, 2). With a default, it is NOT NULL and the default is also in the database."""
    if default is not None:
        return models.DecimalField(
            max_digits=max_digits, decimal_places=2, default=default, db_default=default, **kwargs
        )
    kwargs.setdefault("null", True)
    kwargs.setdefault("blank", True)
    return models.DecimalField(max_digits=max_digits, decimal_places=2, **kwargs)


def flag(default: bool) -> models.BooleanField:
    return models.BooleanField(default=default, db_default=default)


def counter() -> models.IntegerField:
    return models.IntegerField(default=0, db_default=0)


def CreatedAtField() -> models.DateTimeField:  # noqa: N802
    return models.DateTimeField(default=timezone.now, db_default=Now(), editable=False)


def UpdatedAtField() -> models.DateTimeField:  # noqa: N802
    # auto_now keeps ORM saves current; the couponali_set_updated_at trigger (UpdatedAtTrigger in each
    # app's migrations) covers queryset.update() and raw SQL too.
    return models.DateTimeField(auto_now=True, db_default=Now())


class CreatedModel(models.Model):
    created_at = CreatedAtField()

    class Meta:
        abstract = True


class TimeStampedModel(models.Model):
    created_at = CreatedAtField()
    updated_at = UpdatedAtField()

    class Meta:
        abstract = True


class SoftDeleteQuerySet(models.QuerySet):
    def delete(self):
        """Soft-delete: set deleted_at on every row instead of removing it."""
        return self.filter(deleted_at__isnull=True).update(deleted_at=timezone.now())

    def hard_delete(self):
        return super().delete()

    def restore(self) -> int:
        return self.filter(deleted_at__isnull=False).update(deleted_at=None)

    def deleted(self):
        return self.filter(deleted_at__isnull=False)


# A named base (not a call in the class statement) is what the type checker's Django plugin understands.
SoftDeleteManagerBase = models.Manager.from_queryset(SoftDeleteQuerySet)


class LiveManager(SoftDeleteManagerBase):
    """The default manager of soft-deletable models: deleted rows are invisible."""

    def get_queryset(self):
        return super().get_queryset().filter(deleted_at__isnull=True)


class AllObjectsManager(SoftDeleteManagerBase):
    """Every row, deleted or not: for the admin's 'deleted' view, restores and reports."""


class SoftDeleteModel(models.Model):
    deleted_at = models.DateTimeField(null=True, blank=True)

    objects = LiveManager()
    all_objects = AllObjectsManager()

    class Meta:
        abstract = True
        base_manager_name = "all_objects"

    def delete(self, using=None, keep_parents=False):
        """Soft-delete this row (hard_delete() removes it for real)."""
        self.deleted_at = timezone.now()
        type(self).all_objects.filter(pk=self.pk).update(deleted_at=self.deleted_at)
        return 1, {self._meta.label: 1}

    def hard_delete(self, using=None, keep_parents=False):
        return super().delete(using=using, keep_parents=keep_parents)

    def restore(self) -> None:
        self.deleted_at = None
        type(self).all_objects.filter(pk=self.pk).update(deleted_at=None)

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None
