//! The sharded ledger this instance looks after when `SHARD_URLS` is set: every
//! replica sweeps the cross-shard legs a crashed or paused driver left open (the
//! protocol makes duplicated sweeps harmless) and takes the checkpoint that ties the
//! shards' hash chains together; the operator's views read it.
//!
//! The gateway's own payments run on `DATABASE_URL` unless `ROUTE_CITIZENS` puts
//! citizens on their home shards (`crate::homes`).

use std::time::Duration;

use ledger::shards::map::ShardMap;
use ledger::shards::ShardedLedger;
use ledger::{LedgerError, PgLedger};

use crate::chart::{AccountKind, VND};
use crate::config::ShardsConfig;

/// How often the sweeper looks for open legs.
pub const SWEEP_EVERY: Duration = Duration::from_secs(1);
/// How often a checkpoint is taken, as the scale-out design has it.
pub const CHECKPOINT_EVERY: Duration = Duration::from_secs(10);

pub struct ShardSet {
    pub ledger: ShardedLedger<PgLedger>,
    pub catalog: PgLedger,
    /// Which shard each vshard lives on, as the catalog keeps it.
    pub map: ShardMap,
}

impl ShardSet {
    /// Connects to every shard and the catalog, migrates them, makes sure every
    /// clearing account exists and reads the vshard map from the catalog (writing the
    /// uniform one into an empty catalog). Small pools: sweeps, checkpoints and views only.
    pub fn connect(config: &ShardsConfig) -> Result<Self, String> {
        // Errors name the shard, not its URL: a URL may carry a password.
        let open = |url: &str, name: String| -> Result<PgLedger, String> {
            let fail = |e: LedgerError| format!("{name}: {e}");
            let ledger = PgLedger::connect(url, 2).map_err(fail)?;
            ledger.migrate().map_err(fail)?;
            Ok(ledger)
        };
        let shards = (0..)
            .zip(&config.urls)
            .map(|(n, u): (u16, _)| open(u, format!("shard {n}")))
            .collect::<Result<Vec<_>, _>>()?;
        let ledger = ShardedLedger::new(shards);
        ledger
            .create_clearing_accounts(VND, AccountKind::Clearing.code())
            .map_err(|e| e.to_string())?;
        let catalog = open(&config.catalog_url, "the catalog".into())?;
        let map = catalog
            .shard_map(config.urls.len())
            .map_err(|e| format!("the catalog's shard map: {e}"))?;
        Ok(Self {
            ledger,
            catalog,
            map,
        })
    }
}
