//! Merchants in the console: the list, onboarding (the same validation and the same
//! `store::create` as `POST /v1/admin/merchants`, the secrets shown once), one
//! merchant's webhook deliveries with their attempts and last error, and re-delivery
//! of one event through the outbox.

use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::Utc;
use serde::Deserialize;
use serde_json::json;

use super::audit::{self, Action};
use super::{operator, Chrome, Operator};
use crate::db;
use crate::error::ApiError;
use crate::merchants::store::{self, MerchantCategory, MerchantRow};
use crate::merchants::webhooks;
use crate::routes::merchants::parse_new_merchant;
use crate::state::AppState;
use crate::web::format::vietnam_time;
use crate::web::page::{render, see_other, Audience, PageError};

const PAGE: usize = 25;

/// One merchant as listed (its tax code masked when it is a CCCD number).
pub struct MerchantLine {
    pub id: String,
    pub name: String,
    pub tax_code: String,
    pub tax_code_kind: &'static str,
    pub category: &'static str,
    pub ledger_account_id: String,
    pub settlement: String,
    pub webhook_url: String,
    pub created_at: String,
}

fn line(row: &MerchantRow) -> MerchantLine {
    let view = row.view();
    MerchantLine {
        id: view.id,
        name: view.name,
        tax_code: view.tax_code,
        tax_code_kind: view.tax_code_kind,
        category: view.category.as_str(),
        ledger_account_id: view.ledger_account_id,
        settlement: format!(
            "{} {}",
            view.settlement.bank_name.unwrap_or(""),
            view.settlement.account_number_masked
        ),
        webhook_url: view.webhook_url.unwrap_or_default(),
        created_at: vietnam_time(view.created_at),
    }
}

/// What the onboarding form was given, to show again when it is refused.
#[derive(Deserialize, Default, Clone)]
pub struct OnboardForm {
    csrf: Option<String>,
    name: Option<String>,
    tax_code: Option<String>,
    bank_bin: Option<String>,
    account_number: Option<String>,
    webhook_url: Option<String>,
    category: Option<String>,
}

#[derive(Template)]
#[template(path = "console/merchants.html")]
struct ListPage {
    chrome: Chrome,
    lines: Vec<MerchantLine>,
    next: Option<String>,
    categories: Vec<&'static str>,
    form: FormValues,
    error: Option<String>,
}

/// The onboarding form's fields as last typed.
#[derive(Default)]
pub struct FormValues {
    pub name: String,
    pub tax_code: String,
    pub bank_bin: String,
    pub account_number: String,
    pub webhook_url: String,
    pub category: String,
}

impl FormValues {
    fn of(f: &OnboardForm) -> Self {
        let v = |o: &Option<String>| o.clone().unwrap_or_default();
        Self {
            name: v(&f.name),
            tax_code: v(&f.tax_code),
            bank_bin: v(&f.bank_bin),
            account_number: v(&f.account_number),
            webhook_url: v(&f.webhook_url),
            category: v(&f.category),
        }
    }
}

#[derive(Deserialize)]
pub struct ListQuery {
    after: Option<String>,
}

async fn list_page(
    state: &AppState,
    operator: &Operator,
    after: Option<String>,
    form: FormValues,
    error: Option<String>,
) -> Result<ListPage, ApiError> {
    let (rows, has_more) = db::run_on(state.registry(), move |conn| {
        let cursor = match after {
            Some(a) => store::find(conn, &a)?,
            None => None,
        };
        store::list(conn, PAGE, cursor.as_ref())
    })
    .await?;
    Ok(ListPage {
        chrome: operator.chrome("merchants"),
        next: rows
            .last()
            .filter(|_| has_more)
            .map(|m| format!("/console/merchants?after={}", m.id)),
        lines: rows.iter().map(line).collect(),
        categories: MerchantCategory::ALL.iter().map(|c| c.as_str()).collect(),
        form,
        error,
    })
}

#[get("/console/merchants")]
pub async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, PageError> {
    let operator = operator(&req, &state).await?;
    let after = query.after.clone().filter(|a| !a.is_empty());
    let page = list_page(&state, &operator, after, FormValues::default(), None).await?;
    Ok(render(StatusCode::OK, Audience::Operator, &page)?)
}

#[derive(Template)]
#[template(path = "console/onboarded.html")]
struct OnboardedPage {
    chrome: Chrome,
    merchant: MerchantLine,
    api_key: String,
    signing_secret: String,
    webhook_secret: String,
}

/// Onboards a merchant from the form and shows its secrets, this once.
#[post("/console/merchants")]
pub async fn onboard(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<OnboardForm>,
) -> Result<HttpResponse, PageError> {
    let operator = operator(&req, &state).await?;
    operator.check_csrf(form.csrf.as_deref())?;
    let f = form.into_inner();
    let optional = |o: &Option<String>| o.clone().filter(|v| !v.trim().is_empty());
    // The same input as the API's: the form's fields, as its JSON body has them.
    let body = json!({
        "name": f.name.clone().unwrap_or_default(),
        "tax_code": f.tax_code.clone().unwrap_or_default(),
        "settlement": {
            "bank_bin": f.bank_bin.clone().unwrap_or_default(),
            "account_number": f.account_number.clone().unwrap_or_default(),
        },
        "webhook_url": optional(&f.webhook_url),
        "category": optional(&f.category),
    });
    let new = match parse_new_merchant(
        body.to_string().as_bytes(),
        state.config.webhook_allow_private,
    ) {
        Ok(new) => new,
        Err(e) => {
            let page = list_page(
                &state,
                &operator,
                None,
                FormValues::of(&f),
                Some(e.to_string()),
            )
            .await?;
            return Ok(render(e.status_and_code().0, Audience::Operator, &page)?);
        }
    };
    let (row, credentials) = store::create(&state, new).await?;
    audit::record(
        &state,
        Action::MerchantOnboard,
        Some(&row.id),
        Some(&row.name),
        Some(&operator.session),
    )
    .await?;
    let page = OnboardedPage {
        chrome: operator.chrome("merchants"),
        merchant: line(&row),
        api_key: credentials.api_key.reveal_once(),
        signing_secret: credentials.signing_secret.reveal_once(),
        webhook_secret: credentials.webhook_secret.reveal_once(),
    };
    Ok(render(StatusCode::CREATED, Audience::Operator, &page)?)
}

/// One webhook event and how its delivery went.
pub struct DeliveryLine {
    pub id: String,
    pub event_type: String,
    pub created_at: String,
    pub attempts: i32,
    pub delivered_at: String,
    pub next_attempt_at: String,
    pub last_error: String,
}

#[derive(Template)]
#[template(path = "console/merchant.html")]
struct MerchantPage {
    chrome: Chrome,
    merchant: MerchantLine,
    deliveries: Vec<DeliveryLine>,
    redelivered: Option<String>,
}

#[derive(Deserialize)]
pub struct MerchantQuery {
    redelivered: Option<String>,
}

#[get("/console/merchants/{id}")]
pub async fn detail(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<MerchantQuery>,
) -> Result<HttpResponse, PageError> {
    let operator = operator(&req, &state).await?;
    let id = path.into_inner();
    let merchant = db::run_on(state.registry(), move |conn| store::find(conn, &id))
        .await?
        .ok_or(ApiError::NotFound("merchant"))?;
    // Each home shard sends the webhooks of the payments made there.
    let mut deliveries = Vec::new();
    for home in state.everywhere() {
        let id = merchant.id.clone();
        deliveries.extend(db::run(&home, move |conn| webhooks::deliveries(conn, &id, 50)).await?);
    }
    deliveries.sort_by(|a, b| (b.created_at, &b.id).cmp(&(a.created_at, &a.id)));
    deliveries.truncate(50);
    let page = MerchantPage {
        chrome: operator.chrome("merchants"),
        merchant: line(&merchant),
        deliveries: deliveries
            .into_iter()
            .map(|d| DeliveryLine {
                id: d.id,
                event_type: d.event_type,
                created_at: vietnam_time(d.created_at),
                attempts: d.attempts,
                delivered_at: d.delivered_at.map(vietnam_time).unwrap_or_default(),
                next_attempt_at: if d.delivered_at.is_some() {
                    String::new()
                } else {
                    vietnam_time(d.next_attempt_at)
                },
                last_error: d.last_error.unwrap_or_default(),
            })
            .collect(),
        redelivered: query.redelivered.clone().filter(|e| e.starts_with("evt_")),
    };
    Ok(render(StatusCode::OK, Audience::Operator, &page)?)
}

#[derive(Deserialize)]
pub struct CsrfForm {
    csrf: Option<String>,
}

/// Puts one event back in the outbox, due now.
#[post("/console/merchants/{id}/webhooks/{event}/redeliver")]
pub async fn redeliver(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, PageError> {
    let operator = operator(&req, &state).await?;
    operator.check_csrf(form.csrf.as_deref())?;
    let (merchant_id, event_id) = path.into_inner();
    let mut found = false;
    for home in state.everywhere() {
        let (m, e) = (merchant_id.clone(), event_id.clone());
        found = db::run(&home, move |conn| {
            webhooks::redeliver(conn, &m, &e, Utc::now())
        })
        .await?;
        if found {
            break;
        }
    }
    if !found {
        return Err(ApiError::NotFound("webhook event").into());
    }
    audit::record(
        &state,
        Action::WebhookRedeliver,
        Some(&event_id),
        Some(&merchant_id),
        Some(&operator.session),
    )
    .await?;
    Ok(see_other(&format!(
        "/console/merchants/{merchant_id}?redelivered={event_id}"
    )))
}
