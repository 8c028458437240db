//! The pages' stylesheet and scripts, compiled into the binary and served by the
//! gateway itself, so no page loads anything from elsewhere.

use actix_web::http::header;
use actix_web::{web, HttpResponse};

const STYLESHEET: &str = include_str!("assets/web.css");
const CHECKOUT_SCRIPT: &str = include_str!("assets/checkout.js");

fn asset(content_type: &'static str, body: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        // Short: a new release's assets replace the old ones within minutes.
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .body(body)
}

async fn stylesheet() -> HttpResponse {
    asset("text/css; charset=utf-8", STYLESHEET)
}

async fn checkout_script() -> HttpResponse {
    asset("text/javascript; charset=utf-8", CHECKOUT_SCRIPT)
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/assets/web.css", web::get().to(stylesheet))
        .route("/assets/checkout.js", web::get().to(checkout_script));
}
