//! Everything that speaks to the world outside the gateway: identity (CCCD, VNeID),
//! payment QR codes, wallet providers, billers and insurance. Nothing here knows the
//! ledger or the gateway.

pub mod bank;
pub mod biller;
pub mod billing;
pub mod funding;
pub mod identity;
pub mod providers;
pub mod qr;
pub mod simulator;
pub mod statement;
pub mod vneid;
