//! The citizen's own resources: profile with wallet and usage, bank links, top-ups,
//! withdrawals and the list of payments.

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use chrono::Utc;
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

use crate::citizens::bank_links::{self, BankLinkRow, BankLinkView};
use crate::citizens::identity::IdentityView;
use crate::commit::NewPayment;
use crate::db;
use crate::error::{ApiError, ErrorBody};
use crate::payments::model::PaymentView;
use crate::payments::store;
use crate::routes::citizen::{caller, start_payment};
use crate::routes::input;
use crate::routes::pagination::{Page, PageQuery};
use crate::state::AppState;

#[derive(Serialize, ToSchema)]
pub struct WalletView {
    pub account_id: String,
    /// Posted balance.
    pub balance: i64,
    /// Balance less funds held by pending payments.
    pub available: i64,
}

#[derive(Serialize, ToSchema)]
pub struct TodayUsage {
    /// Movements started today (Vietnam time).
    pub total: i64,
    /// A movement taking `total` above this needs a step-up.
    pub step_up_threshold: i64,
}

#[derive(Serialize, ToSchema)]
pub struct MonthUsage {
    /// Wallet outflows this calendar month (Vietnam time) that count toward the
    /// general cap.
    pub capped_outflows: i64,
    pub cap: i64,
    /// Essential payments this month (bills, insurance, essential merchants), with
    /// their own cap (Circular 41/2025/TT-NHNN).
    pub essential_outflows: i64,
    pub essential_cap: i64,
}

#[derive(Serialize, ToSchema)]
pub struct UsageView {
    pub today: TodayUsage,
    pub month: MonthUsage,
}

#[derive(Serialize, ToSchema)]
pub struct MeView {
    #[serde(flatten)]
    pub identity: IdentityView,
    pub wallet: WalletView,
    pub usage: UsageView,
}

/// The citizen, their wallet and how much of their limits they used.
#[utoipa::path(get, path = "/v1/me", tag = "citizens",
    responses((status = 200, body = MeView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("citizen" = [])))]
#[get("/v1/me")]
pub async fn get_me(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (me, state) = caller(&req, &state).await?;
    let wallet_id = me.wallet_ledger_id()?;
    let ledger = state.ledger.clone();
    let account = web::block(move || ledger.lookup_accounts(&[wallet_id])).await??;
    let (balance, available) = account
        .first()
        .map(|a| {
            let balance = a.credit_balance();
            let available = a.available_credit_balance();
            (
                i64::try_from(balance).unwrap_or(i64::MAX),
                i64::try_from(available).unwrap_or(i64::MAX),
            )
        })
        .unwrap_or((0, 0));
    let identity_id = me.id.clone();
    let today = crate::rules::vietnam_date(Utc::now());
    let usage = db::run(&state, move |conn| store::usage(conn, &identity_id, today)).await?;
    let rules = state.config.rules;
    let caps = rules.caps_on(today);
    Ok(HttpResponse::Ok().json(MeView {
        identity: me.view(),
        wallet: WalletView {
            account_id: me.wallet_account_id.clone(),
            balance,
            available,
        },
        usage: UsageView {
            today: TodayUsage {
                total: usage.today_total,
                step_up_threshold: rules.step_up_daily,
            },
            month: MonthUsage {
                capped_outflows: usage.month_general,
                cap: caps.general,
                essential_outflows: usage.month_essential,
                essential_cap: caps.essential,
            },
        },
    }))
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct BankLinkRequest {
    #[schema(example = "970436")]
    pub bank_bin: String,
    pub account_number: String,
}

fn check_bank_account(bank_bin: &str, account_number: &str) -> Result<&'static str, ApiError> {
    let name = adapters::bank::bank_name(bank_bin).ok_or_else(|| {
        ApiError::invalid(
            "bank_bin is not a known NAPAS bank",
            json!({ "param": "bank_bin" }),
        )
    })?;
    if !(6..=19).contains(&account_number.len())
        || !account_number.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(ApiError::invalid(
            "account_number must be 6 to 19 digits",
            json!({ "param": "account_number" }),
        ));
    }
    Ok(name)
}

/// Links the citizen's own bank account, after the bank confirms who holds it.
#[utoipa::path(post, path = "/v1/me/bank-links", tag = "citizens",
    request_body = BankLinkRequest,
    responses(
        (status = 201, body = BankLinkView),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, description = "`bank_account_not_found`", body = ErrorBody),
        (status = 422, description = "`bank_account_holder_mismatch`", body = ErrorBody),
        (status = 503, description = "The bank is unavailable", body = ErrorBody)),
    security(("citizen" = [])))]
#[post("/v1/me/bank-links")]
pub async fn create_bank_link(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (_, map) = input::object(&body)?;
    let bank_bin = input::string(&map, "bank_bin", 6)?;
    let account_number = input::string(&map, "account_number", 19)?;
    let bank_name = check_bank_account(&bank_bin, &account_number)?;
    let (me, state) = caller(&req, &state).await?;
    let holder = state
        .bank
        .inquire_account(&bank_bin, &account_number)
        .await
        .map_err(|e| match e {
            adapters::bank::BankError::AccountNotFound
            | adapters::bank::BankError::AccountClosed => ApiError::BankAccountNotFound,
            _ => ApiError::Unavailable("bank"),
        })?;
    if holder.holder_cccd.expose() != me.cccd {
        return Err(ApiError::BankAccountHolderMismatch);
    }
    let row = BankLinkRow {
        id: db::new_id("lnk_"),
        identity_id: me.id.clone(),
        bank_bin,
        account_number,
        bank_name: bank_name.to_string(),
        created_at: Utc::now(),
    };
    let stored = db::run(&state, move |conn| bank_links::create(conn, &row)).await?;
    Ok(HttpResponse::Created().json(stored.view()))
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct TopupRequest {
    pub amount: i64,
    /// `{"bank_link_id"}`, or `{"provider": "vnpay"|"momo"|"zalopay"}`.
    #[schema(value_type = Object)]
    pub source: serde_json::Value,
}

/// Tops the wallet up from a linked bank account (settles at once).
#[utoipa::path(post, path = "/v1/me/topups", tag = "citizens",
    request_body = TopupRequest,
    params(("Idempotency-Key" = String, Header, description = "1 to 255 printable ASCII characters")),
    responses(
        (status = 201, description = "The payment (`succeeded`, `pending` while the bank is silent, `failed` with the bank's code, or `requires_step_up`)", body = PaymentView),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, description = "`vneid_level_insufficient`", body = ErrorBody),
        (status = 404, description = "`bank_link_not_found`", body = ErrorBody),
        (status = 409, description = "`idempotency_key_in_progress`", body = ErrorBody),
        (status = 422, description = "`idempotency_key_reused`", body = ErrorBody)),
    security(("citizen" = [])))]
#[post("/v1/me/topups")]
pub async fn create_topup(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (value, map) = input::object(&body)?;
    let amount = input::amount(&map)?;
    let source = input::nested(&map, "source")?;
    let source = match (source.get("bank_link_id"), source.get("provider")) {
        (Some(_), None) => TopupSource::Bank(input::string(source, "bank_link_id", 24)?),
        (None, Some(_)) => {
            let name = input::string(source, "provider", 16)?;
            TopupSource::Provider(crate::funding::parse_provider(&name).ok_or_else(|| {
                ApiError::invalid(
                    "source.provider must be vnpay, momo or zalopay",
                    json!({ "param": "source.provider" }),
                )
            })?)
        }
        _ => {
            return Err(ApiError::invalid(
                "source must hold exactly one of bank_link_id or provider",
                json!({ "param": "source" }),
            ))
        }
    };
    let payment = match source {
        TopupSource::Bank(bank_link_id) => NewPayment::BankTopup {
            bank_link_id,
            amount,
        },
        TopupSource::Provider(provider) => NewPayment::ProviderTopup { provider, amount },
    };
    start_payment(&req, &state, &value, payment).await
}

/// Where a top-up's money comes from.
enum TopupSource {
    Bank(String),
    Provider(adapters::funding::Provider),
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct WithdrawalRequest {
    pub amount: i64,
    pub bank_link_id: String,
}

/// Withdraws from the wallet to a linked bank account.
#[utoipa::path(post, path = "/v1/me/withdrawals", tag = "citizens",
    request_body = WithdrawalRequest,
    params(("Idempotency-Key" = String, Header, description = "1 to 255 printable ASCII characters")),
    responses(
        (status = 201, body = PaymentView),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, description = "`vneid_level_insufficient`", body = ErrorBody),
        (status = 404, description = "`bank_link_not_found`", body = ErrorBody),
        (status = 409, description = "`idempotency_key_in_progress`", body = ErrorBody),
        (status = 422, description = "`insufficient_funds`, `monthly_limit_exceeded`, `idempotency_key_reused`", body = ErrorBody)),
    security(("citizen" = [])))]
#[post("/v1/me/withdrawals")]
pub async fn create_withdrawal(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (value, map) = input::object(&body)?;
    let amount = input::amount(&map)?;
    let bank_link_id = input::string(&map, "bank_link_id", 24)?;
    let payment = NewPayment::Withdrawal {
        bank_link_id,
        amount,
    };
    start_payment(&req, &state, &value, payment).await
}

/// The citizen's payments, newest first.
#[utoipa::path(get, path = "/v1/me/payments", tag = "citizens",
    params(PageQuery),
    responses((status = 200, body = inline(Page<PaymentView>)), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)),
    security(("citizen" = [])))]
#[get("/v1/me/payments")]
pub async fn list_payments(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let limit = query.limit()?;
    let cursor = query.starting_after.clone();
    if let Some(c) = &cursor {
        if !c.starts_with("pay_") || c.len() > 24 {
            return Err(ApiError::InvalidId {
                kind: "payment",
                id: c.chars().take(40).collect(),
            });
        }
    }
    let (me, state) = caller(&req, &state).await?;
    let page = db::run(&state, move |conn| {
        let after = match cursor {
            Some(c) => Some(store::find_own(conn, &me.id, &c)?.ok_or_else(|| {
                ApiError::invalid(
                    "starting_after is not one of your payments",
                    json!({ "param": "starting_after" }),
                )
            })?),
            None => None,
        };
        let (rows, has_more) = store::list_own(conn, &me.id, limit, after.as_ref())?;
        let viewed = rows
            .iter()
            .map(|r| Ok((r.payee_identity_id.clone(), store::view(conn, r)?)))
            .collect::<Result<Vec<_>, ApiError>>()?;
        Ok((viewed, has_more))
    })
    .await?;
    let (viewed, has_more) = page;
    let data = crate::payments::payee_leg::with_remote_payees(&state, viewed).await;
    Ok(HttpResponse::Ok().json(Page { data, has_more }))
}
