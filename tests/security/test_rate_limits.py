"""Rate limits on the merchant's sign-in, password reset and invitation pages
(common/ratelimit.py, settings.RATE_LIMITS): over a limit the page answers 429 with Retry-After
and says to wait, per client address and per account; a cache that cannot count lets people in."""

from __future__ import annotations

from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from shops import team
from tests.factories import make_member, make_shop, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def small_limits(settings):  # type: ignore[no-untyped-def]
    settings.LANGUAGE_CODE = "en"  # a client that asks for no language reads English here
    settings.RATE_LIMITS = {
        "login_ip": (3, 900),
        "login_account": (3, 900),
        "password_reset_ip": (4, 3600),
        "password_reset_account": (2, 3600),
        "join_ip": (5, 900),
        "join_invitation": (3, 900),
    }
    cache.clear()
    yield
    cache.clear()


def _sign_in(username: str, ip: str = "203.0.113.7", **extra: str):  # type: ignore[no-untyped-def]
    return Client().post(
        reverse("login"),
        {"username": username, "password": "wrong-password"},
        REMOTE_ADDR=ip,
        **extra,
    )


def _sign_in_rightly(username: str, ip: str = "203.0.113.7"):  # type: ignore[no-untyped-def]
    return Client().post(
        reverse("login"),
        {"username": username, "password": "right-Passw0rd-2026"},
        REMOTE_ADDR=ip,
    )


def _is_told_to_wait(response) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "Too many attempts" in response.content.decode()


class TestSignIn:
    def test_one_address_trying_many_accounts_is_stopped(self):
        for n in range(3):
            assert _sign_in(f"guess{n}@example.com").status_code == 200  # the form's error

        _is_told_to_wait(_sign_in("guess9@example.com"))
        assert _sign_in("guess9@example.com", ip="198.51.100.1").status_code == 200

    def test_one_account_tried_from_many_addresses_is_stopped(self):
        for n in range(3):
            assert _sign_in("owner@yunjin.example", ip=f"198.51.100.{n}").status_code == 200

        _is_told_to_wait(_sign_in("OWNER@yunjin.example", ip="198.51.100.99"))

    def test_the_right_password_is_not_let_in_past_the_limit(self):
        make_user("owner@yunjin.example", password="right-Passw0rd-2026")
        for n in range(3):
            _sign_in("owner@yunjin.example", ip=f"198.51.100.{n}")

        response = Client().post(
            reverse("login"),
            {"username": "owner@yunjin.example", "password": "right-Passw0rd-2026"},
            REMOTE_ADDR="198.51.100.50",
        )

        assert response.status_code == 429

    def test_an_office_behind_one_address_signs_in_beyond_the_ceiling(self):
        """The per-address limit counts failures only: six colleagues behind one NAT (twice the
        ceiling of 3) all get in, a typo among them included, and only a third failure from
        the address makes it wait."""
        colleagues = [f"clerk{n}@yunjin.example" for n in range(6)]
        for username in colleagues:
            make_user(username, password="right-Passw0rd-2026")
        _sign_in("clerk0@yunjin.example")  # a typo: one failure
        _sign_in("clerk1@yunjin.example")  # and a second

        signed_in = [_sign_in_rightly(username).status_code for username in colleagues]
        third_failure = _sign_in("clerk2@yunjin.example")

        assert signed_in == [302] * 6
        assert third_failure.status_code == 200  # the form's error: the third failure counts
        _is_told_to_wait(_sign_in_rightly("clerk3@yunjin.example"))

    def test_after_the_failures_from_one_address_even_the_right_password_waits(self):
        make_user("owner@yunjin.example", password="right-Passw0rd-2026")
        for n in range(3):
            _sign_in(f"guess{n}@example.com")

        _is_told_to_wait(_sign_in_rightly("owner@yunjin.example"))
        assert _sign_in_rightly("owner@yunjin.example", ip="198.51.100.1").status_code == 302

    def test_a_cache_that_does_not_answer_lets_people_sign_in(self):
        make_user("owner@yunjin.example", password="right-Passw0rd-2026")
        with mock.patch("common.ratelimit.cache.add", side_effect=ConnectionError("down")):
            for _ in range(5):
                _sign_in("someone@example.com")
            response = Client().post(
                reverse("login"),
                {"username": "owner@yunjin.example", "password": "right-Passw0rd-2026"},
            )

        assert response.status_code == 302

    def test_the_wait_is_said_in_chinese_too(self):
        """Needs the merged zh-hans catalogue (fragments/secidor.json)."""
        for n in range(3):
            _sign_in(f"guess{n}@example.com")

        response = _sign_in("guess9@example.com", HTTP_ACCEPT_LANGUAGE="zh-hans")

        assert response.status_code == 429
        assert "尝试次数过多" in response.content.decode()


class TestPasswordReset:
    def _reset(self, email: str, ip: str = "203.0.113.7"):  # type: ignore[no-untyped-def]
        return Client().post(reverse("password_reset"), {"email": email}, REMOTE_ADDR=ip)

    def test_one_inbox_gets_a_few_e_mails_then_the_form_says_to_wait(self):
        get_user_model().objects.create_user("owner", "owner@yunjin.example", "x-Passw0rd-2026")
        for n in range(2):
            assert self._reset("owner@yunjin.example", ip=f"198.51.100.{n}").status_code == 302

        _is_told_to_wait(self._reset("owner@yunjin.example", ip="198.51.100.9"))
        assert len(mail.outbox) == 2

    def test_one_address_asking_for_many_inboxes_is_stopped(self):
        for n in range(4):
            assert self._reset(f"someone{n}@example.com").status_code == 302

        _is_told_to_wait(self._reset("someone9@example.com"))


class TestInvitationLink:
    @pytest.fixture
    def link(self, now):  # type: ignore[no-untyped-def]
        from django.utils import timezone

        shop, _ = make_shop(now=now)
        owner = make_member(shop, role="OWNER")
        invitation = team.member_invite(
            merchant=shop.merchant,
            email="new.colleague@yunjin.example",
            role="VIEWER",
            language="en",
            actor=owner,
            now=timezone.now(),
        )
        return reverse("team:join", args=[team.invitation_token(invitation)])

    def test_password_tries_on_one_invitation_are_capped(self, link):
        for n in range(3):
            response = Client().post(
                link,
                {"password": "Passw0rd-2026-x", "password_again": "different"},
                REMOTE_ADDR=f"198.51.100.{n}",
            )
            assert response.status_code == 400  # the form's error

        _is_told_to_wait(
            Client().post(
                link,
                {"password": "Passw0rd-2026-x", "password_again": "Passw0rd-2026-x"},
                REMOTE_ADDR="198.51.100.9",
            )
        )

    def test_one_address_opening_links_is_stopped(self, link):
        for _ in range(5):
            assert Client().get(link).status_code == 200

        _is_told_to_wait(Client().get(link))
