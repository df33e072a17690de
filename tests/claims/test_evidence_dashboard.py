"""The merchant's side of a claim's evidence in the dashboard: who may upload, who may
download, and a refused file shown again with the field named in the page's language."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from claims import services
from claims.models import ClaimEvidence, Party
from partners.services import partner_get_or_create
from tests.claims.evidence_files import EXE, JPEG, PDF, evidence_dir, stored_files, upload
from tests.claims.test_services import file as file_claim
from tests.factories import fund, make_member, make_shop, make_user
from tests.partners.api_client import make_api

__all__ = ["evidence_dir"]
pytestmark = [pytest.mark.django_db]


@pytest.fixture
def partner(db):
    return partner_get_or_create(name="Tmall")


@pytest.fixture
def claim(partner):
    # The page acts at the real time: escalated now, the merchant's evidence window is open.
    now = timezone.now()
    shop, account = make_shop(now=now, partner_id=partner.pk)
    fund(account, 5_000_000, now=now)
    claim = file_claim(partner, shop, now)
    services.claim_escalate(claim=claim, now=now)
    return claim


@pytest.fixture
def consumer_file(claim, now):
    return services.evidence_add(
        claim=claim, party=Party.CONSUMER, upload=upload(PDF, "receipt.pdf"), note="", now=now
    )


def upload_url(claim):
    return reverse("claims:evidence_upload", args=[claim.public_id])


def download_url(evidence):
    return reverse("claims:evidence_download", args=[evidence.claim.public_id, evidence.public_id])


def test_the_owner_uploads_merchant_evidence_and_returns_to_the_page_it_came_from(client, claim):
    client.force_login(make_member(claim.shop, role="OWNER"))
    back = reverse("claims:evidence", args=[claim.public_id]) + "#evidence"

    response = client.post(
        upload_url(claim),
        {"file": upload(JPEG, "waybill.jpg"), "note": "Shipped on day 1.", "next": back},
    )

    assert response.status_code == 302
    assert response["Location"] == back
    evidence = ClaimEvidence.objects.get()
    assert (evidence.party, evidence.filename, evidence.note) == (
        "MERCHANT",
        "waybill.jpg",
        "Shipped on day 1.",
    )
    assert evidence.submitted_by
    page = client.get(reverse("claims:evidence", args=[claim.public_id]))
    assert "waybill.jpg" in page.content.decode()
    assert download_url(evidence) in page.content.decode()


def test_a_next_pointing_elsewhere_is_ignored(client, claim):
    client.force_login(make_member(claim.shop, role="OWNER"))

    response = client.post(
        upload_url(claim), {"file": upload(JPEG), "next": "https://evil.example/"}
    )

    assert response["Location"] == reverse("claims:evidence", args=[claim.public_id])


def test_staff_need_the_deposit_permission_to_upload(client, claim, evidence_dir):
    client.force_login(make_member(claim.shop, role="VIEWER"))

    response = client.post(upload_url(claim), {"file": upload(JPEG)})

    assert response.status_code == 403
    assert not ClaimEvidence.objects.exists()
    client.force_login(make_member(claim.shop, role="CLAIMS"))
    assert client.post(upload_url(claim), {"file": upload(JPEG)}).status_code == 302


@pytest.mark.parametrize(
    ("language", "expected"),
    [("en", "File: Only JPEG, PNG, GIF or PDF"), ("zh-hans", "文件：仅接受")],
)
def test_a_refused_file_is_shown_again_naming_the_field_in_the_users_language(
    client, claim, evidence_dir, language, expected
):
    client.force_login(make_member(claim.shop, role="OWNER"))
    client.cookies["django_language"] = language

    response = client.post(upload_url(claim), {"file": upload(EXE, "invoice.pdf")})

    assert response.status_code == 400
    assert expected in response.content.decode()
    assert not ClaimEvidence.objects.exists()
    assert stored_files(evidence_dir) == []


def test_the_shops_merchant_users_download_an_attachment(client, claim, consumer_file):
    client.force_login(make_member(claim.shop, role="VIEWER"))  # seeing needs no permission

    response = client.get(download_url(consumer_file))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"


def test_another_shops_merchant_cannot_download_or_upload(client, claim, consumer_file, now):
    other_shop, _ = make_shop(now=now)
    client.force_login(make_member(other_shop, role="OWNER"))

    assert client.get(download_url(consumer_file)).status_code == 404
    assert client.post(upload_url(claim), {"file": upload(JPEG)}).status_code == 404
    assert client.get(reverse("claims:evidence", args=[claim.public_id])).status_code == 404


def test_anonymous_users_and_users_without_a_shop_cannot_download(client, consumer_file):
    response = client.get(download_url(consumer_file))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]

    client.force_login(make_user())
    assert client.get(download_url(consumer_file)).status_code == 404


def test_another_partners_key_cannot_download_through_the_dashboard_or_the_api(
    claim, consumer_file
):
    jd = make_api("JD")

    assert jd.get(download_url(consumer_file)).status_code == 302  # no session: the login page
    api_url = f"/api/v1/claims/{claim.public_id}/evidence/{consumer_file.public_id}/"
    assert jd.get(api_url).status_code == 404


def test_the_evidence_directory_is_not_under_any_served_url(settings, client, consumer_file):
    assert not str(settings.CLAIMS_EVIDENCE_DIR).startswith(str(settings.STATIC_ROOT))
    response = client.get(f"/static/{consumer_file.stored_name}")
    assert response.status_code == 404


class TestBothLanguages:
    """The evidence page: no English interface text in Chinese, no Chinese in English."""

    def _text(self, response) -> str:
        html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", response.content.decode(), flags=re.S)
        return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))

    def test_chinese(self, client, claim, consumer_file):
        client.force_login(make_member(claim.shop, role="OWNER"))
        client.cookies["django_language"] = "zh-hans"

        text = self._text(client.get(reverse("claims:evidence", args=[claim.public_id])))
        text = re.sub(r"Shop \d+|C-\d+|O-\d+|receipt\.pdf|[0-9a-f]{12}…|MiB|SHA-256", " ", text)

        assert "举证材料" in text
        words = set(re.findall(r"\b[A-Za-z]{3,}\b", text)) - {
            "English",
            "UTC",
            "JPEG",
            "PNG",
            "GIF",
            "PDF",
        }
        assert not words

    def test_english(self, client, claim, consumer_file):
        client.force_login(make_member(claim.shop, role="OWNER"))
        client.cookies["django_language"] = "en"

        text = self._text(client.get(reverse("claims:evidence", args=[claim.public_id])))

        assert "Add your evidence" in text
        assert set(re.findall(r"[\u4e00-\u9fff]+", text)) <= {"中文", "简体中文", "保证金", "保"}


def test_after_the_merchants_window_the_page_says_it_has_closed_and_stores_nothing(
    client, claim, evidence_dir
):
    client.force_login(make_member(claim.shop, role="OWNER"))
    claim.merchant_evidence_by = timezone.now() - timedelta(minutes=1)
    claim.save(update_fields=["merchant_evidence_by"])

    response = client.post(
        upload_url(claim), {"file": upload(JPEG, "late.jpg")}, HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response.status_code == 400
    assert "Your evidence window for this claim has closed" in response.content.decode()
    assert ClaimEvidence.objects.filter(claim=claim, party=Party.MERCHANT).count() == 0
    assert stored_files(evidence_dir) == []
