-- writes.sql with the replayable response kept on the ledger transaction's own row instead of
-- a record of its own: the same body as writes_record.sql in a text column that the schema does
-- not have. Only for pricing, on a scratch copy given one:
--     ALTER TABLE deposits_ledgertransaction ADD COLUMN bench_response text;
-- It prices what folding the idempotency record into the posting would leave to write.
\set aid random(12, 510)
WITH a AS (
    UPDATE deposits_account SET posted_minor = posted_minor - 100
     WHERE id = :aid RETURNING id, posted_minor
), t AS (
    INSERT INTO deposits_ledgertransaction (public_id, idempotency_key, fingerprint, kind, status,
        error_code, amount_minor, currency, reason, reference, occurred_at, recorded_at,
        account_id, bench_response)
    SELECT gen_random_uuid(), 'pgw-' || gen_random_uuid(), 'fp', 'DEDUCTION', 'POSTED', '', 100,
        'CNY', 'bench', 'ref-1', now(), now(), a.id,
        '{"entry":{"id":100,"transaction_id":"4aba210b-f7bf-4a78-b06d-661bcb383699","kind":"DEDUCTION","bucket":"POSTED","amount_minor":-100,"balance_after_minor":100,"currency":"CNY","reason":"bench","reference":"r","occurred_at":"2026-12-07T10:11:08.930556Z"},"deposit":{"currency":"CNY","required_minor":100,"posted_minor":100,"held_minor":100,"available_minor":100,"guaranteed_minor":100,"debt_minor":100,"shortfall_minor":100}}' FROM a
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
