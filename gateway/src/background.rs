//! The work no request waits for, each task supervised (a panic is logged and the task
//! started again) and safe to run on every instance at once: each takes its work
//! through the group commit, which hands any one payment or request to one instance.
//!
//! - the heartbeat that tells the other instances this one is alive;
//! - the resumer, which drives on payments a crash or a silent outside system left
//!   pending, oldest first;
//! - the closing of payment requests past their expiry;
//! - the webhook outbox;
//! - the daily reconciliation of the previous day with every outside system;
//! - pruning: idempotency records (after 25 hours), spent markers and sessions once
//!   expired, delivered webhooks after 30 days, bill inquiries nobody paid after 90;
//! - with a shard map: the sweep of open cross-shard legs, and the checkpoint over
//!   every shard's chain head;
//! - with citizens routed to home shards: the heartbeat, resumer, request expiry,
//!   webhook outbox and pruning on each, the settling of claims other shards' payments
//!   made on its requests, and the sweep of billers' collections to shard 0 once a
//!   period.

use std::future::Future;
use std::time::Duration;

use actix_web::web::Data;
use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;

use crate::commit::{Command, Reply};
use crate::db;
use crate::error::ApiError;
use crate::state::AppState;

/// Runs `round` every `every`, for as long as the service runs; a round that panics
/// is logged and the task goes on.
fn supervise<F, Fut>(name: &'static str, every: Duration, state: Data<AppState>, round: F)
where
    F: Fn(Data<AppState>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), ApiError>> + Send + 'static,
{
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match tokio::spawn(round(state.clone())).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => tracing::warn!(task = name, error = %e, "background round failed"),
                Err(e) => tracing::error!(task = name, error = %e, "background round panicked"),
            }
        }
    });
}

async fn heartbeat(state: Data<AppState>) -> Result<(), ApiError> {
    let id = state.committer.instance.id;
    db::run(&state, move |conn| crate::instance::beat(conn, id)).await
}

async fn resume(state: Data<AppState>) -> Result<(), ApiError> {
    let before = Utc::now() - chrono::Duration::seconds(10);
    let reply = state
        .committer
        .submit(Command::Resume { before, limit: 100 })
        .await?;
    if let Reply::Drives(drives) = reply {
        crate::payments::drive::drive_all(&state, drives).await;
    }
    Ok(())
}

async fn expire_requests(state: Data<AppState>) -> Result<(), ApiError> {
    // A capture the ledger accepted just in time is recorded with the request; the
    // grace lets the hold's own timeout pass before the request is judged.
    let before = Utc::now() - chrono::Duration::seconds(2);
    state
        .committer
        .submit(Command::ExpireRequests { before, limit: 200 })
        .await
        .map(|_| ())
}

/// Releases the claims on this shard's requests whose payments on other shards failed,
/// and confirms those whose payments settled.
async fn settle_claims(state: Data<AppState>) -> Result<(), ApiError> {
    let settled = crate::merchants::claims::settle_stale(&state).await?;
    if settled.released > 0 {
        tracing::info!(
            released = settled.released,
            "claims of failed payments released"
        );
    }
    Ok(())
}

/// Deletes in slices, so pruning never holds many row locks at once.
const PRUNE_SLICE: i64 = 5_000;

/// What one round of pruning deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pruned {
    pub keys: usize,
    pub webhooks: usize,
    pub inquiries: usize,
    pub markers: usize,
    pub sessions: usize,
    pub instances: usize,
}

/// Deletes, as of `now`, what nothing needs any more (a slice of each at most).
pub fn prune_expired(conn: &mut PgConnection, now: DateTime<Utc>) -> Result<Pruned, ApiError> {
    let keys = diesel::sql_query(
        "DELETE FROM idempotency_keys WHERE ctid IN (SELECT ctid FROM idempotency_keys \
         WHERE created_at < $1 AND response_status IS NOT NULL LIMIT $2)",
    )
    .bind::<diesel::sql_types::Timestamptz, _>(now - chrono::Duration::hours(25))
    .bind::<diesel::sql_types::BigInt, _>(PRUNE_SLICE)
    .execute(conn)?;
    let webhooks = diesel::sql_query(
        "DELETE FROM merchant_webhook_events WHERE ctid IN (SELECT ctid FROM \
         merchant_webhook_events WHERE delivered_at < $1 LIMIT $2)",
    )
    .bind::<diesel::sql_types::Timestamptz, _>(now - chrono::Duration::days(30))
    .bind::<diesel::sql_types::BigInt, _>(PRUNE_SLICE)
    .execute(conn)?;
    let inquiries = diesel::sql_query(
        "DELETE FROM bill_inquiries i WHERE i.ctid IN (SELECT b.ctid FROM bill_inquiries b \
         WHERE b.created_at < $1 AND NOT EXISTS (SELECT 1 FROM biller_payments p \
         WHERE p.bill_id = b.id) LIMIT $2)",
    )
    .bind::<diesel::sql_types::Timestamptz, _>(now - chrono::Duration::days(90))
    .bind::<diesel::sql_types::BigInt, _>(PRUNE_SLICE)
    .execute(conn)?;
    Ok(Pruned {
        keys,
        webhooks,
        inquiries,
        markers: crate::markers::prune(conn, now)?,
        sessions: crate::citizens::sessions::prune(conn, now)?,
        instances: crate::instance::prune(conn)?,
    })
}

async fn prune(state: Data<AppState>) -> Result<(), ApiError> {
    let pruned = db::run(&state, |conn| prune_expired(conn, Utc::now())).await?;
    if pruned != Pruned::default() {
        tracing::info!(?pruned, "pruned");
    }
    Ok(())
}

/// Reconciles yesterday (Vietnam time) with every system that has no scheduled run
/// for it yet, once the configured hour has passed. A system that fails is tried
/// again next round; two instances racing for one run make it once.
async fn reconcile_yesterday(state: Data<AppState>) -> Result<(), ApiError> {
    use crate::reconciliation::runs::{self, Origin};
    use chrono::Timelike;
    let Some(hour) = state.config.reconciliation_hour else {
        return Ok(());
    };
    let now = Utc::now().with_timezone(&adapters::providers::vietnam_time::VIETNAM);
    if now.hour() < hour {
        return Ok(());
    }
    let Some(day) = now.date_naive().pred_opt() else {
        return Ok(());
    };
    let due = db::run(&state, move |conn| runs::scheduled_due(conn, day)).await?;
    for source in due {
        match runs::run(&state, source, day, Origin::Scheduled, None).await {
            Ok(Some(run)) => tracing::info!(
                source = source.as_str(), %day, run = %run.id, discrepancies = run.discrepancies,
                "reconciled"
            ),
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(source = source.as_str(), %day, error = %e, "reconciliation failed; trying again later")
            }
        }
    }
    Ok(())
}

async fn sweep_shards(state: Data<AppState>) -> Result<(), ApiError> {
    let Some(shards) = state.shards.clone() else {
        return Ok(());
    };
    let report = tokio::task::spawn_blocking(move || shards.ledger.sweep())
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    if !report.orphans.is_empty() {
        tracing::error!(orphans = ?report.orphans, "cross-shard legs whose twin does not exist");
    }
    if report.posted + report.voided > 0 {
        tracing::info!(
            posted = report.posted,
            voided = report.voided,
            "swept cross-shard legs"
        );
    }
    Ok(())
}

async fn sweep_collections(state: Data<AppState>) -> Result<(), ApiError> {
    let (Some(shards), Some(sharding)) = (state.shards.clone(), state.config.shards.as_ref())
    else {
        return Ok(());
    };
    let seconds = sharding.collection_period_seconds;
    let round =
        tokio::task::spawn_blocking(move || crate::collection_sweep::sweep(&shards, seconds))
            .await
            .map_err(|e| ApiError::Internal(e.to_string()))?;
    if round.moved > 0 || round.unreachable > 0 {
        tracing::info!(
            moved = round.moved,
            unreachable = round.unreachable,
            "swept billers' collections to shard 0"
        );
    }
    Ok(())
}

async fn checkpoint_shards(state: Data<AppState>) -> Result<(), ApiError> {
    let Some(shards) = state.shards.clone() else {
        return Ok(());
    };
    tokio::task::spawn_blocking(move || shards.ledger.checkpoint(&shards.catalog))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))??;
    Ok(())
}

/// Starts every background task.
pub fn start(state: Data<AppState>) {
    if state.shards.is_some() {
        supervise(
            "cross-shard sweep",
            crate::shard_set::SWEEP_EVERY,
            state.clone(),
            sweep_shards,
        );
        supervise(
            "shard checkpoint",
            crate::shard_set::CHECKPOINT_EVERY,
            state.clone(),
            checkpoint_shards,
        );
    }
    // Each home shard has its own payments, sessions and markers to look after, and
    // must see this instance alive to leave the payments it drives alone.
    if let Some(homes) = state.homes.clone() {
        let period = state
            .config
            .shards
            .as_ref()
            .map_or(3_600, |s| s.collection_period_seconds);
        supervise(
            "collection sweep",
            Duration::from_secs(period.clamp(1, 60)),
            state.clone(),
            sweep_collections,
        );
        for shard in (0u16..).take(homes.shards.len()) {
            let home = Data::new(state.at_home(shard));
            supervise(
                "home heartbeat",
                crate::instance::HEARTBEAT,
                home.clone(),
                heartbeat,
            );
            supervise("home resumer", Duration::from_secs(2), home.clone(), resume);
            // Merchants' requests, their payments and their webhooks live here too.
            supervise(
                "home request expiry",
                Duration::from_secs(1),
                home.clone(),
                expire_requests,
            );
            supervise(
                "home request claims",
                Duration::from_secs(5),
                home.clone(),
                settle_claims,
            );
            crate::merchants::webhooks::start(home.clone());
            supervise("home pruning", Duration::from_secs(60), home, prune);
        }
    }
    supervise(
        "heartbeat",
        crate::instance::HEARTBEAT,
        state.clone(),
        heartbeat,
    );
    supervise("resumer", Duration::from_secs(2), state.clone(), resume);
    supervise(
        "request expiry",
        Duration::from_secs(1),
        state.clone(),
        expire_requests,
    );
    supervise("pruning", Duration::from_secs(60), state.clone(), prune);
    supervise(
        "reconciliation",
        Duration::from_secs(600),
        state.clone(),
        reconcile_yesterday,
    );
    crate::merchants::webhooks::start(state);
}
