"""Requirement rules: how much deposit a shop must keep, as data with an effective-from date.

Invariants:
- A rule row is never edited once it is in force: ops add a new row with a later
  `effective_from`, so the amount a shop owed on any past day can be recomputed (history is kept).
- For one key (shop type × trademark status, or category × shop type × trademark status) the row
  with the latest `effective_from` not after `now` applies.
- A shop's requirement is the highest amount among its categories (amounts do not add up), where a
  category with a rule of its own uses it instead of the base table; an optional GMV schedule can
  raise it; an unexpired per-shop override replaces the computed amount.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from common.money import CURRENCY_CHOICES
from common.templatetags.money import money
from shops.models import ShopType, TrademarkStatus


class _RuleBase(models.Model):
    amount_minor = models.BigIntegerField(_("amount (minor units)"))
    currency = models.CharField(
        _("currency"), max_length=3, choices=CURRENCY_CHOICES, default="CNY"
    )
    effective_from = models.DateTimeField(_("effective from"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        abstract = True


class BaseRequirementRule(_RuleBase):
    """The table by shop type × trademark status (domain.md §2)."""

    shop_type = models.CharField(_("shop type"), max_length=20, choices=ShopType.choices)
    trademark_status = models.CharField(
        _("trademark status"), max_length=20, choices=TrademarkStatus.choices
    )

    class Meta:
        ordering = ["shop_type", "trademark_status", "-effective_from"]
        verbose_name = _("base requirement rule")
        verbose_name_plural = _("base requirement rules")
        constraints = [
            models.UniqueConstraint(
                fields=["shop_type", "trademark_status", "currency", "effective_from"],
                name="base_rule_unique_version",
            ),
            models.CheckConstraint(condition=Q(amount_minor__gte=0), name="base_rule_amount_gte_0"),
        ]

    def __str__(self) -> str:
        # The admin's lists and the rule-change log: money as ops read it, not minor units.
        return (
            f"{self.shop_type}/{self.trademark_status}: {money(self.amount_minor, self.currency)}"
        )


class CategoryRequirementRule(_RuleBase):
    """A category with an amount of its own; blank shop type / trademark status means "any"."""

    category = models.ForeignKey(
        "shops.Category", on_delete=models.PROTECT, related_name="requirement_rules"
    )
    shop_type = models.CharField(
        _("shop type"), max_length=20, choices=ShopType.choices, blank=True, default=""
    )
    trademark_status = models.CharField(
        _("trademark status"),
        max_length=20,
        choices=TrademarkStatus.choices,
        blank=True,
        default="",
    )

    class Meta:
        ordering = ["category__code", "shop_type", "trademark_status", "-effective_from"]
        verbose_name = _("category requirement rule")
        verbose_name_plural = _("category requirement rules")
        constraints = [
            models.UniqueConstraint(
                fields=["category", "shop_type", "trademark_status", "currency", "effective_from"],
                name="category_rule_unique_version",
            ),
            models.CheckConstraint(
                condition=Q(amount_minor__gte=0), name="category_rule_amount_gte_0"
            ),
        ]

    def __str__(self) -> str:
        scope = "/".join(filter(None, [self.shop_type, self.trademark_status])) or gettext(
            "any shop"
        )
        return f"{self.category.code} ({scope}): {money(self.amount_minor, self.currency)}"


class GmvRequirementSchedule(models.Model):
    """Optional sales tiers (JD, Douyin): a shop with recent GMV ≥ a tier's floor keeps at least
    that tier's amount. The latest schedule in force applies; `enabled=False` switches tiers off
    from its date without deleting history.

    `tiers` is a list of {"min_gmv_minor": int, "amount_minor": int}.
    """

    enabled = models.BooleanField(_("enabled"), default=True)
    tiers = models.JSONField(_("tiers"), default=list)
    currency = models.CharField(
        _("currency"), max_length=3, choices=CURRENCY_CHOICES, default="CNY"
    )
    effective_from = models.DateTimeField(_("effective from"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-effective_from"]
        verbose_name = _("GMV requirement schedule")
        verbose_name_plural = _("GMV requirement schedules")

    def __str__(self) -> str:
        return f"GMV tiers from {self.effective_from:%Y-%m-%d} ({'on' if self.enabled else 'off'})"


class ShopRequirementOverride(models.Model):
    """Ops set one shop's requirement by hand, with a reason and usually an expiry."""

    shop = models.ForeignKey(
        "shops.Shop", on_delete=models.CASCADE, related_name="requirement_overrides"
    )
    amount_minor = models.BigIntegerField(_("amount (minor units)"))
    reason = models.TextField(_("reason"))
    effective_from = models.DateTimeField(_("effective from"))
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-effective_from", "-id"]
        verbose_name = _("shop requirement override")
        verbose_name_plural = _("shop requirement overrides")
        constraints = [
            models.CheckConstraint(condition=Q(amount_minor__gte=0), name="override_amount_gte_0"),
            models.CheckConstraint(
                condition=Q(expires_at__isnull=True) | Q(expires_at__gt=models.F("effective_from")),
                name="override_expires_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.shop}: {money(self.amount_minor, self.shop.currency)}"


class RuleChange(models.Model):
    """Audit row for every rule change: who changed what, and how many shops it moved."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    description = models.TextField(_("description"))
    shops_recomputed = models.PositiveIntegerField(_("shops recomputed"), default=0)
    shops_changed = models.PositiveIntegerField(_("shops whose requirement changed"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("rule change")
        verbose_name_plural = _("rule changes")

    def __str__(self) -> str:
        return self.description[:80]
