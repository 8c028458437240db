//! Payments wherever they live: on every home shard with citizens routed to them, or
//! on the one database. For the operator's views, which look across all of them.

use super::model::PaymentRow;
use super::store::{self, PaymentFilter};
use crate::db;
use crate::error::ApiError;
use crate::state::AppState;

/// The payment `id`, and the service on the database that holds it.
pub async fn find(state: &AppState, id: &str) -> Result<Option<(AppState, PaymentRow)>, ApiError> {
    for home in state.everywhere() {
        let wanted = id.to_string();
        if let Some(row) = db::run(&home, move |conn| store::find(conn, &wanted)).await? {
            return Ok(Some((home, row)));
        }
    }
    Ok(None)
}

/// A page of the payments matching `filter` across every database, newest first,
/// after the payment `after` (`Ok(None)` when that is no payment): each database's own
/// page after the same cursor, merged.
pub async fn search(
    state: &AppState,
    filter: &PaymentFilter,
    limit: usize,
    after: Option<&str>,
) -> Result<Option<(Vec<PaymentRow>, bool)>, ApiError> {
    let cursor = match after {
        Some(id) => match find(state, id).await? {
            Some((_, row)) => Some(row),
            None => return Ok(None),
        },
        None => None,
    };
    let (mut found, mut more) = (Vec::new(), false);
    for home in state.everywhere() {
        let (filter, cursor) = (filter.clone(), cursor.clone());
        let (rows, has_more) = db::run(&home, move |conn| {
            store::search(conn, &filter, limit, cursor.as_ref())
        })
        .await?;
        found.extend(rows);
        more |= has_more;
    }
    found.sort_by(|a, b| (b.created_at, &b.id).cmp(&(a.created_at, &a.id)));
    // A database with more than its page, or more rows than one page between them.
    let has_more = more || found.len() > limit;
    found.truncate(limit);
    Ok(Some((found, has_more)))
}
