"""`manage.py list_roles [--email EMAIL] [--permissions]`: the roles, their holders and departments."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from accounts import authz, selectors

from ._roles import user_by_email


class Command(BaseCommand):
    help = (
        "List the staff roles (slug, name, system or not, number of permissions) with the e-mail addresses of "
        "their holders, then the departments and their members. --permissions adds each role's permission codes; "
        "--email shows one account's roles, departments and resulting permissions instead."
    )

    def add_arguments(self, parser):
        parser.add_argument("--permissions", action="store_true", help="Print each role's permission codes.")
        parser.add_argument("--email", help="Show this account's roles, departments and permissions.")

    def handle(self, *args, **options):
        if options["email"]:
            user = user_by_email(options["email"])
            self.stdout.write(f"{user}: staff={user.is_staff} superuser={user.is_superuser}")
            self.stdout.write("  roles: " + (", ".join(selectors.role_slugs_of(user_id=user.pk)) or "none"))
            self.stdout.write("  departments: " + (", ".join(sorted(authz.departments_of(user))) or "none"))
            for code in sorted(user.get_all_permissions()):
                self.stdout.write(f"    {code}")
            return
        for role in selectors.roles_overview():
            system = " (system)" if role.is_system else ""
            self.stdout.write(f"{role.slug}: {role.name}{system}, {len(role.codes)} permission(s)")
            self.stdout.write("  holders: " + (", ".join(role.holders) or "none"))
            if options["permissions"]:
                for code in role.codes:
                    self.stdout.write(f"    {code}")
        self.stdout.write("Departments:")
        for slug, name, members in selectors.departments_overview():
            self.stdout.write(f"  {slug}: {name}: " + (", ".join(members) or "no members"))
