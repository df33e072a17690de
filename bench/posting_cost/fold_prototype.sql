-- PRICING ONLY (issue 16): what an API deduction would cost PostgreSQL if the replayable
-- response were kept on the ledger transaction's row instead of a record of its own. Never
-- installed by a migration; on a scratch copy only:
--     createdb -T dd_apiperf dd_pc_fold
--     psql -c "ALTER TABLE deposits_ledgertransaction ADD COLUMN bench_response text" dd_pc_fold
--     psql -f bench/posting_cost/fold_prototype.sql dd_pc_fold
-- It is deposits_post as v4 has it (posting_v3.sql with the account read once when nothing is
-- checked and the sequence named; the shop still read as v3 does) with the response folded in:
-- entry ids drawn before the transaction's insert (still under the lock), the markers filled in
-- as the record's are, the body stored on the transaction, and the one probe the fold would need
-- for a key used on another endpoint (the record table, read only). api_fold.sql calls it.
CREATE OR REPLACE FUNCTION bench_deposits_post_fold(
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
    -- The legs in order: bucket POSTED or DEBT of this account, or (system code set) the system
    -- account's POSTED bucket. Amounts are signed and non-zero.
    p_leg_buckets text[],
    p_leg_systems text[],
    p_leg_amounts bigint[],
    -- The shop's partner hears `deposit.entry_posted` (NULL: nobody to tell). p_event_data is the
    -- event's template, built by the one definition of its shape (deposits/services/
    -- posting_event.py): every key is there, and what only the lock knows is null. p_event_legs
    -- lists the legs the event shows, in its order; the function fills in their ids and
    -- balances after, `entry` (the first), the shop's `status` as it is at the posting, and each
    -- value of `deposit` by the name the template gives it.
    p_partner_id bigint,
    p_event_public_id uuid,
    p_event_data jsonb,
    p_event_legs int[],
    p_give_up_at timestamptz,
    p_record_partner_id bigint,
    p_record_key text,
    p_record_body text,
    p_record_nonce text,
    p_record_entry_leg int,
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
    n int := coalesce(cardinality(p_leg_amounts), 0);
    v_targets bigint[] := '{}';
    v_target bigint;
    v_now bigint[];
    v_posted bigint;
    v_held bigint;
    v_debt bigint;
    v_after bigint[] := '{}';
    v_entries jsonb := '[]';
    v_deposit jsonb;
    v_event_deposit jsonb;
    v_known boolean;
    v_leg int;
    v_kind text;
    v_currency text;
    v_shop_id bigint;
    v_payment_partner bigint;
    v_entry_seq regclass := 'deposits_entry_id_seq'::regclass;
    j int;
    v_body text := p_record_body;
    v_names text[];
    v_values text[];
    i int;
BEGIN
    -- The caller is Python in this project; still, a malformed plan must fail loudly, never
    -- fail open (a missing check flag would skip a check; a short system-code list would post
    -- a system leg to the deposit account itself).
    IF coalesce(cardinality(p_expected), 0) <> 5 OR coalesce(cardinality(p_checked), 0) <> 5
       OR array_position(p_checked, NULL) IS NOT NULL
       OR coalesce(cardinality(p_leg_buckets), 0) <> n
       OR coalesce(cardinality(p_leg_systems), 0) <> n
       OR (p_partner_id IS NOT NULL AND (coalesce(cardinality(p_event_legs), 0)
           <> coalesce(jsonb_array_length(p_event_data -> 'entries'), 0)
           OR NOT p_event_data ?& ARRAY['status', 'entry', 'entries', 'deposit'])) THEN
        RAISE EXCEPTION 'deposits_post: malformed plan for transaction %', p_key
            USING ERRCODE = 'invalid_parameter_value';
    END IF;

    -- A replay is answered before anything is locked.
    SELECT id INTO o_transaction_id FROM deposits_ledgertransaction WHERE idempotency_key = p_key;
    IF FOUND THEN
        o_outcome := 'replay';
        RETURN;
    END IF;
    -- The fold: a key used on an endpoint that keeps its record in the record table.
    PERFORM 1 FROM partners_idempotencyrecord
      WHERE partner_id = p_record_partner_id AND "key" = p_record_key;
    IF FOUND THEN
        o_outcome := 'key_used';
        RETURN;
    END IF;

    FOR i IN 1..n LOOP
        IF p_leg_systems[i] IS NULL THEN
            v_targets := v_targets || p_account_id;
        ELSE
            SELECT id INTO v_target FROM deposits_account
             WHERE kind = 'SYSTEM' AND system_code = p_leg_systems[i] AND currency = p_currency;
            IF NOT FOUND THEN
                o_outcome := 'missing_system_account';
                RETURN;
            END IF;
            v_targets := v_targets || v_target;
        END IF;
    END LOOP;

    IF true = ANY(p_checked) THEN
    SELECT ARRAY[posted_minor, held_minor, debt_minor, required_minor, guaranteed_minor],
           kind, currency
      INTO v_now, v_kind, v_currency FROM deposits_account WHERE id = p_account_id;
    IF NOT FOUND OR v_kind <> 'DEPOSIT' THEN
        o_outcome := 'missing_account';  -- system accounts only ever take the other side
        RETURN;
    END IF;
    IF v_currency <> p_currency THEN
        RAISE EXCEPTION 'deposits_post: account % is in %, the plan in %',
            p_account_id, v_currency, p_currency USING ERRCODE = 'invalid_parameter_value';
    END IF;
    FOR i IN 1..5 LOOP
        IF p_checked[i] AND v_now[i] IS DISTINCT FROM p_expected[i] THEN
            o_outcome := 'stale';
            o_balances := v_now;
            RETURN;
        END IF;
    END LOOP;
    END IF;

    -- The account's row lock serialises every change of its balances. NO KEY UPDATE, not UPDATE:
    -- foreign-key checks of rows that point at the account (holds, shortfall cases) take KEY
    -- SHARE and must not queue behind a posting (a deadlock found by the concurrent-scan test).
    SELECT ARRAY[posted_minor, held_minor, debt_minor, required_minor, guaranteed_minor],
           shop_id, currency
      INTO v_now, v_shop_id, v_currency FROM deposits_account
     WHERE id = p_account_id AND kind = 'DEPOSIT' FOR NO KEY UPDATE;
    IF NOT FOUND THEN
        o_outcome := 'missing_account';
        RETURN;
    END IF;
    IF v_currency <> p_currency THEN
        RAISE EXCEPTION 'deposits_post: account % is in %, the plan in %',
            p_account_id, v_currency, p_currency USING ERRCODE = 'invalid_parameter_value';
    END IF;
    o_balances := v_now;

    -- A closed shop's deposit only leaves (exit refund, forfeiture, holds of open claims
    -- resolving, reversals): nothing new comes in, is deducted or is reserved. Checked here,
    -- under the account's lock, because the exit's confirmation locks the account before it
    -- closes the shop: an operation racing it either posts before the exit or is refused after.
    -- The kinds are deposits.services.posting_plan.REFUSED_WHEN_CLOSED.
    IF p_status = 'POSTED'
       AND p_kind IN ('TOP_UP', 'DEDUCTION', 'HOLD', 'WITHDRAWAL', 'ADJUSTMENT')
       AND EXISTS (SELECT 1 FROM shops_shop WHERE id = v_shop_id AND closed_at IS NOT NULL) THEN
        o_outcome := 'shop_closed';
        RETURN;
    END IF;
    FOR i IN 1..5 LOOP
        IF p_checked[i] AND v_now[i] IS DISTINCT FROM p_expected[i] THEN
            o_outcome := 'stale';
            RETURN;
        END IF;
    END LOOP;

    -- The balances after, leg by leg (DEBT legs are signed like the rest: -40 owes 40 more).
    v_posted := v_now[1];
    v_held := v_now[2] + p_held_delta;
    v_debt := v_now[3];
    FOR i IN 1..n LOOP
        IF p_leg_systems[i] IS NOT NULL THEN
            v_after := v_after || NULL::bigint;
        ELSIF p_leg_buckets[i] = 'POSTED' THEN
            v_posted := v_posted + p_leg_amounts[i];
            v_after := v_after || v_posted;
        ELSIF p_leg_buckets[i] = 'DEBT' THEN
            v_debt := v_debt - p_leg_amounts[i];
            v_after := v_after || -v_debt;
        ELSE
            RAISE EXCEPTION 'deposits_post: unknown bucket %', p_leg_buckets[i]
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
    END LOOP;
    IF p_status = 'POSTED' AND (v_posted < v_held OR v_held < 0 OR v_debt < 0) THEN
        o_outcome := 'stale';
        RETURN;
    END IF;

    -- Whose payment reference it is: the partner of the shop whose deposit it credits.
    IF p_payment_ref IS NOT NULL THEN
        SELECT partner_id INTO v_payment_partner FROM shops_shop WHERE id = v_shop_id;
    END IF;

    -- Any unique conflict (the key, committed by a concurrent request on another account; the
    -- payment reference within its partner; the reversal) inserts nothing, and nothing else is
    -- written.
    o_entry_ids := '{}';
    IF p_status = 'POSTED' THEN
        FOR i IN 1..n LOOP
            o_entry_ids := o_entry_ids || nextval(v_entry_seq);
        END LOOP;
        v_names := ARRAY['required_minor', 'posted_minor', 'held_minor', 'available_minor',
                         'guaranteed_minor', 'debt_minor', 'shortfall_minor'];
        v_values := ARRAY[v_now[4], v_posted, v_held, v_posted - v_held, v_now[5], v_debt,
                          deposits_shortfall_v1(v_now[4], v_posted, v_held, v_now[5], v_debt)]::text[];
        IF p_record_entry_leg IS NOT NULL THEN
            v_names := v_names || ARRAY['entry_id', 'balance_after_minor'];
            v_values := v_values || ARRAY[o_entry_ids[p_record_entry_leg],
                                          v_after[p_record_entry_leg]]::text[];
        END IF;
        FOR i IN 1..cardinality(v_names) LOOP
            v_body := replace(v_body, '"@' || p_record_nonce || ':' || v_names[i] || '@"',
                              v_values[i]);
        END LOOP;
    END IF;
    o_response := v_body;
    INSERT INTO deposits_ledgertransaction (public_id, idempotency_key, fingerprint, kind, status,
        error_code, account_id, amount_minor, currency, reason, reference, payment_ref,
        payment_partner_id, hold_id, reverses_id, actor_id, occurred_at, recorded_at, bench_response)
    VALUES (p_public_id, p_key, p_fingerprint, p_kind, p_status, p_error_code, p_account_id,
        p_amount, p_currency, p_reason, p_reference, p_payment_ref, v_payment_partner, p_hold_id,
        p_reverses_id, p_actor_id, p_occurred_at, p_recorded_at, v_body)
    ON CONFLICT DO NOTHING
    RETURNING id INTO o_transaction_id;
    IF o_transaction_id IS NULL THEN
        SELECT id INTO o_transaction_id
          FROM deposits_ledgertransaction WHERE idempotency_key = p_key;
        IF FOUND THEN
            o_outcome := 'replay';
        ELSIF p_payment_ref IS NOT NULL AND EXISTS (
                SELECT 1 FROM deposits_ledgertransaction
                 WHERE payment_ref = p_payment_ref AND status = 'POSTED'
                   AND payment_partner_id IS NOT DISTINCT FROM v_payment_partner) THEN
            o_outcome := 'duplicate_payment_ref';
        ELSIF p_reverses_id IS NOT NULL AND EXISTS (
                SELECT 1 FROM deposits_ledgertransaction WHERE reverses_id = p_reverses_id) THEN
            o_outcome := 'already_reversed';
        ELSE
            RAISE EXCEPTION 'deposits_post: transaction % not inserted for an unknown conflict',
                p_key USING ERRCODE = 'unique_violation';
        END IF;
        RETURN;
    END IF;

    o_outcome := 'posted';
    IF p_status <> 'POSTED' THEN
        RETURN;  -- a refusal is stored without entries, so that its key keeps failing
    END IF;

    -- All entries in one statement, so that the posting balances after every statement (a
    -- session may SET CONSTRAINTS ALL IMMEDIATE). Their ids are drawn first, in leg order and
    -- under the lock, so that ids increase per account in posting order and each id is known to
    -- belong to its leg (INSERT ... SELECT promises no order for defaults or RETURNING).
    IF n > 0 THEN
        INSERT INTO deposits_entry (id, transaction_id, account_id, bucket, amount_minor,
            balance_after_minor, currency, kind, reason, reference, actor_id, occurred_at,
            recorded_at)
        SELECT u.id, o_transaction_id, u.account_id, u.bucket, u.amount_minor, u.balance_after,
               p_currency, p_kind, p_reason, p_reference, p_actor_id, p_occurred_at,
               p_recorded_at
          FROM unnest(o_entry_ids, v_targets, p_leg_buckets, p_leg_amounts, v_after)
               AS u(id, account_id, bucket, amount_minor, balance_after);
    END IF;
    o_entry_accounts := v_targets;
    o_balances_after := v_after;

    IF n > 0 OR p_held_delta <> 0 THEN
        UPDATE deposits_account
           SET posted_minor = v_posted, held_minor = v_held, debt_minor = v_debt
         WHERE id = p_account_id;
    END IF;
    o_balances := ARRAY[v_posted, v_held, v_debt, v_now[4], v_now[5]];

    IF p_partner_id IS NOT NULL AND coalesce(cardinality(p_event_legs), 0) > 0 THEN
        FOR j IN 1..cardinality(p_event_legs) LOOP
            v_leg := p_event_legs[j];
            v_entries := v_entries || jsonb_build_array(
                (p_event_data -> 'entries' -> (j - 1))
                || jsonb_build_object('id', o_entry_ids[v_leg],
                                      'balance_after_minor', v_after[v_leg]));
        END LOOP;
        -- The deposit after the posting, as deposits.selectors.deposit_summary computes it,
        -- under the names the template gives its values. A name the function does not know
        -- would reach partners as null: refused instead.
        v_deposit := jsonb_build_object(
            'currency', p_currency,
            'required_minor', v_now[4],
            'posted_minor', v_posted,
            'held_minor', v_held,
            'available_minor', v_posted - v_held,
            'guaranteed_minor', v_now[5],
            'debt_minor', v_debt,
            -- The coverage rule lives in one function (coverage_v1.sql).
            'shortfall_minor', deposits_shortfall_v1(v_now[4], v_posted, v_held, v_now[5], v_debt));
        SELECT jsonb_object_agg(k, v_deposit -> k), bool_and(v_deposit ? k)
          INTO v_event_deposit, v_known
          FROM jsonb_object_keys(p_event_data -> 'deposit') AS k;
        IF v_known IS NOT TRUE THEN
            RAISE EXCEPTION 'deposits_post: the event template''s deposit % names a value not computed here',
                p_event_data -> 'deposit' USING ERRCODE = 'invalid_parameter_value';
        END IF;
        SELECT e.o_event_id, e.o_delivery_ids INTO o_event_id, o_delivery_ids
          FROM partners_event_publish(
              p_event_public_id, p_partner_id, 'deposit.entry_posted',
              p_event_data ->> 'shop',
              p_event_data || jsonb_build_object(
                  -- The status now, not as the caller saw it before its transaction began.
                  'status', (SELECT status FROM shops_shop WHERE id = v_shop_id),
                  'entry', v_entries -> 0,
                  'entries', v_entries,
                  'deposit', v_event_deposit),
              p_recorded_at, p_give_up_at) AS e;
    END IF;
END;
$$ LANGUAGE plpgsql;
