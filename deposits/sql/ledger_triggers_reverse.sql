DROP TRIGGER IF EXISTS ledger_entries_balance ON deposits_entry;
DROP TRIGGER IF EXISTS ledgertransaction_append_only ON deposits_ledgertransaction;
DROP TRIGGER IF EXISTS entry_append_only ON deposits_entry;
DROP FUNCTION IF EXISTS deposits_check_transaction_balances();
DROP FUNCTION IF EXISTS deposits_reject_change();
