//! The webhook outbox: every status change of a payment request or refund writes its
//! event here in the same transaction as the change, and a worker delivers it until the
//! merchant answers 2xx, backing off exponentially. A row is claimed by pushing its
//! next attempt past a lease (under `FOR UPDATE SKIP LOCKED`, so workers never take the
//! same row), then delivered with no database connection held; a worker that dies
//! mid-delivery leaves the row to be sent again when the lease ends. At least once.

use super::webhook_target;
use std::time::Duration;

use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use serde::Serialize;
use serde_json::{json, Value};

use super::signature::webhook_header;
use super::store::{self, MerchantRow};
use crate::db;
use crate::error::ApiError;
use crate::schema::merchant_webhook_events as events;
use crate::state::AppState;

/// What one claim takes at most, so one slow endpoint cannot hold up the rest for long.
const BATCH: i64 = 20;
/// How long a claimed row stays invisible to other workers while it is being sent.
const LEASE_SECONDS: i64 = 60;
/// The longest wait between two attempts.
const MAX_BACKOFF_MS: u64 = 10 * 60 * 1000;

/// The event types the API documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum EventType {
    #[serde(rename = "payment_request.paid")]
    Paid,
    #[serde(rename = "payment_request.authorized")]
    Authorized,
    #[serde(rename = "payment_request.captured")]
    Captured,
    #[serde(rename = "payment_request.voided")]
    Voided,
    #[serde(rename = "payment_request.expired")]
    Expired,
    #[serde(rename = "refund.succeeded")]
    RefundSucceeded,
}

impl EventType {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Paid => "payment_request.paid",
            Self::Authorized => "payment_request.authorized",
            Self::Captured => "payment_request.captured",
            Self::Voided => "payment_request.voided",
            Self::Expired => "payment_request.expired",
            Self::RefundSucceeded => "refund.succeeded",
        }
    }
}

/// Records an event to deliver; call inside the transaction that made the change.
pub fn enqueue(
    conn: &mut PgConnection,
    merchant_id: &str,
    kind: EventType,
    data: Value,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let id = db::new_id("evt_");
    let body = json!({
        "id": id,
        "type": kind.as_str(),
        "created_at": now,
        "data": data,
    })
    .to_string();
    diesel::insert_into(events::table)
        .values((
            events::id.eq(&id),
            events::merchant_id.eq(merchant_id),
            events::event_type.eq(kind.as_str()),
            events::body.eq(body),
            events::created_at.eq(now),
            events::next_attempt_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

struct Claimed {
    id: String,
    body: String,
    attempts: i32,
    merchant: MerchantRow,
}

fn claim(conn: &mut PgConnection, now: DateTime<Utc>) -> Result<Vec<Claimed>, ApiError> {
    conn.transaction(|conn| {
        let due: Vec<(String, String, String, i32)> = events::table
            .filter(events::delivered_at.is_null())
            .filter(events::next_attempt_at.le(now))
            .order((events::next_attempt_at, events::created_at, events::id))
            .limit(BATCH)
            .select((
                events::id,
                events::merchant_id,
                events::body,
                events::attempts,
            ))
            .for_update()
            .skip_locked()
            .load(conn)?;
        let ids: Vec<&String> = due.iter().map(|(id, ..)| id).collect();
        diesel::update(events::table.filter(events::id.eq_any(&ids)))
            .set((
                events::next_attempt_at.eq(now + chrono::Duration::seconds(LEASE_SECONDS)),
                events::attempts.eq(events::attempts + 1),
            ))
            .execute(conn)?;
        let mut out = Vec::with_capacity(due.len());
        for (id, merchant_id, body, attempts) in due {
            let merchant = store::find(conn, &merchant_id)?
                .ok_or_else(|| ApiError::Internal("webhook of a missing merchant".into()))?;
            out.push(Claimed {
                id,
                body,
                attempts: attempts + 1,
                merchant,
            });
        }
        Ok(out)
    })
}

/// The delay before attempt `attempts + 1`: base × 2^(attempts − 1), capped.
pub fn backoff_ms(base_ms: u64, attempts: i32) -> u64 {
    let exponent = u32::try_from(attempts.saturating_sub(1))
        .unwrap_or(0)
        .min(20);
    base_ms.saturating_mul(1u64 << exponent).min(MAX_BACKOFF_MS)
}

async fn deliver(
    state: &AppState,
    client: &reqwest::Client,
    event: &Claimed,
) -> Result<(), String> {
    let Some(url) = event.merchant.webhook_url.as_deref() else {
        return Ok(());
    };
    let secret =
        store::open_secret(state, &event.merchant.webhook_secret()).map_err(|e| e.to_string())?;
    let header = webhook_header(secret.key_bytes(), Utc::now().timestamp(), &event.body);
    // Outside local development the URL's name is resolved and checked again now.
    let pinned;
    let client = if state.config.webhook_allow_private {
        client
    } else {
        let timeout = Duration::from_millis(state.config.outside_timeout_ms);
        pinned = webhook_target::pinned_client(url, timeout).await?;
        &pinned
    };
    let response = client
        .post(url)
        .header("content-type", "application/json")
        .header("x-webhook-signature", header)
        .body(event.body.clone())
        .send()
        .await
        .map_err(|e| format!("request failed: {e}"))?;
    if response.status().is_success() {
        Ok(())
    } else {
        Err(format!("answered {}", response.status().as_u16()))
    }
}

/// Claims and sends what is due; returns how many were attempted.
pub async fn deliver_due(state: &AppState, client: &reqwest::Client) -> Result<usize, ApiError> {
    let claimed = db::run(state, move |conn| claim(conn, Utc::now())).await?;
    let count = claimed.len();
    for event in claimed {
        let outcome = deliver(state, client, &event).await;
        let base = state.config.webhook_retry_base_ms;
        let (id, attempts, result) = (event.id.clone(), event.attempts, outcome.clone());
        db::run(state, move |conn| {
            let now = Utc::now();
            let target = events::table.find(&id);
            match &result {
                Ok(()) => diesel::update(target)
                    .set((
                        events::delivered_at.eq(now),
                        events::last_error.eq(None::<String>),
                    ))
                    .execute(conn)?,
                Err(error) => {
                    let delay = i64::try_from(backoff_ms(base, attempts)).unwrap_or(i64::MAX);
                    diesel::update(target)
                        .set((
                            events::next_attempt_at.eq(now + chrono::Duration::milliseconds(delay)),
                            events::last_error
                                .eq(Some(error.chars().take(500).collect::<String>())),
                        ))
                        .execute(conn)?
                }
            };
            Ok(())
        })
        .await?;
        if let Err(error) = outcome {
            tracing::info!(event = %event.id, merchant = %event.merchant.id, attempts, %error, "webhook not acknowledged; will retry");
        }
    }
    Ok(count)
}

/// The delivery worker: polls the outbox for as long as the service runs.
pub async fn run_worker(state: actix_web::web::Data<AppState>) {
    let timeout = Duration::from_millis(state.config.outside_timeout_ms);
    let client = match reqwest::Client::builder()
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "webhook worker cannot build its HTTP client");
            return;
        }
    };
    loop {
        match deliver_due(&state, &client).await {
            // A full batch suggests more is waiting: go again at once.
            Ok(n) if n as i64 >= BATCH => continue,
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "webhook delivery round failed"),
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        assert_eq!(backoff_ms(1000, 1), 1000);
        assert_eq!(backoff_ms(1000, 2), 2000);
        assert_eq!(backoff_ms(1000, 5), 16_000);
        assert_eq!(backoff_ms(1000, 60), MAX_BACKOFF_MS);
    }

    #[test]
    fn event_types_are_the_documented_ones() {
        assert_eq!(
            serde_json::to_value(EventType::RefundSucceeded).unwrap(),
            "refund.succeeded"
        );
        assert_eq!(EventType::Paid.as_str(), "payment_request.paid");
    }
}
