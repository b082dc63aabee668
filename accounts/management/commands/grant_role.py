"""`manage.py grant_role EMAIL ROLE [--department SLUG ...]`: give a staff member a role (and departments)."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.db import transaction

from accounts import services
from accounts.authz import SYSTEM

from ._roles import operator_context, run, user_by_email


class Command(BaseCommand):
    help = (
        "Give the staff account with this e-mail address a role (its slug: super-admin, finance, support, "
        "content-editor, merchant-manager, analyst, or one made in the admin) and, with --department, put it in "
        "departments (finance, support, content, partnerships). The account must be staff. Audited (actor: "
        "system, with the command and the OS user). Safe to repeat. `manage.py list_roles` lists the roles."
    )

    def add_arguments(self, parser):
        parser.add_argument("email", help="The staff member's e-mail address.")
        parser.add_argument("role", help="The role's slug, e.g. finance.")
        parser.add_argument(
            "--department", action="append", default=[], metavar="SLUG", help="Also join this department (repeatable)."
        )

    def handle(self, *args, **options):
        with transaction.atomic():  # all or nothing: a bad department undoes the role change too
            self._apply(options)

    def _apply(self, options):
        user = user_by_email(options["email"])
        context = operator_context("grant_role")
        created = run(
            lambda: services.role_grant(user_id=user.pk, role_slug=options["role"], actor=SYSTEM, context=context)
        )
        self.stdout.write(f"{user} {'now has' if created else 'already had'} the role {options['role']}.")
        for slug in options["department"]:
            joined = run(
                lambda slug=slug: services.department_join(
                    user_id=user.pk, department_slug=slug, actor=SYSTEM, context=context
                )
            )
            self.stdout.write(f"{user} {'joined' if joined else 'was already in'} the department {slug}.")
