//! Payments: every movement of a citizen's money, its status history, the rules it
//! passed and the steps that move it through the ledger and outside systems.

pub mod bills;
pub mod create;
pub mod flows;
pub mod model;
pub mod provider_topups;
pub mod store;
