"""`manage.py create_help_pages`: create the help pages the footer and the help hub link to, if missing."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from cms.demo_content import HELP_PAGE_SLUGS, help_pages_load


class Command(BaseCommand):
    help = (
        "Create the help pages that are missing (" + ", ".join(HELP_PAGE_SLUGS) + ") from CouponAli's texts, as "
        "drafts to review in the admin (CMS pages) unless --publish. Pages that exist are never changed."
    )

    def add_arguments(self, parser):
        parser.add_argument("--publish", action="store_true", help="Publish the new pages at once.")

    def handle(self, *args, **options):
        created = help_pages_load(publish=options["publish"])
        state = "published" if options["publish"] else "drafts: review and publish them in the admin"
        if created:
            self.stdout.write(
                self.style.SUCCESS(f"Created {len(created)} help page(s) ({state}): {', '.join(created)}")
            )
        else:
            self.stdout.write("Every help page exists already; nothing changed.")
