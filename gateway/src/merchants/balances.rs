//! A merchant's money with citizens on home shards. Each payer pays into the
//! merchant's account on the payer's own shard, so what the merchant is owed is the sum
//! of its accounts over every shard, as a biller's collection is. The merchant's
//! account as the API shows it (the id the catalog registers: its account on its own
//! shard) is that sum.

use actix_web::web;
use diesel::prelude::*;

use crate::chart::AccountKind;
use crate::db;
use crate::error::ApiError;
use crate::schema::merchants;
use crate::state::AppState;

/// `account` as the API shows it: itself, or for a merchant's registered account with
/// citizens on home shards, the balances of the merchant's accounts on every shard.
pub async fn across_shards(
    state: &AppState,
    account: ledger::Account,
) -> Result<ledger::Account, ApiError> {
    let Some(homes) = state.homes.clone() else {
        return Ok(account);
    };
    if AccountKind::from_code(account.code) != Some(AccountKind::Merchant) {
        return Ok(account);
    }
    let shown = crate::ids::encode(crate::ids::ACCOUNT, account.id);
    let Some(merchant) = db::run_on(state.registry(), move |conn| {
        Ok(merchants::table
            .filter(merchants::ledger_account_id.eq(shown))
            .select(merchants::id)
            .first::<String>(conn)
            .optional()?)
    })
    .await?
    else {
        return Ok(account);
    };
    let mut total = ledger::Account {
        debits_pending: 0,
        debits_posted: 0,
        credits_pending: 0,
        credits_posted: 0,
        ..account
    };
    for home in &homes.shards {
        let id = merchant.clone();
        let Some(there) = db::run_on(&home.ledger, move |conn| {
            Ok(merchants::table
                .find(id)
                .select(merchants::ledger_account_id)
                .first::<String>(conn)
                .optional()?)
        })
        .await?
        else {
            continue;
        };
        let id = crate::ids::decode("account", crate::ids::ACCOUNT, &there)
            .map_err(|_| ApiError::Internal("stored merchant account id is malformed".into()))?;
        let ledger = home.ledger.clone();
        let found = web::block(move || ledger.lookup_accounts(&[id]))
            .await
            .map_err(|e| ApiError::Internal(e.to_string()))??;
        for a in found {
            total.debits_pending = total.debits_pending.saturating_add(a.debits_pending);
            total.debits_posted = total.debits_posted.saturating_add(a.debits_posted);
            total.credits_pending = total.credits_pending.saturating_add(a.credits_pending);
            total.credits_posted = total.credits_posted.saturating_add(a.credits_posted);
        }
    }
    Ok(total)
}
