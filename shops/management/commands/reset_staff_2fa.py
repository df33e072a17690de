"""Reset a staff user's two-factor sign-in (lost phone and backup codes): their devices are
deleted, so their next sign-in starts with enrolment; who ran it and why is recorded in
StaffTwoFactorReset (shown read-only in the admin)."""

from __future__ import annotations

import getpass

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from common.errors import InvalidInput
from shops.two_factor import staff_two_factor_reset


class Command(BaseCommand):
    help = "Delete a staff user's two-factor devices (they enrol again) and record who and why."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--reason", required=True, help="Why (recorded in the audit).")
        parser.add_argument(
            "--by",
            default="",
            help="Who is resetting (recorded); defaults to the operating-system user.",
        )

    def handle(self, *args: object, **options: str) -> None:
        reset_by = options["by"].strip() or f"shell:{getpass.getuser()}"
        try:
            removed = staff_two_factor_reset(
                username=options["username"],
                reset_by=reset_by,
                reason=options["reason"],
                now=timezone.now(),
            )
        except InvalidInput as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            self.style.SUCCESS(
                f"Removed {removed} two-factor device(s) of {options['username']}; "
                "they enrol again at their next sign-in."
            )
        )
