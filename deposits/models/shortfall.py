"""Shortfall enforcement (保证金不足, domain.md §4): the ladder, cases, steps and ops reviews.

Invariants:
- A shop has at most one OPEN case (partial unique index `shortfall_one_open_case_per_shop`); only
  shops that have been live and are not closed get one (onboarding shops never do).
- A case's `plan` is the ladder as it stood when the case opened, with each step's deadline and
  reminder time already computed: editing the ladder changes future cases, never open ones.
- `step` counts the plan's steps applied so far and only grows, by a compare-and-set
  (`UPDATE … WHERE step = k`); each applied step is also one ShortfallStep row, unique per
  (case, position), so a step is applied exactly once however many workers try.
- `next_due_at` / `next_reminder_at` are derived from `plan`, `step` and `reminded` and written in
  the same UPDATE, so the scan finds due work with one indexed query.
- A case is RESOLVED exactly when `resolved_at` and `resolution` are set; resolving lifts the
  restrictions it caused (source SHORTFALL, source_ref "shortfall:<case id>") and no others.
- Closure is never automatic: the last default step opens a ShortfallReview that ops decide.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common.money import CURRENCY_CHOICES
from shops.models import RestrictionKind


class LadderAction(models.TextChoices):
    NOTIFY = "NOTIFY", _("Notify the merchant")
    RESTRICT = "RESTRICT", _("Restrict the shop")
    OPS_REVIEW = "OPS_REVIEW", _("Open an ops review for closure")


class ShortfallLadderStep(models.Model):
    """One rung of the enforcement ladder: what happens how long after a shortfall opens."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    position = models.PositiveSmallIntegerField(
        _("position"), default=0, help_text=_("Breaks ties between steps with the same delay.")
    )
    delay = models.DurationField(
        _("delay after opening"), help_text=_("e.g. 0 (at once), 3 days, 15 days.")
    )
    action = models.CharField(_("action"), max_length=20, choices=LadderAction.choices)
    restriction_kind = models.CharField(
        _("restriction"),
        max_length=30,
        choices=RestrictionKind.choices,
        blank=True,
        help_text=_("For “Restrict the shop” only: which restriction the step adds."),
    )
    reminder_lead = models.DurationField(
        _("remind this long before"),
        null=True,
        blank=True,
        default=timedelta(hours=24),
        help_text=_("Empty: no reminder before this step."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["delay", "position", "id"]
        verbose_name = _("shortfall ladder step")
        verbose_name_plural = _("shortfall ladder")
        constraints = [
            models.CheckConstraint(
                condition=Q(delay__gte=timedelta(0)), name="ladder_delay_not_negative"
            ),
            models.CheckConstraint(
                condition=(Q(action="RESTRICT") & ~Q(restriction_kind=""))
                | (~Q(action="RESTRICT") & Q(restriction_kind="")),
                name="ladder_restriction_kind_iff_restrict",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} (+{self.delay})"


class ShortfallCase(models.Model):
    class Status(models.TextChoices):
        OPEN = "OPEN", _("Open")
        RESOLVED = "RESOLVED", _("Resolved")

    class Resolution(models.TextChoices):
        TOP_UP = "TOP_UP", _("Topped up")
        DEBT_REPAID = "DEBT_REPAID", _("Debt repaid")
        REQUIREMENT_LOWERED = "REQUIREMENT_LOWERED", _("Requirement lowered")
        GUARANTEE_ADDED = "GUARANTEE_ADDED", _("Guarantee added")
        FUNDS_RELEASED = "FUNDS_RELEASED", _("Held funds released")
        SHOP_CLOSED = "SHOP_CLOSED", _("Shop closed")
        MANUAL = "MANUAL", _("Resolved by ops")

    shop = models.ForeignKey("shops.Shop", on_delete=models.PROTECT, related_name="shortfall_cases")
    account = models.ForeignKey(
        "deposits.Account", on_delete=models.PROTECT, related_name="shortfall_cases"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES)
    opened_at = models.DateTimeField(_("opened at"))
    amount_at_open_minor = models.BigIntegerField(_("shortfall at opening"))
    amount_minor = models.BigIntegerField(_("shortfall now"))
    # What the account looked like at opening: explains the case, and tells a later resolution
    # what restored coverage (a lower requirement, a guarantee, a repaid debt or cash).
    required_at_open_minor = models.BigIntegerField(_("required at opening"))
    available_at_open_minor = models.BigIntegerField(_("available at opening"))
    posted_at_open_minor = models.BigIntegerField(_("paid in at opening"))
    guaranteed_at_open_minor = models.BigIntegerField(_("guaranteed at opening"))
    debt_at_open_minor = models.BigIntegerField(_("debt at opening"))
    plan = models.JSONField(_("plan (deadlines fixed at opening)"), default=list)
    step = models.PositiveSmallIntegerField(_("steps applied"), default=0)
    reminded = models.PositiveSmallIntegerField(
        _("reminders handled up to step"), default=0, editable=False
    )
    next_due_at = models.DateTimeField(_("next step due"), null=True, blank=True)
    next_reminder_at = models.DateTimeField(_("next reminder due"), null=True, blank=True)
    announced_at = models.DateTimeField(
        _("announced at"),
        null=True,
        blank=True,
        help_text=_("When the merchant and partners were first told (deposit.shortfall_opened)."),
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolution = models.CharField(
        _("how it was resolved"), max_length=30, choices=Resolution.choices, blank=True
    )
    resolution_note = models.CharField(_("resolution note"), max_length=300, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-opened_at", "-id"]
        verbose_name = _("shortfall case")
        verbose_name_plural = _("shortfall cases")
        constraints = [
            models.UniqueConstraint(
                fields=["shop"],
                condition=Q(status="OPEN"),
                name="shortfall_one_open_case_per_shop",
            ),
            models.CheckConstraint(
                condition=Q(status="OPEN", resolved_at__isnull=True, resolution="")
                | (Q(status="RESOLVED", resolved_at__isnull=False) & ~Q(resolution="")),
                name="shortfall_resolution_shape",
            ),
            models.CheckConstraint(
                condition=Q(amount_at_open_minor__gt=0), name="shortfall_opened_with_amount"
            ),
        ]
        indexes = [
            models.Index(fields=["shop", "-opened_at"], name="shortfall_shop_idx"),
            # The ops overview's open cases by age and currency, without reading the resolved
            # ones (the table keeps every case ever opened).
            models.Index(
                fields=["currency", "opened_at", "amount_minor"],
                condition=Q(status="OPEN"),
                name="shortfall_open_age_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"Shortfall #{self.pk} — {self.shop} ({self.get_status_display()})"

    @property
    def source_ref(self) -> str:
        """What the case's restrictions carry, so that resolving lifts exactly those."""
        return f"shortfall:{self.pk}"


class ShortfallStep(models.Model):
    """A ladder step applied to one case: when, and which restriction it added (if any)."""

    case = models.ForeignKey(ShortfallCase, on_delete=models.PROTECT, related_name="steps")
    position = models.PositiveSmallIntegerField(_("position in the plan"))
    code = models.SlugField(_("step"), max_length=40)
    action = models.CharField(_("action"), max_length=20, choices=LadderAction.choices)
    restriction_kind = models.CharField(
        _("restriction"), max_length=30, choices=RestrictionKind.choices, blank=True
    )
    due_at = models.DateTimeField(_("due at"))
    applied_at = models.DateTimeField(_("applied at"))
    restriction = models.ForeignKey(
        "shops.ShopRestriction",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["case", "position"]
        verbose_name = _("shortfall step applied")
        verbose_name_plural = _("shortfall steps applied")
        constraints = [
            models.UniqueConstraint(
                fields=["case", "position"], name="shortfall_step_once_per_case"
            )
        ]

    def __str__(self) -> str:
        # In the time zone every admin page shows (TIME_ZONE), not UTC.
        return f"{self.code} @ {timezone.localtime(self.applied_at):%Y-%m-%d %H:%M}"


class ShortfallReview(models.Model):
    """The ops review queue: a shop short for long enough that closure may be considered.

    Closure is never automatic. Ops decide here; a review whose case resolves first (the merchant
    topped up) becomes OBSOLETE by itself.
    """

    class Status(models.TextChoices):
        PENDING = "PENDING", _("Waiting for ops")
        CONTINUE = "CONTINUE", _("Keep the shop, keep enforcing")
        CLOSURE = "CLOSURE", _("Closure to be started")
        OBSOLETE = "OBSOLETE", _("Coverage restored before a decision")

    case = models.OneToOneField(ShortfallCase, on_delete=models.PROTECT, related_name="review")
    shop = models.ForeignKey(
        "shops.Shop", on_delete=models.PROTECT, related_name="shortfall_reviews"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    opened_at = models.DateTimeField(_("opened at"))
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decision_note = models.TextField(_("decision note"), blank=True)

    class Meta:
        ordering = ["status", "opened_at", "id"]
        verbose_name = _("shortfall review (ops queue)")
        verbose_name_plural = _("shortfall reviews (ops queue)")
        constraints = [
            models.CheckConstraint(
                condition=Q(status="PENDING", decided_at__isnull=True)
                | (~Q(status="PENDING") & Q(decided_at__isnull=False)),
                name="shortfall_review_decision_shape",
            )
        ]
        indexes = [
            models.Index(
                fields=["opened_at"], condition=Q(status="PENDING"), name="shortfall_review_todo"
            )
        ]

    def __str__(self) -> str:
        return f"Review of {self.shop} ({self.status})"
