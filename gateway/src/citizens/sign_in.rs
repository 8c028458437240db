//! Signing a citizen in: a VNeID assertion accepted once, the identity and its wallet
//! created on first sight (updated after), and a session issued. `POST /v1/sessions`
//! and the hosted checkout's demo wallet both sign in through here.

use actix_web::web;
use chrono::{DateTime, Utc};

use super::identity::{self, IdentityRow};
use super::sessions::{self, SessionClaims};
use crate::chart::VND;
use crate::db;
use crate::error::ApiError;
use crate::state::AppState;

/// A signed-in citizen.
#[derive(Debug)]
pub struct SignedIn {
    pub access_token: String,
    pub expires_at: DateTime<Utc>,
    pub identity: IdentityRow,
    pub claims: SessionClaims,
}

/// Accepts `assertion` and opens a session for its citizen.
pub async fn sign_in(
    state: &AppState,
    assertion: &str,
    now: DateTime<Utc>,
) -> Result<SignedIn, ApiError> {
    let verified = sessions::accept_assertion(state, assertion, now).await?;
    // The device the assertion was made on, when VNeID says: a first movement of money
    // from a device never used before needs a step-up (Decision 2345).
    let device_id = verified
        .claims
        .device_id
        .clone()
        .filter(|d| !d.is_empty() && d.len() <= 128);

    // The citizen's ids carry the vshard of their CCCD, and they live on its shard.
    let vshard = crate::homes::vshard_of_cccd(verified.cccd.expose());
    let state = &state.at_home(state.shard_of_cccd(verified.cccd.expose()));
    let identity_id = crate::homes::new_identity_id(vshard);
    let wallet_public =
        crate::ids::encode(crate::ids::ACCOUNT, crate::homes::new_wallet_id(vshard));
    let row = db::run(state, move |conn| {
        identity::upsert(conn, &verified, &identity_id, &wallet_public, now)
    })
    .await?;
    super::directory::record(state, &row.id, &row.phone).await?;
    // Created on first sight: the wallet may not exceed what it holds. Creating it again
    // for a returning citizen answers `exists`, which is as good as created. No balance
    // history: a wallet's statement is its entries, and a snapshot of both wallets on
    // every transfer would double what a payment writes to the ledger.
    let wallet_id = row.wallet_ledger_id()?;
    let account = ledger::Account::new(
        wallet_id,
        VND,
        crate::chart::AccountKind::CitizenWallet.code(),
        ledger::AccountFlags::DEBITS_MUST_NOT_EXCEED_CREDITS,
    );
    let ledger = state.ledger.clone();
    let result = web::block(move || ledger.create_accounts(&[account])).await??;
    if !matches!(
        result.first(),
        Some(ledger::CreateAccountResult::Ok | ledger::CreateAccountResult::Exists)
    ) {
        return Err(ApiError::Internal(format!(
            "wallet not created: {result:?}"
        )));
    }
    let claims = SessionClaims {
        identity_id: row.id.clone(),
        vneid_level: row.vneid_level,
        wallet: wallet_id.to_string(),
        device_id,
    };
    let (access_token, expires_at) = sessions::issue(state, claims.clone(), now).await?;
    Ok(SignedIn {
        access_token,
        expires_at,
        identity: row,
        claims,
    })
}
