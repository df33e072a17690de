-- PRICING ONLY, on a scratch copy: drops the invariants PostgreSQL keeps on the tables a
-- deduction writes (every CHECK and FOREIGN KEY constraint of the account, transaction, entry,
-- event and idempotency record tables) and disables the deferred zero-sum trigger and the
-- account's audit trigger, so that writes.sql / writes_record.sql on that copy price the bare
-- rows and their indexes alone (docs/benchmarks.md, "What an API deduction's database work is
-- made of"). Never on a database that serves anything:
--     createdb -T dd_apiperf dd_pc_naked && psql -f bench/posting_cost/strip_invariants.sql dd_pc_naked
DO $$
DECLARE r record;
BEGIN
    FOR r IN SELECT conrelid::regclass AS t, conname FROM pg_constraint
              WHERE contype IN ('c', 'f') AND conrelid::regclass::text IN
                    ('deposits_entry', 'deposits_ledgertransaction', 'deposits_account',
                     'partners_event', 'partners_idempotencyrecord')
    LOOP
        EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', r.t, r.conname);
    END LOOP;
END $$;
ALTER TABLE deposits_entry DISABLE TRIGGER ledger_entries_balance;
DO $$
DECLARE r record;
BEGIN
    FOR r IN SELECT tgname FROM pg_trigger
              WHERE tgrelid = 'deposits_account'::regclass AND tgname LIKE 'pgtrigger_update_%'
    LOOP
        EXECUTE format('ALTER TABLE deposits_account DISABLE TRIGGER %I', r.tgname);
    END LOOP;
END $$;
