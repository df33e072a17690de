"""Claims evidence attacked (issue 16, section 4): files that lie about what they are, names
that try to be paths or programs, and who may fetch a file through each of the three doors
(the partner API, the merchant dashboard, the ops admin), with the headers that keep a browser
from running what it fetches."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from claims import services
from claims.models import ClaimEvidence, Party
from common.errors import InvalidInput
from partners.services import partner_get_or_create
from tests.claims.evidence_files import GIF, JPEG, PDF, PNG, evidence_dir, stored_files, upload
from tests.claims.test_services import file as file_claim
from tests.factories import fund, make_member, make_shop, make_user
from tests.partners.api_client import Api

__all__ = ["evidence_dir"]
pytestmark = [pytest.mark.django_db]

HTML_PAGE = b"<!DOCTYPE html><html><body><script>fetch('/api/v1/shops/')</script></body></html>"
SVG_WITH_SCRIPT = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg">'
    b"<script>alert(document.cookie)</script></svg>"
)
# Starts as a real GIF, goes on as a page: a browser guessing the type would run it.
GIF_HTML_POLYGLOT = GIF + b"<html><script>alert(document.domain)</script></html>"
# A JPEG whose comment segment (COM, 0xFFFE) carries a script.
JPEG_WITH_SCRIPT_COMMENT = b"\xff\xd8\xff\xfe\x00\x20<script>alert(1)</script>      " + JPEG[2:]
PDF_WITH_JAVASCRIPT = (
    b"%PDF-1.4\n1 0 obj << /Type /Catalog /OpenAction 2 0 R >> endobj\n"
    b"2 0 obj << /S /JavaScript /JS (app.alert('x')) >> endobj\ntrailer <<>>\n%%EOF\n"
)
# The same with the name spelled through PDF's #xx escapes, as malware does to dodge filters.
PDF_WITH_ESCAPED_JAVASCRIPT = PDF_WITH_JAVASCRIPT.replace(b"/JavaScript", b"/J#61va#53cript")
PDF_LAUNCHING_A_PROGRAM = (
    b"%PDF-1.4\n1 0 obj << /OpenAction << /S /Launch /F (cmd.exe) >> >> endobj\n%%EOF\n"
)
PDF_WITH_AN_EMBEDDED_FILE = (
    b"%PDF-1.4\n1 0 obj << /Type /EmbeddedFile /Length 2 >> stream\nMZ\nendstream endobj\n%%EOF\n"
)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def partner(db):
    return partner_get_or_create(name="Tmall")


@pytest.fixture
def claim(partner):
    now = timezone.now()
    shop, account = make_shop(now=now, partner_id=partner.pk)
    fund(account, 5_000_000, now=now)
    claim = file_claim(partner, shop, now)
    services.claim_escalate(claim=claim, now=now)
    return claim


def add(claim, content, name="photo.jpg", content_type="image/jpeg"):
    return services.evidence_add(
        claim=claim,
        party=Party.CONSUMER,
        upload=upload(content, name, content_type),
        note="",
        now=timezone.now(),
    )


class TestTheTypeComesFromTheBytes:
    @pytest.mark.parametrize(
        ("content", "name", "declared"),
        [
            (HTML_PAGE, "invoice.pdf", "application/pdf"),
            (SVG_WITH_SCRIPT, "chat.png", "image/png"),
            (SVG_WITH_SCRIPT, "chat.svg", "image/svg+xml"),
        ],
        ids=["html named and declared pdf", "svg named png", "svg as svg"],
    )
    def test_a_file_that_is_not_an_accepted_type_is_refused_whatever_it_is_called(
        self, claim, evidence_dir, content, name, declared
    ):
        with pytest.raises(InvalidInput) as refused:
            add(claim, content, name, declared)

        assert "judged by their content" in refused.value.fields["file"][0]
        assert stored_files(evidence_dir) == []

    @pytest.mark.parametrize(
        "content",
        [
            GIF_HTML_POLYGLOT,
            JPEG_WITH_SCRIPT_COMMENT,
            PNG + b"<svg onload=alert(1)>",
            PDF_WITH_JAVASCRIPT,
            PDF_WITH_ESCAPED_JAVASCRIPT,
            PDF_LAUNCHING_A_PROGRAM,
            PDF_WITH_AN_EMBEDDED_FILE,
        ],
        ids=[
            "gif+html polyglot",
            "jpeg with a script comment",
            "png with svg after it",
            "pdf running javascript",
            "pdf javascript spelled with #xx",
            "pdf launching a program",
            "pdf with an embedded file",
        ],
    )
    def test_a_file_that_starts_right_but_carries_active_content_is_refused(
        self, claim, evidence_dir, content
    ):
        with pytest.raises(InvalidInput) as refused:
            add(claim, content, "evidence.gif")

        assert "active content" in refused.value.fields["file"][0]
        assert not ClaimEvidence.objects.exists()
        assert stored_files(evidence_dir) == []

    def test_plain_files_of_each_type_still_pass(self, claim):
        for content in (JPEG, PNG, GIF, PDF):
            add(claim, content)
        assert ClaimEvidence.objects.count() == 4

    def test_a_pdf_whose_text_merely_mentions_json_is_not_taken_for_javascript(self, claim):
        add(claim, b"%PDF-1.4\n1 0 obj << /JSON (x) /JSX 1 >> endobj\n%%EOF\n", "a.pdf")
        assert ClaimEvidence.objects.count() == 1


class TestNames:
    def test_a_path_and_control_characters_never_reach_the_disk_or_the_header(
        self, claim, evidence_dir, client
    ):
        evidence = add(claim, PDF, "..\\..\\..\\etc/passwd\r\nX-Evil: 1\x00.pdf", "application/pdf")

        assert evidence.filename == "passwdX-Evil: 1.pdf"
        [stored] = stored_files(evidence_dir)
        assert stored.parent.parent == evidence_dir  # <claim>/<random>.pdf, inside the dir
        client.force_login(make_member(claim.shop, role="OWNER"))
        disposition = client.get(dashboard_url(evidence))["Content-Disposition"]
        assert "\r" not in disposition and "\n" not in disposition
        assert disposition == 'attachment; filename="passwdX-Evil_ 1.pdf"'

    @pytest.mark.parametrize(
        ("name", "content", "saved_as"),
        [
            ("invoice.pdf.exe", PDF, "invoice.pdf.exe.pdf"),
            ("photo.jpg.html", JPEG, "photo.jpg.html.jpg"),
            ("receipt.jpg", PDF, "receipt.jpg.pdf"),
            ('a"; filename="evil.exe', PDF, "a__ filename=_evil.exe.pdf"),
            ("scan.PDF", PDF, "scan.PDF"),
            ("收据.jpeg", JPEG, "收据.jpeg"),
        ],
    )
    def test_a_download_is_named_for_what_the_file_is(self, claim, client, name, content, saved_as):
        evidence = add(claim, content, name)
        client.force_login(make_member(claim.shop, role="OWNER"))

        response = client.get(dashboard_url(evidence))

        assert response.status_code == 200
        disposition = response["Content-Disposition"]
        assert disposition.startswith("attachment;")
        if saved_as.isascii():
            assert disposition == f'attachment; filename="{saved_as}"'
        else:
            assert disposition.endswith("''" + _percent(saved_as))


def _percent(name: str) -> str:
    from urllib.parse import quote

    return quote(name)


def dashboard_url(evidence):
    return reverse("claims:evidence_download", args=[evidence.claim.public_id, evidence.public_id])


def api_url(evidence):
    return f"/api/v1/claims/{evidence.claim.public_id}/evidence/{evidence.public_id}/"


def admin_url(evidence, preview: bool = False):
    url = reverse("admin:claims_claim_evidence_file", args=[evidence.claim_id, evidence.public_id])
    return url + ("?preview=1" if preview else "")


def _partner_api(partner) -> Api:
    issued = __import__("partners.services", fromlist=["api_key_create"]).api_key_create(
        partner=partner, now=timezone.now()
    )
    return Api(partner=partner, api_key=issued.api_key, raw_key=issued.raw)


class TestServing:
    @pytest.mark.parametrize("door", ["api", "dashboard", "admin", "admin preview"])
    def test_every_door_serves_an_attachment_with_nosniff_and_a_sandbox(
        self, claim, partner, client, door
    ):
        evidence = add(claim, PDF, "receipt.pdf")
        if door == "api":
            response = _partner_api(partner).get(api_url(evidence))
        elif door == "dashboard":
            client.force_login(make_member(claim.shop, role="CLAIMS"))
            response = client.get(dashboard_url(evidence))
        else:
            client.force_login(make_user(staff=True))
            response = client.get(admin_url(evidence, preview=door == "admin preview"))

        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response["X-Content-Type-Options"] == "nosniff"
        # A PDF is never shown inline, not even as the admin's preview (images only).
        assert response["Content-Disposition"] == 'attachment; filename="receipt.pdf"'
        assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
        assert "private" in response["Cache-Control"] and "no-store" in response["Cache-Control"]

    def test_another_merchant_another_partner_and_a_staff_user_without_a_role_get_404(
        self, claim, client, now
    ):
        evidence = add(claim, PDF, "receipt.pdf")
        other_shop, _ = make_shop(now=now)
        client.force_login(make_member(other_shop, role="OWNER"))
        assert client.get(dashboard_url(evidence)).status_code == 404

        other_partner = partner_get_or_create(name=f"JD-{uuid.uuid4().hex[:6]}")
        assert _partner_api(other_partner).get(api_url(evidence)).status_code == 404

        no_role = make_user()
        no_role.is_staff = True
        no_role.save()
        client.force_login(no_role)
        assert client.get(admin_url(evidence)).status_code in (403, 404)
