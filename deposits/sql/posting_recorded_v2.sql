-- Installed by migration deposits 0027_posting_recorded_v2 (replacing v1). Never edit this file once released: a
-- change is a new file (posting_recorded_v3.sql) installed by a new migration.
--
-- A partner API posting and its idempotency record in one call (deposits/services/posting_sql.py
-- calls it when the API hands the posting a `Receipt`). It writes no money itself: it calls
-- `deposits_post`, the one function that writes the ledger, and then stores the API's response
-- in partners_idempotencyrecord. Outside a caller's transaction the call is one transaction, so
-- "the record exists if and only if the effect committed" holds without BEGIN and COMMIT: the
-- API deduction went from five round trips (account lookup, BEGIN, posting, record, COMMIT) to
-- two (docs/benchmarks.md).
--
-- The response is rendered by Python before the call (the API's own representations) with
-- markers where only the lock knows the value: "@<nonce>:<name>@", a JSON string holding a
-- per-request random nonce, so no text a partner sends can forge one. Here each marker, quotes
-- included, is replaced by the number: the posted entry's id and balance after (p_record_entry_leg,
-- NULL when the response shows no entry) and the deposit after the posting, computed as
-- deposits.selectors.deposit_summary computes it (the coverage rule in deposits_shortfall_v1).
-- A stored refusal (p_status FAILED) has no markers: its body is final.
--
-- Outcomes: deposits_post's. Any outcome other than 'posted' wrote nothing, record included.
-- When the record cannot be inserted after the posting (the partner used the key before for a
-- request of another endpoint, or one claimed it in the meantime) the function raises SQLSTATE
-- DDI01, which rolls the posting back with it; the caller then answers from the record.
--
-- v2: v1 first looked the record up and answered 'recorded' before posting. That probe ran on
-- every deduction to catch what is rare: a replay is already answered by deposits_post ('replay':
-- the ledger key is the partner's key, "api:<partner>:<key>", under its own unique index), and a
-- key used before on another endpoint meets the record's unique index at the insert (DDI01,
-- rolled back, answered from the record as before). One index probe fewer per posting.
CREATE OR REPLACE FUNCTION deposits_post_recorded(
    p_record_partner_id bigint,
    p_record_key text,
    p_record_fingerprint text,
    p_record_method text,
    p_record_path text,
    p_record_status int,
    p_record_body text,
    p_record_nonce text,
    p_record_entry_leg int,
    p_account_id bigint,
    p_expected bigint[],
    p_checked boolean[],
    p_held_delta bigint,
    p_public_id uuid,
    p_key text,
    p_fingerprint text,
    p_kind text,
    p_status text,
    p_error_code text,
    p_amount bigint,
    p_currency text,
    p_reason text,
    p_reference text,
    p_payment_ref text,
    p_hold_id bigint,
    p_reverses_id bigint,
    p_actor_id bigint,
    p_occurred_at timestamptz,
    p_recorded_at timestamptz,
    p_leg_buckets text[],
    p_leg_systems text[],
    p_leg_amounts bigint[],
    p_partner_id bigint,
    p_event_public_id uuid,
    p_event_data jsonb,
    p_event_legs int[],
    p_give_up_at timestamptz,
    OUT o_outcome text,
    OUT o_transaction_id bigint,
    OUT o_entry_ids bigint[],
    OUT o_entry_accounts bigint[],
    OUT o_balances_after bigint[],
    OUT o_balances bigint[],
    OUT o_event_id bigint,
    OUT o_delivery_ids bigint[],
    OUT o_response text
) AS $$
DECLARE
    b bigint[];
    v_names text[];
    v_values text[];
    v_body text := p_record_body;
    i int;
BEGIN
    SELECT d.o_outcome, d.o_transaction_id, d.o_entry_ids, d.o_entry_accounts,
           d.o_balances_after, d.o_balances, d.o_event_id, d.o_delivery_ids
      INTO o_outcome, o_transaction_id, o_entry_ids, o_entry_accounts,
           o_balances_after, o_balances, o_event_id, o_delivery_ids
      FROM deposits_post(p_account_id, p_expected, p_checked, p_held_delta, p_public_id, p_key,
          p_fingerprint, p_kind, p_status, p_error_code, p_amount, p_currency, p_reason,
          p_reference, p_payment_ref, p_hold_id, p_reverses_id, p_actor_id, p_occurred_at,
          p_recorded_at, p_leg_buckets, p_leg_systems, p_leg_amounts, p_partner_id,
          p_event_public_id, p_event_data, p_event_legs, p_give_up_at) AS d;
    IF o_outcome <> 'posted' THEN
        RETURN;
    END IF;

    IF p_status = 'POSTED' THEN
        b := o_balances;  -- after the posting: posted, held, debt, required, guaranteed
        v_names := ARRAY['required_minor', 'posted_minor', 'held_minor', 'available_minor',
                         'guaranteed_minor', 'debt_minor', 'shortfall_minor'];
        v_values := ARRAY[b[4], b[1], b[2], b[1] - b[2], b[5], b[3],
                          deposits_shortfall_v1(b[4], b[1], b[2], b[5], b[3])]::text[];
        IF p_record_entry_leg IS NOT NULL THEN
            v_names := v_names || ARRAY['entry_id', 'balance_after_minor'];
            v_values := v_values || ARRAY[o_entry_ids[p_record_entry_leg],
                                          o_balances_after[p_record_entry_leg]]::text[];
        END IF;
        FOR i IN 1..cardinality(v_names) LOOP
            v_body := replace(v_body, '"@' || p_record_nonce || ':' || v_names[i] || '@"',
                              v_values[i]);
        END LOOP;
    END IF;

    INSERT INTO partners_idempotencyrecord (partner_id, "key", fingerprint, method, path,
        status_code, response_body, created_at)
    VALUES (p_record_partner_id, p_record_key, p_record_fingerprint, p_record_method,
        left(p_record_path, 500), p_record_status, v_body, p_recorded_at)
    ON CONFLICT (partner_id, "key") DO NOTHING;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'deposits_post_recorded: the key % was claimed by another request',
            p_record_key USING ERRCODE = 'DDI01';
    END IF;
    o_response := v_body;
END;
$$ LANGUAGE plpgsql;
