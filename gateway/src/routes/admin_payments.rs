//! The operator's view of payments across citizens, to find the ones that need a hand
//! (a bank that never answered leaves a payment `pending` with its funds held).

use actix_web::{get, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;
use utoipa::IntoParams;

use crate::auth::require_operator;
use crate::db;
use crate::error::{ApiError, ErrorBody};
use crate::payments::model::{PaymentStatus, PaymentView};
use crate::payments::store;
use crate::routes::pagination::Page;
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AdminPaymentsQuery {
    /// Only payments in this status (`pending`, `requires_step_up`, `failed`, ...).
    pub status: Option<String>,
    /// 1 to 100 (default 20).
    pub limit: Option<String>,
    /// The id of the last payment of the previous page.
    pub starting_after: Option<String>,
}

/// Every citizen's payments, newest first, optionally of one status (across every home
/// shard when citizens are routed to shards).
#[utoipa::path(get, path = "/v1/admin/payments", tag = "payments",
    params(AdminPaymentsQuery),
    responses(
        (status = 200, body = inline(Page<PaymentView>)),
        (status = 400, description = "Unknown status, bad paging", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("operator" = [])))]
#[get("/v1/admin/payments")]
pub async fn list_all_payments(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<AdminPaymentsQuery>,
) -> Result<HttpResponse, ApiError> {
    let paging = crate::routes::pagination::PageQuery {
        limit: query.limit.clone(),
        starting_after: query.starting_after.clone(),
    };
    let limit = paging.limit()?;
    let status = match query.status.as_deref() {
        None => None,
        Some(s) => Some(PaymentStatus::parse(s).ok_or_else(|| {
            ApiError::invalid(
                "status is not a payment status",
                json!({ "param": "status" }),
            )
        })?),
    };
    let cursor = query.starting_after.clone();
    require_operator(&req, &state).await?;
    let page = across_homes(&state, status, limit, cursor).await?;
    Ok(HttpResponse::Ok().json(page))
}

/// A page of every home shard's payments (the one database's without routing): each
/// shard's own page after the same cursor, merged newest first.
async fn across_homes(
    state: &AppState,
    status: Option<PaymentStatus>,
    limit: usize,
    cursor: Option<String>,
) -> Result<Page<PaymentView>, ApiError> {
    let after = match cursor {
        Some(c) => Some(
            crate::payments::everywhere::find(state, &c)
                .await?
                .map(|(_, row)| row)
                .ok_or_else(|| {
                    ApiError::invalid(
                        "starting_after is not a payment",
                        json!({ "param": "starting_after" }),
                    )
                })?,
        ),
        None => None,
    };
    let (mut found, mut more) = (Vec::new(), false);
    for home in &state.everywhere() {
        let after = after.clone();
        let (views, has_more) = db::run(home, move |conn| {
            let (rows, has_more) = store::list(conn, None, status, limit, after.as_ref())?;
            let views = rows
                .iter()
                .map(|r| {
                    let key = (r.created_at, r.id.clone());
                    Ok((key, (r.payee_identity_id.clone(), store::view(conn, r)?)))
                })
                .collect::<Result<Vec<_>, ApiError>>()?;
            Ok((views, has_more))
        })
        .await?;
        found.extend(views);
        more |= has_more;
    }
    found.sort_by(|(a, _), (b, _)| b.cmp(a));
    // A shard with more than its page, or more rows than one page between the shards.
    let has_more = more || found.len() > limit;
    let viewed = found.into_iter().take(limit).map(|(_, v)| v).collect();
    let data = crate::payments::payee_leg::with_remote_payees(state, viewed).await;
    Ok(Page { data, has_more })
}
