//! Finding a transfer's payee when citizens live on home shards. A CCCD names its
//! shard (its vshard is in the map); a phone number does not, so it is looked up on
//! every shard, and a number two citizens share is ambiguous wherever they live.
//! A payee on the payer's own shard is left for the group commit to find, exactly as
//! on one database; one elsewhere is named by identity id.

use diesel::prelude::*;

use crate::commit::PayeeRef;
use crate::db;
use crate::error::ApiError;
use crate::schema::identities;
use crate::state::AppState;

/// How the payer's shard should name the payee.
pub async fn route_payee(
    state: &AppState,
    payer_shard: u16,
    payee: PayeeRef,
) -> Result<PayeeRef, ApiError> {
    match payee {
        PayeeRef::Cccd(cccd) => {
            let shard = state.shard_of_cccd(&cccd);
            if shard == payer_shard {
                return Ok(PayeeRef::Cccd(cccd));
            }
            let found = db::run(&state.at_home(shard), move |conn| {
                Ok(identities::table
                    .filter(identities::cccd.eq(&cccd))
                    .select(identities::id)
                    .first::<String>(conn)
                    .optional()?)
            })
            .await?;
            found
                .map(|identity_id| PayeeRef::Remote { identity_id })
                .ok_or(ApiError::PayeeNotFound)
        }
        PayeeRef::Phone(phone) => {
            let shards = state.homes.as_ref().map_or(1, |h| h.shards.len());
            let mut holders = Vec::new();
            for shard in (0u16..).take(shards) {
                let number = phone.clone();
                let ids: Vec<String> = db::run(&state.at_home(shard), move |conn| {
                    Ok(identities::table
                        .filter(identities::phone.eq(&number))
                        .select(identities::id)
                        .limit(2)
                        .load(conn)?)
                })
                .await?;
                holders.extend(ids.into_iter().map(|id| (shard, id)));
            }
            match holders.as_slice() {
                [(shard, identity_id)] if *shard != payer_shard => Ok(PayeeRef::Remote {
                    identity_id: identity_id.clone(),
                }),
                [_, _, ..] => Err(ApiError::PayeePhoneAmbiguous),
                _ => Ok(PayeeRef::Phone(phone)),
            }
        }
        remote @ PayeeRef::Remote { .. } => Ok(remote),
    }
}
