//! Household-business revenue per tax key: the running monthly totals that captures
//! and refunds keep, the periods a report covers, the effective-dated thresholds a
//! key's year-to-date revenue is checked against, and the report itself.
//!
//! Presumptive tax for household businesses ended on 1 Jan 2026 (Resolution
//! 198/2025/QH15): they declare actual revenue, with the owner's personal
//! identification number as the tax code (Circular 86/2024/TT-BTC).

pub mod csv;
pub mod delta;
pub mod period;
pub mod report;
pub mod thresholds;
