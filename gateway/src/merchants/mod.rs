//! Merchants: onboarding with credentials that are never stored in the clear, signed
//! requests, payment requests paid by citizens (by id or VietQR), manual capture,
//! refunds, and webhooks delivered from an outbox.

pub mod balances;
pub mod claims;
pub mod pay;
pub mod refunds;
pub mod requests;
pub mod secrets;
pub mod signature;
pub mod store;
pub mod webhook_target;
pub mod webhooks;
