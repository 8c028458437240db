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
    /// Citizens' home shards, when citizens are routed (`ROUTE_CITIZENS`).
    pub homes: Option<Arc<crate::homes::Homes>>,
}

impl AppState {
    /// The same service against home shard `shard`: its ledger reads and its writer.
    /// Without routing (or for a shard that does not exist) it is this one.
    pub fn at_home(&self, shard: u16) -> AppState {
        let mut at = self.clone();
        if let Some(home) = self
            .homes
            .as_ref()
            .and_then(|h| h.shards.get(usize::from(shard)))
        {
            at.ledger = home.ledger.clone();
            at.committer = home.committer.clone();
        }
        at
    }

    /// The home shard of a citizen's CCCD (0 without routing).
    pub fn shard_of_cccd(&self, cccd: &str) -> u16 {
        self.homes.as_ref().map_or(0, |h| {
            h.map.shard_of_vshard(crate::homes::vshard_of_cccd(cccd))
        })
    }

    /// The home shard of an identity, from the vshard in its id (0 without routing).
    pub fn shard_of_identity(&self, identity_id: &str) -> u16 {
        self.homes.as_ref().map_or(0, |h| {
            h.map
                .shard_of_vshard(crate::homes::vshard_of_identity(identity_id))
        })
    }

    /// The home shard a payment request was made on, from the vshard in its id (0
    /// without routing).
    pub fn shard_of_request(&self, request_id: &str) -> u16 {
        self.homes.as_ref().map_or(0, |h| {
            h.map
                .shard_of_vshard(crate::homes::vshard_of_request(request_id))
        })
    }

    /// The home shard a merchant's payment requests are made on (0 without routing).
    pub fn shard_of_merchant(&self, merchant_id: &str) -> u16 {
        self.homes.as_ref().map_or(0, |h| {
            h.map
                .shard_of_vshard(crate::homes::vshard_of_merchant(merchant_id))
        })
    }

    /// The service as a citizen's requests see it: on their home shard.
    pub fn home_of(&self, identity_id: &str) -> AppState {
        self.at_home(self.shard_of_identity(identity_id))
    }

    /// The group-commit writer for legs on home shard `shard`, when citizens are routed.
    pub fn legs_on(&self, shard: u16) -> Option<ledger::TransferWriter> {
        self.homes
            .as_ref()
            .and_then(|h| h.shards.get(usize::from(shard)))
            .map(|home| home.legs.clone())
    }

    /// Where merchants are registered (their records, found by API key): the catalog
    /// with citizens on home shards, else the one database.
    pub fn registry(&self) -> &PgLedger {
        self.homes.as_ref().map_or(&self.ledger, |h| &h.catalog)
    }

    /// The service on every database that holds citizens' payments and merchants'
    /// requests and webhooks: each home shard, or this one database.
    pub fn everywhere(&self) -> Vec<AppState> {
        match &self.homes {
            Some(homes) => (0u16..)
                .take(homes.shards.len())
                .map(|shard| self.at_home(shard))
                .collect(),
            None => vec![self.clone()],
        }
    }

    /// Whether citizens are routed to home shards.
    pub fn routes_citizens(&self) -> bool {
        self.homes.is_some()
    }
}
