//! `create_accounts`: validation in TigerBeetle's order and linked chains.

use std::collections::HashMap;

use super::chain::{execute, ChainScope};
use crate::types::Account;
use crate::CreateAccountResult;

/// What a batch of accounts changed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct AccountBatchEffects {
    pub results: Vec<CreateAccountResult>,
    pub created: Vec<Account>,
    pub last_timestamp: u64,
}

struct AccountScope<'a> {
    existing: &'a HashMap<u128, Account>,
    created: Vec<Account>,
    created_ids: HashMap<u128, usize>,
    first_timestamp: u64,
}

impl AccountScope<'_> {
    fn lookup(&self, id: u128) -> Option<&Account> {
        self.created_ids
            .get(&id)
            .and_then(|&i| self.created.get(i))
            .or_else(|| self.existing.get(&id))
    }
}

fn validate(a: &Account) -> Result<(), CreateAccountResult> {
    use CreateAccountResult as R;
    if a.timestamp != 0 {
        return Err(R::TimestampMustBeZero);
    }
    if a.flags.has_unknown_bits() {
        return Err(R::ReservedFlag);
    }
    if a.id == 0 {
        return Err(R::IdMustNotBeZero);
    }
    if a.id == u128::MAX {
        return Err(R::IdMustNotBeIntMax);
    }
    Ok(())
}

fn validate_fields(a: &Account) -> CreateAccountResult {
    use crate::AccountFlags as F;
    use CreateAccountResult as R;
    if a.flags.contains(F::DEBITS_MUST_NOT_EXCEED_CREDITS)
        && a.flags.contains(F::CREDITS_MUST_NOT_EXCEED_DEBITS)
    {
        return R::FlagsAreMutuallyExclusive;
    }
    if a.debits_pending != 0 {
        return R::DebitsPendingMustBeZero;
    }
    if a.debits_posted != 0 {
        return R::DebitsPostedMustBeZero;
    }
    if a.credits_pending != 0 {
        return R::CreditsPendingMustBeZero;
    }
    if a.credits_posted != 0 {
        return R::CreditsPostedMustBeZero;
    }
    if a.ledger == 0 {
        return R::LedgerMustNotBeZero;
    }
    if a.code == 0 {
        return R::CodeMustNotBeZero;
    }
    R::Ok
}

fn compare_existing(a: &Account, e: &Account) -> CreateAccountResult {
    use crate::AccountFlags as F;
    use CreateAccountResult as R;
    // The linked flag describes the batch, not the account.
    let strip = |f: F| F::from_bits(f.bits() & !F::LINKED.bits());
    if strip(a.flags) != strip(e.flags) {
        return R::ExistsWithDifferentFlags;
    }
    if a.user_data_128 != e.user_data_128 {
        return R::ExistsWithDifferentUserData128;
    }
    if a.user_data_64 != e.user_data_64 {
        return R::ExistsWithDifferentUserData64;
    }
    if a.user_data_32 != e.user_data_32 {
        return R::ExistsWithDifferentUserData32;
    }
    if a.ledger != e.ledger {
        return R::ExistsWithDifferentLedger;
    }
    if a.code != e.code {
        return R::ExistsWithDifferentCode;
    }
    R::Exists
}

impl ChainScope for AccountScope<'_> {
    type Event = Account;
    type Outcome = CreateAccountResult;
    type Savepoint = usize;
    const OK: CreateAccountResult = CreateAccountResult::Ok;
    const LINKED_EVENT_FAILED: CreateAccountResult = CreateAccountResult::LinkedEventFailed;
    const LINKED_EVENT_CHAIN_OPEN: CreateAccountResult = CreateAccountResult::LinkedEventChainOpen;

    fn is_linked(event: &Account) -> bool {
        event.flags.contains(crate::AccountFlags::LINKED)
    }

    fn apply(&mut self, a: &Account, index: usize) -> CreateAccountResult {
        if let Err(r) = validate(a) {
            return r;
        }
        if let Some(e) = self.lookup(a.id) {
            return compare_existing(a, e);
        }
        let r = validate_fields(a);
        if r != CreateAccountResult::Ok {
            return r;
        }
        let mut stored = *a;
        stored.flags =
            crate::AccountFlags::from_bits(a.flags.bits() & !crate::AccountFlags::LINKED.bits());
        stored.timestamp = self.first_timestamp + index as u64;
        self.created_ids.insert(a.id, self.created.len());
        self.created.push(stored);
        CreateAccountResult::Ok
    }

    fn savepoint(&self) -> usize {
        self.created.len()
    }

    fn rollback(&mut self, savepoint: usize) {
        for a in self.created.drain(savepoint..) {
            self.created_ids.remove(&a.id);
        }
    }
}

/// Applies a batch of new accounts against the accounts that already exist with the
/// same ids. Event `i` gets timestamp `first_timestamp + i`.
pub fn apply_accounts(
    existing: &HashMap<u128, Account>,
    batch: &[Account],
    first_timestamp: u64,
) -> AccountBatchEffects {
    let mut scope = AccountScope {
        existing,
        created: Vec::new(),
        created_ids: HashMap::new(),
        first_timestamp,
    };
    let results = execute(&mut scope, batch);
    AccountBatchEffects {
        results,
        created: scope.created,
        last_timestamp: first_timestamp + batch.len().saturating_sub(1) as u64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::AccountFlags as F;
    use CreateAccountResult as R;

    #[test]
    fn results_follow_tigerbeetle_precedence() {
        let existing = HashMap::from([(7, Account::new(7, 704, 1, F::NONE))]);
        let mut with_balance = Account::new(3, 704, 1, F::NONE);
        with_balance.credits_posted = 5;
        let batch = [
            Account::new(0, 0, 0, F::NONE),
            Account::new(u128::MAX, 704, 1, F::NONE),
            Account::new(7, 704, 1, F::NONE),
            Account::new(7, 704, 2, F::NONE),
            Account::new(7, 704, 1, F::HISTORY),
            Account::new(
                2,
                704,
                1,
                F::DEBITS_MUST_NOT_EXCEED_CREDITS | F::CREDITS_MUST_NOT_EXCEED_DEBITS,
            ),
            with_balance,
            Account::new(4, 0, 1, F::NONE),
            Account::new(5, 704, 0, F::NONE),
            Account::new(6, 704, 1, F::from_bits(1 << 12)),
            Account::new(8, 704, 1, F::NONE),
            Account::new(8, 704, 1, F::NONE),
        ];
        let fx = apply_accounts(&existing, &batch, 100);
        assert_eq!(
            fx.results,
            vec![
                R::IdMustNotBeZero,
                R::IdMustNotBeIntMax,
                R::Exists,
                R::ExistsWithDifferentCode,
                R::ExistsWithDifferentFlags,
                R::FlagsAreMutuallyExclusive,
                R::CreditsPostedMustBeZero,
                R::LedgerMustNotBeZero,
                R::CodeMustNotBeZero,
                R::ReservedFlag,
                R::Ok,
                R::Exists,
            ]
        );
        assert_eq!(fx.created.len(), 1);
        assert_eq!(fx.created[0].timestamp, 110);
    }

    #[test]
    fn a_linked_chain_of_accounts_is_all_or_nothing() {
        let batch = [
            Account::new(1, 704, 1, F::LINKED),
            Account::new(2, 704, 0, F::NONE),
            Account::new(3, 704, 1, F::NONE),
        ];
        let fx = apply_accounts(&HashMap::new(), &batch, 1);
        assert_eq!(
            fx.results,
            vec![R::LinkedEventFailed, R::CodeMustNotBeZero, R::Ok]
        );
        assert_eq!(fx.created.iter().map(|a| a.id).collect::<Vec<_>>(), vec![3]);
    }
}
