//! A shard whose transfers go through its own group-commit writer, so concurrent
//! cross-shard transfers share each shard's commits the way single-shard ones do: one
//! chain head and one writer per shard.

use tokio::runtime::Handle;

use crate::shards::{Shard, ShardFailure};
use crate::store::PgLedger;
use crate::types::{Account, PendingHold, Transfer};
use crate::writer::{TransferWriter, WriterConfig};
use crate::{CreateAccountResult, CreateTransferResult};

/// A shard's ledger and its writer. The [`Shard`] calls block the calling thread, so
/// they are for threads outside the async runtime (`spawn_blocking` or plain threads);
/// called on a runtime thread they answer a failure instead of stalling it.
#[derive(Clone)]
pub struct WriterShard {
    ledger: PgLedger,
    writer: TransferWriter,
    runtime: Handle,
}

impl WriterShard {
    /// Starts the shard's writer on `runtime`.
    pub fn spawn(ledger: PgLedger, config: WriterConfig, runtime: &Handle) -> Self {
        let writer = {
            let _entered = runtime.enter();
            TransferWriter::spawn(ledger.clone(), config).0
        };
        Self {
            ledger,
            writer,
            runtime: runtime.clone(),
        }
    }

    pub fn ledger(&self) -> &PgLedger {
        &self.ledger
    }
}

fn failure(e: impl std::fmt::Display) -> ShardFailure {
    ShardFailure(e.to_string())
}

impl Shard for WriterShard {
    fn create_accounts(&self, batch: &[Account]) -> Result<Vec<CreateAccountResult>, ShardFailure> {
        self.ledger.create_accounts(batch).map_err(failure)
    }
    fn create_transfers(
        &self,
        batch: &[Transfer],
    ) -> Result<Vec<CreateTransferResult>, ShardFailure> {
        if Handle::try_current().is_ok() {
            return Err(ShardFailure(
                "a blocking shard call was made on an async runtime thread".into(),
            ));
        }
        self.runtime
            .block_on(self.writer.submit(batch.to_vec()))
            .map_err(failure)
    }
    fn lookup_accounts(&self, ids: &[u128]) -> Result<Vec<Account>, ShardFailure> {
        self.ledger.lookup_accounts(ids).map_err(failure)
    }
    fn lookup_holds(&self, ids: &[u128]) -> Result<Vec<PendingHold>, ShardFailure> {
        self.ledger.lookup_holds(ids).map_err(failure)
    }
    fn pending_debiting(&self, accounts: &[u128]) -> Result<Vec<Transfer>, ShardFailure> {
        self.ledger.pending_debiting(accounts).map_err(failure)
    }
    fn expire_lapsed(&self) -> Result<usize, ShardFailure> {
        self.ledger.expire_pending_transfers().map_err(failure)
    }
}
