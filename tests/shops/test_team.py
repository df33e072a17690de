"""The merchant's team: the owner invites by e-mail with a role, the colleague joins through the
link (single use, expiring), signs in with the role's permissions; the owner changes and removes
members; a merchant registered through the partner API gets its owner's invitation.

Persona: 云锦服饰's owner, with a shop whose deposit is funded and a consumer claim waiting.
E-mails leave as in production: the service enqueues the task by name after commit (caught by
`sent_tasks`), and the test runs the task as a worker would."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from claims.models import Claim, ClaimStatus
from partners.services import partner_get_or_create
from shops import tasks, team
from shops.models import Invitation, MerchantUser, TeamChange
from tests.claims.test_dashboard import file
from tests.factories import fund, make_member, make_shop, make_user
from tests.partners.api_client import register_shop

pytestmark = pytest.mark.django_db

PASSWORD = "Lantern-harbour-42"
LINK = re.compile(r"https?://\S*/team/join/[^/\s]+/|/team/join/[^/\s]+/")


@pytest.fixture(autouse=True)
def _sandbox(settings):
    settings.DEPOSIT_SANDBOX_PAYMENTS = True
    settings.DASHBOARD_BASE_URL = "https://desk.example"


@pytest.fixture
def partner(db):
    return partner_get_or_create(name="Tmall")


@pytest.fixture
def shop(partner):
    opened = timezone.now() - timedelta(days=30)
    shop, account = make_shop(
        now=opened, partner_id=partner.pk, merchant_email="boss@yunjin.example"
    )
    fund(account, 5_000_000, now=opened)
    return shop


@pytest.fixture
def owner(shop):
    return make_member(shop, role=MerchantUser.Role.OWNER)


def signed_in(user, language: str = "en") -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.cookies["django_language"] = language
    client.force_login(user)
    return client


def invite(
    owner_client: Client,
    sent_tasks,
    capture,
    *,
    email: str = "li.na@yunjin.example",
    role: str = "FINANCE",
    language: str = "en",
):  # type: ignore[no-untyped-def]
    """The owner sends the form; the enqueued task is run as the worker would; returns
    (response, the e-mail sent)."""
    with capture(execute=True):
        response = owner_client.post(
            reverse("team:invite"), {"email": email, "role": role, "language": language}
        )
    sends = [kw for name, kw in sent_tasks if name == team.SEND_INVITATION_EMAIL_TASK]
    for kwargs in sends:
        tasks.send_invitation_email(**kwargs)
    sent_tasks.clear()
    return response, (mail.outbox[-1] if sends else None)


def link_in(message) -> str:  # type: ignore[no-untyped-def]
    found = LINK.search(message.body)
    assert found, message.body
    html = message.alternatives[0][0]
    assert found.group(0) in html  # the HTML part carries the same link
    return found.group(0).replace("https://desk.example", "")


def english() -> Client:
    client = Client()
    client.cookies["django_language"] = "en"
    return client


def can_sign_in(username: str, password: str) -> bool:
    response = Client().post(reverse("login"), {"username": username, "password": password})
    return response.status_code == 302


def accept(link: str, password: str = PASSWORD, language: str = "en") -> tuple[Client, object]:
    client = Client()
    client.cookies["django_language"] = language
    response = client.post(link, {"password": password, "password_again": password})
    return client, response


class TestInviteAndJoin:
    def test_an_invited_finance_colleague_joins_signed_in_and_can_top_up_but_not_answer_claims(
        self, shop, owner, partner, sent_tasks, django_capture_on_commit_callbacks
    ):
        claim = file(partner, shop)
        response, message = invite(
            signed_in(owner), sent_tasks, django_capture_on_commit_callbacks, role="FINANCE"
        )

        assert response.status_code == 302
        assert message.to == ["li.na@yunjin.example"]
        assert message.extra_headers["Content-Language"] == "en"
        assert "with the role “Finance”" in message.body
        assert shop.merchant.name in message.subject
        link = link_in(message)
        assert Client().get(link).status_code == 200

        colleague, joined = accept(link)

        assert joined.status_code == 302 and joined["Location"] == reverse("dashboard:home")
        member = MerchantUser.objects.get(user__email="li.na@yunjin.example")
        assert member.role == "FINANCE" and member.merchant_id == shop.merchant_id
        assert colleague.get(reverse("dashboard:home")).status_code == 200
        top_up = reverse("dashboard:sandbox_top_up", args=[shop.public_id])
        assert colleague.get(top_up).status_code == 200
        settled = colleague.post(reverse("claims:settle", args=[claim.public_id]), follow=True)
        assert "Only the shop owner or a colleague with the claims role" in settled.content.decode()
        assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.NEGOTIATING
        assert list(
            TeamChange.objects.filter(merchant=shop.merchant).values_list("action", flat=True)
        ) == ["JOINED", "INVITED"]

    def test_a_claims_colleague_answers_claims_but_cannot_top_up_and_a_viewer_does_neither(
        self, shop, owner, partner, sent_tasks, django_capture_on_commit_callbacks
    ):
        owner_client = signed_in(owner)
        claim = file(partner, shop)
        _, to_claims = invite(
            owner_client, sent_tasks, django_capture_on_commit_callbacks,
            email="claims@yunjin.example", role="CLAIMS",
        )  # fmt: skip
        _, to_viewer = invite(
            owner_client, sent_tasks, django_capture_on_commit_callbacks,
            email="viewer@yunjin.example", role="VIEWER",
        )  # fmt: skip
        claims_client, _ = accept(link_in(to_claims))
        viewer, _ = accept(link_in(to_viewer))
        top_up = reverse("dashboard:sandbox_top_up", args=[shop.public_id])
        settle = reverse("claims:settle", args=[claim.public_id])

        assert viewer.get(top_up).status_code == 403
        viewer.post(settle)
        assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.NEGOTIATING
        assert "¥" not in viewer.get(reverse("dashboard:home")).content.decode()
        assert claims_client.get(top_up).status_code == 403
        claims_client.post(settle)
        assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.SETTLED

    def test_the_password_must_pass_the_validators_and_the_link_stays_usable(
        self, owner, sent_tasks, django_capture_on_commit_callbacks
    ):
        _, message = invite(signed_in(owner), sent_tasks, django_capture_on_commit_callbacks)
        link = link_in(message)

        _, weak = accept(link, password="12345678")

        assert weak.status_code == 400
        assert "This password is too common." in weak.content.decode()
        assert not MerchantUser.objects.filter(user__email="li.na@yunjin.example").exists()
        _, strong = accept(link)
        assert strong.status_code == 302

    def test_a_used_link_is_refused_with_a_clear_message(
        self, owner, sent_tasks, django_capture_on_commit_callbacks
    ):
        _, message = invite(signed_in(owner), sent_tasks, django_capture_on_commit_callbacks)
        link = link_in(message)
        accept(link)

        again = english().get(link)
        _, posted = accept(link, password="Another-good-pass-77")

        assert again.status_code == posted.status_code == 410
        assert "This invitation has already been used." in again.content.decode()
        assert MerchantUser.objects.filter(user__email="li.na@yunjin.example").count() == 1

    def test_an_expired_link_is_refused_with_a_clear_message(
        self, owner, sent_tasks, django_capture_on_commit_callbacks
    ):
        _, message = invite(signed_in(owner), sent_tasks, django_capture_on_commit_callbacks)
        Invitation.objects.update(expires_at=timezone.now() - timedelta(minutes=1))

        response = english().get(link_in(message))

        assert response.status_code == 410
        assert "This invitation has expired. Ask whoever invited you to send a new one." in (
            response.content.decode()
        )

    def test_a_resend_replaces_the_link_and_a_revoke_kills_it(
        self, owner, sent_tasks, django_capture_on_commit_callbacks
    ):
        owner_client = signed_in(owner)
        _, first = invite(owner_client, sent_tasks, django_capture_on_commit_callbacks)
        invitation = Invitation.objects.get()
        with django_capture_on_commit_callbacks(execute=True):
            owner_client.post(reverse("team:invitation_resend", args=[invitation.public_id]))
        tasks.send_invitation_email(invitation_id=invitation.pk)
        second = mail.outbox[-1]

        assert len(mail.outbox) == 2 and link_in(first) != link_in(second)
        assert Client().get(link_in(first)).status_code == 404
        assert Client().get(link_in(second)).status_code == 200
        owner_client.post(reverse("team:invitation_revoke", args=[invitation.public_id]))
        refused = english().get(link_in(second))
        assert refused.status_code == 404
        assert "This invitation link is not valid" in refused.content.decode()

    def test_a_forged_link_is_not_valid(self, db):
        response = Client().get(reverse("team:join", args=["not-a-signed-token"]))

        assert response.status_code == 404

    def test_the_invitation_is_written_in_the_language_chosen_for_the_invitee(
        self, owner, sent_tasks, django_capture_on_commit_callbacks
    ):
        _, message = invite(
            signed_in(owner), sent_tasks, django_capture_on_commit_callbacks, language="zh-hans"
        )

        assert message.extra_headers["Content-Language"] == "zh-hans"
        assert "邀请" in message.subject and "财务" in message.body


class TestTheOwnerAloneManagesTheTeam:
    def test_a_finance_member_gets_403_on_every_team_page_and_action(self, shop, owner):
        finance = signed_in(make_member(shop, role="FINANCE"))
        viewer_user = make_member(shop, role="VIEWER")
        viewer = MerchantUser.objects.get(user=viewer_user)

        assert finance.get(reverse("team:page")).status_code == 403
        assert (
            finance.post(
                reverse("team:invite"),
                {"email": "x@example.com", "role": "FINANCE", "language": "en"},
            ).status_code
            == 403
        )
        assert finance.post(reverse("team:member_remove", args=[viewer.pk])).status_code == 403
        assert (
            finance.post(reverse("team:member_role", args=[viewer.pk]), {"role": "FINANCE"})
        ).status_code == 403
        assert not Invitation.objects.exists()
        assert MerchantUser.objects.get(pk=viewer.pk).role == "VIEWER"

    def test_the_owner_of_another_merchant_cannot_touch_this_team(self, shop, owner, now):
        other_shop, _ = make_shop(now=now, merchant_email="other@example.com")
        stranger = signed_in(make_member(other_shop, role="OWNER"))
        member = MerchantUser.objects.get(user=make_member(shop, role="VIEWER"))

        response = stranger.post(reverse("team:member_remove", args=[member.pk]))

        assert response.status_code == 404
        assert MerchantUser.objects.filter(pk=member.pk).exists()

    def test_the_team_link_shows_for_the_owner_only(self, shop, owner):
        viewer = signed_in(make_member(shop, role="VIEWER"))

        assert (
            reverse("team:page") in signed_in(owner).get(reverse("dashboard:home")).content.decode()
        )
        assert reverse("team:page") not in viewer.get(reverse("dashboard:home")).content.decode()


class TestRolesChangeAndRemoval:
    def test_a_role_change_takes_effect_at_the_next_request(self, shop, owner):
        user = make_member(shop, role="VIEWER")
        member = MerchantUser.objects.get(user=user)
        colleague = signed_in(user)
        top_up = reverse("dashboard:sandbox_top_up", args=[shop.public_id])
        assert colleague.get(top_up).status_code == 403

        signed_in(owner).post(reverse("team:member_role", args=[member.pk]), {"role": "FINANCE"})

        assert colleague.get(top_up).status_code == 200
        change = TeamChange.objects.get(action="ROLE_CHANGED")
        assert (change.old_role, change.new_role, change.actor_id) == (
            "VIEWER",
            "FINANCE",
            owner.pk,
        )

    def test_removal_ends_the_members_session_at_their_next_request(self, shop, owner):
        user = make_member(shop, role="FINANCE")
        member = MerchantUser.objects.get(user=user)
        colleague = signed_in(user)
        assert colleague.get(reverse("dashboard:home")).status_code == 200

        response = signed_in(owner).post(reverse("team:member_remove", args=[member.pk]))

        assert response.status_code == 302
        after = colleague.get(reverse("dashboard:home"))
        assert after.status_code == 302 and after["Location"].startswith(reverse("login"))
        assert not MerchantUser.objects.filter(pk=member.pk).exists()
        assert not can_sign_in(user.username, "pw-123456!")
        assert TeamChange.objects.get(action="REMOVED").old_role == "FINANCE"

    def test_the_owner_cannot_be_changed_or_removed_from_the_team_page(self, shop, owner):
        me = MerchantUser.objects.get(user=owner)
        client = signed_in(owner)

        client.post(reverse("team:member_remove", args=[me.pk]))
        client.post(reverse("team:member_role", args=[me.pk]), {"role": "VIEWER"})

        assert MerchantUser.objects.get(pk=me.pk).role == "OWNER"

    def test_a_removed_colleague_can_be_invited_again(
        self, shop, owner, sent_tasks, django_capture_on_commit_callbacks
    ):
        owner_client = signed_in(owner)
        _, message = invite(owner_client, sent_tasks, django_capture_on_commit_callbacks)
        accept(link_in(message))
        member = MerchantUser.objects.get(user__email="li.na@yunjin.example")
        owner_client.post(reverse("team:member_remove", args=[member.pk]))

        _, again = invite(
            owner_client, sent_tasks, django_capture_on_commit_callbacks, role="VIEWER"
        )
        client, joined = accept(link_in(again), password="Brand-new-pass-91")

        assert joined.status_code == 302
        assert MerchantUser.objects.get(user__email="li.na@yunjin.example").role == "VIEWER"
        assert get_user_model().objects.filter(email="li.na@yunjin.example").count() == 1


class TestPrivacyAndLimits:
    def test_inviting_someone_of_another_merchant_reads_exactly_like_any_invitation(
        self, shop, owner, now, sent_tasks, django_capture_on_commit_callbacks
    ):
        other_shop, _ = make_shop(now=now, merchant_email="rival@example.com")
        rival = make_user("wang@rival.example")
        rival.email = "wang@rival.example"
        rival.save()
        MerchantUser.objects.create(user=rival, merchant=other_shop.merchant, role="OWNER")
        owner_client = signed_in(owner)

        response, message = invite(
            owner_client, sent_tasks, django_capture_on_commit_callbacks, email="wang@rival.example"
        )
        page = owner_client.get(response["Location"]).content.decode()

        assert "Invitation sent to wang@rival.example." in page
        assert "wang@rival.example" in page  # listed as any open invitation
        _, refused = accept(link_in(message))
        assert refused.status_code == 409
        assert "already has a Deposit Desk login" in refused.content.decode()
        assert MerchantUser.objects.get(user=rival).merchant_id == other_shop.merchant_id

    def test_invitations_are_limited_per_merchant_and_hour(
        self, owner, settings, sent_tasks, django_capture_on_commit_callbacks
    ):
        settings.TEAM_INVITATIONS_PER_HOUR = 2
        client = signed_in(owner)
        for n in range(2):
            invite(
                client, sent_tasks, django_capture_on_commit_callbacks, email=f"p{n}@example.com"
            )

        response, message = invite(
            client, sent_tasks, django_capture_on_commit_callbacks, email="p3@example.com"
        )

        assert response.status_code == 400 and message is None
        assert "Too many invitations were sent in the last hour." in response.content.decode()
        assert Invitation.objects.count() == 2

    def test_inviting_a_current_member_says_so(self, shop, owner):
        colleague = make_member(shop, role="VIEWER")

        response = signed_in(owner).post(
            reverse("team:invite"), {"email": colleague.email, "role": "FINANCE", "language": "en"}
        )

        assert response.status_code == 400
        assert "Already a member of your team." in response.content.decode()


class TestMerchantsRegisteredThroughTheApi:
    def test_a_new_merchant_gets_the_owners_invitation_and_the_owner_can_sign_in(
        self, api, sent_tasks, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            shop = register_shop(api, merchant={"email": "Founder@Silk.example", "name": "丝路"})
        (kwargs,) = [kw for name, kw in sent_tasks if name == team.SEND_INVITATION_EMAIL_TASK]
        tasks.send_invitation_email(**kwargs)

        (message,) = mail.outbox
        assert message.to == ["founder@silk.example"]
        assert message.extra_headers["Content-Language"] == "zh-hans"
        assert "设置" in message.subject
        client, joined = accept(link_in(message), language="zh-hans")
        assert joined.status_code == 302
        member = MerchantUser.objects.get(user__email="founder@silk.example")
        assert member.role == "OWNER"
        assert str(shop["id"]) in client.get(reverse("dashboard:home")).content.decode()
        assert can_sign_in("founder@silk.example", PASSWORD)

    def test_a_second_shop_of_the_same_merchant_sends_no_second_invitation(
        self, api, sent_tasks, django_capture_on_commit_callbacks
    ):
        merchant = {"email": "founder@silk.example", "name": "丝路"}
        with django_capture_on_commit_callbacks(execute=True):
            register_shop(api, merchant=merchant)
            register_shop(api, merchant=merchant)

        assert Invitation.objects.count() == 1
        assert [name for name, _ in sent_tasks].count(team.SEND_INVITATION_EMAIL_TASK) == 1


@pytest.fixture
def api(db):  # type: ignore[no-untyped-def]
    from tests.partners.api_client import make_api

    return make_api("Tmall")


@pytest.mark.postgres(reason="the audit trail is written by PostgreSQL triggers")
def test_a_role_change_is_in_the_audit_trail_with_the_owner_as_actor(shop, owner):
    from audit.models import MerchantUserEvent

    member = MerchantUser.objects.get(user=make_member(shop, role="VIEWER"))

    signed_in(owner).post(reverse("team:member_role", args=[member.pk]), {"role": "CLAIMS"})

    event = MerchantUserEvent.objects.filter(pgh_obj_id=member.pk).latest("pgh_id")
    assert event.pgh_label == "update" and event.role == "CLAIMS"
    assert event.pgh_context.metadata["user"] == owner.pk
