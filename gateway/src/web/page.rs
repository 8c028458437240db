//! What every page response shares: HTML with the headers that keep it to itself (a
//! content security policy that allows only the gateway's own assets), and failures
//! shown as a page. The status of a failure comes from `ApiError::status_and_code`, the
//! one mapping of errors to HTTP; only its presentation differs from the API's.

use actix_web::http::header;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use askama::Template;

use crate::error::ApiError;

/// Whether a page may be framed and cached: the checkout page may be embedded by a
/// merchant's site; console pages may be neither framed nor kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    Payer,
    Operator,
}

/// Renders `template` as an HTML response.
pub fn render(
    status: StatusCode,
    audience: Audience,
    template: &impl Template,
) -> Result<HttpResponse, ApiError> {
    let body = template
        .render()
        .map_err(|e| ApiError::Internal(format!("rendering a page: {e}")))?;
    Ok(html(status, audience, body))
}

/// An HTML response with the security headers of `audience`.
pub fn html(status: StatusCode, audience: Audience, body: String) -> HttpResponse {
    let mut response = HttpResponse::build(status);
    response
        .content_type("text/html; charset=utf-8")
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        // Same-origin only: another site never learns a checkout or console address,
        // and the page's own forms still carry their `Origin` (which the demo wallet
        // checks; "no-referrer" would make it "null").
        .insert_header((header::REFERRER_POLICY, "same-origin"))
        .insert_header((header::CACHE_CONTROL, "no-store"));
    let csp = match audience {
        Audience::Payer => {
            "default-src 'none'; img-src 'self'; style-src 'self'; script-src 'self'; \
             connect-src 'self'; form-action 'self'; base-uri 'none'"
        }
        Audience::Operator => {
            "default-src 'none'; img-src 'self'; style-src 'self'; script-src 'self'; \
             form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
        }
    };
    response.insert_header((header::CONTENT_SECURITY_POLICY, csp));
    if audience == Audience::Operator {
        response.insert_header((header::X_FRAME_OPTIONS, "DENY"));
    }
    response.body(body)
}

/// A 303 to `location` (after a form, or to the sign-in page).
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    status: u16,
    message: String,
}

/// A page request that failed: an error of the service, shown as a page, or a console
/// page asked for without a session (sent to sign in).
#[derive(Debug, thiserror::Error)]
pub enum PageError {
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error("sign in first")]
    SignInRequired,
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Api(e) => e.status_and_code().0,
            Self::SignInRequired => StatusCode::SEE_OTHER,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            Self::SignInRequired => see_other(console_sign_in()),
            Self::Api(e) => {
                let (status, body) = e.to_status_and_body();
                let message = body["error"]["message"]
                    .as_str()
                    .unwrap_or("error")
                    .to_string();
                let page = ErrorPage {
                    status: status.as_u16(),
                    message,
                };
                match page.render() {
                    Ok(text) => html(status, Audience::Payer, text),
                    Err(_) => HttpResponse::build(status).finish(),
                }
            }
        }
    }
}

const fn console_sign_in() -> &'static str {
    "/console/sign-in"
}
