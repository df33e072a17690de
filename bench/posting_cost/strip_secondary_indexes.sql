-- PRICING ONLY, on a scratch copy already stripped by strip_invariants.sql: drops every index
-- of the tables a deduction writes that is neither a primary key nor unique (the statement's,
-- the admin's and the partner API's read paths: account chains, statements, reference search,
-- payment references, event filters, the record's age). Primary keys and unique indexes stay:
-- they are the ledger's identities and its idempotency keys. So writes.sql / writes_record.sql
-- on that copy price the bare rows with nothing a read needs (docs/benchmarks.md, "What the
-- floor is made of"). Never on a database that serves anything:
--     createdb -T dd_pc_naked dd_pc_noidx && psql -f bench/posting_cost/strip_secondary_indexes.sql dd_pc_noidx
DO $$
DECLARE r record;
BEGIN
    FOR r IN SELECT i.indexrelid::regclass AS idx FROM pg_index i
              WHERE i.indrelid::regclass::text IN
                    ('deposits_entry', 'deposits_ledgertransaction', 'deposits_account',
                     'partners_event', 'partners_idempotencyrecord')
                AND NOT i.indisprimary AND NOT i.indisunique
    LOOP
        EXECUTE format('DROP INDEX %s', r.idx);
    END LOOP;
END $$;
