//! HTTP handlers, one module per area of the API.

pub mod health;
pub mod ledger;
pub mod pagination;
