//! What every handler shares.

use std::sync::Arc;

use adapters::bank::BankAdapter;
use ledger::PgLedger;

use crate::commit::Committer;
use crate::config::Config;
use crate::metrics::Metrics;

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    /// Reads (and start-up's account creation); every payment writes through
    /// `committer`.
    pub ledger: PgLedger,
    pub committer: Committer,
    pub redis: crate::redis_link::RedisLink,
    pub metrics: Metrics,
    pub bank: Arc<dyn BankAdapter>,
    pub billers: Arc<dyn adapters::biller::BillerAdapter>,
    pub funding: Arc<crate::funding::FundingProviders>,
    /// Fetches each outside system's daily statement.
    pub statements: Arc<adapters::statement::StatementClient>,
    /// The sharded ledger this instance sweeps and checkpoints, when configured.
    pub shards: Option<Arc<crate::shard_set::ShardSet>>,
}
