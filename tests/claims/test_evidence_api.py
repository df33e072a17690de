"""POST /api/v1/claims/{id}/evidence/ and the download: the contract's shape, the 400s naming
`file` with nothing stored, idempotency over the file's content, and tenancy."""

from __future__ import annotations

import hashlib
import uuid

import pytest

from claims.domain.evidence import MAX_FILE_BYTES
from claims.models import ClaimEvidence
from tests.claims.evidence_files import EXE, JPEG, PDF, PNG, evidence_dir, stored_files, upload
from tests.claims.test_api import file as file_claim
from tests.partners.api_client import funded_shop, make_api

__all__ = ["evidence_dir"]
pytestmark = [pytest.mark.django_db]


@pytest.fixture
def api(db):
    return make_api("Tmall")


@pytest.fixture
def claim(api):
    shop = funded_shop(api)
    response = file_claim(api, shop["id"])
    assert response.status_code == 201, response.content
    return response.json()


def post_evidence(api, claim_id, content=JPEG, *, name="photo.jpg", note=None, key=None):
    data = {"file": upload(content, name)}
    if note is not None:
        data["note"] = note
    return api.client.post(
        f"/api/v1/claims/{claim_id}/evidence/",
        data,
        headers=api.headers({"Idempotency-Key": key or str(uuid.uuid4())}),
    )


def test_evidence_is_stored_and_answered_with_exactly_the_contract_fields(api, claim):
    response = post_evidence(api, claim["id"], PNG, name="chat.png", note="The seller's promise.")

    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == {"id", "party", "filename", "size", "sha256", "note", "submitted_at"}
    assert body["party"] == "CONSUMER"
    assert body["filename"] == "chat.png"
    assert body["size"] == len(PNG)
    assert body["sha256"] == hashlib.sha256(PNG).hexdigest()
    assert body["note"] == "The seller's promise."
    detail = api.get(f"/api/v1/claims/{claim['id']}/").json()
    assert detail["evidence"] == [body]
    assert detail["timeline"][-1]["action"] == "evidence added:CONSUMER"


@pytest.mark.parametrize(
    "content",
    [EXE, JPEG + b"\x00" * (6 * 1024 * 1024), b""],
    ids=["renamed executable", "6 MiB", "empty"],
)
def test_a_bad_file_is_a_400_naming_file_and_nothing_is_stored(api, claim, evidence_dir, content):
    response = post_evidence(api, claim["id"], content, name="photo.jpg")

    assert response.status_code == 400, response.content
    assert response.json()["code"] == "validation_error"
    assert list(response.json()["fields"]) == ["file"]
    assert not ClaimEvidence.objects.exists()
    assert stored_files(evidence_dir) == []


def test_the_eleventh_file_is_a_400_naming_file(api, claim, evidence_dir):
    for i in range(10):
        assert post_evidence(api, claim["id"], PDF, name=f"{i}.pdf").status_code == 201

    response = post_evidence(api, claim["id"], PDF, name="10.pdf")

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["file"]
    assert ClaimEvidence.objects.count() == 10
    assert len(stored_files(evidence_dir)) == 10


def test_a_missing_file_is_a_400_naming_file(api, claim):
    response = api.client.post(
        f"/api/v1/claims/{claim['id']}/evidence/",
        {"note": "no file"},
        headers=api.headers({"Idempotency-Key": "k-1"}),
    )

    assert response.status_code == 400
    assert "file" in response.json()["fields"]


def test_a_body_far_beyond_the_limit_is_refused_naming_file_before_it_is_read(api, claim):
    response = post_evidence(api, claim["id"], JPEG + b"\x00" * (MAX_FILE_BYTES + 200_000))

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["file"]


def test_a_replay_returns_the_same_evidence_and_another_file_under_the_key_is_refused(api, claim):
    first = post_evidence(api, claim["id"], JPEG, key="ev-1")
    again = post_evidence(api, claim["id"], JPEG, key="ev-1")
    other = post_evidence(api, claim["id"], JPEG + b"\x01", key="ev-1")

    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert other.status_code == 422
    assert ClaimEvidence.objects.count() == 1


def test_a_decided_claim_is_409_invalid_claim_status(api, claim):
    api.post(f"/api/v1/claims/{claim['id']}/escalate/", {})
    api.post(f"/api/v1/claims/{claim['id']}/decision/", {"outcome": "REJECTED"})

    response = post_evidence(api, claim["id"])

    assert response.status_code == 409
    assert response.json()["code"] == "invalid_claim_status"


def test_another_partner_can_neither_add_nor_download(api, claim):
    other = make_api("JD")
    evidence = post_evidence(api, claim["id"]).json()

    assert post_evidence(other, claim["id"]).status_code == 404
    url = f"/api/v1/claims/{claim['id']}/evidence/{evidence['id']}/"
    assert other.get(url).status_code == 404
    assert ClaimEvidence.objects.count() == 1


def test_the_filing_partner_downloads_an_attachment_with_the_sniffed_type(api, claim):
    evidence = post_evidence(api, claim["id"], PDF, name="invoice.jpg").json()

    response = api.get(f"/api/v1/claims/{claim['id']}/evidence/{evidence['id']}/")

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"


def test_anonymous_cannot_download(api, claim):
    evidence = post_evidence(api, claim["id"]).json()

    response = api.client.get(f"/api/v1/claims/{claim['id']}/evidence/{evidence['id']}/")

    assert response.status_code == 401
