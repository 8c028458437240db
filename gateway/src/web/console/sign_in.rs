//! Signing in to the console with the admin token, and out again.

use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::audit::{self, Action};
use super::sessions::{self, tokens_match};
use crate::error::ApiError;
use crate::state::AppState;
use crate::web::page::{render, see_other, Audience, PageError};

#[derive(Template)]
#[template(path = "console/sign_in.html")]
struct SignInPage {
    csrf: String,
    refused: bool,
}

/// The form, with a fresh CSRF token in a hidden field and in a cookie.
fn form_response(
    state: &AppState,
    status: StatusCode,
    refused: bool,
) -> Result<HttpResponse, PageError> {
    let csrf = sessions::random_token();
    let mut response = render(
        status,
        Audience::Operator,
        &SignInPage {
            csrf: csrf.clone(),
            refused,
        },
    )?;
    response
        .add_cookie(&sessions::sign_in_cookie(&state.config, csrf))
        .map_err(|e| ApiError::Internal(format!("setting a cookie: {e}")))?;
    Ok(response)
}

#[get("/console/sign-in")]
pub async fn show_form(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PageError> {
    if super::operator(&req, &state).await.is_ok() {
        return Ok(see_other("/console/payments"));
    }
    form_response(&state, StatusCode::OK, false)
}

#[derive(Deserialize)]
pub struct SignInForm {
    token: Option<String>,
    csrf: Option<String>,
}

#[post("/console/sign-in")]
pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<SignInForm>,
) -> Result<HttpResponse, PageError> {
    let expected = req.cookie(sessions::SIGN_IN_COOKIE);
    let csrf_ok = match (expected, form.csrf.as_deref()) {
        (Some(cookie), Some(given)) => tokens_match(cookie.value(), given),
        _ => false,
    };
    if !csrf_ok {
        audit::record(
            &state,
            Action::SignInRefused,
            None,
            Some("missing or wrong CSRF token"),
            None,
        )
        .await?;
        return Err(ApiError::Forbidden.into());
    }
    let token = form.token.as_deref().unwrap_or("");
    if !state.config.admin_token.matches(token.trim()) {
        audit::record(
            &state,
            Action::SignInRefused,
            None,
            Some("wrong admin token"),
            None,
        )
        .await?;
        return form_response(&state, StatusCode::UNAUTHORIZED, true);
    }
    let (cookie_value, session) = sessions::open(&state).await?;
    audit::record(&state, Action::SignIn, None, None, Some(&session)).await?;
    let mut response = see_other("/console/payments");
    for cookie in [
        sessions::session_cookie(&state.config, cookie_value),
        sessions::removal(&state.config, sessions::SIGN_IN_COOKIE),
    ] {
        response
            .add_cookie(&cookie)
            .map_err(|e| ApiError::Internal(format!("setting a cookie: {e}")))?;
    }
    Ok(response)
}

#[derive(Deserialize)]
pub struct CsrfForm {
    csrf: Option<String>,
}

#[post("/console/sign-out")]
pub async fn sign_out(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, PageError> {
    let operator = super::operator(&req, &state).await?;
    operator.check_csrf(form.csrf.as_deref())?;
    sessions::close(&state, &operator.session).await?;
    audit::record(&state, Action::SignOut, None, None, Some(&operator.session)).await?;
    let mut response = see_other("/console/sign-in");
    response
        .add_cookie(&sessions::removal(&state.config, sessions::COOKIE))
        .map_err(|e| ApiError::Internal(format!("setting a cookie: {e}")))?;
    Ok(response)
}
