//! Daily reconciliation with every outside system that moves money for us: NAPAS 247
//! for the bank legs, VNPay, MoMo and ZaloPay for top-ups, EVN, the water companies
//! and VSS for bills and contributions. Each run matches one system's statement for
//! one business day (Vietnam time) against our payments and records every
//! difference; an operator resolves each through the ledger (`commit::reconcile`),
//! with an audit record. With citizens on home shards, our side is read from every
//! shard and a difference is resolved on its payment's (`on_shards`).

pub mod adjust;
pub mod matching;
pub mod on_shards;
pub mod ours;
pub mod resolve;
pub mod runs;
pub mod store;
pub mod views;
