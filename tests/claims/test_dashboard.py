"""The merchant's claims pages: the list (what waits on the merchant first, filters, pages), the
claim page and its two answers (settle, contest) through the services, the navigation badge and
the shop page's panel.

Claims are filed, escalated and decided through claims.services against a real clock (the pages
read `timezone.now()`), so the deadlines are relative to now. Pages render in 简体中文 unless a
test switches to English."""

from __future__ import annotations

import io
import itertools
import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from claims import services
from claims.models import Actor, Claim, ClaimStatus
from common.templatetags.money import money
from deposits import services as deposit_services
from deposits.models import Hold
from partners.services import partner_get_or_create
from shops.models import MerchantUser
from tests.factories import fund, make_member, make_shop

pytestmark = pytest.mark.django_db

_refs = itertools.count(1)


@pytest.fixture
def partner(db):
    return partner_get_or_create(name="Tmall")


@pytest.fixture
def shop(partner):
    now = timezone.now() - timedelta(days=30)
    shop, account = make_shop(now=now, partner_id=partner.pk, merchant_email="owner@yunjin.example")
    fund(account, 5_000_000, now=now)
    return shop


@pytest.fixture
def owner(client, shop):
    user = make_member(shop, role=MerchantUser.Role.OWNER)
    client.force_login(user)
    return user


def file(partner, shop, *, hours_ago=0.0, reason="LATE_SHIPMENT", paid=100_000, **kw):
    at = timezone.now() - timedelta(hours=hours_ago)
    claim, _ = services.claim_file(
        partner_id=partner.pk,
        shop=shop,
        external_ref=f"C-{next(_refs)}",
        reason=reason,
        order_ref=kw.pop("order_ref", f"ORD-{next(_refs)}"),
        order_paid_minor=paid,
        currency="CNY",
        order_paid_at=at - timedelta(days=3),
        order_shipped_at=None,
        consumer_ref=kw.pop("consumer_ref", f"buyer-{next(_refs)}"),
        description=kw.pop("description", "Paid three days ago and still not shipped."),
        now=at,
        **kw,
    )
    return claim


def escalate(claim, *, hours_ago=0.0):
    return services.claim_escalate(claim=claim, now=timezone.now() - timedelta(hours=hours_ago))


def decide(claim, *, hours_ago=0.0, outcome="UPHELD"):
    return services.claim_decide(
        claim=claim, outcome=outcome, now=timezone.now() - timedelta(hours=hours_ago)
    )


def list_url(**params) -> str:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return reverse("claims:list") + (f"?{query}" if query else "")


def detail_url(claim) -> str:
    return reverse("claims:detail", args=[claim.public_id])


def row_refs(response) -> list[str]:
    return [row["claim"].order_ref for row in response.context["rows"]]


def english(client) -> None:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def visible(html: str) -> str:
    """The page's text as read: tags dropped, spaces collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html))


class TestTheList:
    def test_what_waits_on_the_merchant_comes_first(self, client, owner, partner, shop):
        late_answer = file(partner, shop, hours_ago=40, order_ref="NEG-DUE-SOON")
        new_answer = file(partner, shop, hours_ago=1, order_ref="NEG-NEW")
        evidence_open = escalate(file(partner, shop, hours_ago=60, order_ref="REVIEW-OPEN"))
        evidence_closed = escalate(
            file(partner, shop, hours_ago=200, order_ref="REVIEW-CLOSED"), hours_ago=100
        )
        decided = decide(escalate(file(partner, shop, hours_ago=300, order_ref="DECIDED")))
        settled = services.claim_settle(
            claim=file(partner, shop, hours_ago=2, order_ref="SETTLED"), now=timezone.now()
        )

        response = client.get(list_url())

        assert row_refs(response) == [
            late_answer.order_ref,  # answer due in 8 hours
            new_answer.order_ref,  # answer due in 47 hours
            evidence_open.order_ref,  # the merchant's evidence window is open
            settled.order_ref,  # the rest newest first
            evidence_closed.order_ref,
            decided.order_ref,
        ]
        text = response.content.decode()
        assert "等待您处理" in text

    def test_each_row_shows_its_deadline_in_local_time_and_what_is_left(
        self, client, owner, partner, shop
    ):
        claim = file(partner, shop, hours_ago=20)
        overdue = file(partner, shop, hours_ago=50)

        text = client.get(list_url()).content.decode()

        local = timezone.localtime(claim.respond_by).strftime("%Y-%m-%d %H:%M")
        assert local in text
        assert re.search(r"还剩 1\xa0日，[34]\xa0小时", text)
        since = timezone.localtime(overdue.respond_by).strftime("%Y-%m-%d %H:%M")
        assert f"自 {since} 起逾期" in text

    def test_it_reads_in_english(self, client, owner, partner, shop):
        file(partner, shop, hours_ago=20)
        english(client)

        text = client.get(list_url()).content.decode()

        assert "Consumer claims" in text and "Your answer by" in text
        assert re.search(r"in 1\xa0day, [34]\xa0hours", text)

    def test_filters_by_status_reason_and_shop(self, client, owner, partner, shop):
        other_shop, account = make_shop(
            now=timezone.now() - timedelta(days=30),
            partner_id=partner.pk,
            merchant_email="owner@yunjin.example",
        )
        fund(account, 5_000_000, now=timezone.now() - timedelta(days=30))
        late = file(partner, shop, order_ref="LATE")
        fake = file(partner, shop, reason="COUNTERFEIT", order_ref="FAKE")
        elsewhere = file(partner, other_shop, order_ref="ELSEWHERE")
        reviewed = escalate(file(partner, shop, order_ref="REVIEWED"))

        assert row_refs(client.get(list_url(status="IN_REVIEW"))) == [reviewed.order_ref]
        assert row_refs(client.get(list_url(reason="COUNTERFEIT"))) == [fake.order_ref]
        assert row_refs(client.get(list_url(shop=other_shop.public_id))) == [elsewhere.order_ref]
        assert set(row_refs(client.get(list_url(shop=shop.public_id, status="NEGOTIATING")))) == {
            late.order_ref,
            fake.order_ref,
        }
        # An unknown value filters nothing rather than failing.
        assert len(row_refs(client.get(list_url(status="BOGUS")))) == 4

    def test_pages_keep_the_filters_in_their_links(self, client, owner, partner, shop):
        for n in range(23):
            file(partner, shop, hours_ago=n, order_ref=f"O-{n:02d}")
        file(partner, shop, reason="COUNTERFEIT", order_ref="NOT-LISTED")

        first = client.get(list_url(reason="LATE_SHIPMENT"))
        second = client.get(list_url(reason="LATE_SHIPMENT", page=2))

        assert len(row_refs(first)) == 20
        assert 'href="?reason=LATE_SHIPMENT&amp;page=2"' in first.content.decode()
        assert row_refs(second) == ["O-02", "O-01", "O-00"]  # answers due last
        assert 'href="?reason=LATE_SHIPMENT&amp;page=1"' in second.content.decode()

    def test_without_claims_it_says_what_a_claim_is(self, client, owner):
        text = client.get(list_url()).content.decode()

        assert "您的店铺没有消费者理赔" in text
        assert "48 小时" in text

    def test_only_the_merchants_own_claims_are_listed(self, client, owner, partner, shop):
        mine = file(partner, shop)
        other_shop, account = make_shop(
            now=timezone.now() - timedelta(days=30), partner_id=partner.pk
        )
        fund(account, 5_000_000, now=timezone.now() - timedelta(days=30))
        file(partner, other_shop, order_ref="NOT-MINE")

        assert row_refs(client.get(list_url())) == [mine.order_ref]
        # Another merchant's shop in the filter is ignored, not shown.
        assert row_refs(client.get(list_url(shop=other_shop.public_id))) == [mine.order_ref]

    def test_the_list_stays_within_its_query_budget(self, client, owner, partner, shop):
        for n in range(25):
            claim = file(partner, shop, hours_ago=n)
            if n % 3 == 0:
                escalate(claim)

        with CaptureQueriesContext(connection) as queries:
            response = client.get(list_url())

        assert response.status_code == 200
        assert len(queries) <= 12, "\n".join(q["sql"] for q in queries)


class TestAccess:
    def test_anonymous_visitors_are_sent_to_log_in(self, client, partner, shop):
        claim = file(partner, shop)

        for url in (list_url(), detail_url(claim)):
            response = client.get(url)
            assert response.status_code == 302 and "/accounts/login/" in response["Location"]
        response = client.post(reverse("claims:settle", args=[claim.public_id]))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
        assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.NEGOTIATING

    def test_another_merchants_claim_is_not_found_and_cannot_be_answered(
        self, client, owner, partner
    ):
        other_shop, account = make_shop(
            now=timezone.now() - timedelta(days=30), partner_id=partner.pk
        )
        fund(account, 5_000_000, now=timezone.now() - timedelta(days=30))
        theirs = file(partner, other_shop)

        assert client.get(detail_url(theirs)).status_code == 404
        settle = client.post(reverse("claims:settle", args=[theirs.public_id]))
        contest = client.post(reverse("claims:contest", args=[theirs.public_id]), {"note": "no"})

        assert settle.status_code == contest.status_code == 404
        assert Claim.objects.get(pk=theirs.pk).status == ClaimStatus.NEGOTIATING

    def test_staff_without_the_deposit_permission_see_no_amounts_and_cannot_answer(
        self, client, partner, shop
    ):
        claim = file(partner, shop, paid=123_400, requested_minor=50_000)
        client.force_login(make_member(shop, role=MerchantUser.Role.VIEWER))

        listing = client.get(list_url()).content.decode()
        page = client.get(detail_url(claim)).content.decode()

        for text in (listing, page):
            assert claim.order_ref in text
            assert "¥" not in text and "1,234.00" not in text
        assert claim.computation_zh not in page and "实付" not in page
        assert reverse("claims:settle", args=[claim.public_id]) not in page
        assert "“理赔”角色" in page  # ask the owner for the role

        response = client.post(reverse("claims:settle", args=[claim.public_id]), follow=True)
        assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.NEGOTIATING
        assert "只有店铺所有者" in response.content.decode()

    def test_staff_with_the_deposit_permission_see_the_amounts(self, client, partner, shop):
        claim = file(partner, shop, paid=123_400)
        client.force_login(make_member(shop, role=MerchantUser.Role.CLAIMS))

        page = client.get(detail_url(claim)).content.decode()

        assert "¥ 1,234.00" in page
        assert "实付 ¥ 1,234.00 × 30% = ¥ 370.20" in visible(page)
        assert reverse("claims:settle", args=[claim.public_id]) in page


class TestTheClaimPage:
    def test_it_shows_the_order_the_story_the_computation_and_the_timeline(
        self, client, owner, partner, shop
    ):
        claim = file(partner, shop, paid=88_800, description="下单三天仍未发货。\n客服不回复。")

        text = client.get(detail_url(claim)).content.decode()

        assert claim.order_ref in text and "¥ 888.00" in text
        assert "下单三天仍未发货。" in text
        # The rule by its name and money as the page writes it, not "规则 LATE_SHIPMENT@… CNY"
        assert (
            "计算方法： “延迟发货”规则（2024-01-01 版）：实付 ¥ 888.00 × 30% = ¥ 266.40。"
            "赔付：¥ 266.40。"
        ) in visible(text)
        assert claim.computation_zh not in text and claim.computation_en not in text
        assert "消费者提交理赔" in text  # the timeline's first step, in words
        assert "Estimate:" not in text  # the service's machine note stays out

    def test_a_claim_stored_before_the_facts_reads_the_same_and_an_odd_text_as_stored(
        self, client, owner, partner, shop
    ):
        known = file(partner, shop, paid=88_800)
        odd = file(partner, shop)
        Claim.objects.filter(pk=known.pk).update(computation_facts={})
        Claim.objects.filter(pk=odd.pk).update(
            computation_facts={},
            computation_en="Rule LATE_SHIPMENT: typed by hand.",
            computation_zh="规则 LATE_SHIPMENT：手写的说明。",
        )

        known_text = visible(client.get(detail_url(known)).content.decode())
        odd_text = visible(client.get(detail_url(odd)).content.decode())

        assert "“延迟发货”规则（2024-01-01 版）：实付 ¥ 888.00 × 30% = ¥ 266.40。" in known_text
        assert "规则 LATE_SHIPMENT：手写的说明。" in odd_text

    def test_it_reads_in_english_with_the_english_computation(self, client, owner, partner, shop):
        claim = file(partner, shop)
        english(client)

        text = client.get(detail_url(claim)).content.decode()

        assert (
            "How it is computed: Late shipment rule (version of 2024-01-01): ¥ 1,000.00 paid × "
            "30% = ¥ 300.00. Award: ¥ 300.00."
        ) in visible(text)
        assert claim.computation_en not in text and claim.computation_zh not in text
        assert "Claim filed by the consumer" in text and "The marketplace" in text
        assert "Settle with the consumer" in text and "Contest the claim" in text

    def test_a_decided_claim_shows_its_award_and_where_it_was_paid_from(
        self, client, owner, partner, shop
    ):
        claim = decide(escalate(file(partner, shop, paid=100_000)))

        text = client.get(detail_url(claim)).content.decode()

        assert "裁定" in text
        assert "¥ 300.00" in text
        assert "保证金" in text  # funded from the deposit
        assert reverse("claims:settle", args=[claim.public_id]) not in text


class TestSettle:
    def test_settling_closes_the_claim_once_even_when_submitted_twice(
        self, client, owner, partner, shop
    ):
        claim = file(partner, shop)
        url = reverse("claims:settle", args=[claim.public_id])

        first = client.post(url, {"note": "Refunded in full"})
        second = client.post(url, {"note": "Refunded in full"}, follow=True)

        assert first.status_code == 302 and first["Location"] == detail_url(claim)
        claim.refresh_from_db()
        assert claim.status == ClaimStatus.SETTLED
        settled = claim.events.filter(action="settled")
        assert settled.count() == 1
        assert settled.get().actor == Actor.MERCHANT
        assert settled.get().actor_label == owner.get_username()
        assert settled.get().note == "Refunded in full"
        assert not Hold.objects.exists()
        text = second.content.decode()
        assert "已和解" in text and "msg error" not in text

    def test_settling_a_claim_that_is_already_in_review_is_refused_in_words(
        self, client, owner, partner, shop
    ):
        claim = escalate(file(partner, shop))

        response = client.post(reverse("claims:settle", args=[claim.public_id]), follow=True)

        assert response.status_code == 200
        assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.IN_REVIEW
        text = response.content.decode()
        assert "msg error" in text and "已无法进行此操作" in text and "平台审理中" in text

    def test_the_refusal_reads_in_english(self, client, owner, partner, shop):
        claim = escalate(file(partner, shop))
        english(client)

        response = client.post(reverse("claims:settle", args=[claim.public_id]), follow=True)

        assert "This is no longer possible: the claim is now “In review”" in (
            response.content.decode()
        )

    def test_a_get_does_not_settle(self, client, owner, partner, shop):
        claim = file(partner, shop)

        response = client.get(reverse("claims:settle", args=[claim.public_id]))

        assert response.status_code == 405
        assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.NEGOTIATING


class TestContest:
    def test_contesting_needs_a_note(self, client, owner, partner, shop):
        claim = file(partner, shop)

        response = client.post(reverse("claims:contest", args=[claim.public_id]), {"note": "  "})

        assert response.status_code == 400
        assert "请说明您提出异议的理由" in response.content.decode()
        assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.NEGOTIATING

    def test_contesting_escalates_once_as_the_merchant_with_a_hold_even_when_submitted_twice(
        self, client, owner, partner, shop
    ):
        claim = file(partner, shop, paid=100_000)
        url = reverse("claims:contest", args=[claim.public_id])
        note = "The parcel left on day 1; tracking SF123."

        client.post(url, {"note": note})
        second = client.post(url, {"note": note}, follow=True)

        claim.refresh_from_db()
        assert claim.status == ClaimStatus.IN_REVIEW
        escalated = claim.events.get(action="escalated")
        assert (escalated.actor, escalated.actor_label) == (Actor.MERCHANT, owner.get_username())
        assert escalated.note.startswith(note)
        hold = Hold.objects.get()
        assert hold.amount_minor == claim.compensation_minor == 30_000
        assert str(hold.public_id) == str(claim.hold_public_id)
        text = second.content.decode()
        assert "msg error" not in text and "已提出异议" in text
        # The page now asks for evidence by the merchant's window.
        assert "您的举证截止" in text
        assert note in text  # the merchant's own words on the timeline

    def test_before_contesting_it_says_what_is_held_and_that_the_shop_would_fall_short(
        self, client, owner, partner, shop
    ):
        # The shop holds exactly its requirement: the hold of the estimate makes it short.
        account = shop.deposit_account
        account.refresh_from_db()
        assert account.shortfall_minor == 0
        surplus = account.available_minor - account.required_minor
        claim = file(partner, shop, paid=100_000)
        assert claim.compensation_minor == 30_000 > surplus

        page = client.get(detail_url(claim))

        preview = page.context["contest_preview"]
        assert preview.held_minor == 30_000
        assert preview.available_after_minor == account.available_minor - 30_000
        assert preview.shortfall_after_minor == 30_000 - surplus
        # The figures, in the page (the sentences read in the reader's language; the amounts
        # are the money filter's): held, available after, short by.
        box = page.content.decode().split('id="contest-preview"')[1].split("</div>")[0]
        for minor in (30_000, account.available_minor - 30_000, 30_000 - surplus):
            assert str(money(minor, "CNY")) in box
        assert 'class="banner bad' in page.content.decode().split('id="contest-preview"')[0][-80:]
        # The ladder's next step, as the shop page's banner words it (marketing after 72 h).
        when = timezone.localtime(preview.next_when)
        assert timezone.now() + timedelta(hours=71) < preview.next_when
        assert when.strftime("%Y-%m-%d %H:%M") in box
        assert preview.next_what in box
        assert f"?amount={(30_000 - surplus) / 100:.2f}" in page.content.decode()
        # Read only: nothing held, nothing opened by looking.
        assert not Hold.objects.exists()
        assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.NEGOTIATING

    def test_before_contesting_a_shop_with_room_is_told_the_hold_only(
        self, client, owner, partner, shop
    ):
        fund(shop.deposit_account, 1_000_000, now=timezone.now())
        claim = file(partner, shop, paid=100_000)
        english(client)

        page = client.get(detail_url(claim))

        preview = page.context["contest_preview"]
        assert preview.held_minor == 30_000 and not preview.makes_short
        box = page.content.decode().split('id="contest-preview"')[1].split("</div>")[0]
        assert "Contesting holds" in box
        assert str(money(30_000, "CNY")) in box and "short by" not in box


class TestBadgeAndPanel:
    def test_the_badge_counts_answers_due_and_open_evidence_windows(
        self, client, owner, partner, shop
    ):
        file(partner, shop)  # to answer
        escalate(file(partner, shop))  # evidence window open
        escalate(file(partner, shop, hours_ago=200), hours_ago=100)  # window closed
        decide(escalate(file(partner, shop)))
        other_shop, account = make_shop(
            now=timezone.now() - timedelta(days=30), partner_id=partner.pk
        )
        fund(account, 5_000_000, now=timezone.now() - timedelta(days=30))
        file(partner, other_shop)  # another merchant's

        response = client.get(reverse("dashboard:home"))

        assert response.context["claims_waiting"] == 2
        assert re.search(r'class="nav-count claims-count"[^>]*>2<', response.content.decode())

    def test_no_badge_when_nothing_waits(self, client, owner, partner, shop):
        services.claim_settle(claim=file(partner, shop), now=timezone.now())

        text = client.get(reverse("dashboard:home")).content.decode()

        assert "claims-count" not in text
        assert reverse("claims:list") in text  # the link is always there

    def test_the_shop_page_links_to_its_claims_with_how_many_wait(
        self, client, owner, partner, shop
    ):
        file(partner, shop)
        services.claim_settle(claim=file(partner, shop), now=timezone.now())

        text = client.get(reverse("dashboard:shop_detail", args=[shop.public_id])).content.decode()

        assert "1 条消费者理赔等待您答复" in text
        assert f"{reverse('claims:list')}?shop={shop.public_id}" in text

    def test_the_timeline_says_the_merchant_contested_and_the_api_keeps_its_action(
        self, client, owner, partner, shop
    ):
        contested = file(partner, shop)
        client.post(reverse("claims:contest", args=[contested.public_id]), {"note": "Shipped."})
        by_partner = file(partner, shop)
        escalate(by_partner)
        english(client)

        def escalation(claim):
            page = client.get(detail_url(claim))
            return next(
                row["action"]
                for row in page.context["timeline"]
                if row["event"].action == "escalated"
            )

        assert escalation(contested) == "Contested by the merchant: the platform reviews the claim"
        assert escalation(by_partner) == "Escalated: the platform reviews the claim"
        api = services.claim_data(Claim.objects.get(pk=contested.pk))["timeline"]
        assert [row["action"] for row in api] == ["filed", "escalated"]


class TestClaimsOnTheShopPage:
    def test_holds_ledger_and_shortfall_name_the_claim_by_its_order_and_link_to_it(
        self, client, owner, partner, shop
    ):
        # Funded exactly to the requirement: the award taken from the hold leaves it short.
        taken = file(partner, shop, order_ref="ORD-TAKEN")
        escalate(taken)
        decide(taken)
        deposit_services.shortfall_evaluate(shop_id=shop.pk, now=timezone.now())
        held = file(partner, shop, order_ref="ORD-HELD")
        escalate(held)
        shop_url = reverse("dashboard:shop_detail", args=[shop.public_id])

        html = client.get(shop_url).content.decode()

        # No stored code reaches the Chinese page: the reason reads in Chinese, the reference
        # is the claim's order, linked to its page (holds, ledger and the shortfall banner).
        assert "claim:" not in html
        assert "LATE_SHIPMENT" not in html and "Claim C-" not in html
        holds = html.split('id="holds"')[1].split("</section>")[0] if 'id="holds"' in html else ""
        assert holds, "the page has its holds table"
        assert f'href="{detail_url(held)}"' in holds and "ORD-HELD" in holds
        banner = html.split('id="shortfall"')[1].split("</section>")[0]
        assert f'href="{detail_url(taken)}"' in banner and "ORD-TAKEN" in banner
        assert html.count(f'href="{detail_url(taken)}"') >= 2  # the banner and the ledger


class TestLanguages:
    """Every interface word of the claims pages is translated: a Chinese page has no English
    words but data and codes, an English page no Chinese but the glossary."""

    ENGLISH_WORD = re.compile(r"\b[A-Za-z]{3,}\b")

    def _visible_text(self, html: str) -> str:
        html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
        html = re.sub(r"<[^>]+>", " ", html)
        return re.sub(r"\s+", " ", html)

    def _pages(self, partner, shop) -> list[str]:
        negotiating = file(partner, shop, description="没有发货。")
        reviewed = escalate(file(partner, shop, description="没有发货。"))
        decided = decide(escalate(file(partner, shop, description="没有发货。")))
        return [list_url()] + [detail_url(c) for c in (negotiating, reviewed, decided)]

    def test_the_chinese_pages_have_no_english_interface_text(self, client, owner, partner, shop):
        urls = self._pages(partner, shop)
        # Codes and data: order references, currency. (The computation names the rule by its
        # reason, not its code.)
        # The evidence panel names file formats and the hash as they are written in Chinese too.
        allowed = {"English", "CNY", "UTC", "ORD", "Tmall"}
        allowed |= {"GIF", "JPEG", "MiB", "PDF", "PNG", "SHA"}

        for url in urls:
            text = self._visible_text(client.get(url).content.decode())
            text = re.sub(r"Shop \d+|user\d+|ORD-\d+", " ", text)
            words = set(self.ENGLISH_WORD.findall(text)) - allowed
            assert not words, f"{url}: {sorted(words)}"

    def test_the_english_pages_have_no_chinese_interface_text(self, client, owner, partner, shop):
        urls = self._pages(partner, shop)
        english(client)
        allowed = {"中文", "保", "保证金"}  # the switcher, the logo, the glossary in brackets
        data = {"没有发货"}  # the consumer's own words

        for url in urls:
            text = self._visible_text(client.get(url).content.decode())
            words = set(re.findall(r"[\u4e00-\u9fff]+", text)) - allowed - data
            assert not words, f"{url}: {sorted(words)}"


def appeal_url(claim) -> str:
    return reverse("claims:appeal", args=[claim.public_id])


class TestAppeal:
    def test_the_form_is_offered_for_an_award_while_the_window_is_open_only(
        self, client, owner, partner, shop
    ):
        award = decide(escalate(file(partner, shop)))
        rejected = decide(escalate(file(partner, shop)), outcome="REJECTED")
        negotiating = file(partner, shop)

        assert 'id="id_appeal_note"' in client.get(detail_url(award)).content.decode()
        assert "对裁定提出申诉" in client.get(detail_url(award)).content.decode()
        assert "id_appeal_note" not in client.get(detail_url(rejected)).content.decode()
        assert "id_appeal_note" not in client.get(detail_url(negotiating)).content.decode()

    def test_appealing_moves_the_claim_once_and_the_page_says_so(
        self, client, owner, partner, shop
    ):
        claim = decide(escalate(file(partner, shop)))
        grounds = {"note": "快递单 SF1234 证明已按时发货。"}

        first = client.post(appeal_url(claim), grounds, follow=True)
        second = client.post(appeal_url(claim), grounds, follow=True)

        appealed = Claim.objects.get(pk=claim.pk)
        assert appealed.status == ClaimStatus.APPEALED
        assert appealed.appeal_note == grounds["note"]
        assert list(appealed.events.values_list("action", flat=True)).count("appealed") == 1
        assert "已提出申诉" in first.content.decode()
        text = second.content.decode()
        assert "msg info" in text and "id_appeal_note" not in text
        assert "平台正在审理您的申诉" in text

    def test_grounds_are_required_and_named(self, client, owner, partner, shop):
        claim = decide(escalate(file(partner, shop)))

        response = client.post(appeal_url(claim), {"note": "  "})

        assert response.status_code == 400
        assert "请说明申诉理由。" in response.content.decode()
        assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.DECIDED

    def test_past_the_window_the_merchant_is_told_in_words(self, client, owner, partner, shop):
        filed = file(partner, shop, hours_ago=24 * 20)
        claim = decide(escalate(filed, hours_ago=24 * 19), hours_ago=24 * 16)

        response = client.post(appeal_url(claim), {"note": "Too late?"}, follow=True)

        assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.DECIDED
        assert "已无法申诉" in response.content.decode()

    def test_staff_without_the_deposit_permission_cannot_appeal(self, client, partner, shop):
        claim = decide(escalate(file(partner, shop)))
        client.force_login(make_member(shop, role=MerchantUser.Role.VIEWER))

        client.post(appeal_url(claim), {"note": "grounds"})

        assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.DECIDED

    def test_an_upheld_appeal_is_shown_with_what_came_back(self, client, owner, partner, shop):
        claim = decide(escalate(file(partner, shop)))
        client.post(appeal_url(claim), {"note": "SF1234"})
        services.claim_appeal_decide(
            claim=claim, outcome="UPHELD", now=timezone.now(), note="Receipt checked."
        )

        text = client.get(detail_url(claim)).content.decode()

        assert "申诉成立" in text


class TestSeedDemo:
    def test_the_demo_merchant_has_claims_in_every_step_and_a_second_run_replays(self, sent_tasks):
        from django.core.management import call_command

        from deposits.services import ledger_check_run

        call_command("seed_demo", "--force", stdout=io.StringIO())
        first = dict(Claim.objects.values_list("external_ref", "status"))
        call_command("seed_demo", "--force", stdout=io.StringIO())

        assert dict(Claim.objects.values_list("external_ref", "status")) == first
        assert set(first.values()) == {"NEGOTIATING", "IN_REVIEW", "DECIDED", "SETTLED"}
        assert (
            Claim.objects.filter(shop__merchant__contact_email="owner@yunjin.example").count() == 5
        )
        assert ledger_check_run().ok


def test_a_login_without_a_merchant_is_told_so(client):
    from tests.factories import make_user

    client.force_login(make_user())

    assert client.get(list_url()).status_code == 403
