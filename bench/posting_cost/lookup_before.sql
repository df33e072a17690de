-- The API deduction's first two statements alone (api_before.sql's health check and shop/account
-- lookup), to price them apart from the posting.
\set aid random(12, 510)
SELECT 1;
SELECT a.id, a.kind, a.shop_id, a.currency, a.posted_minor, a.held_minor, a.debt_minor, a.required_minor, a.guaranteed_minor, s.partner_id, s.public_id, s.external_ref, s.status, s.went_live_at IS NOT NULL FROM deposits_account a LEFT JOIN shops_shop s ON s.id = a.shop_id WHERE s.public_id = ':shop'::uuid AND s.partner_id = 1;
