-- One deduction through deposits_post, as the API sends it (captured from deposits_deduct),
-- on a random shop's account of those bench/api_floor.py prepares (ids 12-510; 2-11 are the
-- system accounts).
\set aid random(12, 510)
SELECT o_outcome FROM deposits_post(
    :aid::bigint,
    ARRAY[0,0,0,0,0]::bigint[], ARRAY[false,false,false,false,false]::boolean[], 0::bigint,
    gen_random_uuid(), 'pgb-' || gen_random_uuid(), 'fp', 'DEDUCTION', 'POSTED', '', 100::bigint,
    'CNY', 'bench', 'ref-1', NULL, NULL::bigint, NULL::bigint, NULL::bigint, now(), now(),
    ARRAY['POSTED','POSTED']::text[], ARRAY[NULL,'COMPENSATION_PAYABLE']::text[],
    ARRAY[-100,100]::bigint[], 1::bigint, gen_random_uuid(),
    '{"shop": "b86dd902-ff55-4716-a0d4-df164a903068", "external_ref": "bench-0", "status": null, "transaction_id": "391a702e-04c4-48ce-95e8-b4b46788fc95", "kind": "DEDUCTION", "entry": null, "entries": [{"id": null, "transaction_id": "391a702e-04c4-48ce-95e8-b4b46788fc95", "kind": "DEDUCTION", "bucket": "POSTED", "amount_minor": -100, "balance_after_minor": null, "currency": "CNY", "reason": "bench", "reference": "ref-1", "occurred_at": "2026-12-07T10:08:34.500539Z"}], "deposit": {"currency": null, "required_minor": null, "posted_minor": null, "held_minor": null, "available_minor": null, "guaranteed_minor": null, "debt_minor": null, "shortfall_minor": null}}'::jsonb, ARRAY[1]::int[], now() + interval '1 day');
