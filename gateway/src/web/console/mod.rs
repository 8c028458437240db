//! The operator console at `/console`: sign-in with the admin token, then payments
//! (search, the stuck list, one payment with its history and ledger transfers), the
//! ledger (trial balance, chain verification, an account's entries), merchants (list,
//! onboarding, webhook deliveries and re-delivery), reconciliation (runs, started by
//! fetching a system's statement or uploading one, and their differences, resolved
//! through the ledger), and the audit trail of what was done here. Every page needs a
//! session; every form carries the session's CSRF token; every action is audited.

pub mod audit;
mod ledger;
mod merchants;
mod payments;
mod reconciliation;
mod sessions;
mod sign_in;

use actix_web::http::StatusCode;
use actix_web::{get, web, HttpRequest, HttpResponse};
use askama::Template;

use self::sessions::ConsoleSession;
use crate::error::ApiError;
use crate::state::AppState;
use crate::web::format::vietnam_time;
use crate::web::page::{render, see_other, Audience, PageError};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(home)
        .service(sign_in::show_form)
        .service(sign_in::submit)
        .service(sign_in::sign_out)
        .service(payments::search)
        .service(payments::stuck)
        .service(payments::detail)
        .service(ledger::overview)
        .service(ledger::verify)
        .service(ledger::find_account_form)
        .service(ledger::account)
        .service(merchants::list)
        .service(merchants::onboard)
        .service(merchants::detail)
        .service(merchants::redeliver)
        .service(reconciliation::list)
        .service(reconciliation::start)
        .service(reconciliation::upload_statement)
        .service(reconciliation::run::show_run)
        .service(reconciliation::run::resolve_difference)
        .service(trail);
}

/// What every console page draws around its content: the navigation (with the active
/// section) and the sign-out form with the session's CSRF token.
pub struct Chrome {
    pub csrf: String,
    pub active: &'static str,
}

/// The signed-in operator.
pub struct Operator {
    pub session: ConsoleSession,
}

impl Operator {
    pub fn chrome(&self, active: &'static str) -> Chrome {
        Chrome {
            csrf: self.session.csrf.clone(),
            active,
        }
    }

    /// Refuses a form without this session's CSRF token (403).
    pub fn check_csrf(&self, candidate: Option<&str>) -> Result<(), PageError> {
        if self.session.csrf_matches(candidate) {
            Ok(())
        } else {
            tracing::warn!("console form refused: missing or wrong CSRF token");
            Err(ApiError::Forbidden.into())
        }
    }
}

/// The operator behind the request's session cookie; without one, the page answers
/// with the way to the sign-in form.
pub async fn operator(req: &HttpRequest, state: &AppState) -> Result<Operator, PageError> {
    let Some(cookie) = req.cookie(sessions::COOKIE) else {
        return Err(PageError::SignInRequired);
    };
    match sessions::find(state, cookie.value()).await? {
        Some(session) => Ok(Operator { session }),
        None => Err(PageError::SignInRequired),
    }
}

#[get("/console")]
async fn home(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, PageError> {
    operator(&req, &state).await?;
    Ok(see_other("/console/payments"))
}

/// One audit record as shown.
pub struct AuditLine {
    pub at: String,
    pub action: String,
    pub subject: String,
    pub detail: String,
    pub session: String,
}

#[derive(Template)]
#[template(path = "console/audit.html")]
struct AuditPage {
    chrome: Chrome,
    lines: Vec<AuditLine>,
}

/// The latest audit records.
#[get("/console/audit")]
async fn trail(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, PageError> {
    let operator = operator(&req, &state).await?;
    let lines = audit::recent(&state, 200)
        .await?
        .into_iter()
        .map(|r| AuditLine {
            at: vietnam_time(r.at),
            action: r.action,
            subject: r.subject.unwrap_or_default(),
            detail: r.detail.unwrap_or_default(),
            session: r.session.unwrap_or_default(),
        })
        .collect();
    let page = AuditPage {
        chrome: operator.chrome("audit"),
        lines,
    };
    Ok(render(StatusCode::OK, Audience::Operator, &page)?)
}
