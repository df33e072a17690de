-- Installed by migration deposits 0022_lean_posting_indexes (replacing the zero-sum check of
-- ledger_triggers.sql; the append-only triggers there are unchanged). Never edit this file once
-- released: a change is a new file installed by a new migration.
--
-- Double entry: at commit, every transaction that gained entries has at least two of them and
-- they sum to zero per currency. The same rule as before in one query instead of two (the
-- trigger fires once per entry, so twice for every deduction): the count and the per-currency
-- sums come from one pass over the transaction's entries, and only a failing check reads them
-- again, to name the currency in its error.
CREATE OR REPLACE FUNCTION deposits_check_transaction_balances() RETURNS trigger AS $$
DECLARE
    n bigint;
    balanced boolean;
    bad record;
BEGIN
    SELECT sum(g.entries), bool_and(g.total = 0) INTO n, balanced
      FROM (SELECT count(*) AS entries, sum(amount_minor) AS total
              FROM deposits_entry WHERE transaction_id = NEW.transaction_id
             GROUP BY currency) AS g;
    IF coalesce(n, 0) < 2 THEN
        RAISE EXCEPTION 'ledger transaction % has % entry; double entry needs at least two',
            NEW.transaction_id, coalesce(n, 0) USING ERRCODE = 'check_violation';
    END IF;
    IF NOT balanced THEN
        SELECT currency, sum(amount_minor) AS total INTO bad
          FROM deposits_entry WHERE transaction_id = NEW.transaction_id
         GROUP BY currency HAVING sum(amount_minor) <> 0 LIMIT 1;
        RAISE EXCEPTION 'ledger transaction % does not balance in %: entries sum to %',
            NEW.transaction_id, bad.currency, bad.total USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
