from __future__ import annotations

import pytest

from tests.partners.api_client import Api, make_api


@pytest.fixture
def api(db: None) -> Api:
    return make_api("Tmall")


@pytest.fixture
def other_api(db: None) -> Api:
    return make_api("JD")
