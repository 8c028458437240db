//! The webhook outbox: every status change of a payment request or refund writes its
//! event here in the same transaction as the change, and a worker delivers it until the
//! merchant answers 2xx, backing off exponentially. Each round takes the oldest
//! undelivered event of every merchant that has one due, so a merchant's events arrive
//! in order and one slow merchant delays nobody else; all of them are sent at once.
//! A claimed event is leased for longer than an attempt can last, so another worker
//! (or instance) does not send it meanwhile; one that dies mid-delivery leaves it to
//! be sent again when the lease ends. At least once.

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

/// How many merchants' events one round sends at once.
const BATCH: i64 = 50;
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

/// A webhook to record in the outbox, in the transaction that made the change.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub id: String,
    pub merchant_id: String,
    pub event_type: &'static str,
    /// The exact body every attempt sends.
    pub body: String,
    pub created_at: DateTime<Utc>,
}

/// The event announcing a change of `data` (the object as it now stands).
pub fn event(merchant_id: &str, kind: EventType, data: Value, now: DateTime<Utc>) -> NewEvent {
    let id = db::new_id("evt_");
    let body = json!({
        "id": id,
        "type": kind.as_str(),
        "created_at": now,
        "data": data,
    })
    .to_string();
    NewEvent {
        id,
        merchant_id: merchant_id.to_string(),
        event_type: kind.as_str(),
        body,
        created_at: now,
    }
}

/// Writes events to the outbox; call inside the transaction that made the changes.
pub fn insert(conn: &mut PgConnection, new: &[NewEvent]) -> Result<(), ApiError> {
    if new.is_empty() {
        return Ok(());
    }
    let rows: Vec<_> = new
        .iter()
        .map(|e| {
            (
                events::id.eq(&e.id),
                events::merchant_id.eq(&e.merchant_id),
                events::event_type.eq(e.event_type),
                events::body.eq(&e.body),
                events::created_at.eq(e.created_at),
                events::next_attempt_at.eq(e.created_at),
            )
        })
        .collect();
    diesel::insert_into(events::table)
        .values(&rows)
        .execute(conn)?;
    Ok(())
}

/// One event of the outbox and how its delivery went, for the operator.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = events)]
pub struct Delivery {
    pub id: String,
    pub merchant_id: String,
    pub event_type: String,
    pub created_at: DateTime<Utc>,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
}

/// A merchant's most recent events, newest first, with their attempts and last error.
pub fn deliveries(
    conn: &mut PgConnection,
    merchant_id: &str,
    limit: i64,
) -> Result<Vec<Delivery>, ApiError> {
    Ok(events::table
        .filter(events::merchant_id.eq(merchant_id))
        .order((events::created_at.desc(), events::id.desc()))
        .limit(limit)
        .select(Delivery::as_select())
        .load(conn)?)
}

/// Sends one of a merchant's events again: due now, delivered or not (a merchant that
/// lost what it acknowledged asks for it again). Answers whether there was such an
/// event. The worker still sends a merchant's events oldest first.
pub fn redeliver(
    conn: &mut PgConnection,
    merchant_id: &str,
    event_id: &str,
    now: DateTime<Utc>,
) -> Result<bool, ApiError> {
    let changed = diesel::update(
        events::table
            .find(event_id)
            .filter(events::merchant_id.eq(merchant_id)),
    )
    .set((
        events::delivered_at.eq(None::<DateTime<Utc>>),
        events::next_attempt_at.eq(now),
    ))
    .execute(conn)?;
    Ok(changed == 1)
}

struct Claimed {
    id: String,
    body: String,
    attempts: i32,
    merchant: MerchantRow,
}

/// The events to send now: the oldest undelivered one of each merchant (so a
/// merchant's events arrive in order, one at a time), if due, leased for longer than
/// an attempt can take so no other worker sends it meanwhile.
fn claim(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    lease: chrono::Duration,
) -> Result<Vec<Claimed>, ApiError> {
    conn.transaction(|conn| {
        #[derive(QueryableByName)]
        struct Due {
            #[diesel(sql_type = diesel::sql_types::Text)]
            id: String,
            #[diesel(sql_type = diesel::sql_types::Text)]
            merchant_id: String,
            #[diesel(sql_type = diesel::sql_types::Text)]
            body: String,
            #[diesel(sql_type = diesel::sql_types::Integer)]
            attempts: i32,
        }
        let due: Vec<Due> = diesel::sql_query(
            "WITH heads AS (SELECT DISTINCT ON (merchant_id) id FROM merchant_webhook_events \
             WHERE delivered_at IS NULL ORDER BY merchant_id, created_at, id) \
             SELECT e.id, e.merchant_id, e.body, e.attempts FROM merchant_webhook_events e \
             JOIN heads h ON e.id = h.id WHERE e.next_attempt_at <= $1 \
             ORDER BY e.next_attempt_at LIMIT $2 FOR UPDATE OF e SKIP LOCKED",
        )
        .bind::<diesel::sql_types::Timestamptz, _>(now)
        .bind::<diesel::sql_types::BigInt, _>(BATCH)
        .load(conn)?;
        let ids: Vec<&String> = due.iter().map(|d| &d.id).collect();
        diesel::update(events::table.filter(events::id.eq_any(&ids)))
            .set((
                events::next_attempt_at.eq(now + lease),
                events::attempts.eq(events::attempts + 1),
            ))
            .execute(conn)?;
        let merchant_ids: Vec<&String> = due.iter().map(|d| &d.merchant_id).collect();
        let merchants: std::collections::HashMap<String, MerchantRow> =
            crate::schema::merchants::table
                .filter(crate::schema::merchants::id.eq_any(&merchant_ids))
                .select(MerchantRow::as_select())
                .load(conn)?
                .into_iter()
                .map(|m| (m.id.clone(), m))
                .collect();
        due.into_iter()
            .map(|d| {
                let merchant = merchants
                    .get(&d.merchant_id)
                    .cloned()
                    .ok_or_else(|| ApiError::Internal("webhook of a missing merchant".into()))?;
                Ok(Claimed {
                    id: d.id,
                    body: d.body,
                    attempts: d.attempts + 1,
                    merchant,
                })
            })
            .collect()
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

fn record(
    conn: &mut PgConnection,
    event: &Claimed,
    outcome: &Result<(), String>,
    base_ms: u64,
) -> Result<(), ApiError> {
    let now = Utc::now();
    let target = events::table.find(&event.id);
    match outcome {
        Ok(()) => diesel::update(target)
            .set((
                events::delivered_at.eq(now),
                events::last_error.eq(None::<String>),
            ))
            .execute(conn)?,
        Err(error) => {
            let delay = i64::try_from(backoff_ms(base_ms, event.attempts)).unwrap_or(i64::MAX);
            diesel::update(target)
                .set((
                    events::next_attempt_at.eq(now + chrono::Duration::milliseconds(delay)),
                    events::last_error.eq(Some(error.chars().take(500).collect::<String>())),
                ))
                .execute(conn)?
        }
    };
    Ok(())
}

/// Claims what is due and sends it, every merchant's at once; returns how many were
/// attempted.
pub async fn deliver_due(state: &AppState, client: &reqwest::Client) -> Result<usize, ApiError> {
    let timeout = chrono::Duration::milliseconds(
        i64::try_from(state.config.outside_timeout_ms).unwrap_or(5_000),
    );
    let lease = timeout * 2 + chrono::Duration::seconds(5);
    let claimed = db::run(state, move |conn| claim(conn, Utc::now(), lease)).await?;
    let count = claimed.len();
    let attempts = claimed.into_iter().map(|event| async move {
        let outcome = deliver(state, client, &event).await;
        if let Err(error) = &outcome {
            tracing::info!(event = %event.id, merchant = %event.merchant.id, attempts = event.attempts, %error, "webhook not acknowledged; will retry");
        }
        let base = state.config.webhook_retry_base_ms;
        db::run(state, move |conn| record(conn, &event, &outcome, base)).await
    });
    for result in futures_util::future::join_all(attempts).await {
        result?;
    }
    Ok(count)
}

/// Starts the delivery worker: it polls the outbox for as long as the service runs.
pub fn start(state: actix_web::web::Data<AppState>) {
    tokio::spawn(async move {
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
            let st = state.clone();
            let c = client.clone();
            let round = tokio::spawn(async move { deliver_due(&st, &c).await }).await;
            match round {
                // A full batch suggests more is waiting: go again at once.
                Ok(Ok(n)) if n as i64 >= BATCH => continue,
                Ok(Ok(_)) => {}
                Ok(Err(e)) => tracing::warn!(error = %e, "webhook delivery round failed"),
                Err(e) => tracing::error!(error = %e, "webhook delivery round panicked"),
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    });
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
