//! Merchant records: onboarding (ledger account, credentials) and lookup by API key.
//! The credential columns are private to this module and typed on the way in, so only
//! a hash or a sealed secret can ever be written there.

use actix_web::web;
use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use super::secrets::{HashedApiKey, PlaintextApiKey, PlaintextSecret, SealedSecret, SecretBox};
use crate::chart::{AccountKind, VND};
use crate::db;
use crate::error::ApiError;
use crate::schema::merchants;
use crate::state::AppState;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = merchants)]
pub struct MerchantRow {
    pub id: String,
    pub name: String,
    pub tax_code: String,
    pub settlement_bank_bin: String,
    pub settlement_account_number: String,
    pub webhook_url: Option<String>,
    pub ledger_account_id: String,
    api_key_hash: String,
    signing_secret_sealed: String,
    webhook_secret_sealed: String,
    pub created_at: DateTime<Utc>,
    /// What the merchant sells ([`MerchantCategory`]).
    pub category: String,
}

/// What a merchant sells, as far as the monthly caps care: payments to the kinds
/// Circular 40/2024/TT-NHNN art. 26 clause 2(b) lists are essential payments, with a
/// cap of their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MerchantCategory {
    General,
    /// The National Public Service Portal and other public services.
    PublicService,
    /// Electricity and water.
    Utility,
    Telecom,
    /// Road-vehicle fees (tolls, registration).
    VehicleFees,
    /// Schools and universities (tuition).
    Education,
    /// Hospitals and clinics (hospital fees).
    Healthcare,
    /// Insurance premiums.
    Insurance,
    /// Repayments of loans, interest and fees to banks.
    LoanRepayment,
}

impl MerchantCategory {
    pub const ALL: [Self; 9] = [
        Self::General,
        Self::PublicService,
        Self::Utility,
        Self::Telecom,
        Self::VehicleFees,
        Self::Education,
        Self::Healthcare,
        Self::Insurance,
        Self::LoanRepayment,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::General => "general",
            Self::PublicService => "public_service",
            Self::Utility => "utility",
            Self::Telecom => "telecom",
            Self::VehicleFees => "vehicle_fees",
            Self::Education => "education",
            Self::Healthcare => "healthcare",
            Self::Insurance => "insurance",
            Self::LoanRepayment => "loan_repayment",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// Whether payments to such a merchant count toward the essential payments' cap.
    pub const fn is_essential(self) -> bool {
        !matches!(self, Self::General)
    }
}

/// What onboarding is given, validated.
#[derive(Debug, Clone)]
pub struct NewMerchant {
    pub name: String,
    pub tax_code: adapters::identity::TaxCode,
    pub bank_bin: String,
    pub account_number: String,
    pub webhook_url: Option<String>,
    pub category: MerchantCategory,
}

/// The credentials made at onboarding, in the clear for the one response.
#[derive(Debug)]
pub struct Credentials {
    pub api_key: PlaintextApiKey,
    pub signing_secret: PlaintextSecret,
    pub webhook_secret: PlaintextSecret,
}

/// Settlement account as shown: the number masked.
#[derive(Debug, Serialize, ToSchema)]
pub struct SettlementView {
    #[schema(example = "970436")]
    pub bank_bin: String,
    pub bank_name: Option<&'static str>,
    pub account_number_masked: String,
}

/// A merchant as the API shows it: a personal tax code masked.
#[derive(Debug, Serialize, ToSchema)]
pub struct MerchantView {
    #[schema(example = "mer_...")]
    pub id: String,
    pub name: String,
    #[schema(example = "0312345678")]
    pub tax_code: String,
    /// `personal` (a household business), `enterprise` or `dependent_unit`.
    pub tax_code_kind: &'static str,
    pub settlement: SettlementView,
    pub webhook_url: Option<String>,
    /// The merchant's ledger account (`acc_...`): what the gateway owes it.
    pub ledger_account_id: String,
    /// What it sells: every category but `general` makes its payments essential
    /// payments, under their own monthly cap.
    pub category: MerchantCategory,
    pub created_at: DateTime<Utc>,
}

impl MerchantRow {
    fn new(m: &NewMerchant, ledger_account_id: String, keys: SealedCredentials) -> Self {
        Self {
            id: db::new_id("mer_"),
            name: m.name.clone(),
            tax_code: m.tax_code.expose().to_string(),
            settlement_bank_bin: m.bank_bin.clone(),
            settlement_account_number: m.account_number.clone(),
            webhook_url: m.webhook_url.clone(),
            ledger_account_id,
            api_key_hash: keys.api_key.as_str().to_string(),
            signing_secret_sealed: keys.signing.as_str().to_string(),
            webhook_secret_sealed: keys.webhook.as_str().to_string(),
            created_at: Utc::now(),
            category: m.category.as_str().to_string(),
        }
    }

    pub fn category(&self) -> MerchantCategory {
        MerchantCategory::parse(&self.category).unwrap_or(MerchantCategory::General)
    }

    /// Whether payments to the merchant are essential payments.
    pub fn is_essential(&self) -> bool {
        self.category().is_essential()
    }

    pub fn signing_secret(&self) -> SealedSecret {
        SealedSecret::from_stored(self.signing_secret_sealed.clone())
    }

    pub fn webhook_secret(&self) -> SealedSecret {
        SealedSecret::from_stored(self.webhook_secret_sealed.clone())
    }

    pub fn ledger_id(&self) -> Result<u128, ApiError> {
        crate::ids::decode("account", crate::ids::ACCOUNT, &self.ledger_account_id)
            .map_err(|_| ApiError::Internal("stored merchant account id is malformed".into()))
    }

    pub fn view(&self) -> MerchantView {
        let (tax_code, kind) = shown_tax_code(&self.tax_code);
        MerchantView {
            id: self.id.clone(),
            name: self.name.clone(),
            tax_code,
            tax_code_kind: kind,
            settlement: SettlementView {
                bank_bin: self.settlement_bank_bin.clone(),
                bank_name: adapters::bank::bank_name(&self.settlement_bank_bin),
                account_number_masked: adapters::bank::mask_account_number(
                    &self.settlement_account_number,
                ),
            },
            webhook_url: self.webhook_url.clone(),
            ledger_account_id: self.ledger_account_id.clone(),
            category: self.category(),
            created_at: self.created_at,
        }
    }
}

struct SealedCredentials {
    api_key: HashedApiKey,
    signing: SealedSecret,
    webhook: SealedSecret,
}

pub fn secret_box(state: &AppState) -> Result<SecretBox, ApiError> {
    SecretBox::new(&state.config.merchant_secrets_key)
        .map_err(|e| ApiError::Internal(format!("merchant secrets key: {e}")))
}

/// Onboards a merchant: its ledger account, its credentials, its record.
pub async fn create(
    state: &AppState,
    new: NewMerchant,
) -> Result<(MerchantRow, Credentials), ApiError> {
    let credentials = Credentials {
        api_key: PlaintextApiKey::generate(),
        signing_secret: PlaintextSecret::generate("sig_"),
        webhook_secret: PlaintextSecret::generate("whsec_"),
    };
    let sealer = secret_box(state)?;
    let seal = |s: &PlaintextSecret| {
        sealer
            .seal(s)
            .map_err(|e| ApiError::Internal(e.to_string()))
    };
    let sealed = SealedCredentials {
        api_key: credentials.api_key.hash(),
        signing: seal(&credentials.signing_secret)?,
        webhook: seal(&credentials.webhook_secret)?,
    };
    // Random with bit 63 set, like wallets, so it never meets a system account's id.
    let account_id = u128::from(rand::random::<u64>() | 1 << 63);
    let row = MerchantRow::new(
        &new,
        crate::ids::encode(crate::ids::ACCOUNT, account_id),
        sealed,
    );
    // With citizens on home shards, every shard keeps the merchant's record and an
    // account of its own for it, which that shard's payers pay into; the catalog
    // registers it, naming its account on its own shard. The shards' are made before
    // the record its API key is found by, so a merchant that can sign in is on every
    // shard.
    if let Some(homes) = &state.homes {
        let own = state.shard_of_merchant(&row.id);
        let mut registered = row.clone();
        for (shard, home) in (0u16..).zip(&homes.shards) {
            let vshard = homes
                .map
                .assignment()
                .iter()
                .position(|&s| s == shard)
                .and_then(|v| u16::try_from(v).ok())
                .ok_or_else(|| ApiError::Internal(format!("shard {shard} holds no vshard")))?;
            let low = u128::from(rand::random::<u64>() | 1 << 63);
            let account = ledger::shards::map::account_id(vshard, low);
            let mut copy = row.clone();
            copy.ledger_account_id = crate::ids::encode(crate::ids::ACCOUNT, account);
            if shard == own {
                registered = copy.clone();
            }
            open_account(&home.ledger, account).await?;
            insert(&home.ledger, copy).await?;
        }
        insert(&homes.catalog, registered.clone()).await?;
        return Ok((registered, credentials));
    }
    open_account(&state.ledger, account_id).await?;
    insert(&state.ledger, row.clone()).await?;
    Ok((row, credentials))
}

/// A merchant's account in `database`'s ledger.
async fn open_account(database: &ledger::PgLedger, account_id: u128) -> Result<(), ApiError> {
    let account = ledger::Account::new(
        account_id,
        VND,
        AccountKind::Merchant.code(),
        // A refund can never take back more than the merchant was paid.
        ledger::AccountFlags::DEBITS_MUST_NOT_EXCEED_CREDITS | ledger::AccountFlags::HISTORY,
    );
    let ledger = database.clone();
    let result = web::block(move || ledger.create_accounts(&[account])).await??;
    if !matches!(result.first(), Some(ledger::CreateAccountResult::Ok)) {
        return Err(ApiError::Internal(format!(
            "merchant account not created: {result:?}"
        )));
    }
    Ok(())
}

/// The merchant's record in `database`.
async fn insert(database: &ledger::PgLedger, row: MerchantRow) -> Result<(), ApiError> {
    db::run_on(database, move |conn| {
        diesel::insert_into(merchants::table)
            .values(&row)
            .execute(conn)?;
        Ok(())
    })
    .await
}

pub fn find(conn: &mut PgConnection, id: &str) -> Result<Option<MerchantRow>, ApiError> {
    Ok(merchants::table
        .find(id)
        .select(MerchantRow::as_select())
        .first(conn)
        .optional()?)
}

/// A page of merchants, newest first, after the merchant `starting_after` if given.
pub fn list(
    conn: &mut PgConnection,
    limit: usize,
    starting_after: Option<&MerchantRow>,
) -> Result<(Vec<MerchantRow>, bool), ApiError> {
    let mut query = merchants::table
        .order((merchants::created_at.desc(), merchants::id.desc()))
        .limit(i64::try_from(limit + 1).unwrap_or(101))
        .select(MerchantRow::as_select())
        .into_boxed();
    if let Some(cursor) = starting_after {
        query = query.filter(
            merchants::created_at
                .lt(cursor.created_at)
                .or(merchants::created_at
                    .eq(cursor.created_at)
                    .and(merchants::id.lt(cursor.id.clone()))),
        );
    }
    let mut rows = query.load(conn)?;
    let has_more = rows.len() > limit;
    rows.truncate(limit);
    Ok((rows, has_more))
}

/// The merchant an API key belongs to, if any.
pub async fn find_by_api_key(
    state: &AppState,
    key: PlaintextApiKey,
) -> Result<Option<String>, ApiError> {
    let hash = key.hash();
    let found = db::run_on(state.registry(), move |conn| {
        Ok(merchants::table
            .filter(merchants::api_key_hash.eq(hash.as_str()))
            .select((merchants::id, merchants::api_key_hash))
            .first::<(String, String)>(conn)
            .optional()?)
    })
    .await?;
    Ok(found.and_then(|(id, stored)| {
        HashedApiKey::from_stored(stored)
            .matches(&key)
            .then_some(id)
    }))
}

/// A merchant's signing secret, opened for checking one request.
pub fn open_secret(state: &AppState, sealed: &SealedSecret) -> Result<PlaintextSecret, ApiError> {
    secret_box(state)?
        .open(sealed)
        .map_err(|e| ApiError::Internal(format!("merchant secret: {e}")))
}

/// A tax code as responses show it, and its kind: a household business's code is its
/// owner's personal identification number, so it is masked like any CCCD number.
pub fn shown_tax_code(tax_code: &str) -> (String, &'static str) {
    match tax_code.len() {
        12 => (adapters::identity::mask_cccd(tax_code), "personal"),
        10 => (tax_code.to_string(), "enterprise"),
        _ => (tax_code.to_string(), "dependent_unit"),
    }
}
