-- The rows a deduction must write, and nothing else: the balance, the transaction, its two
-- entries and the partner's event, in one statement (one round trip, as deposits_post is), with
-- no checks, no lock taken before the update and no JSON built. What deposits_post costs above
-- this is the price of its checks; what this costs above tpcb-like is the price of the rows and
-- their indexes (and of the deferred zero-sum trigger, which fires for each entry).
\set aid random(12, 510)
WITH a AS (
    UPDATE deposits_account SET posted_minor = posted_minor - 100
     WHERE id = :aid RETURNING id, posted_minor
), t AS (
    INSERT INTO deposits_ledgertransaction (public_id, idempotency_key, fingerprint, kind, status,
        error_code, amount_minor, currency, reason, reference, occurred_at, recorded_at,
        account_id)
    SELECT gen_random_uuid(), 'pgw-' || gen_random_uuid(), 'fp', 'DEDUCTION', 'POSTED', '', 100,
        'CNY', 'bench', 'ref-1', now(), now(), a.id FROM a
    RETURNING id, account_id
), e AS (
    INSERT INTO deposits_entry (transaction_id, account_id, bucket, amount_minor,
        balance_after_minor, currency, kind, reason, reference, occurred_at, recorded_at)
    SELECT t.id, l.account_id, 'POSTED', l.amount, l.after, 'CNY', 'DEDUCTION', 'bench', 'ref-1',
           now(), now()
      FROM t, a, LATERAL (VALUES (t.account_id, -100::bigint, a.posted_minor),
                                 (3::bigint, 100::bigint, NULL::bigint)) AS l(account_id, amount, after)
    RETURNING id
)
INSERT INTO partners_event (public_id, partner_id, type, ordering_key, data, created_at)
SELECT gen_random_uuid(), 1, 'deposit.entry_posted', 'shop', '{"entry": {"id": 1}}'::jsonb, now()
  FROM t
RETURNING (SELECT count(*) FROM e);
