//! Finding a transfer's payee when citizens live on home shards. A CCCD names its
//! shard (its vshard is in the map); a phone number does not, so the catalog keeps a
//! directory from numbers to identity ids (whose vshard names the shard), written at
//! every sign-in, and a number two citizens share is ambiguous wherever they live.

use diesel::prelude::*;

use crate::db;
use crate::error::ApiError;
use crate::schema::{identities, phone_directory};
use crate::state::AppState;

/// The identity with this CCCD on home shard `shard`, if there is one.
pub async fn identity_on(
    state: &AppState,
    shard: u16,
    cccd: String,
) -> Result<Option<String>, ApiError> {
    db::run(&state.at_home(shard), move |conn| {
        Ok(identities::table
            .filter(identities::cccd.eq(&cccd))
            .select(identities::id)
            .first::<String>(conn)
            .optional()?)
    })
    .await
}

/// Up to two identities the catalog's directory has for this number (two is enough
/// to know it is shared). None without home shards: one database finds its own.
pub async fn holders_of(state: &AppState, phone: String) -> Result<Option<Vec<String>>, ApiError> {
    let Some(homes) = state.homes.as_ref() else {
        return Ok(None);
    };
    db::run_on(&homes.catalog, move |conn| {
        Ok(phone_directory::table
            .filter(phone_directory::phone.eq(&phone))
            .select(phone_directory::identity_id)
            .limit(2)
            .load(conn)?)
    })
    .await
    .map(Some)
}

/// Writes the citizen's number into the catalog's directory (a changed number replaces
/// the old one). Nothing to do without home shards.
pub async fn record(state: &AppState, identity_id: &str, phone: &str) -> Result<(), ApiError> {
    let Some(homes) = state.homes.as_ref() else {
        return Ok(());
    };
    let (identity_id, phone) = (identity_id.to_string(), phone.to_string());
    db::run_on(&homes.catalog, move |conn| {
        diesel::insert_into(phone_directory::table)
            .values((
                phone_directory::identity_id.eq(&identity_id),
                phone_directory::phone.eq(&phone),
            ))
            .on_conflict(phone_directory::identity_id)
            .do_update()
            .set(phone_directory::phone.eq(&phone))
            .execute(conn)?;
        Ok(())
    })
    .await
}
