"""Merchants, the people who act for them, their shops, and the restrictions placed on shops.

Invariants:
- `external_ref` is unique per partner (the marketplace's own id for the shop).
- A shop's `status` is derived, never set by hand: CLOSED when closed; ONBOARDING until the deposit
  has been paid in full once (`went_live_at`); otherwise FROZEN or RESTRICTED when an unlifted
  restriction of that weight exists, else ACTIVE. `shops.services.shop_refresh_status` is the only
  writer, so the cached column always agrees with the restriction rows.
- A restriction is never deleted: lifting it sets `lifted_at`, who and why, so a merchant can always
  see what held their shop, since when and what released it.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from common.money import CURRENCY_CHOICES


class Merchant(models.Model):
    """A company that owns one or more shops, as one partner registered it.

    Invariants:
    - A contact e-mail is unique per partner (`partner` NULL: merchants ops created, one scope).
      Two marketplaces may each register the same company; each gets a merchant of its own, so
      a partner neither adds shops to another partner's merchant nor learns, from the answer to
      a registration, that the e-mail is known elsewhere (issue 16, security).
    """

    class Language(models.TextChoices):
        ZH_HANS = "zh-hans", "简体中文"
        EN = "en", "English"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=200)
    contact_email = models.EmailField(_("contact e-mail"))
    # The partner that registered it through the API; NULL for merchants created by ops.
    partner = models.ForeignKey(
        "partners.Partner",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,  # the unique index below leads with it
        verbose_name=_("partner"),
    )
    language = models.CharField(
        _("language"), max_length=10, choices=Language.choices, default=Language.ZH_HANS
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("merchant")
        verbose_name_plural = _("merchants")
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "contact_email"],
                condition=Q(partner__isnull=False),
                name="merchant_email_per_partner",
            ),
            models.UniqueConstraint(
                fields=["contact_email"],
                condition=Q(partner__isnull=True),
                name="merchant_email_without_partner",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class MerchantUser(models.Model):
    """Links a login to a merchant, with the member's role (what they may do there).

    Invariants:
    - One membership per login (a person works for one merchant here).
    - The owner manages the team and does everything; the other roles are the issue's
      (docs/dashboard.md): viewer reads statuses, finance moves the deposit (top-up, withdrawal,
      insurance premiums and repayments), claims answers claims. A role is read on every request,
      so a change takes effect at the member's next click.
    - Removing a member deletes this row and deactivates the login (`shops.team.member_remove`):
      Django then refuses the session at the next request.
    """

    class Role(models.TextChoices):
        OWNER = "OWNER", _("Owner")
        VIEWER = "VIEWER", _("Viewer")
        FINANCE = "FINANCE", _("Finance")
        CLAIMS = "CLAIMS", _("Claims")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="merchant_membership"
    )
    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="members")
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.VIEWER)
    language = models.CharField(
        _("language"),
        max_length=10,
        choices=Merchant.Language.choices,
        blank=True,
        help_text=_("The member's e-mails are written in it; empty: the merchant's language."),
    )
    joined_at = models.DateTimeField(_("joined at"), null=True, blank=True)

    class Meta:
        verbose_name = _("merchant user")
        verbose_name_plural = _("merchant users")
        constraints = [
            models.CheckConstraint(
                condition=Q(role__in=["OWNER", "VIEWER", "FINANCE", "CLAIMS"]),
                name="merchant_user_role_valid",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.merchant}"

    @property
    def is_owner(self) -> bool:
        return self.role == self.Role.OWNER

    @property
    def may_move_money(self) -> bool:
        """Top up, withdraw, pay premiums and repay advances: the owner and finance."""
        return self.role in (self.Role.OWNER, self.Role.FINANCE)

    # The name the deposit, insurance and withdrawal pages have always asked.
    may_manage_deposit = may_move_money

    @property
    def may_answer_claims(self) -> bool:
        """Settle, contest, appeal and add evidence: the owner and the claims role."""
        return self.role in (self.Role.OWNER, self.Role.CLAIMS)

    @property
    def may_see_money(self) -> bool:
        """Read amounts (notices, claims): everyone but a viewer."""
        return self.role != self.Role.VIEWER

    @property
    def may_manage_team(self) -> bool:
        return self.role == self.Role.OWNER

    @property
    def email_language(self) -> str:
        return self.language or self.merchant.language


class Category(models.Model):
    """Reference data: the category codes partners send (api-v1.md)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_en = models.CharField(_("English name"), max_length=100)
    name_zh = models.CharField(_("Chinese name"), max_length=100)
    insurance_eligible = models.BooleanField(
        _("insurance eligible"),
        default=False,
        help_text=_("One of the seven top-level categories that may use performance insurance."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return f"{self.code} ({self.name_zh})"


class ShopType(models.TextChoices):
    # The codes are the API's (api-v1.md) and stay; the English names say what each store is
    # (domain.md §2): a 专卖店 sells one brand under the brand owner's authorisation, a 专营店
    # sells several brands of one category. The codes' own English words are the other way round.
    FLAGSHIP = "FLAGSHIP", _("Flagship store (旗舰店)")
    SPECIALTY = "SPECIALTY", _("Brand-authorised store (专卖店)")
    FRANCHISE = "FRANCHISE", _("Multi-brand specialty store (专营店)")


class TrademarkStatus(models.TextChoices):
    REGISTERED = "REGISTERED", _("All trademarks registered (R)")
    APPLIED = "APPLIED", _("A trademark only applied for (TM)")


class ShopStatus(models.TextChoices):
    ONBOARDING = "ONBOARDING", _("Onboarding")
    ACTIVE = "ACTIVE", _("Active")
    RESTRICTED = "RESTRICTED", _("Restricted")
    FROZEN = "FROZEN", _("Frozen")
    CLOSED = "CLOSED", _("Closed")


class Shop(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    partner = models.ForeignKey(
        "partners.Partner", on_delete=models.PROTECT, related_name="shops", null=True, blank=True
    )
    external_ref = models.CharField(_("external reference"), max_length=100)
    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="shops")
    name = models.CharField(_("name"), max_length=200)
    shop_type = models.CharField(_("shop type"), max_length=20, choices=ShopType.choices)
    trademark_status = models.CharField(
        _("trademark status"), max_length=20, choices=TrademarkStatus.choices
    )
    categories = models.ManyToManyField(
        Category, related_name="shops", verbose_name=_("categories")
    )
    currency = models.CharField(
        _("currency"), max_length=3, choices=CURRENCY_CHOICES, default="CNY"
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=ShopStatus.choices,
        default=ShopStatus.ONBOARDING,
        editable=False,
        db_index=True,
    )
    went_live_at = models.DateTimeField(_("went live at"), null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("shop")
        verbose_name_plural = _("shops")
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "external_ref"], name="shop_external_ref_unique_per_partner"
            ),
            models.CheckConstraint(
                condition=Q(status__in=ShopStatus.values), name="shop_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class RestrictionKind(models.TextChoices):
    # Ordered from lightest to heaviest; FREEZING_KINDS make the shop FROZEN.
    MARKETING = "MARKETING", _("Marketing restricted")
    NEW_LISTINGS = "NEW_LISTINGS", _("New listings blocked")
    SETTLEMENT_EXTENDED = "SETTLEMENT_EXTENDED", _("Settlement extended")
    HIDDEN = "HIDDEN", _("Hidden from search, no new orders")
    SUPERVISED = "SUPERVISED", _("Supervised until restored")
    FROZEN = "FROZEN", _("Frozen by ops")


FREEZING_KINDS = frozenset(
    {RestrictionKind.HIDDEN, RestrictionKind.SUPERVISED, RestrictionKind.FROZEN}
)


class RestrictionSource(models.TextChoices):
    SHORTFALL = "SHORTFALL", _("Deposit shortfall")
    MANUAL = "MANUAL", _("Ops decision")
    CLAIM = "CLAIM", _("Claim")
    INSURANCE = "INSURANCE", _("Insurance recovery overdue")


class ShopRestriction(models.Model):
    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="restrictions")
    kind = models.CharField(_("kind"), max_length=30, choices=RestrictionKind.choices)
    source = models.CharField(_("source"), max_length=20, choices=RestrictionSource.choices)
    source_ref = models.CharField(
        _("source reference"),
        max_length=100,
        blank=True,
        help_text=_(
            "What caused it, e.g. the shortfall case id: lifting a cause lifts only its own."
        ),
    )
    reason = models.TextField(_("reason"))
    lifts_when = models.CharField(
        _("what lifts it"), max_length=300, blank=True, help_text=_("Shown to the merchant.")
    )
    since = models.DateTimeField(_("since"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    lifted_at = models.DateTimeField(_("lifted at"), null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    lift_reason = models.TextField(_("lift reason"), blank=True)

    class Meta:
        ordering = ["-since", "-id"]
        verbose_name = _("shop restriction")
        verbose_name_plural = _("shop restrictions")
        indexes = [
            models.Index(
                fields=["shop"], condition=Q(lifted_at__isnull=True), name="restriction_active_idx"
            )
        ]
        constraints = [
            # The same cause cannot restrict the same thing twice at once (idempotent enforcement).
            models.UniqueConstraint(
                fields=["shop", "kind", "source", "source_ref"],
                condition=Q(lifted_at__isnull=True),
                name="restriction_active_unique",
            ),
            models.CheckConstraint(
                condition=Q(lifted_at__isnull=True) | Q(lifted_at__gte=models.F("since")),
                name="restriction_lifted_after_since",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} — {self.shop}"

    @property
    def is_active(self) -> bool:
        return self.lifted_at is None


class Notification(models.Model):
    """An in-app notice to a merchant, and the outbox row for its e-mail.

    Invariants:
    - `dedupe_key` is unique: whoever creates a notice names it by its cause (e.g.
      "shortfall:12:step:1"), so the same notice exists at most once however often, or however
      concurrently, its cause is processed.
    - `title` and `body` are the notice in the merchant's language at the time (`language`).
      `texts` holds the same notice in every language it was written in
      ({"en": [title, body], "zh-hans": [...]}), so the dashboard shows it in the *reader's*
      language; a notice written in one language only (older ones, or a caller that gave one)
      falls back to that one (`Notification.text_for`).
    - Read state is per user (`NotificationRead`): one person marking notices read leaves their
      colleagues' unread ones alone.
    - The e-mail goes to each member who wants this kind (`NotificationPreference`; urgent kinds
      always) in their language, and to the contact address (shops.selectors.notice_recipients).
    - The e-mail is sent after commit by a task, never inside the transaction that created the
      notice: PENDING → SENDING (claimed by a compare-and-set, with `email_claimed_at`) → SENT;
      a failed send goes back to PENDING; a claim older than a few minutes (a worker died
      mid-send) may be taken again. NONE means no e-mail is sent for this notice.
    """

    class EmailStatus(models.TextChoices):
        PENDING = "PENDING", _("To send")
        SENDING = "SENDING", _("Sending")
        SENT = "SENT", _("Sent")
        NONE = "NONE", _("No e-mail")

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="notifications")
    shop = models.ForeignKey(
        Shop, on_delete=models.CASCADE, null=True, blank=True, related_name="notifications"
    )
    kind = models.CharField(_("kind"), max_length=40)
    dedupe_key = models.CharField(_("dedupe key"), max_length=200, unique=True)
    language = models.CharField(_("language"), max_length=10, choices=Merchant.Language.choices)
    title = models.CharField(_("title"), max_length=300)
    body = models.TextField(_("body"))
    link = models.CharField(_("link"), max_length=300, blank=True)
    texts = models.JSONField(_("texts by language"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"))
    email_status = models.CharField(
        _("e-mail"), max_length=10, choices=EmailStatus.choices, default=EmailStatus.PENDING
    )
    email_claimed_at = models.DateTimeField(_("e-mail claimed at"), null=True, blank=True)
    email_sent_at = models.DateTimeField(_("e-mail sent at"), null=True, blank=True)
    email_attempts = models.PositiveSmallIntegerField(_("e-mail attempts"), default=0)
    email_error = models.CharField(_("last e-mail error"), max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            models.Index(fields=["merchant", "-created_at"], name="notification_merchant_idx"),
            models.Index(
                fields=["created_at"],
                condition=Q(email_status__in=["PENDING", "SENDING"]),
                name="notification_email_todo_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(email_status="SENT", email_sent_at__isnull=False)
                | (~Q(email_status="SENT") & Q(email_sent_at__isnull=True)),
                name="notification_sent_shape",
            )
        ]

    def __str__(self) -> str:
        return self.title

    def text_for(self, language: str) -> tuple[str, str]:
        """(title, body) in `language` when the notice was written in it, else as written."""
        for code in (language, (language or "").split("-")[0]):
            pair = (self.texts or {}).get(code)
            if pair:
                return pair[0], pair[1]
        return self.title, self.body


class NotificationRead(models.Model):
    """That one user has read one notice (and when). Absent row = unread for that user."""

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="reads")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_reads"
    )
    read_at = models.DateTimeField(_("read at"))

    class Meta:
        verbose_name = _("notice read")
        verbose_name_plural = _("notices read")
        constraints = [
            models.UniqueConstraint(
                fields=["notification", "user"], name="notification_read_once_per_user"
            )
        ]
        indexes = [models.Index(fields=["user", "notification"], name="notification_read_user_idx")]

    def __str__(self) -> str:
        return f"{self.notification_id} read by {self.user_id}"


class StaffTwoFactorReset(models.Model):
    """Audit of `reset_staff_2fa`: a staff user's two-factor devices were deleted, by whom, why.

    Invariants:
    - Written in the same transaction that deletes the devices; never edited afterwards.
    - `username` is copied so the row still reads right if the user is later renamed or removed.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="two_factor_resets",
    )
    username = models.CharField(_("username"), max_length=150)
    reset_by = models.CharField(_("reset by"), max_length=150)
    reason = models.TextField(_("reason"))
    devices_removed = models.PositiveSmallIntegerField(_("devices removed"))
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("two-factor reset")
        verbose_name_plural = _("two-factor resets")

    def __str__(self) -> str:
        return f"{self.username} @ {self.created_at:%Y-%m-%d %H:%M}"


class Invitation(models.Model):
    """An e-mailed invitation to join a merchant's team with a role, and the outbox row of its
    e-mail.

    Invariants:
    - The link is signed (`shops.team.invitation_token`: the row's public id and `nonce`,
      signed with the secret key), so the worker that sends the e-mail can rebuild it from the
      row and no secret is stored or queued. A resend draws a new nonce: the older link dies.
    - Single use: accepting sets `accepted_at` by compare-and-set on an open row (not accepted,
      not revoked, not expired); a second use of the link is refused.
    - `role` OWNER only for the first owner of a merchant registered through the partner API;
      owners invite the other roles.
    - E-mail states as Notification's: PENDING → SENDING (claimed) → SENT; a resend puts it back
      to PENDING.
    """

    class EmailStatus(models.TextChoices):
        PENDING = "PENDING", _("To send")
        SENDING = "SENDING", _("Sending")
        SENT = "SENT", _("Sent")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(_("e-mail"))
    role = models.CharField(_("role"), max_length=10, choices=MerchantUser.Role.choices)
    language = models.CharField(_("language"), max_length=10, choices=Merchant.Language.choices)
    nonce = models.CharField(_("link nonce"), max_length=32)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"))
    expires_at = models.DateTimeField(_("expires at"))
    accepted_at = models.DateTimeField(_("invitation accepted at"), null=True, blank=True)
    accepted_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    sends = models.PositiveSmallIntegerField(_("times sent"), default=0)
    email_status = models.CharField(
        _("e-mail"), max_length=10, choices=EmailStatus.choices, default=EmailStatus.PENDING
    )
    email_claimed_at = models.DateTimeField(_("e-mail claimed at"), null=True, blank=True)
    email_sent_at = models.DateTimeField(_("e-mail sent at"), null=True, blank=True)
    email_error = models.CharField(_("last e-mail error"), max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("team invitation")
        verbose_name_plural = _("team invitations")
        constraints = [
            # One open invitation per address per merchant: a second one is a resend.
            models.UniqueConstraint(
                fields=["merchant", "email"],
                condition=Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="invitation_open_unique",
            ),
            models.CheckConstraint(
                condition=Q(accepted_at__isnull=True) | Q(revoked_at__isnull=True),
                name="invitation_accepted_or_revoked",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} → {self.merchant}"


class TeamChange(models.Model):
    """The team's own record: who invited, re-sent, revoked, joined, changed a role or removed
    whom, and when. Append-only; the owner reads it on the team page, ops in the admin. The
    e-mail is copied so the row reads right after the login is gone."""

    class Action(models.TextChoices):
        INVITED = "INVITED", _("Invited")
        RESENT = "RESENT", _("Invitation re-sent")
        REVOKED = "REVOKED", _("Invitation revoked")
        JOINED = "JOINED", _("Joined")
        ROLE_CHANGED = "ROLE_CHANGED", _("Role changed")
        REMOVED = "REMOVED", _("Removed")

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="team_changes")
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    email = models.EmailField(_("e-mail"))
    old_role = models.CharField(
        _("old role"), max_length=10, choices=MerchantUser.Role.choices, blank=True
    )
    new_role = models.CharField(
        _("new role"), max_length=10, choices=MerchantUser.Role.choices, blank=True
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_label = models.CharField(_("by"), max_length=200)
    created_at = models.DateTimeField(_("when"))

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("team change")
        verbose_name_plural = _("team changes")
        indexes = [
            models.Index(fields=["merchant", "-created_at"], name="team_change_merchant_idx")
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()}: {self.email}"


class NotificationPreference(models.Model):
    """One member's choice to get (or not) the e-mails of one group of notices. Absent row =
    e-mailed. Urgent kinds are e-mailed whatever this says (shops.notice_kinds)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notice_preferences"
    )
    group = models.CharField(_("notices"), max_length=20)
    email = models.BooleanField(_("e-mail me"), default=True)
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("notice e-mail preference")
        verbose_name_plural = _("notice e-mail preferences")
        constraints = [
            models.UniqueConstraint(fields=["user", "group"], name="notice_preference_once")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.group}: {self.email}"


class ExportLog(models.Model):
    """One download of an ops list (CSV or XLSX): who, when, which list, with which filters, and
    how many rows it held.

    Invariants:
    - Written before the first row is sent (`finished_at` empty), so an export that breaks off
      still leaves its trace; completed with the number of rows when the last row has gone out.
    - Never edited by hand; `username` is copied so the row reads right after a rename.
    - The permissions below decide who may export which list (granted to roles by
      shops/migrations); the model's own view permission decides who reads this log.
    """

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "XLSX"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="exports",
        verbose_name=_("user"),
    )
    username = models.CharField(_("username"), max_length=150)
    list_label = models.CharField(_("list"), max_length=100, help_text=_("app_label.model"))
    list_name = models.CharField(_("list name"), max_length=200)
    file_format = models.CharField(_("format"), max_length=4, choices=Format.choices)
    filters = models.JSONField(
        _("filters"), default=dict, help_text=_("The list's filters and search, as in its URL.")
    )
    row_count = models.PositiveBigIntegerField(
        _("rows"), null=True, blank=True, help_text=_("Empty until the last row has been sent.")
    )
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("export")
        verbose_name_plural = _("export log")
        indexes = [models.Index(fields=["-started_at"], name="exportlog_started_idx")]
        permissions = [
            ("export_ledger", _("Can export ledger entries")),
            ("export_shops", _("Can export shops with their coverage")),
            ("export_claims", _("Can export claims with their decisions")),
            ("export_audit", _("Can export the audit trail")),
        ]

    def __str__(self) -> str:
        when = f"{self.started_at:%Y-%m-%d %H:%M}"
        return f"{self.list_name} ({self.file_format}) {self.username} @ {when}"
