//! Reading the ledger: lookups, an account's entries, balances as of a past time,
//! totals per ledger, and verification of the journal's hash chain.

use diesel::prelude::*;
use uuid::Uuid;

use super::rows::{db_i64, uuid, AccountRow, BalanceRow, TransferRow};
use super::schema::{ledger_account_balances, ledger_accounts, ledger_head, ledger_transfers};
use super::{LedgerError, PgLedger};
use crate::hash::{chain_hash, GENESIS_HASH};
use crate::types::{Account, AccountBalance, AccountFlags, Transfer};

/// Which side of a transfer an account was on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntrySide {
    Debit,
    Credit,
}

/// One transfer as seen from one account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub side: EntrySide,
    pub transfer: Transfer,
}

/// A page of an account's entries, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntriesPage {
    pub entries: Vec<Entry>,
    pub has_more: bool,
}

/// The sums of every account's balances in one ledger (currency). Double entry means
/// debits equal credits, posted and pending alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LedgerTotals {
    pub ledger: u32,
    pub debits_pending: i128,
    pub debits_posted: i128,
    pub credits_pending: i128,
    pub credits_posted: i128,
}

impl LedgerTotals {
    pub fn balanced(&self) -> bool {
        self.debits_pending == self.credits_pending && self.debits_posted == self.credits_posted
    }
}

/// The outcome of recomputing the journal's hash chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    pub ok: bool,
    pub transfers_checked: u64,
    /// The hash of the last transfer (hex), as recomputed.
    pub head_hash: String,
    /// The first link that does not match: its position and transfer id.
    pub first_broken: Option<BrokenLink>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokenLink {
    pub seq: i64,
    pub transfer_id: Option<u128>,
    pub reason: &'static str,
}

const VERIFY_PAGE: i64 = 10_000;

impl PgLedger {
    /// The accounts with these ids that exist, in no particular order.
    pub fn lookup_accounts(&self, ids: &[u128]) -> Result<Vec<Account>, LedgerError> {
        let ids: Vec<Uuid> = ids.iter().map(|&id| uuid(id)).collect();
        ledger_accounts::table
            .filter(ledger_accounts::id.eq_any(ids))
            .select(AccountRow::as_select())
            .load(&mut self.conn()?)?
            .into_iter()
            .map(AccountRow::into_account)
            .collect()
    }

    /// The transfers with these ids that exist, in no particular order.
    pub fn lookup_transfers(&self, ids: &[u128]) -> Result<Vec<Transfer>, LedgerError> {
        let ids: Vec<Uuid> = ids.iter().map(|&id| uuid(id)).collect();
        ledger_transfers::table
            .filter(ledger_transfers::id.eq_any(ids))
            .select(TransferRow::as_select())
            .load(&mut self.conn()?)?
            .iter()
            .map(TransferRow::to_transfer)
            .collect()
    }

    /// An account's entries, newest first, `limit` at a time; `before` is the
    /// timestamp of the last entry of the previous page.
    pub fn account_entries(
        &self,
        account_id: u128,
        limit: usize,
        before: Option<u64>,
    ) -> Result<EntriesPage, LedgerError> {
        let mut conn = self.conn()?;
        let id = uuid(account_id);
        let before = before.map(db_i64).unwrap_or(i64::MAX);
        let fetch = i64::try_from(limit.saturating_add(1)).unwrap_or(i64::MAX);
        // Two index range scans merged here beat one OR scan that must sort everything.
        let debits = ledger_transfers::table
            .filter(ledger_transfers::debit_account_id.eq(id))
            .filter(ledger_transfers::timestamp.lt(before))
            .order(ledger_transfers::timestamp.desc())
            .limit(fetch)
            .select(TransferRow::as_select())
            .load(&mut conn)?;
        let credits = ledger_transfers::table
            .filter(ledger_transfers::credit_account_id.eq(id))
            .filter(ledger_transfers::timestamp.lt(before))
            .order(ledger_transfers::timestamp.desc())
            .limit(fetch)
            .select(TransferRow::as_select())
            .load(&mut conn)?;
        let mut entries = Vec::with_capacity(debits.len() + credits.len());
        for row in &debits {
            entries.push(Entry {
                side: EntrySide::Debit,
                transfer: row.to_transfer()?,
            });
        }
        for row in &credits {
            entries.push(Entry {
                side: EntrySide::Credit,
                transfer: row.to_transfer()?,
            });
        }
        entries.sort_by_key(|e| std::cmp::Reverse(e.transfer.timestamp));
        let has_more = entries.len() > limit;
        entries.truncate(limit);
        Ok(EntriesPage { entries, has_more })
    }

    /// An account's balances as they stood at `timestamp` (nanoseconds since the
    /// epoch). Needs the account's `history` flag. `None` when the account did not
    /// exist yet.
    pub fn balance_as_of(
        &self,
        account_id: u128,
        timestamp: u64,
    ) -> Result<Option<AccountBalance>, LedgerError> {
        let Some(account) = self.lookup_accounts(&[account_id])?.into_iter().next() else {
            return Ok(None);
        };
        if !account.flags.contains(AccountFlags::HISTORY) {
            return Err(LedgerError::HistoryNotKept(account_id));
        }
        if timestamp < account.timestamp {
            return Ok(None);
        }
        let row = ledger_account_balances::table
            .filter(ledger_account_balances::account_id.eq(uuid(account_id)))
            .filter(ledger_account_balances::timestamp.le(db_i64(timestamp)))
            .order(ledger_account_balances::timestamp.desc())
            .select(BalanceRow::as_select())
            .first(&mut self.conn()?)
            .optional()?;
        match row {
            Some(r) => r.into_balance().map(Some),
            None => Ok(Some(AccountBalance {
                account_id,
                timestamp,
                debits_pending: 0,
                debits_posted: 0,
                credits_pending: 0,
                credits_posted: 0,
            })),
        }
    }

    /// The sums of all balances per ledger: the trial balance.
    pub fn totals(&self) -> Result<Vec<LedgerTotals>, LedgerError> {
        // Sums of bigint are numeric in PostgreSQL; text carries them into i128 exactly.
        let rows: Vec<TotalsRow> = diesel::sql_query(
            "SELECT ledger, sum(debits_pending)::text AS dp, sum(debits_posted)::text AS dpo, \
             sum(credits_pending)::text AS cp, sum(credits_posted)::text AS cpo \
             FROM ledger_accounts GROUP BY ledger ORDER BY ledger",
        )
        .load(&mut self.conn()?)?;
        rows.into_iter()
            .map(|r| {
                let n = |s: &str| {
                    s.parse::<i128>()
                        .map_err(|_| LedgerError::Corrupt(format!("balance sum {s}")))
                };
                Ok(LedgerTotals {
                    ledger: u32::try_from(r.ledger)
                        .map_err(|_| LedgerError::Corrupt(format!("ledger {}", r.ledger)))?,
                    debits_pending: n(&r.dp)?,
                    debits_posted: n(&r.dpo)?,
                    credits_pending: n(&r.cp)?,
                    credits_posted: n(&r.cpo)?,
                })
            })
            .collect()
    }

    /// Recomputes the journal's hash chain from the first transfer and compares every
    /// stored hash, the sequence numbers and the chain head.
    pub fn verify(&self) -> Result<VerifyReport, LedgerError> {
        let mut conn = self.conn()?;
        let (head_seq, head_hash): (i64, Vec<u8>) = ledger_head::table
            .select((ledger_head::last_seq, ledger_head::last_hash))
            .first(&mut conn)?;
        let mut previous = GENESIS_HASH;
        let mut expected_seq: i64 = 1;
        let mut checked: u64 = 0;
        let broken = |seq, transfer_id, reason| BrokenLink {
            seq,
            transfer_id,
            reason,
        };
        let mut first_broken = None;
        'pages: loop {
            let page = ledger_transfers::table
                .filter(ledger_transfers::seq.ge(expected_seq))
                .order(ledger_transfers::seq)
                .limit(VERIFY_PAGE)
                .select(TransferRow::as_select())
                .load(&mut conn)?;
            if page.is_empty() {
                break;
            }
            for row in &page {
                let t = row.to_transfer()?;
                if row.seq != expected_seq {
                    first_broken = Some(broken(expected_seq, None, "missing_transfer"));
                    break 'pages;
                }
                let hash = chain_hash(&previous, &t);
                if row.hash.as_slice() != hash.as_slice() {
                    first_broken = Some(broken(row.seq, Some(t.id), "hash_mismatch"));
                    break 'pages;
                }
                previous = hash;
                expected_seq += 1;
                checked += 1;
            }
        }
        if first_broken.is_none() {
            if expected_seq - 1 != head_seq {
                first_broken = Some(broken(expected_seq, None, "missing_transfer"));
            } else if head_hash.as_slice() != previous.as_slice() {
                first_broken = Some(broken(head_seq, None, "head_mismatch"));
            }
        }
        Ok(VerifyReport {
            ok: first_broken.is_none(),
            transfers_checked: checked,
            head_hash: hex::encode(previous),
            first_broken,
        })
    }
}

#[derive(QueryableByName)]
struct TotalsRow {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    ledger: i64,
    #[diesel(sql_type = diesel::sql_types::Text)]
    dp: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    dpo: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    cp: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    cpo: String,
}
