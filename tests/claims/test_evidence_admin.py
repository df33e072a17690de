"""Ops in the admin: evidence previews through the admin's own view, the ops upload, "mark
malicious" on a claim, and the blacklist with its filter and the lift action."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from claims import services
from claims.models import Claim, ClaimEvidence, ClaimStatus, ConsumerFlag, Outcome, Party
from partners.services import partner_get_or_create
from tests.claims.evidence_files import EXE, PDF, PNG, evidence_dir, stored_files, upload
from tests.claims.test_services import file as file_claim
from tests.factories import fund, make_member, make_shop, make_user

__all__ = ["evidence_dir"]
pytestmark = [pytest.mark.django_db]


@pytest.fixture
def partner(db):
    return partner_get_or_create(name="Tmall")


@pytest.fixture
def claim(partner):
    now = timezone.now()
    shop, account = make_shop(now=now, partner_id=partner.pk)
    fund(account, 5_000_000, now=now)
    return file_claim(partner, shop, now)


@pytest.fixture
def ops(client):
    client.force_login(make_user(staff=True))
    return client


def change_url(claim):
    return reverse("admin:claims_claim_change", args=[claim.pk])


def test_the_claim_page_previews_images_links_pdfs_and_offers_the_ops_tools(ops, claim):
    image = services.evidence_add(
        claim=claim,
        party=Party.CONSUMER,
        upload=upload(PNG, "chat.png"),
        note="",
        now=timezone.now(),
    )
    pdf = services.evidence_add(
        claim=claim,
        party=Party.CONSUMER,
        upload=upload(PDF, "bill.pdf"),
        note="",
        now=timezone.now(),
    )

    page = ops.get(change_url(claim)).content.decode()

    image_url = reverse("admin:claims_claim_evidence_file", args=[claim.pk, image.public_id])
    pdf_url = reverse("admin:claims_claim_evidence_file", args=[claim.pk, pdf.public_id])
    assert f'src="{image_url}?preview=1"' in page
    assert f'href="{pdf_url}"' in page and "bill.pdf (PDF)" in page
    assert "add-ops-evidence" in page and "mark-malicious" in page
    preview = ops.get(image_url + "?preview=1")
    assert preview["Content-Type"] == "image/png"
    assert preview["X-Content-Type-Options"] == "nosniff"
    assert not preview["Content-Disposition"].startswith("attachment")
    download = ops.get(pdf_url + "?preview=1")  # a PDF is never shown inline
    assert download["Content-Disposition"].startswith("attachment")


def test_the_admin_file_view_needs_staff(client, claim):
    evidence = services.evidence_add(
        claim=claim, party=Party.CONSUMER, upload=upload(PNG), note="", now=timezone.now()
    )
    url = reverse("admin:claims_claim_evidence_file", args=[claim.pk, evidence.public_id])

    assert client.get(url).status_code == 302  # the admin's login
    client.force_login(make_member(claim.shop, role="OWNER"))
    assert client.get(url).status_code == 302  # a merchant is not staff


def test_ops_upload_evidence_with_a_note(ops, claim):
    url = reverse("admin:claims_claim_add_ops_evidence", args=[claim.pk])

    assert ops.get(url).status_code == 200
    response = ops.post(url, {"file": upload(PDF, "courier.pdf"), "note": "Courier's record."})

    assert response.status_code == 302
    evidence = ClaimEvidence.objects.get()
    assert (evidence.party, evidence.note) == ("OPS", "Courier's record.")
    assert evidence.submitted_by.startswith("ops:")


def test_a_refused_ops_upload_names_the_file_and_stores_nothing(ops, claim, evidence_dir):
    ops.cookies["django_language"] = "en"
    response = ops.post(
        reverse("admin:claims_claim_add_ops_evidence", args=[claim.pk]),
        {"file": upload(EXE, "a.pdf")},
    )

    assert response.status_code == 400
    assert "Only JPEG, PNG, GIF or PDF" in response.content.decode()
    assert not ClaimEvidence.objects.exists()
    assert stored_files(evidence_dir) == []


def test_ops_mark_a_claim_malicious_with_a_reason_and_an_expiry(ops, claim):
    url = reverse("admin:claims_claim_mark_malicious", args=[claim.pk])
    assert ops.get(url).status_code == 200
    expires = timezone.localtime() + timedelta(days=30)

    response = ops.post(
        url,
        {
            "reason": "Same photo in 12 claims.",
            "expires_at_0": expires.strftime("%Y-%m-%d"),
            "expires_at_1": expires.strftime("%H:%M:%S"),
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    claim.refresh_from_db()
    assert (claim.status, claim.outcome) == (ClaimStatus.DECIDED, Outcome.REJECTED)
    flag = ConsumerFlag.objects.get()
    assert flag.reason == "Same photo in 12 claims."
    assert flag.flagged_by.startswith("ops:")


def test_a_past_expiry_is_refused_naming_the_field(ops, claim):
    ops.cookies["django_language"] = "en"
    past = timezone.localtime() - timedelta(days=1)

    response = ops.post(
        reverse("admin:claims_claim_mark_malicious", args=[claim.pk]),
        {
            "reason": "x",
            "expires_at_0": past.strftime("%Y-%m-%d"),
            "expires_at_1": "00:00:00",
        },
    )

    assert response.status_code == 400
    assert "Must be in the future." in response.content.decode()
    assert not ConsumerFlag.objects.exists()
    assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.NEGOTIATING


def test_the_blacklist_filters_by_state_and_lifts_with_a_reason(ops, claim, partner):
    now = timezone.now()
    services.claim_mark_malicious(
        claim=claim,
        reason="Serial complaints.",
        expires_at=now + timedelta(days=30),
        now=now,
        actor_label="ops:li",
    )
    flag = ConsumerFlag.objects.get()
    changelist = reverse("admin:claims_consumerflag_changelist")

    assert "buyer-1" in ops.get(changelist + "?state=active").content.decode()
    assert "buyer-1" not in ops.get(changelist + "?state=lifted").content.decode()
    assert ops.get(reverse("admin:claims_consumerflag_change", args=[flag.pk])).status_code == 200

    no_reason = ops.post(
        changelist, {"action": "lift", "_selected_action": [flag.pk], "reason": ""}
    )
    assert no_reason.status_code == 302
    flag.refresh_from_db()
    assert flag.lifted_at is None

    ops.post(changelist, {"action": "lift", "_selected_action": [flag.pk], "reason": "Genuine."})

    flag.refresh_from_db()
    assert flag.lift_reason == "Genuine."
    assert "buyer-1" in ops.get(changelist + "?state=lifted").content.decode()


def test_ops_clear_a_review_mark_from_the_claim_list(ops, claim, partner):
    now = timezone.now()
    services.claim_mark_malicious(
        claim=claim, reason="Serial.", expires_at=now + timedelta(days=30), now=now, actor_label="x"
    )
    new = file_claim(partner, claim.shop, now, order_ref="O-2")
    assert new.needs_review

    ops.post(
        reverse("admin:claims_claim_changelist"),
        {"action": "review_done", "_selected_action": [new.pk], "reason": "Looked: genuine."},
    )

    assert not Claim.objects.get(pk=new.pk).needs_review
    assert (
        ops.get(reverse("admin:claims_claim_changelist") + "?needs_review__exact=1").status_code
        == 200
    )
