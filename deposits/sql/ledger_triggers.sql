-- The ledger's invariants, enforced by PostgreSQL itself (architecture.md "Money and the ledger").

-- 1. Append-only: entries and transactions are never updated or deleted. Corrections are new
--    reversing transactions. (TRUNCATE is left to the table owner: test flushes use it.)
CREATE OR REPLACE FUNCTION deposits_reject_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'ledger rows are append-only: % on % is refused; post a reversal instead',
        TG_OP, TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS entry_append_only ON deposits_entry;
CREATE TRIGGER entry_append_only BEFORE UPDATE OR DELETE ON deposits_entry
    FOR EACH ROW EXECUTE FUNCTION deposits_reject_change();

DROP TRIGGER IF EXISTS ledgertransaction_append_only ON deposits_ledgertransaction;
CREATE TRIGGER ledgertransaction_append_only BEFORE UPDATE OR DELETE ON deposits_ledgertransaction
    FOR EACH ROW EXECUTE FUNCTION deposits_reject_change();

-- 2. Double entry: at commit, every transaction that gained entries has at least two of them and
--    they sum to zero per currency. Deferred, so the entries of one posting may arrive in any
--    order within its database transaction.
CREATE OR REPLACE FUNCTION deposits_check_transaction_balances() RETURNS trigger AS $$
DECLARE
    bad record;
    n integer;
BEGIN
    SELECT count(*) INTO n FROM deposits_entry WHERE transaction_id = NEW.transaction_id;
    IF n < 2 THEN
        RAISE EXCEPTION 'ledger transaction % has % entry; double entry needs at least two',
            NEW.transaction_id, n USING ERRCODE = 'check_violation';
    END IF;
    SELECT currency, sum(amount_minor) AS total INTO bad
      FROM deposits_entry WHERE transaction_id = NEW.transaction_id
     GROUP BY currency HAVING sum(amount_minor) <> 0 LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'ledger transaction % does not balance in %: entries sum to %',
            NEW.transaction_id, bad.currency, bad.total USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS ledger_entries_balance ON deposits_entry;
CREATE CONSTRAINT TRIGGER ledger_entries_balance AFTER INSERT ON deposits_entry
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION deposits_check_transaction_balances();
