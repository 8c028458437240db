//! Top-up orders at a wallet provider (VNPay, MoMo, ZaloPay): written with the payment,
//! given the provider's reference once the provider created the order, and recorded
//! once by the first callback (or query answer) that settles it.

use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;

use crate::error::ApiError;
use crate::schema::provider_orders;

/// The failure of a top-up whose provider never called back in time.
pub const ORDER_EXPIRED: &str = "provider_order_expired";

#[derive(Debug, Clone, Queryable, QueryableByName, Selectable, Insertable)]
#[diesel(table_name = provider_orders)]
pub struct ProviderOrderRow {
    pub payment_id: String,
    pub provider: String,
    pub provider_reference: Option<String>,
    pub redirect_url: Option<String>,
    pub amount: i64,
    pub created_at: DateTime<Utc>,
    pub recorded_at: Option<DateTime<Utc>>,
    pub provider_transaction_id: Option<String>,
    pub result_code: Option<String>,
    /// How many times the provider was asked about the order.
    pub queries: i32,
}

/// The first question about a late order waits this long; each next one twice as long.
const FIRST_QUERY_AFTER_SECONDS: i64 = 10;

impl ProviderOrderRow {
    /// Whether it is time to ask the provider about the order again: 10 s after it
    /// was created, then 20 s, 40 s, ... up to about 10 minutes apart.
    pub fn query_due(&self, now: DateTime<Utc>) -> bool {
        let wait = FIRST_QUERY_AFTER_SECONDS << self.queries.clamp(0, 6);
        self.provider_reference.is_some()
            && self.recorded_at.is_none()
            && now - self.created_at >= chrono::Duration::seconds(wait)
    }

    /// Whether the payer has had the provider's page longer than `ttl_seconds`.
    pub fn lapsed(&self, now: DateTime<Utc>, ttl_seconds: u64) -> bool {
        let ttl = i64::try_from(ttl_seconds).unwrap_or(i64::MAX / 2);
        self.provider_reference.is_some() && now - self.created_at > chrono::Duration::seconds(ttl)
    }
}

pub fn find_for_payment(
    conn: &mut PgConnection,
    payment_id: &str,
) -> Result<Option<ProviderOrderRow>, ApiError> {
    Ok(provider_orders::table
        .find(payment_id)
        .select(ProviderOrderRow::as_select())
        .first(conn)
        .optional()?)
}

/// The order a provider's callback names by its reference.
pub fn find_by_reference(
    conn: &mut PgConnection,
    provider: &str,
    reference: &str,
) -> Result<Option<ProviderOrderRow>, ApiError> {
    Ok(provider_orders::table
        .filter(provider_orders::provider.eq(provider))
        .filter(provider_orders::provider_reference.eq(reference))
        .select(ProviderOrderRow::as_select())
        .first(conn)
        .optional()?)
}
