"""Evidence on a claim: what is accepted, what is refused (and then nothing is stored), and the
merchant's extra day after new consumer evidence."""

from __future__ import annotations

import hashlib
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import translation

from claims import services
from claims.domain.evidence import MAX_FILE_BYTES
from claims.models import ClaimEvent, ClaimEvidence, ClaimStatus, Party
from common.errors import EvidenceWindowClosed, InvalidClaimStatus, InvalidInput
from partners.services import partner_get_or_create
from tests.claims.evidence_files import EXE, GIF, JPEG, PDF, PNG, evidence_dir, stored_files, upload
from tests.claims.test_services import file as file_claim
from tests.factories import fund, make_shop

__all__ = ["evidence_dir"]
pytestmark = [pytest.mark.django_db]


@pytest.fixture(autouse=True)
def english():
    """The refusals are asserted in English; the site's default language is Chinese."""
    with translation.override("en"):
        yield


@pytest.fixture
def claim(now):
    partner = partner_get_or_create(name="Tmall")
    shop, account = make_shop(now=now, partner_id=partner.pk)
    fund(account, 5_000_000, now=now)
    return file_claim(partner, shop, now)


def actions(claim) -> list[str]:
    return list(ClaimEvent.objects.filter(claim=claim).values_list("action", flat=True))


def add(claim, now, content=JPEG, *, party=Party.CONSUMER, name="photo.jpg", note=""):
    return services.evidence_add(
        claim=claim, party=party, upload=upload(content, name), note=note, now=now
    )


class TestAccepted:
    @pytest.mark.parametrize(
        ("content", "name", "content_type"),
        [
            (JPEG, "receipt.jpg", "image/jpeg"),
            (PNG, "chat.png", "image/png"),
            (GIF, "anim.gif", "image/gif"),
            (PDF, "invoice.pdf", "application/pdf"),
        ],
        ids=["jpeg", "png", "gif", "pdf"],
    )
    def test_a_good_file_is_stored_privately_with_its_digest(
        self, claim, now, evidence_dir, content, name, content_type
    ):
        evidence = add(claim, now, content, name=name, note="From the chat.")

        assert evidence.content_type == content_type
        assert evidence.size == len(content)
        assert evidence.sha256 == hashlib.sha256(content).hexdigest()
        assert evidence.filename == name
        assert evidence.note == "From the chat."
        stored = evidence_dir / evidence.stored_name
        assert stored.read_bytes() == content
        assert stored_files(evidence_dir) == [stored]  # no temporary file left behind
        assert actions(claim)[-1] == "evidence added:CONSUMER"

    def test_the_type_comes_from_the_bytes_not_the_name(self, claim, now):
        evidence = add(claim, now, PDF, name="looks-like-a.jpg")

        assert evidence.content_type == "application/pdf"

    def test_a_path_in_the_filename_is_dropped(self, claim, now, evidence_dir):
        evidence = add(claim, now, PNG, name="../../etc/passwd.png")

        assert evidence.filename == "passwd.png"
        assert (evidence_dir / evidence.stored_name).is_file()

    def test_a_file_of_exactly_5_mib_is_accepted(self, claim, now):
        content = JPEG + b"\x00" * (MAX_FILE_BYTES - len(JPEG))

        assert add(claim, now, content).size == MAX_FILE_BYTES


class TestRefused:
    @pytest.mark.parametrize(
        ("content", "name", "message"),
        [
            (EXE, "photo.jpg", "Only JPEG, PNG, GIF or PDF"),
            (JPEG + b"\x00" * (6 * 1024 * 1024), "big.jpg", "larger than 5 MiB"),
            (JPEG + b"\x00" * (MAX_FILE_BYTES - len(JPEG) + 1), "just-over.jpg", "larger than"),
            (b"", "empty.jpg", "empty"),
            (b"<html><script>alert(1)</script>", "page.png", "Only JPEG"),
        ],
        ids=["renamed executable", "6 MiB", "5 MiB + 1 byte", "empty", "html named png"],
    )
    def test_a_bad_file_is_refused_naming_file_and_nothing_is_stored(
        self, claim, now, evidence_dir, content, name, message
    ):
        with pytest.raises(InvalidInput) as refused:
            add(claim, now, content, name=name)

        assert list(refused.value.fields) == ["file"]
        assert message in refused.value.fields["file"][0]
        assert not ClaimEvidence.objects.exists()
        assert stored_files(evidence_dir) == []
        assert actions(claim) == ["filed"]

    def test_the_eleventh_file_of_a_party_is_refused_but_the_other_party_may_add(
        self, claim, now, evidence_dir
    ):
        for i in range(10):
            add(claim, now, PNG, name=f"{i}.png")

        with pytest.raises(InvalidInput) as refused:
            add(claim, now, PNG, name="11.png")

        assert list(refused.value.fields) == ["file"]
        assert ClaimEvidence.objects.filter(party=Party.CONSUMER).count() == 10
        assert len(stored_files(evidence_dir)) == 10
        add(claim, now, PNG, party=Party.MERCHANT)
        assert ClaimEvidence.objects.filter(party=Party.MERCHANT).count() == 1

    @pytest.mark.parametrize("end", ["withdraw", "settle"])
    def test_an_ended_claim_takes_no_evidence(self, claim, now, evidence_dir, end):
        getattr(services, f"claim_{end}")(claim=claim, now=now)

        with pytest.raises(InvalidClaimStatus):
            add(claim, now)

        assert stored_files(evidence_dir) == []

    def test_a_decided_claim_takes_no_evidence(self, claim, now):
        services.claim_escalate(claim=claim, now=now)
        services.claim_decide(claim=claim, outcome="REJECTED", now=now)

        with pytest.raises(InvalidClaimStatus):
            add(claim, now, party=Party.MERCHANT)


class TestMerchantWindow:
    def test_new_consumer_evidence_in_review_gives_the_merchant_24_hours_more(self, claim, now):
        services.claim_escalate(claim=claim, now=now)
        late = now + timedelta(days=2, hours=12)  # 12 hours before the merchant's window ends

        add(claim, late)

        claim.refresh_from_db()
        assert claim.merchant_evidence_by == late + timedelta(hours=24)
        assert claim.consumer_evidence_by == now + timedelta(days=3)
        last = ClaimEvent.objects.filter(claim=claim).last()
        assert "evidence_extended" in [n["code"] for n in last.system_notes]  # 24 hours more

    def test_early_consumer_evidence_never_shortens_the_merchants_window(self, claim, now):
        services.claim_escalate(claim=claim, now=now)

        add(claim, now + timedelta(hours=1))

        claim.refresh_from_db()
        assert claim.merchant_evidence_by == now + timedelta(days=3)

    def test_merchant_evidence_or_negotiation_evidence_moves_no_window(self, claim, now):
        add(claim, now)  # NEGOTIATING: no evidence window yet
        services.claim_escalate(claim=claim, now=now)
        add(claim, now + timedelta(days=2, hours=23), party=Party.MERCHANT)

        claim.refresh_from_db()
        assert claim.merchant_evidence_by == now + timedelta(days=3)
        assert claim.status == ClaimStatus.IN_REVIEW


class TestEvidenceWindows:
    def test_a_side_whose_window_has_ended_is_refused_and_nothing_is_stored(
        self, claim, now, evidence_dir
    ):
        services.claim_escalate(claim=claim, now=now)
        closed = now + timedelta(days=3)  # both windows end 3 days after the escalation

        with pytest.raises(EvidenceWindowClosed) as refused:
            add(claim, closed, party=Party.MERCHANT)
        with pytest.raises(InvalidClaimStatus):
            add(claim, closed + timedelta(hours=1), party=Party.CONSUMER)

        assert refused.value.code == "invalid_claim_status"  # the contract's code stays
        assert "merchant's evidence window closed" in refused.value.detail
        assert ClaimEvidence.objects.filter(claim=claim).count() == 0
        assert stored_files(evidence_dir) == []

    def test_one_minute_before_its_window_ends_a_side_may_still_add(self, claim, now):
        services.claim_escalate(claim=claim, now=now)

        add(claim, now + timedelta(days=3, minutes=-1), party=Party.MERCHANT)

        assert ClaimEvidence.objects.filter(claim=claim, party=Party.MERCHANT).count() == 1

    def test_ops_asking_for_more_material_opens_that_sides_window_again(self, claim, now):
        services.claim_escalate(claim=claim, now=now)
        later = now + timedelta(days=4)

        services.claim_request_material(
            claim=claim,
            party="MERCHANT",
            note="The courier's receipt.",
            now=later,
            actor_label="ops",
        )
        add(claim, later + timedelta(hours=1), party=Party.MERCHANT)

        assert ClaimEvidence.objects.filter(claim=claim, party=Party.MERCHANT).count() == 1
        with pytest.raises(EvidenceWindowClosed):
            add(claim, later + timedelta(hours=1), party=Party.CONSUMER)

    def test_ops_may_add_a_file_after_both_windows(self, claim, now):
        services.claim_escalate(claim=claim, now=now)

        add(claim, now + timedelta(days=5), party=Party.OPS)

        assert ClaimEvidence.objects.filter(claim=claim, party=Party.OPS).count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres(reason="two uploads racing for the tenth place on the claim's row lock")
def test_two_uploads_racing_for_the_last_place_store_exactly_one(now, evidence_dir):
    partner = partner_get_or_create(name="Tmall")
    shop, account = make_shop(now=now, partner_id=partner.pk)
    claim = file_claim(partner, shop, now)
    for i in range(9):
        add(claim, now, PNG, name=f"{i}.png")
    barrier = threading.Barrier(2)
    results: list[str] = []

    def upload_one(name: str) -> None:
        try:
            barrier.wait()
            add(claim, now, JPEG, name=name)
            results.append("stored")
        except InvalidInput as exc:
            results.append(next(iter(exc.fields or {})))
        finally:
            connection.close()

    threads = [threading.Thread(target=upload_one, args=(n,)) for n in ("a.jpg", "b.jpg")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(results) == ["file", "stored"]
    assert ClaimEvidence.objects.filter(claim=claim).count() == 10
    assert len(stored_files(evidence_dir)) == 10
