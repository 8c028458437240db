//! HTTP handlers, one module per area of the API.

pub mod citizen;
pub mod health;
pub mod input;
pub mod ledger;
pub mod me;
pub mod pagination;
pub mod payments;
pub mod sessions;
