"""The IDOR matrix: every dashboard and partner-API URL that names an object by id, tried as each
kind of caller, with the answer each must get.

The URLs come from the URLconfs themselves (`urls_with_ids`): a new URL with an id that is not in
DASHBOARD or API (or EXCLUDED, with the reason) fails `test_every_url_with_an_id_is_in_the_matrix`.

Who gets what, and why:
- the owner (merchant A's owner; on the API the partner that owns the object, or the insurer for
  the applications it underwrites): 200 for a page or a read; for a form or a write, an answer
  of the action itself (done, a form error, a domain refusal), never 401/403/404 or a 500.
- staff of A without the permission the URL needs (the team roles, shops.models.MerchantUser):
  403 with the page that says which permission is missing: they are in the merchant and may know
  the object exists (its shop and claims are listed to them). The policy pages are the one
  exception, 404: they are reached only through the insurance page, forbidden to them, and the
  policy is looked up among what the permission shows. Where every member may read (a shop, a
  claim and its evidence), a viewer gets 200: the matrix says so, so that narrowing it is a
  decision. On the API, a key of the same partner without the endpoint's scope: 403.
- another merchant (B's owner), another partner (JD, a key with every scope): 404, exactly as for
  an id that does not exist: existence must not leak across companies or partners.
- another merchant or partner with its own parent in the URL and A's child (its own shop and A's
  policy, its own claim and A's evidence): 404 as well. The rows above put A's parent in front,
  which is refused before the child is looked up, so they cannot tell a child looked up by its
  id alone from one looked up under its parent.
- anonymous: the dashboard redirects to the sign-in page with `next` (a person who followed a
  link signs in and lands where they were going; the page shows nothing before that); the API
  answers 401 `not_authenticated` (a machine client gets no HTML).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from tests.security.idor_world import JPEG, IdorWorld, build_idor_world

pytestmark = pytest.mark.django_db


def urls_with_ids() -> set[str]:
    """The fully namespaced names of every URL whose route takes an argument (an id), the ops
    admin's aside (EXCLUDED)."""

    def walk(patterns: list[Any], prefix: str, namespace: str) -> Any:
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = namespace + (f"{p.namespace}:" if p.namespace else "")
                yield from walk(p.url_patterns, prefix + str(p.pattern), ns)
            elif isinstance(p, URLPattern) and p.pattern.regex.groupindex:
                route = prefix + str(p.pattern)
                if not route.startswith("admin/"):
                    yield (namespace + p.name) if p.name else route

    return set(walk(get_resolver().url_patterns, "", ""))


# Not object ids of a merchant's or partner's data, each for its reason.
EXCLUDED = {
    # Ops' admin: staff only (is_staff, two-factor), every object visible to ops by design.
    "admin/*": "the ops admin (staff with two-factor), not merchant or partner data",
    "password_reset_confirm": "Django's signed reset token; rate-limited (test_rate_limits.py)",
    "team:join": "a signed invitation token, not an id; rate-limited (test_rate_limits.py)",
    # The matrix's "same partner, other key: 403" would be right, but its owner row would rotate
    # the key the other rows use; the four answers are asserted where the rotation is.
    "api-key-rotate": "a key rotates only itself: tests/partners/test_key_rotation.py asserts "
    "the key (201), its partner's other key (403), another partner (404), a revoked key (401)",
}
# Mounted only with DEBUG on (config/urls.py): found when present, never required.
STATIC = r"^static/(?P<path>.*)$"


@dataclass(frozen=True)
class Page:
    """A dashboard URL: its method, the world's ids it takes, the role of A's staff that lacks
    what it needs and the answer that role gets."""

    method: str
    args: tuple[str, ...]
    staff_role: str
    staff_status: int
    data: dict[str, str] = field(default_factory=dict)
    query: str = ""


SHOP = ("shop_id",)
INSURED = ("insured_shop_id",)
CLAIM = ("claim_id",)
DASHBOARD: dict[str, Page] = {
    "dashboard:shop_detail": Page("get", SHOP, "VIEWER", 200),
    "dashboard:statement": Page("get", SHOP, "CLAIMS", 403),
    "dashboard:statement_csv": Page("get", SHOP, "CLAIMS", 403),
    "dashboard:statement_xlsx": Page("get", SHOP, "CLAIMS", 403),
    "dashboard:statement_pdf": Page("get", SHOP, "CLAIMS", 403, query="?month=2026-11"),
    "dashboard:coverage": Page("get", SHOP, "CLAIMS", 403),
    "dashboard:withdraw": Page("get", SHOP, "CLAIMS", 403),
    "dashboard:sandbox_top_up": Page("get", SHOP, "VIEWER", 403),
    "dashboard:sandbox_top_up_confirm": Page("get", ("shop_id", "payment_id"), "VIEWER", 403),
    "insurance:shop_insurance": Page("get", INSURED, "CLAIMS", 403),
    "insurance:shop_insurance_apply": Page("post", SHOP, "CLAIMS", 403),
    "insurance:policy_pay_sandbox": Page("post", (*INSURED, "policy_id"), "CLAIMS", 404),
    "insurance:policy_surrender": Page("post", (*INSURED, "policy_id"), "CLAIMS", 404),
    "insurance:policy_renew": Page("post", (*INSURED, "policy_id"), "CLAIMS", 404),
    "insurance:policy_document": Page("get", (*INSURED, "policy_id"), "CLAIMS", 404),
    "insurance:recovery_repay_sandbox": Page("post", (*INSURED, "recovery_id"), "CLAIMS", 403),
    "insurance:what_if": Page("get", SHOP, "VIEWER", 403),
    "claims:detail": Page("get", CLAIM, "VIEWER", 200),
    # Answering a claim refused: back to the claim's page (which they may read) with the message
    # naming the role that may answer (claims/views.py), as every refusal on that page is shown.
    "claims:settle": Page("post", ("negotiating_claim_id",), "FINANCE", 302),
    "claims:contest": Page("post", ("negotiating_claim_id",), "FINANCE", 302),
    "claims:appeal": Page("post", ("decided_claim_id",), "FINANCE", 302),
    "claims:evidence": Page("get", CLAIM, "VIEWER", 200),
    "claims:evidence_upload": Page("post", CLAIM, "VIEWER", 403),
    "claims:evidence_download": Page("get", (*CLAIM, "evidence_id"), "VIEWER", 200),
    "team:invitation_resend": Page("post", ("invitation_id",), "FINANCE", 403),
    "team:invitation_revoke": Page("post", ("invitation_id",), "CLAIMS", 403),
    "team:member_role": Page("post", ("member_id",), "FINANCE", 403, {"role": "FINANCE"}),
    "team:member_remove": Page("post", ("removable_member_id",), "CLAIMS", 403),
}


@dataclass(frozen=True)
class Endpoint:
    """A partner-API URL: method, ids, a valid body (validation runs before the lookup, so a
    body that fails it would answer 400 to everyone), and which partner owns the object."""

    method: str
    args: tuple[str, ...]
    body: dict[str, Any] | None = None
    owner: str = "owner"
    multipart: bool = False


def _money(**more: Any) -> dict[str, Any]:
    return {"amount_minor": 100, "currency": "CNY", **more}


def _expires() -> str:
    return (timezone.now() + timedelta(days=3)).isoformat()


POLICY = ("policy_id",)
API: dict[str, Endpoint] = {
    "shop-detail": Endpoint("get", SHOP),
    "shop-ledger": Endpoint("get", SHOP),
    "shop-holds": Endpoint("get", SHOP),
    "shop-top-ups": Endpoint("post", SHOP, _money(payment_ref="idor-pay")),
    "shop-deductions": Endpoint("post", SHOP, _money(reason="r", reference="o")),
    "shop-withdrawals": Endpoint("post", SHOP, _money()),
    "withdrawal-detail": Endpoint("get", ("reference",)),
    "withdrawal-payout": Endpoint("post", ("reference",), {"status": "PAID"}),
    "hold-detail": Endpoint("get", ("hold_id",)),
    "hold-capture": Endpoint("post", ("hold_id",), {}),
    "hold-release": Endpoint("post", ("hold_id",), {}),
    "shop-insurance-quotes": Endpoint("post", SHOP, {}),
    "shop-insurance-applications": Endpoint("post", SHOP, {"quote": str(uuid.uuid4())}),
    "insurance-application-accept": Endpoint(
        "post", ("application_id",), {"policy_number": "IDOR-1"}, owner="insurer"
    ),
    "insurance-application-decline": Endpoint(
        "post",
        ("application_id",),
        {"reason_code": "overdue_loans", "detail": "Overdue loans."},
        owner="insurer",
    ),
    "policy-detail": Endpoint("get", POLICY),
    "shop-policies": Endpoint("get", INSURED),
    "policy-premium-payments": Endpoint("post", POLICY, _money(payment_ref="idor-premium")),
    "policy-document": Endpoint("get", POLICY),
    "policy-surrender-quote": Endpoint("get", POLICY),
    "policy-surrender": Endpoint("post", POLICY, {}),
    "policy-advances": Endpoint("get", POLICY),
    "recovery-repayments": Endpoint("post", ("recovery_id",), _money(payment_ref="idor-repay")),
    "claim-detail": Endpoint("get", CLAIM),
    "claim-escalate": Endpoint("post", ("negotiating_claim_id",), {"note": ""}),
    "claim-withdraw": Endpoint("post", ("negotiating_claim_id",), {"note": ""}),
    "claim-decision": Endpoint("post", CLAIM, {"outcome": "REJECTED"}),
    "claim-appeal": Endpoint("post", ("decided_claim_id",), {"note": "Shipped in time."}),
    "claim-appeal-decision": Endpoint("post", ("decided_claim_id",), {"outcome": "REJECTED"}),
    "claim-evidence": Endpoint("post", CLAIM, {}, multipart=True),
    "claim-evidence-download": Endpoint("get", (*CLAIM, "evidence_id")),
    "webhook-endpoint-detail": Endpoint("get", ("endpoint_id",)),
    "webhook-delivery-detail": Endpoint("get", ("delivery_id",)),
    "webhook-delivery-redeliver": Endpoint("post", ("delivery_id",), {}),
}


def test_every_url_with_an_id_is_in_the_matrix():
    covered = set(DASHBOARD) | set(API)
    found = urls_with_ids() - {STATIC}
    excluded = set(EXCLUDED) - {"admin/*"}
    assert found - covered - excluded == set(), "URLs with an id missing from the matrix"
    assert (covered | excluded) - found == set(), "matrix rows naming URLs that no longer exist"


@pytest.fixture
def world(settings, tmp_path) -> IdorWorld:
    settings.DEPOSIT_SANDBOX_PAYMENTS = True
    settings.CLAIMS_EVIDENCE_DIR = tmp_path / "evidence"
    return build_idor_world(evidence_dir=tmp_path)


def _signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _page_url(name: str, page: Page, world: IdorWorld, client: Client | None = None) -> str:
    """The URL with A's ids. A sandbox payment to confirm is started by A's owner: in `client`'s
    session when that is the owner's, otherwise in a session of the owner's own (it exists, but
    not for the caller)."""
    ids = dict(world.ids)
    if "payment_id" in page.args:
        starter = client or _signed_in(world.members["OWNER"])
        started = starter.post(
            reverse("dashboard:sandbox_top_up", args=[ids["shop_id"]]), {"amount": "10.00"}
        )
        assert started.status_code == 302, "the owner starts a sandbox payment"
        ids["payment_id"] = started["Location"].rstrip("/").rsplit("/", 1)[-1]
    return reverse(name, args=[ids[arg] for arg in page.args]) + page.query


def _ask(client: Client, page: Page, url: str) -> Any:
    if page.method == "get":
        return client.get(url)
    return client.post(url, page.data)


def _dashboard_answer(world: IdorWorld, who: str, name: str, page: Page) -> str | None:
    """What went wrong for this caller on this URL, or None."""
    if who == "anonymous":
        response = _ask(Client(), page, _page_url(name, page, world))
        login = reverse("login") + "?next="
        if response.status_code != 302 or not response["Location"].startswith(login):
            return f"{response.status_code}, not a redirect to sign in"
        return None
    if who == "other_merchant":
        response = _ask(_signed_in(world.other_owner), page, _page_url(name, page, world))
        return None if response.status_code == 404 else f"{response.status_code}, not 404"
    if who == "staff":
        client = _signed_in(world.members[page.staff_role])
        response = _ask(client, page, _page_url(name, page, world))
        if response.status_code != page.staff_status:
            return f"{page.staff_role}: {response.status_code}, not {page.staff_status}"
        if page.staff_status == 302:
            own_page = reverse("claims:detail", args=[world.ids[page.args[0]]])
            if response["Location"] != own_page:
                return f"{page.staff_role}: sent to {response['Location']}, not the claim"
        return None
    client = _signed_in(world.members["OWNER"])
    response = _ask(client, page, _page_url(name, page, world, client))
    if page.method == "get":
        return None if response.status_code == 200 else f"{response.status_code}, not 200"
    if response.status_code not in (200, 302, 400, 409):
        return f"{response.status_code}: the owner's action was not answered"
    if response.status_code == 302 and response["Location"].startswith(reverse("login")):
        return "the owner was sent to sign in"
    return None


def _reads_first(names: list[str], methods: dict[str, str]) -> list[str]:
    # The owner's forms act (revoke, surrender, settle): every read is tried before any of them.
    return sorted(names, key=lambda n: (methods[n] != "get", n))


@pytest.mark.parametrize("who", ["anonymous", "other_merchant", "staff", "owner"])
def test_every_dashboard_url_with_an_id_answers_the_caller_as_it_should(world, who):
    order = _reads_first(list(DASHBOARD), {n: p.method for n, p in DASHBOARD.items()})
    wrong = {name: _dashboard_answer(world, who, name, DASHBOARD[name]) for name in order}
    assert {name: why for name, why in wrong.items() if why} == {}


def _crossed(args: tuple[str, ...], ids: dict[str, str], theirs: dict[str, str]) -> list[str]:
    """The caller's own parent(s), A's child last."""
    return [theirs[arg] for arg in args[:-1]] + [ids[args[-1]]]


NESTED_PAGES = sorted(name for name, page in DASHBOARD.items() if len(page.args) > 1)


def test_another_merchant_naming_its_own_parent_does_not_reach_a_child_of_a(world):
    client = _signed_in(world.other_owner)
    theirs = world.other_merchant_ids
    own_shop = client.get(reverse("dashboard:shop_detail", args=[theirs["shop_id"]]))
    own_claim = client.get(reverse("claims:detail", args=[theirs["claim_id"]]))
    assert (own_shop.status_code, own_claim.status_code) == (200, 200), "B reaches its parents"
    assert NESTED_PAGES, "the URLs that name a parent and a child"
    wrong = {}
    for name in _reads_first(NESTED_PAGES, {n: DASHBOARD[n].method for n in NESTED_PAGES}):
        page = DASHBOARD[name]
        ids = dict(world.ids)
        if "payment_id" in page.args:
            ids["payment_id"] = _page_url(name, page, world).rstrip("/").rsplit("/", 1)[-1]
        url = reverse(name, args=_crossed(page.args, ids, theirs)) + page.query
        response = _ask(client, page, url)
        if response.status_code != 404:
            wrong[name] = f"{response.status_code}, not 404"
    assert wrong == {}


def _call(world: IdorWorld, who: str | None, endpoint: Endpoint, path: str) -> Any:
    headers: dict[str, str] = {}
    if who is not None:
        headers["Authorization"] = f"Bearer {world.apis[who].raw_key}"
    client = Client()
    if endpoint.method == "get":
        return client.get(path, headers=headers)
    headers["Idempotency-Key"] = str(uuid.uuid4())
    if endpoint.multipart:
        upload = SimpleUploadedFile("photo.jpg", JPEG, content_type="image/jpeg")
        return client.post(path, {"file": upload, "note": ""}, headers=headers)
    import json

    body = {k: (_expires() if v == "{expires}" else v) for k, v in (endpoint.body or {}).items()}
    return client.post(path, json.dumps(body), content_type="application/json", headers=headers)


def _api_answer(world: IdorWorld, who: str, name: str, endpoint: Endpoint) -> str | None:
    path = reverse(name, args=[world.ids[arg] for arg in endpoint.args])
    caller = {"anonymous": None, "owner": endpoint.owner}.get(who, who)
    response = _call(world, caller, endpoint, path)
    status = response.status_code
    if who == "anonymous":
        return None if status == 401 else f"{status}, not 401"
    if who == "no_scope":
        return None if status == 403 else f"{status}, not 403"
    if who == "other_partner":
        if status != 404:
            return f"{status}, not 404"
        missing = reverse(name, args=[_missing(world.ids[arg]) for arg in endpoint.args])
        if _call(world, caller, endpoint, missing).json() != response.json():
            return "answers unlike an id that does not exist"
        return None
    if endpoint.method == "get":
        return None if status == 200 else f"{status}, not 200: {response.content[:200]!r}"
    if status in (401, 403, 404) or status >= 500:
        return f"{status}: {response.content[:200]!r}"
    return None


@pytest.mark.parametrize("who", ["anonymous", "other_partner", "no_scope", "owner"])
def test_every_api_url_with_an_id_answers_the_caller_as_it_should(world, who):
    order = _reads_first(list(API), {n: e.method for n, e in API.items()})
    wrong = {name: _api_answer(world, who, name, API[name]) for name in order}
    assert {name: why for name, why in wrong.items() if why} == {}


NESTED_ENDPOINTS = sorted(name for name, endpoint in API.items() if len(endpoint.args) > 1)


def test_another_partner_naming_its_own_parent_does_not_reach_a_child_of_a(world):
    theirs = world.other_partner_ids
    own_claim = _call(
        world,
        "other_partner",
        API["claim-detail"],
        reverse("claim-detail", args=[theirs["claim_id"]]),
    )
    assert own_claim.status_code == 200, "JD reaches its own claim"
    assert NESTED_ENDPOINTS, "the URLs that name a parent and a child"
    wrong = {}
    for name in NESTED_ENDPOINTS:
        endpoint = API[name]
        crossed = _crossed(endpoint.args, world.ids, theirs)
        response = _call(world, "other_partner", endpoint, reverse(name, args=crossed))
        missing = crossed[:-1] + [_missing(crossed[-1])]
        answer = _call(world, "other_partner", endpoint, reverse(name, args=missing))
        if response.status_code != 404:
            wrong[name] = f"{response.status_code}, not 404"
        elif response.json() != answer.json():
            wrong[name] = "answers unlike a child that does not exist"
    assert wrong == {}


def _missing(value: str) -> str:
    try:
        uuid.UUID(value)
    except ValueError:
        return "WD-NOSUCHREF"
    return str(uuid.uuid4())
