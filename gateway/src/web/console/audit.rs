//! The console's audit trail: every action taken in it (signing in or out, verifying
//! the ledger, onboarding a merchant, re-delivering a webhook, running reconciliation,
//! resolving a difference) is recorded with what it was about and when, never with a
//! secret. Records are only ever added.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::sessions::ConsoleSession;
use crate::db;
use crate::error::ApiError;
use crate::schema::console_audit as audit;
use crate::state::AppState;

/// What was done in the console.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    SignIn,
    SignInRefused,
    SignOut,
    LedgerVerify,
    MerchantOnboard,
    WebhookRedeliver,
    ReconciliationRun,
    ReconciliationResolve,
}

impl Action {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::SignIn => "sign_in",
            Self::SignInRefused => "sign_in_refused",
            Self::SignOut => "sign_out",
            Self::LedgerVerify => "ledger.verify",
            Self::MerchantOnboard => "merchant.onboard",
            Self::WebhookRedeliver => "webhook.redeliver",
            Self::ReconciliationRun => "reconciliation.run",
            Self::ReconciliationResolve => "reconciliation.resolve",
        }
    }
}

/// One record of the trail.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = audit)]
pub struct AuditRow {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub action: String,
    pub subject: Option<String>,
    pub detail: Option<String>,
    pub session: Option<String>,
}

/// Records an action.
pub async fn record(
    state: &AppState,
    action: Action,
    subject: Option<&str>,
    detail: Option<&str>,
    session: Option<&ConsoleSession>,
) -> Result<(), ApiError> {
    let subject = subject.map(str::to_string);
    let detail = detail.map(|d| d.chars().take(500).collect::<String>());
    let session = session.map(ConsoleSession::audit_name);
    tracing::info!(action = action.as_str(), subject = ?subject, "console action");
    db::run(state, move |conn| {
        diesel::insert_into(audit::table)
            .values((
                audit::at.eq(Utc::now()),
                audit::action.eq(action.as_str()),
                audit::subject.eq(subject),
                audit::detail.eq(detail),
                audit::session.eq(session),
            ))
            .execute(conn)?;
        Ok(())
    })
    .await
}

/// The latest records, newest first.
pub async fn recent(state: &AppState, limit: i64) -> Result<Vec<AuditRow>, ApiError> {
    db::run(state, move |conn| {
        Ok(audit::table
            .order(audit::id.desc())
            .limit(limit)
            .select(AuditRow::as_select())
            .load(conn)?)
    })
    .await
}
