//! Single-use markers that guard money: a VNeID assertion's `jti`, a merchant request's
//! nonce. Spent in PostgreSQL, so a marker stays spent through any Redis restart for
//! as long as what it marks could be presented again.

use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{Text, Timestamptz};

use crate::error::ApiError;
use crate::schema::replay_markers;

#[derive(QueryableByName)]
struct Spent {
    #[diesel(sql_type = Text)]
    #[allow(dead_code)]
    marker: String,
}

/// Spends `marker` until `expires_at`; false when it was spent already (and has not
/// expired since).
pub fn spend(
    conn: &mut PgConnection,
    marker: &str,
    expires_at: DateTime<Utc>,
) -> Result<bool, ApiError> {
    let fresh: Option<Spent> = diesel::sql_query(
        "INSERT INTO replay_markers (marker, expires_at) VALUES ($1, $2) \
         ON CONFLICT (marker) DO UPDATE SET expires_at = EXCLUDED.expires_at \
         WHERE replay_markers.expires_at <= now() RETURNING marker",
    )
    .bind::<Text, _>(marker)
    .bind::<Timestamptz, _>(expires_at)
    .get_result(conn)
    .optional()?;
    Ok(fresh.is_some())
}

/// Forgets markers that can no longer be presented.
pub fn prune(conn: &mut PgConnection, now: DateTime<Utc>) -> Result<usize, ApiError> {
    Ok(
        diesel::delete(replay_markers::table.filter(replay_markers::expires_at.le(now)))
            .execute(conn)?,
    )
}
