"""POST/GET /api/v1/webhook-endpoints/ and GET/DELETE /api/v1/webhook-endpoints/{id}/."""

from __future__ import annotations

import uuid

import pytest

from partners.models import WebhookEndpoint

pytestmark = pytest.mark.django_db

URL = "/api/v1/webhook-endpoints/"


def create(api, url="https://partner.example.com/hooks", event_types=("*",), **extra):
    return api.post(URL, {"url": url, "event_types": list(event_types), **extra})


class TestCreate:
    def test_returns_the_secret_once(self, api):
        response = create(api, event_types=["deposit.entry_posted", "hold.expired"])

        assert response.status_code == 201
        body = response.json()
        assert body["secret"].startswith("whsec_")
        assert body["event_types"] == ["deposit.entry_posted", "hold.expired"]
        assert body["is_active"] is True
        detail = api.get(f"{URL}{body['id']}/").json()
        listed = api.get(URL).json()["results"]
        assert "secret" not in detail
        assert all("secret" not in e for e in listed)
        assert WebhookEndpoint.objects.get(public_id=body["id"]).secret == body["secret"]

    def test_unknown_event_types_are_named(self, api):
        response = create(api, event_types=["hold.expired", "shop.exploded"])

        assert response.status_code == 400
        assert "shop.exploded" in " ".join(response.json()["fields"]["event_types"])

    @pytest.mark.parametrize("types", [[], ["*", "hold.expired"], "hold.expired", [1]])
    def test_event_types_must_be_a_list_of_types_or_star(self, api, types):
        response = api.post(URL, {"url": "https://p.example.com/h", "event_types": types})

        assert response.status_code == 400
        assert any(f.startswith("event_types") for f in response.json()["fields"])


@pytest.fixture
def production(settings):
    settings.DEBUG = False
    settings.WEBHOOK_ALLOWED_HOSTS = []
    return settings


@pytest.mark.usefixtures("production")
class TestUrlRules:
    @pytest.mark.parametrize(
        "url",
        [
            "https://127.0.0.1/hooks",
            "https://localhost/hooks",
            "https://api.localhost/hooks",
            "https://10.1.2.3/hooks",
            "https://192.168.0.10/hooks",
            "https://172.16.5.4/hooks",
            "https://169.254.169.254/latest/meta-data",
            "https://[::1]/hooks",
            "https://[::ffff:127.0.0.1]/hooks",
            "https://[fd00::1]/hooks",
            "https://0.0.0.0/hooks",
            "https://2130706433/hooks",
            "https://0x7f.1/hooks",
            "https://100.64.0.1/hooks",
        ],
    )
    def test_loopback_and_private_addresses_are_refused(self, api, url):
        response = create(api, url=url)

        assert response.status_code == 400, response.content
        assert "url" in response.json()["fields"]

    def test_plain_http_is_refused_in_production(self, api):
        response = create(api, url="http://partner.example.com/hooks")

        assert response.status_code == 400
        assert "https" in response.json()["fields"]["url"][0]

    def test_credentials_in_the_url_are_refused(self, api):
        response = create(api, url="https://user:pw@partner.example.com/hooks")

        assert response.status_code == 400

    @pytest.mark.parametrize("url", ["ftp://partner.example.com/x", "not a url", "https://"])
    def test_non_urls_are_refused(self, api, url):
        assert create(api, url=url).status_code == 400

    def test_a_public_https_url_is_accepted(self, api):
        assert create(api, url="https://93.184.216.34/hooks").status_code == 201

    def test_ops_can_allow_list_hosts(self, api, production):
        production.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1", ".corp.internal"]

        assert create(api, url="http://127.0.0.1:8150/hooks").status_code == 201
        assert create(api, url="https://hooks.corp.internal/x").status_code == 201

    def test_development_allows_local_receivers(self, api, production):
        production.DEBUG = True

        assert create(api, url="http://localhost:8150/hooks").status_code == 201


class TestReadAndDelete:
    def test_lists_newest_first(self, api):
        first = create(api).json()
        second = create(api).json()

        ids = [e["id"] for e in api.get(URL).json()["results"]]

        assert ids == [second["id"], first["id"]]

    def test_delete_stops_deliveries_and_hides_the_endpoint(self, api):
        endpoint = create(api).json()

        response = api.delete(f"{URL}{endpoint['id']}/")

        assert response.status_code == 204
        assert api.get(f"{URL}{endpoint['id']}/").status_code == 404
        assert api.get(URL).json()["results"] == []
        assert WebhookEndpoint.objects.get(public_id=endpoint["id"]).is_active is False

    def test_unknown_endpoint_is_404(self, api):
        assert api.get(f"{URL}{uuid.uuid4()}/").status_code == 404
        assert api.delete(f"{URL}{uuid.uuid4()}/").status_code == 404
