from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import connection


class Command(BaseCommand):
    help = "Print where Deposit Desk is served and how to log in (used by `make run`)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", default="8000")

    def handle(self, *args: object, **options: object) -> None:
        base = f"http://127.0.0.1:{options['port']}"
        broker = settings.CELERY_BROKER_URL.split("@")[-1]
        lines = [
            "",
            "Deposit Desk is starting (web, Celery worker, Celery beat). Ctrl-C stops all three.",
            f"  Dashboard   {base}/",
            f"  Ops admin   {base}/admin/",
            f"  API docs    {base}/api/v1/docs/",
            f"  Health      {base}/healthz",
            f"  Database    {connection.vendor}   Broker  {broker}",
            "  Logins      merchant / merchant-demo-2026   (merchant owner, 5 shops)",
            "              staff / staff-demo-2026         (merchant staff, no deposit permission)",
            "              merchant2 / merchant2-demo-2026 (another merchant)",
            "              ops / ops-demo-2026             (ops admin)",
            "              <role> / <role>-demo-2026       (one ops user per role: claims_agent,",
            "                                              finance, risk, supervisor, auditor)",
            "  Two-factor  staff enter a TOTP code after the password: seed_demo printed each",
            "              staff user's secret above (add it to an authenticator app)",
            "",
        ]
        self.stdout.write("\n".join(lines))
