//! Merchants: onboarding with credentials that are never stored in the clear, signed
//! requests, payment requests paid by citizens (by id or VietQR), manual capture,
//! refunds, and webhooks delivered from an outbox.

pub mod pay;
pub mod refunds;
pub mod requests;
pub mod secrets;
pub mod settle;
pub mod signature;
pub mod store;
pub mod webhook_target;
pub mod webhooks;

use std::time::Duration;

use crate::state::AppState;

/// Closes expired requests and finishes interrupted refunds, every second, for as
/// long as the service runs.
pub async fn run_maintenance(state: actix_web::web::Data<AppState>) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut round: u64 = 0;
    loop {
        tick.tick().await;
        round = round.wrapping_add(1);
        if let Err(e) = settle::expire_due(&state).await {
            tracing::warn!(error = %e, "closing expired payment requests failed");
        }
        if round.is_multiple_of(5) {
            if let Err(e) = refunds::resume_stale(&state).await {
                tracing::warn!(error = %e, "resuming refunds failed");
            }
        }
    }
}
