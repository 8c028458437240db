//! Payments: every movement of a citizen's money, the ledger transfers of each of its
//! steps, and the outside calls it waits for.

pub mod drive;
pub mod everywhere;
pub mod model;
pub mod payee_leg;
pub mod provider_orders;
pub mod provider_topups;
pub mod steps;
pub mod store;
