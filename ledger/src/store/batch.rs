//! Writing batches: `create_accounts` and `create_transfers`, one transaction each.

use std::collections::{HashMap, HashSet};

use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Binary, Integer, SmallInt, Uuid as SqlUuid};
use uuid::Uuid;

use super::prepared::Prepared;
use super::rows::{db_i64, uuid, AccountRow, HoldRow, NewAccountRow, TransferRow};
use super::schema::{ledger_accounts, ledger_failed_transfers, ledger_head, ledger_transfers};
use super::{now_ns, LedgerError, PgLedger, LAPSED_HOLDS_PER_BATCH, MAX_BATCH};
use crate::engine::{
    apply_accounts, first_timestamp, TransferBatchEffects, TransferEngine, WorkingSet,
};
use crate::hash::chain_hash;
use crate::types::{Account, PendingHold, Transfer};
use crate::{CreateAccountResult, CreateTransferResult};

/// Rows per multi-row INSERT of accounts, under PostgreSQL's 65,535 parameters.
const ACCOUNT_ROWS_PER_INSERT: usize = 4096;

struct Head {
    last_seq: i64,
    last_hash: [u8; 32],
    last_timestamp: u64,
}

fn lock_head(conn: &mut PgConnection) -> Result<Head, LedgerError> {
    let (last_seq, hash, ts): (i64, Vec<u8>, i64) = ledger_head::table
        .select((
            ledger_head::last_seq,
            ledger_head::last_hash,
            ledger_head::last_timestamp,
        ))
        .for_update()
        .first(conn)?;
    let last_hash: [u8; 32] = hash
        .try_into()
        .map_err(|_| LedgerError::Corrupt("chain head hash is not 32 bytes".into()))?;
    Ok(Head {
        last_seq,
        last_hash,
        last_timestamp: u64::try_from(ts).unwrap_or(0),
    })
}

fn check_batch_size(len: usize) -> Result<(), LedgerError> {
    if len > MAX_BATCH {
        return Err(LedgerError::BatchTooLarge {
            got: len,
            max: MAX_BATCH,
        });
    }
    Ok(())
}

fn uuids(ids: impl IntoIterator<Item = u128>) -> Vec<Uuid> {
    ids.into_iter().map(uuid).collect()
}

impl PgLedger {
    /// Creates a batch of accounts in one transaction; one result per account.
    pub fn create_accounts(
        &self,
        batch: &[Account],
    ) -> Result<Vec<CreateAccountResult>, LedgerError> {
        check_batch_size(batch.len())?;
        let mut conn = self.conn()?;
        conn.transaction(|conn| {
            let head = lock_head(conn)?;
            let ids = uuids(batch.iter().map(|a| a.id));
            let existing = ledger_accounts::table
                .filter(ledger_accounts::id.eq_any(&ids))
                .select(AccountRow::as_select())
                .load(conn)?
                .into_iter()
                .map(|r| r.into_account().map(|a| (a.id, a)))
                .collect::<Result<HashMap<_, _>, _>>()?;
            let first = first_timestamp(now_ns(), head.last_timestamp);
            let fx = apply_accounts(&existing, batch, first);
            let rows: Vec<NewAccountRow> = fx.created.iter().map(NewAccountRow::from).collect();
            for chunk in rows.chunks(ACCOUNT_ROWS_PER_INSERT) {
                diesel::insert_into(ledger_accounts::table)
                    .values(chunk)
                    .execute(conn)?;
            }
            if !fx.created.is_empty() {
                diesel::update(ledger_head::table)
                    .set(ledger_head::last_timestamp.eq(db_i64(fx.last_timestamp)))
                    .execute(conn)?;
            }
            Ok(fx.results)
        })
    }

    /// Creates a batch of transfers in one transaction; one result per transfer.
    ///
    /// On the way it releases up to a bounded number of pending holds that have lapsed,
    /// so expiry needs no separate writer (an empty batch only does that).
    pub fn create_transfers(
        &self,
        batch: &[Transfer],
    ) -> Result<Vec<CreateTransferResult>, LedgerError> {
        check_batch_size(batch.len())?;
        let mut conn = self.conn()?;
        conn.transaction(|conn| {
            let lock = TransferBatch::lock(conn)?;
            let mut open = TransferBatch::begin(conn, lock, batch)?;
            let results = open.apply(batch)?;
            open.write(conn)?;
            Ok(results)
        })
    }

    /// Releases pending holds whose timeout has passed; returns how many it released.
    pub fn expire_pending_transfers(&self) -> Result<usize, LedgerError> {
        let mut conn = self.conn()?;
        conn.transaction(|conn| {
            let lock = TransferBatch::lock(conn)?;
            let open = TransferBatch::begin(conn, lock, &[])?;
            Ok(open.write(conn)?.resolved_holds.len())
        })
    }
}

/// How a batch's statements must be planned. Every statement of a batch is a lookup
/// or update by key; without these the planner may pick a sequential scan for a large
/// `= ANY` list (or before the tables have statistics), and a batch's cost grows with
/// the journal's size. The penalty the settings add to plan costs would in turn trigger
/// JIT compilation, which costs more than any of these statements: off too.
pub const PLANNER_SETTINGS: &str = "SET enable_seqscan = off; SET enable_hashjoin = off; \
     SET enable_mergejoin = off; SET jit = off";

/// The chain head, locked for the rest of the caller's transaction.
pub struct ChainLock {
    head: Head,
}

/// Transfers applied inside the caller's own database transaction, so that what the
/// ledger records and what the caller records about it commit together or not at all.
///
/// [`TransferBatch::lock`] locks the chain head (ordering this batch after every
/// other); [`TransferBatch::begin`] then loads and locks everything the transfers the
/// caller may submit could read: their ids, the holds they name, their accounts (in id order, so batches never
/// deadlock). The caller then applies chains one at a time, deciding each from what
/// the earlier ones did, and [`TransferBatch::write`] writes the effects before the
/// caller commits. Applying a transfer that `begin` was not told about is refused:
/// its accounts and id would not have been looked up.
pub struct TransferBatch {
    head: Head,
    engine: TransferEngine,
    known_transfers: HashSet<u128>,
    known_accounts: HashSet<u128>,
    results: Vec<CreateTransferResult>,
}

impl TransferBatch {
    /// Locks the chain head: from here until the caller's transaction ends, no other
    /// batch writes the ledger. Take it first, before any other row lock, so every
    /// writer locks in the same order. Call inside a transaction.
    pub fn lock(conn: &mut PgConnection) -> Result<ChainLock, LedgerError> {
        conn.batch_execute(&PLANNER_SETTINGS.replace("SET ", "SET LOCAL "))?;
        Self::lock_configured(conn)
    }

    /// [`TransferBatch::lock`] on a connection whose session already runs with
    /// [`PLANNER_SETTINGS`] (one round trip less per batch).
    pub fn lock_configured(conn: &mut PgConnection) -> Result<ChainLock, LedgerError> {
        Ok(ChainLock {
            head: lock_head(conn)?,
        })
    }

    /// Loads what `candidates` may touch, under the chain lock.
    pub fn begin(
        conn: &mut PgConnection,
        lock: ChainLock,
        candidates: &[Transfer],
    ) -> Result<Self, LedgerError> {
        check_batch_size(candidates.len())?;
        let head = lock.head;
        let now = now_ns();
        let set = load_working_set(conn, candidates, now)?;
        let known_transfers = candidates
            .iter()
            .flat_map(|t| [t.id, t.pending_id])
            .collect();
        let known_accounts = set
            .accounts
            .keys()
            .copied()
            .chain(
                candidates
                    .iter()
                    .flat_map(|t| [t.debit_account_id, t.credit_account_id]),
            )
            .collect();
        let first = first_timestamp(now, head.last_timestamp);
        Ok(Self {
            head,
            engine: TransferEngine::new(set, now, first),
            known_transfers,
            known_accounts,
            results: Vec::new(),
        })
    }

    /// Applies transfers (one, or linked chains) after everything applied so far.
    pub fn apply(
        &mut self,
        transfers: &[Transfer],
    ) -> Result<Vec<CreateTransferResult>, LedgerError> {
        if self.results.len() + transfers.len() > MAX_BATCH {
            return Err(LedgerError::BatchTooLarge {
                got: self.results.len() + transfers.len(),
                max: MAX_BATCH,
            });
        }
        if let Some(t) = transfers.iter().find(|t| {
            !self.known_transfers.contains(&t.id)
                || (t.pending_id != 0 && !self.known_transfers.contains(&t.pending_id))
                || (t.debit_account_id != 0 && !self.known_accounts.contains(&t.debit_account_id))
                || (t.credit_account_id != 0 && !self.known_accounts.contains(&t.credit_account_id))
        }) {
            return Err(LedgerError::NotPrefetched(t.id));
        }
        let results = self.engine.apply(transfers);
        self.results.extend_from_slice(&results);
        Ok(results)
    }

    /// The transfer with this id, as stored or as applied in this batch.
    pub fn transfer(&self, id: u128) -> Option<&Transfer> {
        self.engine.working_set().transfers.get(&id)
    }

    /// The pending hold with this id, as stored or as changed in this batch.
    pub fn hold(&self, id: u128) -> Option<&PendingHold> {
        self.engine.working_set().holds.get(&id)
    }

    /// The account with this id, with this batch's changes.
    pub fn account(&self, id: u128) -> Option<&Account> {
        self.engine.working_set().accounts.get(&id)
    }

    /// Writes everything applied; the caller commits. Returns the effects written.
    pub fn write(self, conn: &mut PgConnection) -> Result<TransferBatchEffects, LedgerError> {
        let (_, fx) = self.engine.finish(self.results);
        write_effects(conn, &self.head, &fx)?;
        Ok(fx)
    }
}

fn load_working_set(
    conn: &mut PgConnection,
    batch: &[Transfer],
    now: u64,
) -> Result<WorkingSet, LedgerError> {
    let mut set = WorkingSet::default();

    let mut transfer_ids: HashSet<u128> = batch.iter().map(|t| t.id).collect();
    let pending_ids: HashSet<u128> = batch
        .iter()
        .filter(|t| t.flags.is_post_or_void())
        .map(|t| t.pending_id)
        .collect();
    transfer_ids.extend(pending_ids.iter().copied());
    transfer_ids.remove(&0);

    let ids = uuids(transfer_ids.iter().copied());
    for row in ledger_transfers::table
        .filter(ledger_transfers::id.eq_any(&ids))
        .select(TransferRow::as_select())
        .load(conn)?
    {
        let t = row.to_transfer()?;
        set.transfers.insert(t.id, t);
    }

    let batch_ids = uuids(batch.iter().map(|t| t.id));
    for (id, result) in ledger_failed_transfers::table
        .filter(ledger_failed_transfers::id.eq_any(&batch_ids))
        .select((ledger_failed_transfers::id, ledger_failed_transfers::result))
        .load::<(Uuid, i32)>(conn)?
    {
        let code = u16::try_from(result)
            .ok()
            .and_then(CreateTransferResult::from_code)
            .ok_or_else(|| LedgerError::Corrupt(format!("failed transfer result {result}")))?;
        set.failed.insert(id.as_u128(), code);
    }

    // The holds the batch names, and a bounded number of lapsed ones, in one trip.
    let holds: Vec<HoldRow> = Prepared::new(
        "SELECT * FROM ledger_pending_holds WHERE id = ANY($1) UNION ALL \
         (SELECT * FROM ledger_pending_holds WHERE status = 0 AND expires_at <= $2 \
         ORDER BY expires_at LIMIT $3)",
    )
    .bind::<Array<SqlUuid>, _>(uuids(pending_ids.iter().copied()))
    .bind::<BigInt, _>(db_i64(now))
    .bind::<BigInt, _>(LAPSED_HOLDS_PER_BATCH)
    .load(conn)?;
    for row in holds {
        let hold = row.into_hold()?;
        set.holds.insert(hold.id, hold);
    }

    let mut account_ids: Vec<u128> = batch
        .iter()
        .flat_map(|t| [t.debit_account_id, t.credit_account_id])
        .chain(
            set.holds
                .values()
                .flat_map(|h| [h.debit_account_id, h.credit_account_id]),
        )
        .filter(|&id| id != 0)
        .collect();
    account_ids.sort_unstable();
    account_ids.dedup();
    // Locked in id order: two batches touching the same accounts queue, never deadlock.
    for row in ledger_accounts::table
        .filter(ledger_accounts::id.eq_any(uuids(account_ids)))
        .order(ledger_accounts::id)
        .for_update()
        .select(AccountRow::as_select())
        .load(conn)?
    {
        let a = row.into_account()?;
        set.accounts.insert(a.id, a);
    }
    Ok(set)
}

fn write_effects(
    conn: &mut PgConnection,
    head: &Head,
    fx: &TransferBatchEffects,
) -> Result<(), LedgerError> {
    if fx.created.is_empty()
        && fx.new_holds.is_empty()
        && fx.resolved_holds.is_empty()
        && fx.failed.is_empty()
        && fx.accounts.is_empty()
    {
        return Ok(());
    }
    let mut last_seq = head.last_seq;
    let mut last_hash = head.last_hash;
    let n = fx.created.len();
    let mut seq = Vec::with_capacity(n);
    let mut hash = Vec::with_capacity(n);
    for t in &fx.created {
        last_seq += 1;
        last_hash = chain_hash(&last_hash, t);
        seq.push(last_seq);
        hash.push(last_hash.to_vec());
    }
    let col_u128 =
        |f: fn(&Transfer) -> u128| -> Vec<Uuid> { fx.created.iter().map(|t| uuid(f(t))).collect() };
    let col_i64 = |f: fn(&Transfer) -> i64| -> Vec<i64> { fx.created.iter().map(f).collect() };
    let (h, r, a, b) = (&fx.new_holds, &fx.resolved_holds, &fx.accounts, &fx.history);
    // One statement, one round trip: every part is an `unnest` of its own arrays (empty
    // ones write nothing), and the parts touch disjoint rows (a hold resolved here was
    // not created here).
    Prepared::new(
        "WITH created AS (INSERT INTO ledger_transfers (seq, id, debit_account_id, \
         credit_account_id, amount, pending_id, user_data_128, user_data_64, user_data_32, \
         timeout, ledger, code, flags, \"timestamp\", hash) \
         SELECT * FROM unnest($1::bigint[], $2::uuid[], $3::uuid[], $4::uuid[], $5::bigint[], \
         $6::uuid[], $7::uuid[], $8::bigint[], $9::bigint[], $10::bigint[], $11::bigint[], \
         $12::integer[], $13::integer[], $14::bigint[], $15::bytea[])), \
         held AS (INSERT INTO ledger_pending_holds \
         (id, debit_account_id, credit_account_id, amount, expires_at, status) \
         SELECT * FROM unnest($16::uuid[], $17::uuid[], $18::uuid[], $19::bigint[], \
         $20::bigint[], $21::smallint[])), \
         resolved AS (UPDATE ledger_pending_holds h SET status = v.status \
         FROM unnest($22::uuid[], $23::smallint[]) AS v(id, status) WHERE h.id = v.id), \
         failed AS (INSERT INTO ledger_failed_transfers (id, result) \
         SELECT * FROM unnest($24::uuid[], $25::integer[]) ON CONFLICT (id) DO NOTHING), \
         balances AS (UPDATE ledger_accounts a SET debits_pending = v.dp, \
         debits_posted = v.dpo, credits_pending = v.cp, credits_posted = v.cpo \
         FROM unnest($26::uuid[], $27::bigint[], $28::bigint[], $29::bigint[], $30::bigint[]) \
         AS v(id, dp, dpo, cp, cpo) WHERE a.id = v.id), \
         history AS (INSERT INTO ledger_account_balances (account_id, \"timestamp\", \
         debits_pending, debits_posted, credits_pending, credits_posted) \
         SELECT * FROM unnest($31::uuid[], $32::bigint[], $33::bigint[], $34::bigint[], \
         $35::bigint[], $36::bigint[])) \
         UPDATE ledger_head SET last_seq = $37, last_hash = $38, \
         last_timestamp = GREATEST(last_timestamp, $39)",
    )
    .bind::<Array<BigInt>, _>(seq)
    .bind::<Array<SqlUuid>, _>(col_u128(|t| t.id))
    .bind::<Array<SqlUuid>, _>(col_u128(|t| t.debit_account_id))
    .bind::<Array<SqlUuid>, _>(col_u128(|t| t.credit_account_id))
    .bind::<Array<BigInt>, _>(col_i64(|t| db_i64(t.amount)))
    .bind::<Array<SqlUuid>, _>(col_u128(|t| t.pending_id))
    .bind::<Array<SqlUuid>, _>(col_u128(|t| t.user_data_128))
    .bind::<Array<BigInt>, _>(col_i64(|t| t.user_data_64 as i64))
    .bind::<Array<BigInt>, _>(col_i64(|t| i64::from(t.user_data_32)))
    .bind::<Array<BigInt>, _>(col_i64(|t| i64::from(t.timeout)))
    .bind::<Array<BigInt>, _>(col_i64(|t| i64::from(t.ledger)))
    .bind::<Array<Integer>, _>(
        fx.created
            .iter()
            .map(|t| i32::from(t.code))
            .collect::<Vec<_>>(),
    )
    .bind::<Array<Integer>, _>(
        fx.created
            .iter()
            .map(|t| i32::from(t.flags.bits()))
            .collect::<Vec<_>>(),
    )
    .bind::<Array<BigInt>, _>(col_i64(|t| db_i64(t.timestamp)))
    .bind::<Array<Binary>, _>(hash)
    .bind::<Array<SqlUuid>, _>(uuids(h.iter().map(|h| h.id)))
    .bind::<Array<SqlUuid>, _>(uuids(h.iter().map(|h| h.debit_account_id)))
    .bind::<Array<SqlUuid>, _>(uuids(h.iter().map(|h| h.credit_account_id)))
    .bind::<Array<BigInt>, _>(h.iter().map(|h| db_i64(h.amount)).collect::<Vec<_>>())
    .bind::<Array<diesel::sql_types::Nullable<BigInt>>, _>(
        h.iter()
            .map(|h| h.expires_at.map(db_i64))
            .collect::<Vec<_>>(),
    )
    .bind::<Array<SmallInt>, _>(h.iter().map(|h| h.status.to_db()).collect::<Vec<_>>())
    .bind::<Array<SqlUuid>, _>(uuids(r.iter().map(|(id, _)| *id)))
    .bind::<Array<SmallInt>, _>(r.iter().map(|(_, s)| s.to_db()).collect::<Vec<_>>())
    .bind::<Array<SqlUuid>, _>(uuids(fx.failed.iter().map(|(id, _)| *id)))
    .bind::<Array<Integer>, _>(
        fx.failed
            .iter()
            .map(|(_, r)| i32::from(r.code()))
            .collect::<Vec<_>>(),
    )
    .bind::<Array<SqlUuid>, _>(uuids(a.iter().map(|a| a.id)))
    .bind::<Array<BigInt>, _>(
        a.iter()
            .map(|a| db_i64(a.debits_pending))
            .collect::<Vec<_>>(),
    )
    .bind::<Array<BigInt>, _>(
        a.iter()
            .map(|a| db_i64(a.debits_posted))
            .collect::<Vec<_>>(),
    )
    .bind::<Array<BigInt>, _>(
        a.iter()
            .map(|a| db_i64(a.credits_pending))
            .collect::<Vec<_>>(),
    )
    .bind::<Array<BigInt>, _>(
        a.iter()
            .map(|a| db_i64(a.credits_posted))
            .collect::<Vec<_>>(),
    )
    .bind::<Array<SqlUuid>, _>(uuids(b.iter().map(|b| b.account_id)))
    .bind::<Array<BigInt>, _>(b.iter().map(|b| db_i64(b.timestamp)).collect::<Vec<_>>())
    .bind::<Array<BigInt>, _>(
        b.iter()
            .map(|b| db_i64(b.debits_pending))
            .collect::<Vec<_>>(),
    )
    .bind::<Array<BigInt>, _>(
        b.iter()
            .map(|b| db_i64(b.debits_posted))
            .collect::<Vec<_>>(),
    )
    .bind::<Array<BigInt>, _>(
        b.iter()
            .map(|b| db_i64(b.credits_pending))
            .collect::<Vec<_>>(),
    )
    .bind::<Array<BigInt>, _>(
        b.iter()
            .map(|b| db_i64(b.credits_posted))
            .collect::<Vec<_>>(),
    )
    .bind::<BigInt, _>(last_seq)
    .bind::<Binary, _>(last_hash.to_vec())
    .bind::<BigInt, _>(db_i64(fx.last_timestamp))
    .execute(conn)?;
    Ok(())
}
