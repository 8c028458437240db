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

/// Every citizen's payments, newest first, optionally of one status.
#[utoipa::path(get, path = "/v1/admin/payments", tag = "payments",
    params(AdminPaymentsQuery),
    responses(
        (status = 200, body = inline(Page<PaymentView>)),
        (status = 400, description = "Unknown status, bad paging", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 501, description = "`not_routed`: citizens' payments live on their home shards (`ROUTE_CITIZENS`)", body = ErrorBody)),
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
    if state.routes_citizens() {
        return Err(ApiError::NotRouted("payment lists across home shards"));
    }
    let page = db::run(&state, move |conn| {
        let after = match cursor {
            Some(c) => Some(store::find(conn, &c)?.ok_or_else(|| {
                ApiError::invalid(
                    "starting_after is not a payment",
                    json!({ "param": "starting_after" }),
                )
            })?),
            None => None,
        };
        let (rows, has_more) = store::list(conn, None, status, limit, after.as_ref())?;
        let data = rows
            .iter()
            .map(|r| store::view(conn, r))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Page { data, has_more })
    })
    .await?;
    Ok(HttpResponse::Ok().json(page))
}
