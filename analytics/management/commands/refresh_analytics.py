from django.core.management.base import BaseCommand, CommandError

from analytics.models import ANALYTICS_VIEWS
from analytics.services import analytics_refresh


class Command(BaseCommand):
    help = (
        "Recompute the analytics materialized views behind the admin dashboard "
        f"({', '.join(ANALYTICS_VIEWS)}). A view is refreshed CONCURRENTLY, so pages keep reading it meanwhile; "
        "its very first refresh populates it and cannot be concurrent. Celery beat runs the same every 15 minutes."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--view",
            action="append",
            choices=ANALYTICS_VIEWS,
            dest="views",
            help="Refresh only this view (repeatable). Default: all three.",
        )

    def handle(self, *args, views=None, **options):
        try:
            results = analytics_refresh(views=tuple(views or ANALYTICS_VIEWS))
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        for r in results:
            how = "concurrently" if r.concurrently else "populated for the first time (not concurrently)"
            self.stdout.write(f"{r.view}: refreshed {how} in {r.seconds:.2f} s")
