DROP TABLE ledger_head;
DROP TABLE ledger_account_balances;
DROP TABLE ledger_failed_transfers;
DROP TABLE ledger_pending_holds;
DROP TABLE ledger_transfers;
DROP FUNCTION ledger_refuse_journal_change();
DROP TABLE ledger_accounts;
