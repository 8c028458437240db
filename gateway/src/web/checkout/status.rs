//! `GET /checkout/{id}/status`: what the open page polls to follow the request.

use actix_web::{get, web, HttpResponse};
use chrono::Utc;
use serde::{Deserialize, Serialize};

use super::text::Lang;
use crate::error::ApiError;
use crate::state::AppState;

#[derive(Deserialize)]
pub struct StatusQuery {
    lang: Option<String>,
}

#[derive(Serialize)]
struct StatusView {
    status: &'static str,
    /// The status in the page's language.
    label: &'static str,
    #[serde(rename = "final")]
    is_final: bool,
    /// Where to send the payer now, if the merchant gave a return URL.
    return_to: Option<String>,
}

#[get("/checkout/{id}/status")]
pub async fn poll(
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<StatusQuery>,
) -> Result<HttpResponse, ApiError> {
    let lang = Lang::from_query(query.lang.as_deref());
    let checkout = super::load(&state, &path, Utc::now()).await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(StatusView {
            status: checkout.status.as_str(),
            label: lang.status(checkout.status),
            is_final: checkout.is_final(),
            return_to: checkout.return_to(),
        }))
}
