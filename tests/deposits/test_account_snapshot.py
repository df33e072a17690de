"""The posting's account read (deposits.selectors.account_snapshot*): on PostgreSQL through the
PL/pgSQL function of deposits 0026, whose answer must be the join's, row for row."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection

from deposits.models import Account
from deposits.selectors import (
    ACCOUNT_SNAPSHOT_SQL,
    account_snapshot,
    account_snapshot_for_partner_shop,
    account_snapshot_from_sql,
)
from tests.partners.api_client import funded_shop, make_api

pytestmark = pytest.mark.django_db

FIELDS = [
    "pk",
    "kind",
    "shop_id",
    "currency",
    "posted_minor",
    "held_minor",
    "debt_minor",
    "required_minor",
    "guaranteed_minor",
    "shop_ref",
]


def facts(account: Account | None):
    return None if account is None else {f: getattr(account, f) for f in FIELDS}


def by_join(where: str, params: list) -> Account | None:
    return account_snapshot_from_sql(ACCOUNT_SNAPSHOT_SQL + where, params)


def test_a_shop_account_reads_the_same_by_id_and_by_the_partners_shop():
    api = make_api("Snapshot")
    shop = funded_shop(api, 2_000_000)
    account = Account.objects.get(shop__public_id=shop["id"])

    by_id = account_snapshot(account.pk)
    by_shop = account_snapshot_for_partner_shop(
        partner_id=api.partner.pk, shop_public_id=uuid.UUID(shop["id"])
    )

    assert facts(by_id) == facts(by_shop) == facts(by_join(" WHERE a.id = %s", [account.pk]))
    assert by_id.posted_minor == 2_000_000
    assert by_id.shop_ref.public_id == uuid.UUID(shop["id"])
    assert by_id.shop_ref.partner_id == api.partner.pk


def test_a_system_account_has_no_shop():
    system = Account.objects.create(
        kind=Account.Kind.SYSTEM, system_code="SNAPSHOT_TEST", currency="CNY"
    )

    snapshot = account_snapshot(system.pk)

    assert facts(snapshot) == facts(by_join(" WHERE a.id = %s", [system.pk]))
    assert snapshot.shop_ref is None


def test_another_partners_shop_and_an_unknown_account_are_not_found():
    owner, other = make_api("Owner"), make_api("Other")
    shop = funded_shop(owner)

    assert (
        account_snapshot_for_partner_shop(
            partner_id=other.partner.pk, shop_public_id=uuid.UUID(shop["id"])
        )
        is None
    )
    assert account_snapshot(10**12) is None


@pytest.mark.postgres(reason="the function exists on PostgreSQL only")
def test_on_postgresql_the_read_is_one_call_of_the_function(django_assert_num_queries):
    api = make_api("One call")
    shop = funded_shop(api)

    with django_assert_num_queries(1) as captured:
        account_snapshot_for_partner_shop(
            partner_id=api.partner.pk, shop_public_id=uuid.UUID(shop["id"])
        )

    assert "deposits_account_snapshot_v1" in captured.captured_queries[0]["sql"]
    assert connection.vendor == "postgresql"
