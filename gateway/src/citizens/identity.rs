//! Identities: one per CCCD number, created with its wallet on first sight.

use adapters::identity::{Cccd, Gender};
use adapters::vneid::VerifiedAssertion;
use chrono::{DateTime, NaiveDate, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::schema::identities;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = identities)]
pub struct IdentityRow {
    pub id: String,
    pub cccd: String,
    pub full_name: String,
    pub birth_date: NaiveDate,
    pub phone: String,
    pub vneid_level: i16,
    pub wallet_account_id: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Province {
    #[schema(example = "001")]
    pub code: String,
    #[schema(example = "Hà Nội")]
    pub name: String,
}

/// A citizen as the API shows them: the CCCD number masked.
#[derive(Debug, Serialize, ToSchema)]
pub struct IdentityView {
    #[schema(example = "idn_8a3k2...")]
    pub id: String,
    #[schema(example = "001******345")]
    pub cccd: String,
    pub full_name: String,
    pub birth_date: NaiveDate,
    /// `male` or `female`, from the number's century-and-gender digit.
    #[schema(example = "male")]
    pub gender: &'static str,
    pub birth_registration_province: Province,
    pub vneid_level: i16,
    pub wallet_account_id: String,
}

impl IdentityRow {
    /// The stored number as a `Cccd` (validated again: it was valid when stored, but
    /// the birth-year check depends on today's date, so only structure is re-checked).
    pub fn cccd(&self) -> Option<Cccd> {
        Cccd::parse(&self.cccd).ok()
    }

    pub fn view(&self) -> IdentityView {
        let parsed = self.cccd();
        IdentityView {
            id: self.id.clone(),
            cccd: adapters::identity::mask_cccd(&self.cccd),
            full_name: self.full_name.clone(),
            birth_date: self.birth_date,
            gender: match parsed.as_ref().map(Cccd::gender) {
                Some(Gender::Female) => "female",
                _ => "male",
            },
            birth_registration_province: Province {
                code: self.cccd.chars().take(3).collect(),
                name: parsed
                    .as_ref()
                    .map(|c| c.province().name().to_string())
                    .unwrap_or_default(),
            },
            vneid_level: self.vneid_level,
            wallet_account_id: self.wallet_account_id.clone(),
        }
    }

    pub fn wallet_ledger_id(&self) -> Result<u128, ApiError> {
        crate::ids::decode("account", crate::ids::ACCOUNT, &self.wallet_account_id)
            .map_err(|_| ApiError::Internal("stored wallet id is malformed".into()))
    }
}

pub fn find(conn: &mut PgConnection, id: &str) -> Result<Option<IdentityRow>, ApiError> {
    Ok(identities::table
        .find(id)
        .select(IdentityRow::as_select())
        .first(conn)
        .optional()?)
}

/// The identities with these ids that exist here.
pub fn find_many(conn: &mut PgConnection, ids: &[String]) -> Result<Vec<IdentityRow>, ApiError> {
    Ok(identities::table
        .filter(identities::id.eq_any(ids))
        .select(IdentityRow::as_select())
        .load(conn)?)
}

/// The new or refreshed identity for a verified assertion: created with the fresh ids
/// given on first sight, its name, phone and level updated later.
pub fn upsert(
    conn: &mut PgConnection,
    assertion: &VerifiedAssertion,
    new_identity_id: &str,
    new_wallet_account_id: &str,
    now: DateTime<Utc>,
) -> Result<IdentityRow, ApiError> {
    let row = IdentityRow {
        id: new_identity_id.to_string(),
        cccd: assertion.cccd.expose().to_string(),
        full_name: assertion.claims.name.clone(),
        birth_date: assertion.birth_date,
        phone: assertion.claims.phone.clone(),
        vneid_level: i16::from(assertion.claims.level),
        wallet_account_id: new_wallet_account_id.to_string(),
        created_at: now,
        updated_at: now,
    };
    let stored: IdentityRow = diesel::insert_into(identities::table)
        .values(&row)
        .on_conflict(identities::cccd)
        .do_update()
        .set((
            identities::full_name.eq(&row.full_name),
            identities::phone.eq(&row.phone),
            identities::vneid_level.eq(row.vneid_level),
            identities::updated_at.eq(now),
        ))
        .returning(IdentityRow::as_returning())
        .get_result(conn)?;
    // The running totals the rules read start with the identity.
    let today = crate::rules::vietnam_date(now);
    diesel::insert_into(crate::schema::identity_usage::table)
        .values((
            crate::schema::identity_usage::identity_id.eq(&stored.id),
            crate::schema::identity_usage::day.eq(today),
            crate::schema::identity_usage::day_total.eq(0),
            crate::schema::identity_usage::month.eq(crate::rules::month_of(today)),
            crate::schema::identity_usage::month_general.eq(0),
            crate::schema::identity_usage::month_essential.eq(0),
        ))
        .on_conflict_do_nothing()
        .execute(conn)?;
    Ok(stored)
}
