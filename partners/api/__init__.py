"""The partner REST API's shared plumbing (auth, scopes, throttling, idempotency, pagination,
errors) and partners' own endpoints (webhook endpoints, events). Other apps' api/ packages build
their views on `partners.api.base.PartnerAPIView`."""
