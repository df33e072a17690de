"""`python manage.py create_partner_key <name> [--insurer <product code>]`: partners' command
(same arguments, same output: the key alone on the last line) plus `--insurer`, which makes the
partner the insurer of that product (api-v1.md).

It lives in config because partners may not import insurance (imports point one way); config
is listed before partners in INSTALLED_APPS, so Django runs this one under the same name."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils import timezone

from common.errors import DomainError, error_text
from insurance import services as insurance_services
from partners import services as partner_services
from partners.management.commands.create_partner_key import Command as PartnerKeyCommand
from partners.models import Partner


class Command(PartnerKeyCommand):
    help = PartnerKeyCommand.help + " --insurer <product code> makes it that product's insurer."

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--insurer",
            metavar="PRODUCT_CODE",
            default=None,
            help="Make this partner the insurer of the product, e.g. perf-bond.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        code = options.get("insurer")
        if code:
            # The assignment comes first, so a refusal prints no key and the key stays the
            # last line of stdout; the parent's handle finds the same partner by name.
            if options["kind"] == Partner.Kind.MARKETPLACE:
                options["kind"] = Partner.Kind.INSURER
            try:
                partner = partner_services.partner_get_or_create(
                    name=options["name"], kind=options["kind"]
                )
                changed = insurance_services.product_insurer_assign(
                    code=code, insurer_id=partner.pk, now=timezone.now()
                )
            except DomainError as exc:
                raise CommandError(error_text(exc)) from exc
            self.stdout.write(f"Insurer of {code}: {partner.name} ({changed} version(s))")
        super().handle(*args, **options)
