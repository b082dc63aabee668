"""`manage.py revoke_role EMAIL ROLE [--department SLUG ...]`: take a role (and departments) away."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.db import transaction

from accounts import services
from accounts.authz import SYSTEM

from ._roles import operator_context, run, user_by_email


class Command(BaseCommand):
    help = (
        "Take a role (its slug, see `manage.py list_roles`) away from the account with this e-mail address and, "
        "with --department, take it out of departments. Audited (actor: system, with the command and the OS "
        "user). Safe to repeat. The account's next request already runs without the role."
    )

    def add_arguments(self, parser):
        parser.add_argument("email", help="The staff member's e-mail address.")
        parser.add_argument("role", help="The role's slug, e.g. finance.")
        parser.add_argument(
            "--department", action="append", default=[], metavar="SLUG", help="Also leave this department (repeatable)."
        )

    def handle(self, *args, **options):
        with transaction.atomic():  # all or nothing: a bad department undoes the role change too
            self._apply(options)

    def _apply(self, options):
        user = user_by_email(options["email"])
        context = operator_context("revoke_role")
        revoked = run(
            lambda: services.role_revoke(user_id=user.pk, role_slug=options["role"], actor=SYSTEM, context=context)
        )
        self.stdout.write(f"{user} {'no longer has' if revoked else 'did not have'} the role {options['role']}.")
        for slug in options["department"]:
            left = run(
                lambda slug=slug: services.department_leave(
                    user_id=user.pk, department_slug=slug, actor=SYSTEM, context=context
                )
            )
            self.stdout.write(f"{user} {'left' if left else 'was not in'} the department {slug}.")
