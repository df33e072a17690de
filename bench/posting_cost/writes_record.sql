-- writes.sql plus the idempotency record as the API stores it (its row in
-- partners_idempotencyrecord, the body of api.sql with its markers filled in), in the same one
-- statement and with no checks: the rows an API deduction must write while the replayable
-- response has a table of its own. Against writes.sql it prices the record's row and indexes.
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
), r AS (
    INSERT INTO partners_idempotencyrecord (partner_id, "key", fingerprint, method, path,
        status_code, response_body, created_at)
    SELECT 1, 'pgr-' || gen_random_uuid(), '8cb344ada096272c16622b126e3c19a365590bd90c30f1c7185531258d042891',
        'POST', '/api/v1/shops/b86dd902-ff55-4716-a0d4-df164a903068/deductions/', 201, '{"entry":{"id":100,"transaction_id":"4aba210b-f7bf-4a78-b06d-661bcb383699","kind":"DEDUCTION","bucket":"POSTED","amount_minor":-100,"balance_after_minor":100,"currency":"CNY","reason":"bench","reference":"r","occurred_at":"2026-12-07T10:11:08.930556Z"},"deposit":{"currency":"CNY","required_minor":100,"posted_minor":100,"held_minor":100,"available_minor":100,"guaranteed_minor":100,"debt_minor":100,"shortfall_minor":100}}', now() FROM t
    RETURNING id
)
INSERT INTO partners_event (public_id, partner_id, type, ordering_key, data, created_at)
SELECT gen_random_uuid(), 1, 'deposit.entry_posted', 'shop', '{"entry": {"id": 1}}'::jsonb, now()
  FROM t
RETURNING (SELECT count(*) FROM e) + (SELECT count(*) FROM r);
