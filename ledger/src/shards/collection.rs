//! Hot collection accounts. A biller (or a large merchant) has a sub-account on every
//! shard, so a bill is paid on the payer's own shard and never crosses shards; once a
//! period, each sub-account's balance moves to the master account with the
//! cross-shard protocol: S transfers a period, not one per bill.

use crate::types::Account;

use super::protocol::{derive, CrossShardTransfer, Side};

/// A biller's or merchant's accounts: the master, and one sub-account per shard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Collection {
    pub master: Side,
    pub sub_accounts: Vec<Side>,
    pub ledger: u32,
    pub code: u16,
}

/// The transfer that empties `sub` into the master for `period`, if it holds
/// anything. Its id names the sub-account and the period, so a second sweep of the same
/// period, on any replica, is refused as a duplicate instead of moving money twice.
pub fn sweep_transfer(
    c: &Collection,
    sub: Side,
    account: &Account,
    period: u64,
    timeout: u32,
) -> Option<CrossShardTransfer> {
    // What the sub-account may give: posted credits less posted and held debits.
    let available = u64::try_from(account.available_credit_balance())
        .ok()
        .filter(|&a| a > 0)?;
    Some(CrossShardTransfer {
        id: derive(sub.account, &format!("collection-sweep-{period}")),
        payer: sub,
        payee: c.master,
        amount: available,
        ledger: c.ledger,
        code: c.code,
        timeout,
        user_data_64: period,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::AccountFlags;

    #[test]
    fn a_sweep_takes_what_the_sub_account_may_give_once_per_period() {
        let c = Collection {
            master: Side {
                shard: 0,
                account: 10,
            },
            sub_accounts: vec![Side {
                shard: 1,
                account: 11,
            }],
            ledger: 704,
            code: 5,
        };
        let mut acc = Account::new(11, 704, 5, AccountFlags::DEBITS_MUST_NOT_EXCEED_CREDITS);
        assert_eq!(sweep_transfer(&c, c.sub_accounts[0], &acc, 1, 30), None);
        acc.credits_posted = 90_000;
        acc.debits_pending = 10_000;
        let t = sweep_transfer(&c, c.sub_accounts[0], &acc, 1, 30).unwrap();
        assert_eq!((t.amount, t.payee, t.user_data_64), (80_000, c.master, 1));
        let again = sweep_transfer(&c, c.sub_accounts[0], &acc, 1, 30).unwrap();
        assert_eq!(t.id, again.id);
        assert_ne!(
            t.id,
            sweep_transfer(&c, c.sub_accounts[0], &acc, 2, 30)
                .unwrap()
                .id
        );
    }
}
