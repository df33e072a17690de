"""Performance insurance (保证金履约险): products, the ops flags that make a shop eligible, and
the first half of a policy's life: quote → application → acceptance → policy awaiting premium.

Invariants:
- Money is integer minor units (`*_minor`) in the shop's deposit currency; every amount is ≥ 0.
  A quote's coverage and premium are insurance.domain.premium's (half up at the fen, ACT/365)
  and never change once written; an application and its policy copy them from the quote.
- A product is versioned like the requirement rules: (code, effective_from) is unique, and the
  product a code names at a moment is its latest active version with effective_from ≤ that
  moment. A version in force is not edited; ops add a newer one. Quotes, applications and
  policies point at the exact version they were priced with. The insurer (a partners.Partner)
  may be unset until ops or `create_partner_key --insurer` assign one; nobody can accept an
  application for a product without an insurer.
- A quote is valid until `valid_until` and is applied for at most once (application.quote is
  one-to-one). An ineligible quote exists too (eligible=false, every reason) but cannot be applied.
- A shop has at most one SUBMITTED application (a partial unique index); the services also
  refuse a new one while the shop has a policy awaiting premium or active.
- An application is decided once: SUBMITTED → ACCEPTED | DECLINED (decided_at, decided_by the
  insurer; DECLINED with a reason code), and ACCEPTED → EXPIRED only when its policy's premium
  was not paid by `premium_due_at` (the policy is then CANCELLED).
- A policy belongs to exactly one accepted application; its number is unique per insurer.
  AWAITING_PREMIUM until the premium is paid in full; ACTIVE has its term (starts_on, ends_on =
  starts_on + term_days − 1); 0 ≤ premium_paid ≤ premium.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from common.money import CURRENCY_CHOICES


class InsuranceProduct(models.Model):
    code = models.SlugField(_("code"), max_length=40)
    name_zh = models.CharField(_("Chinese name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100)
    insurer = models.ForeignKey(
        "partners.Partner",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="insurance_products",
        verbose_name=_("insurer"),
    )
    premium_rate_bps = models.PositiveIntegerField(
        _("premium rate (bps a year)"), help_text=_("300 = 3 percent of the coverage a year.")
    )
    coverage_share_bps = models.PositiveIntegerField(
        _("coverage share (bps)"), help_text=_("10000 = covers the whole requirement.")
    )
    term_days = models.PositiveIntegerField(_("term (days)"))
    recovery_days = models.PositiveIntegerField(
        _("recovery due (days)"), help_text=_("Days the merchant has to repay an advance.")
    )
    categories = models.ManyToManyField(
        "shops.Category", related_name="insurance_products", verbose_name=_("eligible categories")
    )
    new_merchant_days = models.PositiveIntegerField(
        _("new merchant: registered under (days)"), default=90
    )
    stable_min_days = models.PositiveIntegerField(_("stable: live at least (days)"), default=180)
    counterfeit_lookback_days = models.PositiveIntegerField(
        _("counterfeit award lookback (days)"), default=365
    )
    effective_from = models.DateTimeField(_("effective from"))
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["code", "-effective_from"]
        verbose_name = _("insurance product")
        verbose_name_plural = _("insurance products")
        constraints = [
            models.UniqueConstraint(
                fields=["code", "effective_from"], name="insurance_product_version_unique"
            ),
            models.CheckConstraint(
                condition=Q(coverage_share_bps__gt=0, coverage_share_bps__lte=10_000),
                name="insurance_product_share_in_range",
            ),
            models.CheckConstraint(
                condition=Q(premium_rate_bps__gt=0, premium_rate_bps__lte=10_000),
                name="insurance_product_rate_in_range",
            ),
            models.CheckConstraint(
                condition=Q(term_days__gt=0, recovery_days__gt=0),
                name="insurance_product_days_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} ({self.name_zh}) from {self.effective_from:%Y-%m-%d}"


class BenefitWindow(models.Model):
    """A dated benefit window for new merchants, defined by ops (domain.md §5.1 (a))."""

    submit_from = models.DateField(_("applications from"))
    submit_to = models.DateField(_("applications through"))
    activate_by = models.DateField(_("policy active by"))
    note = models.CharField(_("note"), max_length=300)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-submit_from", "-id"]
        verbose_name = _("benefit window")
        verbose_name_plural = _("benefit windows")
        constraints = [
            models.CheckConstraint(
                condition=Q(submit_from__lte=F("submit_to"), submit_to__lte=F("activate_by")),
                name="benefit_window_dates_ordered",
            )
        ]

    def __str__(self) -> str:
        return f"{self.submit_from} – {self.submit_to} ({self.note})"


class TrendTrack(models.Model):
    """An ops flag: the shop is on a trend track (趋势赛道) from `since` until `until` (open-ended
    when null), with the reason (domain.md §5.1 (b))."""

    shop = models.ForeignKey("shops.Shop", on_delete=models.CASCADE, related_name="trend_tracks")
    reason = models.TextField(_("reason"))
    since = models.DateField(_("since"))
    until = models.DateField(_("until"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-since", "-id"]
        verbose_name = _("trend track")
        verbose_name_plural = _("trend tracks")
        constraints = [
            models.CheckConstraint(
                condition=Q(until__isnull=True) | Q(until__gte=F("since")),
                name="trend_track_until_after_since",
            )
        ]

    def __str__(self) -> str:
        return f"{self.shop} since {self.since}"


class InsuranceQuote(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    shop = models.ForeignKey(
        "shops.Shop", on_delete=models.PROTECT, related_name="insurance_quotes"
    )
    product = models.ForeignKey(InsuranceProduct, on_delete=models.PROTECT, related_name="quotes")
    eligible = models.BooleanField(_("eligible"))
    # [{"code", "detail_en", "detail_zh"}], in insurance.domain.eligibility's order.
    reasons = models.JSONField(_("reasons"), default=list, blank=True)
    benefit_window = models.ForeignKey(
        BenefitWindow, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    requirement_minor = models.BigIntegerField(_("deposit requirement"))
    coverage_minor = models.BigIntegerField(_("coverage"))
    premium_minor = models.BigIntegerField(_("premium"))
    cash_required_minor = models.BigIntegerField(_("cash still required"))
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES)
    starts_on = models.DateField(_("term would start on"))
    ends_on = models.DateField(_("term would end on"))
    valid_until = models.DateTimeField(_("valid until"))
    computation_en = models.TextField(_("computation (English)"))
    computation_zh = models.TextField(_("computation (Chinese)"))
    created_at = models.DateTimeField(_("created at"))
    # A renewal quote: the next term of this policy, starting the day after it ends.
    renews = models.ForeignKey(
        "insurance.Policy",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="renewal_quotes",
        verbose_name=_("renews policy"),
    )

    class Meta:
        ordering = ["-id"]
        verbose_name = _("insurance quote")
        verbose_name_plural = _("insurance quotes")
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    requirement_minor__gte=0,
                    coverage_minor__gte=0,
                    premium_minor__gte=0,
                    cash_required_minor__gte=0,
                ),
                name="insurance_quote_amounts_non_negative",
            ),
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")), name="insurance_quote_term_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"quote {self.public_id}"


class ApplicationStatus(models.TextChoices):
    SUBMITTED = "SUBMITTED", _("Submitted")
    ACCEPTED = "ACCEPTED", _("Accepted")
    DECLINED = "DECLINED", _("Declined")
    EXPIRED = "EXPIRED", _("Expired")


class InsuranceApplication(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    quote = models.OneToOneField(
        InsuranceQuote, on_delete=models.PROTECT, related_name="application"
    )
    shop = models.ForeignKey(
        "shops.Shop", on_delete=models.PROTECT, related_name="insurance_applications"
    )
    product = models.ForeignKey(
        InsuranceProduct, on_delete=models.PROTECT, related_name="applications"
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=ApplicationStatus.choices,
        default=ApplicationStatus.SUBMITTED,
        db_index=True,
    )
    submitted_at = models.DateTimeField(_("submitted at"))
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        "partners.Partner", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decline_reason_code = models.CharField(_("decline reason code"), max_length=60, blank=True)
    decline_detail = models.TextField(_("decline detail"), blank=True)
    expired_at = models.DateTimeField(_("expired at"), null=True, blank=True)
    # Ops closed it by hand (services.application_close): why and who. Empty when it expired
    # by itself (premium unpaid in time) or was decided by the insurer.
    closed_reason = models.CharField(_("closed by ops because"), max_length=300, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("closed by"),
    )

    class Meta:
        ordering = ["-id"]
        verbose_name = _("insurance application")
        verbose_name_plural = _("insurance applications")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ApplicationStatus.values),
                name="insurance_application_status_valid",
            ),
            models.UniqueConstraint(
                fields=["shop"],
                condition=Q(status="SUBMITTED"),
                name="insurance_one_submitted_application_per_shop",
            ),
            models.CheckConstraint(
                condition=Q(status="SUBMITTED") | Q(decided_at__isnull=False),
                name="insurance_application_decided_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(status="DECLINED") | ~Q(decline_reason_code=""),
                name="insurance_application_decline_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"application {self.public_id} ({self.status})"


class PolicyStatus(models.TextChoices):
    AWAITING_PREMIUM = "AWAITING_PREMIUM", _("Awaiting premium")
    ACTIVE = "ACTIVE", _("Active")
    SURRENDERED = "SURRENDERED", _("Surrendered")
    EXPIRED = "EXPIRED", _("Expired")
    CANCELLED = "CANCELLED", _("Cancelled")


class Policy(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    application = models.OneToOneField(
        InsuranceApplication, on_delete=models.PROTECT, related_name="policy"
    )
    shop = models.ForeignKey("shops.Shop", on_delete=models.PROTECT, related_name="policies")
    product = models.ForeignKey(InsuranceProduct, on_delete=models.PROTECT, related_name="policies")
    # The product's insurer at acceptance, kept here so the number is unique per insurer.
    insurer = models.ForeignKey(
        "partners.Partner", on_delete=models.PROTECT, related_name="policies_issued"
    )
    policy_number = models.CharField(_("policy number"), max_length=64)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=PolicyStatus.choices,
        default=PolicyStatus.AWAITING_PREMIUM,
        db_index=True,
    )
    coverage_minor = models.BigIntegerField(_("coverage"))
    premium_minor = models.BigIntegerField(_("premium"))
    premium_paid_minor = models.BigIntegerField(_("premium paid"), default=0)
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES)
    starts_on = models.DateField(_("starts on"), null=True, blank=True)
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("accepted at"))
    premium_due_at = models.DateTimeField(_("premium due by"), db_index=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    # Renewal reminders 30, 7 and 1 days before `ends_on` (insurance.services.renewals), each
    # marked in the transaction that sends it; then EXPIRED from 00:00 Shanghai after ends_on.
    reminded_30d_at = models.DateTimeField(_("30-day renewal reminder sent"), null=True, blank=True)
    reminded_7d_at = models.DateTimeField(_("7-day renewal reminder sent"), null=True, blank=True)
    reminded_1d_at = models.DateTimeField(_("1-day renewal reminder sent"), null=True, blank=True)
    expired_at = models.DateTimeField(_("expired at"), null=True, blank=True)
    # The policy whose next term this one is (its application's quote renewed it). Paid before
    # that term ends, this one starts the day after it (insurance.services.policies._activate).
    renews = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="renewals",
        verbose_name=_("renews policy"),
    )

    class Meta:
        ordering = ["-id"]
        verbose_name = _("policy")
        verbose_name_plural = _("policies")
        indexes = [
            # The term scan reads ACTIVE policies by end date.
            models.Index(
                fields=["ends_on"], condition=Q(status="ACTIVE"), name="policy_active_ends_on_idx"
            )
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["insurer", "policy_number"], name="policy_number_unique_per_insurer"
            ),
            models.CheckConstraint(
                condition=Q(status__in=PolicyStatus.values), name="policy_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(
                    coverage_minor__gt=0,
                    premium_minor__gte=0,
                    premium_paid_minor__gte=0,
                    premium_paid_minor__lte=F("premium_minor"),
                ),
                name="policy_amounts_in_range",
            ),
            models.CheckConstraint(
                condition=~Q(status="ACTIVE") | Q(starts_on__isnull=False, ends_on__isnull=False),
                name="policy_active_has_term",
            ),
            models.CheckConstraint(
                condition=Q(starts_on__isnull=True)
                | Q(ends_on__isnull=True)
                | Q(ends_on__gte=F("starts_on")),
                name="policy_term_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.policy_number} ({self.status})"

    @property
    def limit_remaining_minor(self) -> int:
        """Coverage − outstanding recoveries (insurance.models.advances); never below 0. The
        insurance page reads the sum with the policy (`outstanding_recoveries_read`)."""
        if hasattr(self, "outstanding_recoveries_read"):
            outstanding = self.outstanding_recoveries_read
        else:
            outstanding = self.recoveries.filter(status__in=["OPEN", "OVERDUE"]).aggregate(
                total=models.Sum("outstanding_minor")
            )["total"]
        return max(0, self.coverage_minor - (outstanding or 0))


class ProductChange(models.Model):
    """Audit of every save of an insurance product in the admin (as deposits' RuleChange for
    requirement rules): who, when, and the product's fields before and after. Never changed."""

    product = models.ForeignKey(
        InsuranceProduct,
        on_delete=models.PROTECT,
        related_name="changes",
        verbose_name=_("product"),
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("who"),
    )
    changed_at = models.DateTimeField(_("when"))
    # {} for a new version; otherwise the fields as they were, and as they are after the save.
    before = models.JSONField(_("before"), default=dict, blank=True)
    after = models.JSONField(_("after"), default=dict)
    changed_fields = models.JSONField(_("changed fields"), default=list, blank=True)

    class Meta:
        ordering = ["-changed_at", "-id"]
        verbose_name = _("product change")
        verbose_name_plural = _("product changes")

    def __str__(self) -> str:
        what = ", ".join(self.changed_fields) or "created"
        return f"{self.product.code} {self.changed_at:%Y-%m-%d %H:%M}: {what}"
