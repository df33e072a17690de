"""`python manage.py create_partner_key <name>`: creates the partner if needed and a key with all
scopes; prints the key alone on the last line of stdout (api-v1.md), so scripts can take it with
`tail -n 1`."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from common.errors import DomainError, error_text
from partners import services
from partners.models import Partner, Scope


class Command(BaseCommand):
    help = "Create a partner (if needed) and an API key with all scopes; prints the key last."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="The partner's name, e.g. 'Tmall'.")
        parser.add_argument(
            "--kind",
            choices=Partner.Kind.values,
            default=Partner.Kind.MARKETPLACE,
            help="Partner kind when the partner is created (default MARKETPLACE).",
        )
        parser.add_argument("--label", default="", help="A label for the key, e.g. 'production'.")
        parser.add_argument(
            "--scopes",
            default="",
            help=f"Comma-separated subset of: {', '.join(Scope.values)} (default: all).",
        )
        parser.add_argument(
            "--expires-in-days", type=int, default=None, help="Expire the key after N days."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        scopes = [s.strip() for s in options["scopes"].split(",") if s.strip()] or None
        days = options["expires_in_days"]
        if days is not None and days < 1:
            raise CommandError("--expires-in-days must be at least 1.")
        try:
            partner = services.partner_get_or_create(name=options["name"], kind=options["kind"])
            issued = services.api_key_create(
                partner=partner,
                now=now,
                scopes=scopes,
                name=options["label"],
                expires_at=now + timedelta(days=days) if days else None,
            )
        except DomainError as exc:
            raise CommandError(error_text(exc)) from exc
        key = issued.api_key
        self.stdout.write(f"Partner: {partner.name} ({partner.public_id})")
        self.stdout.write(f"Key prefix: {key.prefix} (shown in the admin; the key is not stored)")
        self.stdout.write(f"Scopes: {', '.join(key.scopes)}")
        if key.expires_at:
            self.stdout.write(f"Expires: {key.expires_at.isoformat()}")
        self.stdout.write(issued.raw)
