"""Merchant log-in, lock-out, log-out and password reset, through the real views (and django-axes).

The log-in itself is under test here, so these tests post to the log-in page instead of using
`client.force_login`. The language is the default (简体中文) unless a test says otherwise.
"""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.urls import reverse

from tests.factories import make_member, make_shop, make_user

PASSWORD = "pw-123456!"
WRONG_PASSWORD_MESSAGE = "用户名与密码不匹配，请检查后重试。连续失败 5 次后，账号将被锁定 1 小时。"


def _log_in(client, username: str, password: str):  # type: ignore[no-untyped-def]
    return client.post(reverse("login"), {"username": username, "password": password})


@pytest.mark.django_db
class TestLoginPage:
    def test_renders_the_merchant_login_form_in_chinese(self, client):
        response = client.get(reverse("login"))

        assert response.status_code == 200
        content = response.content.decode()
        assert "商家登录" in content
        assert 'name="username"' in content and 'name="password"' in content
        assert "忘记密码？" in content

    def test_renders_in_english_for_an_english_browser(self, client):
        response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en")

        assert "Merchant log in" in response.content.decode()

    def test_logs_in_with_the_right_password_and_lands_on_the_dashboard(self, client, now):
        shop, _ = make_shop(now=now)
        user = make_member(shop)

        response = _log_in(client, user.username, PASSWORD)

        assert response.status_code == 302
        assert response["Location"] == reverse("dashboard:home")
        assert client.session[SESSION_KEY] == str(user.pk)

    def test_a_wrong_password_shows_the_clear_message_and_does_not_log_in(self, client):
        user = make_user()

        response = _log_in(client, user.username, "not-the-password")

        assert response.status_code == 200
        assert WRONG_PASSWORD_MESSAGE in response.content.decode()
        assert SESSION_KEY not in client.session

    def test_the_wrong_password_message_names_the_limit_in_english(self, client):
        user = make_user()

        response = client.post(
            reverse("login"),
            {"username": user.username, "password": "nope"},
            HTTP_ACCEPT_LANGUAGE="en",
        )

        assert (
            "That e-mail/username and password do not match. Check both and try again; after "
            f"{settings.AXES_FAILURE_LIMIT} failed attempts the account is locked for an hour."
        ) in response.content.decode()


@pytest.mark.django_db
class TestLoginLockout:
    def test_locks_the_account_after_the_failure_limit_even_with_the_right_password(self, client):
        user = make_user()
        for _ in range(settings.AXES_FAILURE_LIMIT):
            _log_in(client, user.username, "wrong")

        response = _log_in(client, user.username, PASSWORD)

        assert settings.AXES_FAILURE_LIMIT == 5
        assert response.status_code == 429
        assert "registration/locked_out.html" in [t.name for t in response.templates]
        assert "登录失败次数过多" in response.content.decode()
        assert SESSION_KEY not in client.session

    def test_one_failure_below_the_limit_still_lets_the_right_password_in(self, client):
        user = make_user()
        for _ in range(settings.AXES_FAILURE_LIMIT - 1):
            _log_in(client, user.username, "wrong")

        response = _log_in(client, user.username, PASSWORD)

        assert response.status_code == 302
        assert client.session[SESSION_KEY] == str(user.pk)

    def test_the_lockout_of_one_account_leaves_another_account_alone(self, client):
        locked, other = make_user(), make_user()
        for _ in range(settings.AXES_FAILURE_LIMIT):
            _log_in(client, locked.username, "wrong")

        response = _log_in(client, other.username, PASSWORD)

        assert response.status_code == 302
        assert client.session[SESSION_KEY] == str(other.pk)


@pytest.mark.django_db
class TestLogout:
    def test_a_post_logs_out_and_returns_to_the_login_page(self, client):
        client.force_login(make_user())

        response = client.post(reverse("logout"))

        assert response.status_code == 302
        assert response["Location"] == reverse("login")
        assert SESSION_KEY not in client.session
        assert client.get(reverse("dashboard:home")).status_code == 302

    def test_a_get_does_not_log_out(self, client):
        user = make_user()
        client.force_login(user)

        response = client.get(reverse("logout"))

        assert response.status_code == 405
        assert client.session[SESSION_KEY] == str(user.pk)


@pytest.mark.django_db
class TestPasswordReset:
    def test_the_emailed_link_sets_a_new_password_that_logs_in(self, client):
        user = make_user()

        response = client.post(reverse("password_reset"), {"email": user.email})

        assert response.status_code == 302
        assert response["Location"] == reverse("password_reset_done")
        assert len(mail.outbox) == 1
        message = mail.outbox[0]
        assert message.to == [user.email]
        assert message.subject == "保证金工作台：重置密码"
        link = re.search(r"https?://testserver(/accounts/reset/\S+/)", message.body)
        assert link is not None, message.body

        form_page = client.get(link.group(1), follow=True)
        assert form_page.status_code == 200
        assert form_page.context["validlink"] is True
        set_password_url = form_page.redirect_chain[-1][0]
        saved = client.post(
            set_password_url,
            {"new_password1": "a-fresh-Passw0rd-42", "new_password2": "a-fresh-Passw0rd-42"},
        )
        assert saved.status_code == 302
        assert saved["Location"] == reverse("password_reset_complete")

        assert _log_in(client, user.username, PASSWORD).status_code == 200  # old one is gone
        logged_in = _log_in(client, user.username, "a-fresh-Passw0rd-42")
        assert logged_in.status_code == 302
        assert client.session[SESSION_KEY] == str(user.pk)

    def test_the_link_works_only_once(self, client):
        user = make_user()
        client.post(reverse("password_reset"), {"email": user.email})
        path = re.search(r"https?://testserver(/accounts/reset/\S+/)", mail.outbox[0].body)
        form_page = client.get(path.group(1), follow=True)
        set_password_url = form_page.redirect_chain[-1][0]
        client.post(
            set_password_url,
            {"new_password1": "a-fresh-Passw0rd-42", "new_password2": "a-fresh-Passw0rd-42"},
        )

        reused = client.get(path.group(1), follow=True)

        assert reused.context["validlink"] is False
        assert "链接已失效" in reused.content.decode()

    def test_an_unknown_address_sends_nothing_and_says_the_same(self, client):
        response = client.post(
            reverse("password_reset"), {"email": "nobody@example.com"}, follow=True
        )

        assert mail.outbox == []
        assert "请查收邮件" in response.content.decode()


@pytest.mark.django_db
class TestLanguageAtLogIn:
    def test_a_merchant_kept_in_english_sees_the_dashboard_in_english(self, client, now):
        from shops.models import Merchant

        shop, _ = make_shop(now=now)
        Merchant.objects.filter(pk=shop.merchant_id).update(language="en")
        user = make_member(shop)

        response = client.post(
            reverse("login"), {"username": user.username, "password": "pw-123456!"}, follow=True
        )

        assert client.cookies["django_language"].value == "en"
        assert "My shops" in response.content.decode()

    def test_a_language_chosen_with_the_switcher_is_kept(self, client, now):
        from shops.models import Merchant

        shop, _ = make_shop(now=now)
        Merchant.objects.filter(pk=shop.merchant_id).update(language="en")
        user = make_member(shop)
        client.cookies["django_language"] = "zh-hans"

        client.post(reverse("login"), {"username": user.username, "password": "pw-123456!"})

        assert client.cookies["django_language"].value == "zh-hans"
