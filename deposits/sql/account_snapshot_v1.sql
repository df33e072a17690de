-- Installed by migration deposits 0026_account_snapshot_function. Never edit this file once
-- released: a change is a new file (account_snapshot_v2.sql) installed by a new migration.
--
-- The balances a posting plans from and the shop's identity (deposits.selectors.account_snapshot
-- and account_snapshot_for_partner_shop): the same join as ACCOUNT_SNAPSHOT_SQL there, inside a
-- PL/pgSQL function because PL/pgSQL keeps each query's plan for the session. Sent as a plain
-- statement, the join was parsed and planned on every request: 0.19 ms of backend CPU for a
-- 0.02 ms index lookup, and the largest part of an API deduction's work before the posting
-- (docs/benchmarks.md, "Two round trips"). Through this function: 0.08 ms.
--
-- By account (p_account_id given; system accounts have no shop, hence the outer join), or by a
-- partner's shop (p_account_id NULL): no row when the shop is not that partner's. Reads only, no
-- lock: the posting function checks the plan under the account's lock.
CREATE OR REPLACE FUNCTION deposits_account_snapshot_v1(
    p_account_id bigint,
    p_shop_public_id uuid,
    p_partner_id bigint
) RETURNS TABLE (
    o_id bigint, o_kind text, o_shop_id bigint, o_currency text, o_posted_minor bigint,
    o_held_minor bigint, o_debt_minor bigint, o_required_minor bigint,
    o_guaranteed_minor bigint, o_partner_id bigint, o_public_id uuid, o_external_ref text,
    o_status text, o_went_live boolean
) AS $$
BEGIN
    IF p_account_id IS NOT NULL THEN
        RETURN QUERY
        SELECT a.id, a.kind::text, a.shop_id, a.currency::text, a.posted_minor, a.held_minor,
               a.debt_minor, a.required_minor, a.guaranteed_minor, s.partner_id, s.public_id,
               s.external_ref::text, s.status::text, s.went_live_at IS NOT NULL
          FROM deposits_account a LEFT JOIN shops_shop s ON s.id = a.shop_id
         WHERE a.id = p_account_id;
    ELSE
        RETURN QUERY
        SELECT a.id, a.kind::text, a.shop_id, a.currency::text, a.posted_minor, a.held_minor,
               a.debt_minor, a.required_minor, a.guaranteed_minor, s.partner_id, s.public_id,
               s.external_ref::text, s.status::text, s.went_live_at IS NOT NULL
          FROM shops_shop s JOIN deposits_account a ON a.shop_id = s.id
         WHERE s.public_id = p_shop_public_id AND s.partner_id = p_partner_id;
    END IF;
END;
$$ LANGUAGE plpgsql STABLE;
