from __future__ import annotations

import pytest
from django.utils import timezone

from insurance.models import InsuranceProduct
from partners.models import Partner
from tests.partners.api_client import Api, make_api


@pytest.fixture
def api(db: None) -> Api:
    return make_api("Tmall")


@pytest.fixture
def other_api(db: None) -> Api:
    return make_api("JD")


@pytest.fixture
def insurer_api(db: None) -> Api:
    """PICC, the insurer of both default products (as `create_partner_key --insurer` makes it)."""
    issued = make_api("PICC")
    Partner.objects.filter(pk=issued.partner.pk).update(kind=Partner.Kind.INSURER)
    InsuranceProduct.objects.filter(effective_from__lte=timezone.now()).update(
        insurer=issued.partner
    )
    return issued
