"""The people and objects the IDOR matrix tries every URL with.

Merchant A is the dashboard's world (tests/dashboard_pages.build_world: shops with a ledger,
claims in every step, an insured shop with recoveries), with one member of every team role and
an open invitation; merchant B is another company with a shop and a claim of its own, signed in
as its owner. On the API side, partner A (Tmall, A's marketplace) and its insurer PICC hold keys
with every scope, A also a key with none of the endpoints' scopes, and partner JD is another
marketplace with a shop and a claim of its own. Every object an id in a URL can name exists
once, owned by A (or by PICC where the insurer owns it: the applications it underwrites); B's
and JD's shop and claim are there to be put in front of A's child in a URL that names both.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.utils import timezone

from tests.dashboard_pages import World, build_world, file_claim
from tests.factories import make_member, make_shop
from tests.partners.api_client import Api, make_api

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 200


@dataclass
class IdorWorld:
    a: World
    members: dict[str, Any]  # role -> user of merchant A
    other_owner: Any  # the owner of merchant B
    apis: dict[str, Api]  # owner, no_scope, insurer, other_partner
    ids: dict[str, str] = field(default_factory=dict)  # what the URLs' ids are filled with
    # B's and JD's own parents (shops, claims), for a URL naming their parent and A's child.
    other_merchant_ids: dict[str, str] = field(default_factory=dict)
    other_partner_ids: dict[str, str] = field(default_factory=dict)


def build_idor_world(*, evidence_dir: Any) -> IdorWorld:
    from claims import services as claims
    from deposits import services as deposits
    from deposits.models import Account
    from insurance import services as insurance
    from insurance.models import Recovery
    from shops import team
    from shops.models import MerchantUser

    now = timezone.now()
    a = build_world(now=now)
    members = {"OWNER": a.owner}
    for role in ("VIEWER", "FINANCE", "CLAIMS"):
        members[role] = make_member(a.flagship, role=role)
    invitation = team.member_invite(
        merchant=a.flagship.merchant,
        email="new.colleague@yunjin.example",
        role="VIEWER",
        language="zh-hans",
        actor=a.owner,
        now=now,
    )
    b_shop, _ = make_shop(now=now, partner_id=a.partner.pk)
    other_owner = make_member(b_shop, role="OWNER")

    apis = {
        "owner": make_api("Tmall"),
        # Same partner, a key that may only read events: none of the URLs below needs that.
        "no_scope": make_api("Tmall", scopes=["events:read"]),
        "insurer": make_api("PICC"),
        "other_partner": make_api("JD"),
    }
    api = apis["owner"]
    shop = str(a.flagship.public_id)
    endpoint = api.post(
        "/api/v1/webhook-endpoints/",
        {"url": "https://a.example.com/hooks", "event_types": ["*"]},
    ).json()
    hold = api.post(
        f"/api/v1/shops/{shop}/holds/",
        {
            "amount_minor": 1_000,
            "currency": "CNY",
            "reason": "claim",
            "reference": "c-1",
            "expires_at": (now + timedelta(days=3)).isoformat(),
        },
    ).json()
    deposits.deposit_withdraw(
        account_id=Account.objects.get(shop=a.flagship).pk,
        amount_minor=100,
        currency="CNY",
        idempotency_key="idor-withdrawal",
        now=now,
    )
    from deposits.models import Withdrawal
    from partners.models import Delivery

    withdrawal = Withdrawal.objects.get(account__shop=a.flagship)
    delivery = Delivery.objects.filter(endpoint__public_id=endpoint["id"]).first()
    assert delivery is not None, "the hold's event was queued for the endpoint"

    quote = insurance.quote_create(shop=a.flagship, now=now)
    application = insurance.application_submit(shop=a.flagship, quote=quote, now=now)
    insurance.policy_document_issue(policy_id=a.policy.pk, now=now)
    recovery = Recovery.objects.filter(policy=a.policy).order_by("id").first()

    review = a.claims["review"]
    from django.core.files.uploadedfile import SimpleUploadedFile

    evidence = claims.evidence_add(
        claim=review,
        party="CONSUMER",
        upload=SimpleUploadedFile("photo.jpg", JPEG, content_type="image/jpeg"),
        note="",
        now=now,
    )
    viewer = MerchantUser.objects.get(user=members["VIEWER"])
    ids = {
        "shop_id": shop,
        "insured_shop_id": str(a.insured.public_id),
        "policy_id": str(a.policy.public_id),
        "recovery_id": str(recovery.public_id),
        "claim_id": str(review.public_id),
        "negotiating_claim_id": str(a.claims["fresh"].public_id),
        "decided_claim_id": str(a.claims["decided"].public_id),
        "evidence_id": str(evidence.public_id),
        "invitation_id": str(invitation.public_id),
        "member_id": str(viewer.pk),
        "removable_member_id": str(MerchantUser.objects.get(user=members["FINANCE"]).pk),
        "hold_id": hold["id"],
        "reference": withdrawal.reference,
        "application_id": str(application.public_id),
        "endpoint_id": endpoint["id"],
        "delivery_id": str(delivery.public_id),
    }
    b_claim = file_claim(a.partner, b_shop, "IDOR-B-1", "LATE_SHIPMENT", 5_000, now, "Late.")
    jd_shop, _ = make_shop(now=now, partner_id=apis["other_partner"].partner.pk)
    jd_claim = file_claim(
        apis["other_partner"].partner, jd_shop, "IDOR-JD-1", "LATE_SHIPMENT", 5_000, now, "Late."
    )
    other_merchant_ids = {
        "shop_id": str(b_shop.public_id),
        "insured_shop_id": str(b_shop.public_id),
        "claim_id": str(b_claim.public_id),
    }
    other_partner_ids = {"claim_id": str(jd_claim.public_id)}
    return IdorWorld(
        a=a,
        members=members,
        other_owner=other_owner,
        apis=apis,
        ids=ids,
        other_merchant_ids=other_merchant_ids,
        other_partner_ids=other_partner_ids,
    )
