"""Uploads larger than their view allows are refused from the Content-Length header, before
anything reads the body (common/uploads.py): Django would otherwise spool the whole body to disk
and only then let the service refuse the file. The answer is a 413 page naming the limit."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.urls import reverse
from django.utils import timezone

from claims.domain.evidence import MAX_FILE_BYTES
from deposits.domain.settlement_csv import MAX_FILE_BYTES as SETTLEMENT_MAX
from deposits.models import SettlementImport
from partners.models import Partner
from partners.services import partner_get_or_create
from tests.claims.evidence_files import JPEG, evidence_dir, upload
from tests.claims.test_services import file as file_claim
from tests.factories import fund, make_member, make_shop, make_user

__all__ = ["evidence_dir"]
pytestmark = [pytest.mark.django_db]

MiB = 1024 * 1024


class CountingInput(io.BytesIO):
    """The request body as the server hands it over, counting what the application reads."""

    bytes_read = 0

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self.bytes_read += len(chunk)
        return chunk

    def readline(self, size: int | None = -1) -> bytes:
        chunk = super().readline(size)
        self.bytes_read += len(chunk)
        return chunk


def post_declaring(client: Client, url: str, declared: int, **extra: str) -> tuple:  # type: ignore[type-arg]
    """POST a small real multipart body whose Content-Length says `declared` bytes: what the
    application sees of an upload of that size before it reads any of it."""
    body = CountingInput(
        encode_multipart(BOUNDARY, {"file": upload(JPEG, "scan.jpg"), "note": "big scan"})
    )
    response = client.post(
        url,
        content_type=MULTIPART_CONTENT,
        CONTENT_LENGTH=str(declared),
        **{"wsgi.input": body},
        **extra,
    )
    return response, body


@pytest.fixture
def claim(db):  # type: ignore[no-untyped-def]
    partner = partner_get_or_create(name="Tmall")
    now = timezone.now()
    shop, account = make_shop(now=now, partner_id=partner.pk)
    fund(account, 5_000_000, now=now)
    return file_claim(partner, shop, now)


class TestDashboardEvidence:
    def test_a_body_past_the_limit_is_a_413_naming_it_before_anything_is_read(self, claim):
        client = Client(enforce_csrf_checks=True)  # the CSRF check would read the body first
        client.force_login(make_member(claim.shop, role="OWNER"))
        url = reverse("claims:evidence_upload", args=[claim.public_id])
        back = reverse("claims:evidence", args=[claim.public_id])

        response, body = post_declaring(
            client,
            url,
            declared=200 * MiB,
            HTTP_ACCEPT_LANGUAGE="en",
            HTTP_REFERER=f"http://testserver{back}",
        )

        assert response.status_code == 413
        page = response.content.decode()
        assert "The file is too large" in page
        assert "at most 5 MiB" in page
        assert f'href="http://testserver{back}"' in page
        assert body.bytes_read == 0

    def test_a_file_of_the_largest_size_allowed_is_not_stopped_here(self, claim, evidence_dir):
        client = Client()
        client.force_login(make_member(claim.shop, role="OWNER"))
        url = reverse("claims:evidence_upload", args=[claim.public_id])

        # The multipart envelope and the note around a 5 MiB file stay under the ceiling.
        response, body = post_declaring(client, url, declared=MAX_FILE_BYTES + 16 * 1024)

        assert response.status_code != 413
        assert body.bytes_read > 0  # the view read it; the service judges the file


class TestAdminUploads:
    def test_ops_evidence_past_the_limit_is_a_413_before_anything_is_read(self, claim):
        client = Client(enforce_csrf_checks=True)
        client.force_login(make_user(staff=True))
        url = reverse("admin:claims_claim_add_ops_evidence", args=[claim.pk])

        response, body = post_declaring(client, url, declared=50 * MiB, HTTP_ACCEPT_LANGUAGE="en")

        assert response.status_code == 413
        assert "at most 5 MiB" in response.content.decode()
        assert body.bytes_read == 0

    def test_a_settlement_file_past_the_limit_is_a_413_before_anything_is_read(self):
        client = Client(enforce_csrf_checks=True)
        client.force_login(make_user(staff=True))

        response, body = post_declaring(
            client,
            reverse("admin:deposits_settlementimport_upload"),
            declared=50 * MiB,
            HTTP_ACCEPT_LANGUAGE="en",
        )

        assert response.status_code == 413
        assert body.bytes_read == 0

    def test_an_insurer_statement_past_the_limit_is_a_413_before_anything_is_read(self):
        client = Client(enforce_csrf_checks=True)
        client.force_login(make_user(staff=True))

        response, body = post_declaring(
            client,
            reverse("admin:insurance_insurerstatement_upload"),
            declared=50 * MiB,
            HTTP_ACCEPT_LANGUAGE="en",
        )

        assert response.status_code == 413
        assert "at most 5 MiB" in response.content.decode()
        assert body.bytes_read == 0


def _insurer() -> Partner:
    partner = partner_get_or_create(name="PICC")
    Partner.objects.filter(pk=partner.pk).update(kind=Partner.Kind.INSURER)
    return partner


COUNTERPARTY_UPLOADS = [
    pytest.param("admin:deposits_settlementimport_upload", False, id="settlement"),
    pytest.param("admin:insurance_insurerstatement_upload", True, id="insurer-statement"),
]


class TestCounterpartyFilesPastTheLimitThatStillArrive:
    """The middleware leaves room for the multipart envelope around a file of the largest size,
    so a file a little past the limit arrives: the form refuses it, naming the field and the
    limit, and imports nothing (it used to be "line 0, column file", or nothing at all)."""

    @pytest.mark.parametrize(("url_name", "with_insurer"), COUNTERPARTY_UPLOADS)
    def test_is_a_form_error_naming_the_field_and_the_limit(self, url_name, with_insurer):
        client = Client()
        client.force_login(make_user(staff=True))
        data = {"file": SimpleUploadedFile("big.csv", b"x" * (SETTLEMENT_MAX + 1), "text/csv")}
        if with_insurer:
            data["insurer"] = _insurer().pk

        response = client.post(reverse(url_name), data, HTTP_ACCEPT_LANGUAGE="en")

        assert response.status_code == 400
        page = response.content.decode()
        assert "CSV file: The file is larger than 5 MiB, the most accepted." in page
        assert not SettlementImport.objects.exists()

    @pytest.mark.parametrize(("url_name", "with_insurer"), COUNTERPARTY_UPLOADS)
    def test_reads_in_chinese_too(self, url_name, with_insurer):
        client = Client()
        client.force_login(make_user(staff=True))
        data = {"file": SimpleUploadedFile("big.csv", b"x" * (SETTLEMENT_MAX + 1), "text/csv")}
        if with_insurer:
            data["insurer"] = _insurer().pk

        response = client.post(reverse(url_name), data, HTTP_ACCEPT_LANGUAGE="zh-hans")

        assert response.status_code == 400
        assert "CSV 文件：文件超过 5 MiB 的上限。" in response.content.decode()

    @pytest.mark.parametrize(("url_name", "with_insurer"), COUNTERPARTY_UPLOADS)
    def test_a_body_without_content_length_is_a_400_naming_the_file_not_a_500(
        self, url_name, with_insurer
    ):
        # Chunked: no Content-Length. Django reads such a body as empty, so no file arrives.
        client = Client()
        client.force_login(make_user(staff=True))

        response, _body = post_declaring(
            client, reverse(url_name), declared=0, HTTP_ACCEPT_LANGUAGE="en"
        )

        assert response.status_code == 400
        assert "CSV file: This field is required." in response.content.decode()
        assert not SettlementImport.objects.exists()
