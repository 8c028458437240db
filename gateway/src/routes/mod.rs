//! HTTP handlers, one module per area of the API.

pub mod admin_payments;
pub mod bills;
pub mod callbacks;
pub mod citizen;
pub mod health;
pub mod input;
pub mod insurance;
pub mod ledger;
pub mod me;
pub mod merchant_pay;
pub mod merchant_requests;
pub mod merchants;
pub mod pagination;
pub mod payments;
pub mod reconciliation;
pub mod revenue;
pub mod sessions;
pub mod shards;
