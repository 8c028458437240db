//! Bank links: a citizen's own bank accounts, checked with the bank to be held by the
//! same person (an e-wallet may only be linked to its holder's account).

use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::schema::bank_links;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = bank_links)]
pub struct BankLinkRow {
    pub id: String,
    pub identity_id: String,
    pub bank_bin: String,
    pub account_number: String,
    pub bank_name: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BankLinkView {
    #[schema(example = "lnk_...")]
    pub id: String,
    #[schema(example = "970436")]
    pub bank_bin: String,
    #[schema(example = "Vietcombank")]
    pub bank_name: String,
    #[schema(example = "******6789")]
    pub account_number_masked: String,
}

impl BankLinkRow {
    pub fn view(&self) -> BankLinkView {
        BankLinkView {
            id: self.id.clone(),
            bank_bin: self.bank_bin.clone(),
            bank_name: self.bank_name.clone(),
            account_number_masked: adapters::bank::mask_account_number(&self.account_number),
        }
    }
}

/// Stores the link, or returns the one the citizen already has for that account.
pub fn create(conn: &mut PgConnection, row: &BankLinkRow) -> Result<BankLinkRow, ApiError> {
    diesel::insert_into(bank_links::table)
        .values(row)
        .on_conflict_do_nothing()
        .execute(conn)?;
    Ok(bank_links::table
        .filter(bank_links::identity_id.eq(&row.identity_id))
        .filter(bank_links::bank_bin.eq(&row.bank_bin))
        .filter(bank_links::account_number.eq(&row.account_number))
        .select(BankLinkRow::as_select())
        .first(conn)?)
}

/// The citizen's own link with this id; anyone else's is not found.
pub fn find_own(
    conn: &mut PgConnection,
    identity_id: &str,
    id: &str,
) -> Result<Option<BankLinkRow>, ApiError> {
    Ok(bank_links::table
        .find(id)
        .filter(bank_links::identity_id.eq(identity_id))
        .select(BankLinkRow::as_select())
        .first(conn)
        .optional()?)
}
