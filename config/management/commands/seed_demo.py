"""Idempotent demo data: merchants with shops in every status, their logins and an ops user.

Every posting uses a fixed idempotency key, so running it again replays instead of doubling.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from claims import services as claims
from claims.models import Actor, ClaimStatus
from common.errors import DomainError
from deposits import services as deposits
from deposits.models import Account
from insurance import services as insurance
from insurance.models import InsuranceApplication
from partners.models import Partner
from shops import services as shops
from shops.models import Merchant, MerchantUser, Shop

YUAN = 100
OPS = ("ops", "ops-demo-2026")
OWNER = ("merchant", "merchant-demo-2026")
STAFF = ("staff", "staff-demo-2026")
OTHER = ("merchant2", "merchant2-demo-2026")
# One staff user per role (groups from shops/migrations/0007_staff_roles.py), username = role,
# so four-eyes can be tried by hand with two browsers.
ROLE_USERS = [
    ("claims_agent", "claims_agent-demo-2026"),
    ("finance", "finance-demo-2026"),
    ("risk", "risk-demo-2026"),
    ("supervisor", "supervisor-demo-2026"),
    ("auditor", "auditor-demo-2026"),
]

SHOPS = [
    # external_ref, name, type, trademark, categories, scenario
    ("demo-yj-flagship", "云锦服饰旗舰店", "FLAGSHIP", "REGISTERED", ["apparel"], "active"),
    (
        "demo-yj-kids",
        "云锦童装专卖店",
        "SPECIALTY",
        "APPLIED",
        ["apparel", "shoes_bags"],
        "onboarding",
    ),
    (
        "demo-yj-home",
        "云锦家居专营店",
        "FRANCHISE",
        "REGISTERED",
        ["home_furnishing"],
        "restricted",
    ),
    (
        "demo-yj-health",
        "云锦保健专营店",
        "FRANCHISE",
        "APPLIED",
        ["health_supplements", "food"],
        "frozen",
    ),
    ("demo-yj-books", "云锦图书旗舰店", "FLAGSHIP", "REGISTERED", ["books_media"], "closed"),
]

# The flagship's consumer claims (seed_demo._claims): how long ago each was filed and the
# status it is brought to.
DEMO_CLAIMS = [
    {
        "ref": "demo-claim-late-1",
        "reason": "LATE_SHIPMENT",
        "order": "ORDER-20261204-1031",
        "paid": 459 * YUAN,
        "consumer": "buyer-3391",
        "story": "付款后 48 小时仍未发货，客服一直未回复。\nNot shipped 48 hours after payment.",
        "filed": timedelta(hours=40),
        "to": "NEGOTIATING",
    },
    {
        "ref": "demo-claim-fake-1",
        "reason": "COUNTERFEIT",
        "order": "ORDER-20261206-2207",
        "paid": 1_280 * YUAN,
        "consumer": "buyer-5120",
        "story": (
            "收到的羊绒大衣吊牌与官网不符，怀疑是仿品。\nThe label does not match the brand's."
        ),
        "filed": timedelta(hours=3),
        "to": "NEGOTIATING",
        "requested": 6_400 * YUAN,
    },
    {
        "ref": "demo-claim-false-1",
        "reason": "FALSE_SHIPMENT",
        "order": "ORDER-20261202-0815",
        "paid": 899 * YUAN,
        "consumer": "buyer-0781",
        "story": "物流单号三天没有任何揽收记录。\nThe tracking number shows no pick-up in 3 days.",
        "filed": timedelta(days=2),
        "to": "IN_REVIEW",
    },
    {
        "ref": "demo-claim-late-2",
        "reason": "LATE_SHIPMENT",
        "order": "ORDER-20261123-4410",
        "paid": 2_560 * YUAN,
        "consumer": "buyer-2046",
        "story": (
            "承诺 24 小时发货，实际第 4 天才发出。\nPromised within 24 hours, shipped on day 4."
        ),
        "filed": timedelta(days=10),
        "to": "DECIDED",
    },
    {
        "ref": "demo-claim-settled-1",
        "reason": "OUT_OF_STOCK",
        "order": "ORDER-20261129-3302",
        "paid": 329 * YUAN,
        "consumer": "buyer-7702",
        "story": "下单后被告知缺货。\nTold the item was out of stock after paying.",
        "filed": timedelta(days=6),
        "to": "SETTLED",
    },
]


class Command(BaseCommand):
    help = "Create demo data (idempotent). Refuses with DJANGO_DEBUG off unless --force."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="Seed even with DEBUG off.")

    def handle(self, *args: object, **options: object) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "seed_demo creates users with known passwords; it refuses to run with "
                "DJANGO_DEBUG off. Pass --force if this really is a demo installation."
            )
        now = timezone.now()
        # Authenticator secrets are handed out only on a development machine (DEBUG): with
        # --force on a production-settings installation the staff enrol at their first sign-in
        # (QR code), and no secret ever reaches a terminal or a log.
        demo_secrets = bool(settings.DEBUG)
        with transaction.atomic():
            self._seed(now)
            staff_secrets = self._staff(demo_secrets=demo_secrets)
            # The ops overview's totals and charts, before beat's first run (every 5 minutes).
            deposits.daily_snapshots_backfill(now=now)
            deposits.daily_snapshot_take(now=now)
        self.stdout.write(self.style.SUCCESS("Demo data is in place. Logins:"))
        self.stdout.write(f"  ops admin        {OPS[0]} / {OPS[1]}")
        for username, password in ROLE_USERS:
            self.stdout.write(f"  {username:<16} {username} / {password}")
        if demo_secrets:
            self.stdout.write(
                "  Staff sign in with a second factor: add these TOTP secrets (base32) to an "
                "authenticator app (demo only):"
            )
            for username, secret in staff_secrets.items():
                self.stdout.write(f"    {username:<14} {secret}")
        else:
            self.stdout.write(
                "  Staff set up their authenticator app at their first sign-in (DEBUG is off: "
                "no secrets printed)."
            )
        self.stdout.write(f"  merchant owner   {OWNER[0]} / {OWNER[1]}   (5 shops, every status)")
        self.stdout.write(f"  merchant staff   {STAFF[0]} / {STAFF[1]}   (viewer, no amounts)")
        self.stdout.write(f"  other merchant   {OTHER[0]} / {OTHER[1]}")

    def _user(self, username: str, password: str, *, email: str, staff: bool = False):  # type: ignore[no-untyped-def]
        User = get_user_model()
        user, created = User.objects.get_or_create(username=username, defaults={"email": email})
        if created:
            user.set_password(password)
        user.is_staff = user.is_superuser = staff
        user.save()
        return user

    def _staff(self, *, demo_secrets: bool) -> dict[str, str]:
        """The role users, and (demo only) a confirmed authenticator for every staff user
        shown by its secret. Returns {username: base32 secret}; empty without demo_secrets."""
        from django.contrib.auth.models import Group
        from django_otp.plugins.otp_totp.models import TOTPDevice

        from shops.two_factor import TOTP_NAME, totp_secret_base32

        for username, password in ROLE_USERS:
            user = self._user(username, password, email=f"{username}@deposit-desk.local")
            user.is_staff = True
            user.save(update_fields=["is_staff"])
            user.groups.set([Group.objects.get(name=username)])
        if not demo_secrets:
            return {}
        secrets: dict[str, str] = {}
        for username in [OPS[0], *(name for name, _ in ROLE_USERS)]:
            user = get_user_model().objects.get(username=username)
            device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
            if device is None:
                device = TOTPDevice.objects.create(user=user, name=TOTP_NAME, confirmed=True)
            secrets[username] = totp_secret_base32(device)
        return secrets

    def _seed(self, now):  # type: ignore[no-untyped-def]
        self._user(*OPS, email="ops@deposit-desk.local", staff=True)
        partner, _ = Partner.objects.get_or_create(
            name="Demo Marketplace", defaults={"kind": Partner.Kind.MARKETPLACE}
        )
        owner = self._user(*OWNER, email="owner@yunjin.example")
        staff = self._user(*STAFF, email="staff@yunjin.example")
        other = self._user(*OTHER, email="owner@bright.example")

        for ref, name, shop_type, trademark, cats, scenario in SHOPS:
            shop = self._shop(
                partner,
                ref,
                name,
                shop_type,
                trademark,
                cats,
                "owner@yunjin.example",
                "杭州云锦服饰有限公司",
                now,
            )
            self._scenario(shop, scenario, now)
        merchant = Merchant.objects.get(contact_email="owner@yunjin.example")
        MerchantUser.objects.get_or_create(
            user=owner, defaults={"merchant": merchant, "role": MerchantUser.Role.OWNER}
        )
        MerchantUser.objects.get_or_create(
            user=staff, defaults={"merchant": merchant, "role": MerchantUser.Role.VIEWER}
        )

        shop = self._shop(
            partner,
            "demo-bright-3c",
            "Bright Digital Flagship",
            "FLAGSHIP",
            "REGISTERED",
            ["digital_3c"],
            "owner@bright.example",
            "Shenzhen Bright Digital Co., Ltd.",
            now,
        )
        self._scenario(shop, "active", now)
        merchant2 = Merchant.objects.get(contact_email="owner@bright.example")
        Merchant.objects.filter(pk=merchant2.pk).update(language="en")
        MerchantUser.objects.get_or_create(
            user=other, defaults={"merchant": merchant2, "role": MerchantUser.Role.OWNER}
        )
        self._insurance(now)
        self._claims(partner, now)

    def _insurance(self, now):  # type: ignore[no-untyped-def]
        """An insurer for both default products, and the kids' shop (onboarding, apparel) with an
        accepted policy awaiting its premium: the merchant can pay it in the sandbox and watch
        the shop go live on the guarantee."""
        insurer, _ = Partner.objects.get_or_create(
            name="Demo Insurer 众安保险", defaults={"kind": Partner.Kind.INSURER}
        )
        for code in ("perf-bond", "perf-bond-half"):
            insurance.product_insurer_assign(code=code, insurer_id=insurer.pk, now=now)
        kids = Shop.objects.get(external_ref="demo-yj-kids")
        if InsuranceApplication.objects.filter(shop=kids).exists():
            return
        quote = insurance.quote_create(shop=kids, now=now)
        application = insurance.application_submit(shop=kids, quote=quote, now=now)
        insurance.application_accept(
            application=application,
            insurer_id=insurer.pk,
            policy_number="ZA-DEMO-0001",
            now=now,
        )

    def _claims(self, partner, now):  # type: ignore[no-untyped-def]
        """Consumer claims against the flagship in every step the merchant meets: an answer due
        within hours, a fresh counterfeit complaint, one escalated by the merchant with the
        evidence window open, one decided (paid from the deposit, the appeal window open) and
        one settled. Filed and moved on through the services at past moments; the
        external_ref makes filing a replay, and each step runs only from the status before it."""
        shop = Shop.objects.get(partner=partner, external_ref="demo-yj-flagship")
        owner = OWNER[0]
        for spec in DEMO_CLAIMS:
            filed_at = now - spec["filed"]
            claim, _ = claims.claim_file(
                partner_id=partner.pk,
                shop=shop,
                external_ref=spec["ref"],
                reason=spec["reason"],
                order_ref=spec["order"],
                order_paid_minor=spec["paid"],
                currency="CNY",
                order_paid_at=filed_at - timedelta(days=3),
                order_shipped_at=None,
                consumer_ref=spec["consumer"],
                description=spec["story"],
                now=filed_at,
                requested_minor=spec.get("requested"),
            )
            if spec["to"] == "SETTLED" and claim.status == ClaimStatus.NEGOTIATING:
                claims.claim_settle(
                    claim=claim,
                    now=filed_at + timedelta(hours=5),
                    actor_label=owner,
                    note="已在平台全额退款 (refunded in full)",
                )
            if spec["to"] in ("IN_REVIEW", "DECIDED") and claim.status == ClaimStatus.NEGOTIATING:
                claim = claims.claim_escalate(
                    claim=claim,
                    now=filed_at + timedelta(hours=20),
                    note="包裹已于付款次日发出，物流单号 SF1234567890。",
                    actor=Actor.MERCHANT,
                    actor_label=owner,
                )
            if spec["to"] == "DECIDED" and claim.status == ClaimStatus.IN_REVIEW:
                claims.claim_decide(
                    claim=claim,
                    outcome="UPHELD",
                    now=now - timedelta(days=2),
                    note="物流记录显示超过 48 小时才揽收 (collected after 48 hours).",
                    actor=Actor.OPS,
                    actor_label=OPS[0],
                )

    def _shop(self, partner, ref, name, shop_type, trademark, cats, email, company, now):  # type: ignore[no-untyped-def]
        existing = Shop.objects.filter(partner=partner, external_ref=ref).first()
        if existing:
            return existing
        shop, _ = deposits.shop_register(
            merchant_email=email,
            merchant_name=company,
            name=name,
            shop_type=shop_type,
            trademark_status=trademark,
            category_codes=cats,
            external_ref=ref,
            partner_id=partner.pk,
            now=now,
        )
        return shop

    def _post(self, fn, **kwargs):  # type: ignore[no-untyped-def]
        try:
            return fn(**kwargs)
        except DomainError:
            return None  # a replayed refusal: already seeded

    def _scenario(self, shop: Shop, scenario: str, now) -> None:  # type: ignore[no-untyped-def]
        account = Account.objects.get(shop=shop)
        ref = shop.external_ref
        required = account.required_minor
        ops_user = get_user_model().objects.get(username=OPS[0])

        def top_up(amount: int, n: int, days_ago: int) -> None:
            self._post(
                deposits.deposit_top_up,
                account_id=account.pk,
                amount_minor=amount,
                currency="CNY",
                payment_ref=f"PAY-{ref}-{n}",
                idempotency_key=f"seed:{ref}:top-up:{n}",
                now=now - timedelta(days=days_ago),
            )

        if scenario == "onboarding":
            top_up(30_000 * YUAN, 1, 3)
            return
        top_up(required, 1, 60)
        if scenario == "active":
            self._post(
                deposits.deposit_deduct,
                account_id=account.pk,
                amount_minor=150 * YUAN,
                currency="CNY",
                reason="延迟发货赔付 (late shipment)",
                reference="ORDER-20261101-0042",
                idempotency_key=f"seed:{ref}:deduct:1",
                now=now - timedelta(days=20),
            )
            top_up(150 * YUAN, 2, 19)
            top_up(5_000 * YUAN, 3, 10)
            self._post(
                deposits.hold_place,
                account_id=account.pk,
                amount_minor=2_000 * YUAN,
                currency="CNY",
                reason="Counterfeit complaint under review (假一赔四)",
                reference="CLAIM-8812",
                expires_at=now + timedelta(days=12),
                idempotency_key=f"seed:{ref}:hold:1",
                now=now - timedelta(days=2),
            )
        elif scenario == "restricted":
            self._post(
                deposits.deposit_deduct,
                account_id=account.pk,
                amount_minor=12_000 * YUAN,
                currency="CNY",
                reason="虚假发货赔付 (false shipment)",
                reference="ORDER-20261110-7781",
                idempotency_key=f"seed:{ref}:deduct:1",
                now=now - timedelta(days=4),
            )
            # The shortfall engine itself opens the case (4 days ago) and applies the ladder's
            # 72-hour step, so the restriction is tied to the case and a top-up lifts it.
            deposits.shortfall_evaluate(shop_id=shop.pk, now=now - timedelta(days=4))
            deposits.shortfall_evaluate(shop_id=shop.pk, now=now)
        elif scenario == "frozen":
            shops.shop_freeze(
                shop=shop,
                actor=ops_user,
                now=now - timedelta(hours=6),
                reason="Counterfeit investigation opened by the platform (case 2211).",
            )
        elif scenario == "closed":
            if shop.closed_at is None:
                deposits.shop_exit_confirm(shop=shop, now=now - timedelta(days=50))
            self._post(
                deposits.deposit_refund_on_exit,
                account_id=account.pk,
                idempotency_key=f"seed:{ref}:exit-refund",
                now=now,
            )
