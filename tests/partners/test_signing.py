"""partners.signing: the verifier docs/api.md quotes must refuse stale, future, tampered and
wrongly-keyed deliveries, and accept a good one."""

from __future__ import annotations

import pytest

from partners import signing

SECRET = "whsec_test-secret"
BODY = b'{"id":"e1","type":"hold.expired","created_at":"2026-11-02T06:00:00Z","data":{}}'
NOW = 1_793_000_000


def header(t=NOW, secret=SECRET, body=BODY):
    return signing.sign(secret, body, timestamp=t)


class TestVerify:
    def test_accepts_a_fresh_signature(self):
        assert signing.verify(SECRET, BODY, header(), now=NOW + 10) == NOW

    def test_the_header_has_the_documented_shape(self):
        import hashlib
        import hmac

        expected = hmac.new(SECRET.encode(), f"{NOW}.".encode() + BODY, hashlib.sha256).hexdigest()

        assert header() == f"t={NOW},v1={expected}"

    def test_refuses_a_stale_timestamp(self):
        with pytest.raises(signing.SignatureError, match="old"):
            signing.verify(SECRET, BODY, header(t=NOW - 301), now=NOW)

    def test_refuses_a_timestamp_from_the_future(self):
        with pytest.raises(signing.SignatureError, match="future"):
            signing.verify(SECRET, BODY, header(t=NOW + 301), now=NOW)

    def test_refuses_a_tampered_body(self):
        with pytest.raises(signing.SignatureError, match="match"):
            signing.verify(SECRET, BODY.replace(b"e1", b"e2"), header(), now=NOW)

    def test_refuses_a_wrong_secret(self):
        with pytest.raises(signing.SignatureError, match="match"):
            signing.verify("whsec_other", BODY, header(), now=NOW)

    def test_refuses_a_signature_with_a_changed_timestamp(self):
        forged = header().replace(f"t={NOW}", f"t={NOW + 1}")

        with pytest.raises(signing.SignatureError):
            signing.verify(SECRET, BODY, forged, now=NOW)

    @pytest.mark.parametrize("bad", [None, "", "garbage", "t=abc,v1=00", "t=1", "v1=00", "t=,v1="])
    def test_refuses_malformed_headers(self, bad):
        with pytest.raises(signing.SignatureError):
            signing.verify(SECRET, BODY, bad, now=NOW)

    def test_any_matching_v1_is_enough(self):
        good = header()
        rotated = f"t={NOW},v1={'0' * 64},{good.split(',')[1]}"

        assert signing.verify(SECRET, BODY, rotated, now=NOW) == NOW

    def test_tolerance_is_configurable(self):
        assert signing.verify(SECRET, BODY, header(t=NOW - 600), now=NOW, tolerance=900)
