//! What the cross-shard protocol and its checkpoints read and write on one shard.

use diesel::prelude::*;
use uuid::Uuid;

use super::read::EntrySide;
use super::rows::{uuid, HoldRow, TransferRow};
use super::schema::{
    ledger_checkpoints, ledger_head, ledger_pending_holds, ledger_transfers, shard_map,
};
use super::{LedgerError, PgLedger};
use crate::hash::GENESIS_HASH;
use crate::shards::checkpoint::{Checkpoint, Head};
use crate::shards::map::{ShardMap, VSHARDS};
use crate::shards::{Shard, ShardFailure};
use crate::types::{Account, PendingHold, PendingStatus, Transfer};
use crate::{CreateAccountResult, CreateTransferResult};

/// number, previous root, head seqs, head hashes, root.
type CheckpointRow = (i64, Vec<u8>, Vec<i64>, Vec<Vec<u8>>, Vec<u8>);

/// vshards and shard numbers are below 4,096, so they always fit.
fn narrow(v: u16) -> i16 {
    i16::try_from(v).unwrap_or(i16::MAX)
}

fn hash32(bytes: &[u8], what: &str) -> Result<[u8; 32], LedgerError> {
    bytes
        .try_into()
        .map_err(|_| LedgerError::Corrupt(format!("{what} is {} bytes", bytes.len())))
}

impl PgLedger {
    /// The holds with these ids that exist, whatever became of them.
    pub fn lookup_holds(&self, ids: &[u128]) -> Result<Vec<PendingHold>, LedgerError> {
        let ids: Vec<Uuid> = ids.iter().map(|&id| uuid(id)).collect();
        ledger_pending_holds::table
            .filter(ledger_pending_holds::id.eq_any(ids))
            .select(HoldRow::as_select())
            .load(&mut self.conn()?)?
            .into_iter()
            .map(HoldRow::into_hold)
            .collect()
    }

    /// The pending transfers whose holds are still open and debit any of `accounts`.
    pub fn pending_debiting(&self, accounts: &[u128]) -> Result<Vec<Transfer>, LedgerError> {
        self.open_holds_on(accounts, EntrySide::Debit)
    }

    /// The pending transfers whose holds are still open and credit any of `accounts`.
    pub fn pending_crediting(&self, accounts: &[u128]) -> Result<Vec<Transfer>, LedgerError> {
        self.open_holds_on(accounts, EntrySide::Credit)
    }

    fn open_holds_on(
        &self,
        accounts: &[u128],
        side: EntrySide,
    ) -> Result<Vec<Transfer>, LedgerError> {
        let accounts: Vec<Uuid> = accounts.iter().map(|&id| uuid(id)).collect();
        let open = ledger_pending_holds::table
            .filter(ledger_pending_holds::status.eq(PendingStatus::Pending.to_db()))
            .select(ledger_pending_holds::id)
            .into_boxed();
        let open: Vec<Uuid> = match side {
            EntrySide::Debit => {
                open.filter(ledger_pending_holds::debit_account_id.eq_any(accounts))
            }
            EntrySide::Credit => {
                open.filter(ledger_pending_holds::credit_account_id.eq_any(accounts))
            }
        }
        .load(&mut self.conn()?)?;
        self.transfers_by_uuid(open)
    }

    fn transfers_by_uuid(&self, ids: Vec<Uuid>) -> Result<Vec<Transfer>, LedgerError> {
        ledger_transfers::table
            .filter(ledger_transfers::id.eq_any(ids))
            .select(TransferRow::as_select())
            .load(&mut self.conn()?)?
            .iter()
            .map(TransferRow::to_transfer)
            .collect()
    }

    /// The chain head: the last sequence number and its hash (0 and the genesis hash
    /// before the first transfer).
    pub fn head(&self) -> Result<Head, LedgerError> {
        let (seq, hash): (i64, Vec<u8>) = ledger_head::table
            .select((ledger_head::last_seq, ledger_head::last_hash))
            .first(&mut self.conn()?)?;
        Ok(Head {
            seq,
            hash: hash32(&hash, "the head hash")?,
        })
    }

    /// The chain hash after the transfer numbered `seq`, if the journal has it.
    pub fn hash_at(&self, seq: i64) -> Result<Option<[u8; 32]>, LedgerError> {
        if seq == 0 {
            return Ok(Some(GENESIS_HASH));
        }
        ledger_transfers::table
            .filter(ledger_transfers::seq.eq(seq))
            .select(ledger_transfers::hash)
            .first::<Vec<u8>>(&mut self.conn()?)
            .optional()?
            .map(|h| hash32(&h, "a transfer hash"))
            .transpose()
    }

    /// Keeps a checkpoint; one already kept under its number is left as it is.
    pub fn store_checkpoint(&self, c: &Checkpoint) -> Result<(), LedgerError> {
        diesel::insert_into(ledger_checkpoints::table)
            .values((
                ledger_checkpoints::number.eq(c.number),
                ledger_checkpoints::previous_root.eq(c.previous_root.to_vec()),
                ledger_checkpoints::head_seqs.eq(c.heads.iter().map(|h| h.seq).collect::<Vec<_>>()),
                ledger_checkpoints::head_hashes.eq(c
                    .heads
                    .iter()
                    .map(|h| h.hash.to_vec())
                    .collect::<Vec<_>>()),
                ledger_checkpoints::root.eq(c.root.to_vec()),
            ))
            .on_conflict_do_nothing()
            .execute(&mut self.conn()?)?;
        Ok(())
    }

    /// The vshard map kept here (in the catalog), for `shards` shards. The first caller
    /// on an empty catalog writes the uniform map; every later one, on any replica,
    /// reads what is there. A stored map naming a shard beyond `shards` is refused:
    /// shards are only removed after their vshards have moved.
    pub fn shard_map(&self, shards: usize) -> Result<ShardMap, LedgerError> {
        let mut conn = self.conn()?;
        let uniform = ShardMap::uniform(shards).map_err(|e| LedgerError::Corrupt(e.to_string()))?;
        let rows: Vec<(i16, i16)> = (0..VSHARDS)
            .zip(uniform.assignment())
            .map(|(v, &s)| (narrow(v), narrow(s)))
            .collect();
        let values: Vec<_> = rows
            .iter()
            .map(|&(v, s)| (shard_map::vshard.eq(v), shard_map::shard.eq(s)))
            .collect();
        diesel::insert_into(shard_map::table)
            .values(&values)
            .on_conflict_do_nothing()
            .execute(&mut conn)?;
        let stored: Vec<(i16, i16)> = shard_map::table
            .order(shard_map::vshard)
            .select((shard_map::vshard, shard_map::shard))
            .load(&mut conn)?;
        let assignment = stored
            .into_iter()
            .map(|(_, s)| u16::try_from(s).map_err(|_| LedgerError::Corrupt(format!("shard {s}"))))
            .collect::<Result<Vec<_>, _>>()?;
        ShardMap::from_assignment(shards, assignment)
            .map_err(|e| LedgerError::Corrupt(e.to_string()))
    }

    /// Every checkpoint kept here, oldest first.
    pub fn checkpoints(&self) -> Result<Vec<Checkpoint>, LedgerError> {
        self.load_checkpoints(None, false)
    }

    /// The newest checkpoint kept here.
    pub fn last_checkpoint(&self) -> Result<Option<Checkpoint>, LedgerError> {
        Ok(self.load_checkpoints(None, true)?.pop())
    }

    /// The checkpoint kept here under `number`.
    pub fn checkpoint_numbered(&self, number: i64) -> Result<Option<Checkpoint>, LedgerError> {
        Ok(self.load_checkpoints(Some(number), false)?.pop())
    }

    fn load_checkpoints(
        &self,
        number: Option<i64>,
        newest_only: bool,
    ) -> Result<Vec<Checkpoint>, LedgerError> {
        let mut query = ledger_checkpoints::table
            .select((
                ledger_checkpoints::number,
                ledger_checkpoints::previous_root,
                ledger_checkpoints::head_seqs,
                ledger_checkpoints::head_hashes,
                ledger_checkpoints::root,
            ))
            .into_boxed();
        if let Some(n) = number {
            query = query.filter(ledger_checkpoints::number.eq(n));
        }
        query = if newest_only {
            query.order(ledger_checkpoints::number.desc()).limit(1)
        } else {
            query.order(ledger_checkpoints::number)
        };
        let rows: Vec<CheckpointRow> = query.load(&mut self.conn()?)?;
        rows.into_iter()
            .map(|(number, previous, seqs, hashes, root)| {
                if seqs.len() != hashes.len() {
                    return Err(LedgerError::Corrupt(format!("checkpoint {number}: heads")));
                }
                let heads = seqs
                    .into_iter()
                    .zip(hashes)
                    .map(|(seq, hash)| {
                        Ok(Head {
                            seq,
                            hash: hash32(&hash, "a head hash")?,
                        })
                    })
                    .collect::<Result<Vec<_>, LedgerError>>()?;
                Ok(Checkpoint {
                    number,
                    previous_root: hash32(&previous, "a previous root")?,
                    heads,
                    root: hash32(&root, "a checkpoint root")?,
                })
            })
            .collect()
    }
}

fn failure(e: LedgerError) -> ShardFailure {
    ShardFailure(e.to_string())
}

impl Shard for PgLedger {
    fn create_accounts(&self, batch: &[Account]) -> Result<Vec<CreateAccountResult>, ShardFailure> {
        PgLedger::create_accounts(self, batch).map_err(failure)
    }
    fn create_transfers(
        &self,
        batch: &[Transfer],
    ) -> Result<Vec<CreateTransferResult>, ShardFailure> {
        PgLedger::create_transfers(self, batch).map_err(failure)
    }
    fn lookup_accounts(&self, ids: &[u128]) -> Result<Vec<Account>, ShardFailure> {
        PgLedger::lookup_accounts(self, ids).map_err(failure)
    }
    fn lookup_holds(&self, ids: &[u128]) -> Result<Vec<PendingHold>, ShardFailure> {
        PgLedger::lookup_holds(self, ids).map_err(failure)
    }
    fn pending_debiting(&self, accounts: &[u128]) -> Result<Vec<Transfer>, ShardFailure> {
        PgLedger::pending_debiting(self, accounts).map_err(failure)
    }
    fn expire_lapsed(&self) -> Result<usize, ShardFailure> {
        self.expire_pending_transfers().map_err(failure)
    }
}
