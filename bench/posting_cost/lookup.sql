-- The API deduction's first statement alone: the shop and account lookup through
-- deposits_account_snapshot_v1 (lookup_before.sql: the health check and the join sent as SQL).
\set aid random(12, 510)
SELECT * FROM deposits_account_snapshot_v1(NULL::bigint, ':shop'::uuid, 1::bigint);
