//! The one HTTP call MoMo and ZaloPay order creation share: POST JSON, read JSON.

use super::{FundingError, Provider};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::time::Duration;

/// How long an order creation may take unless the caller says otherwise; MoMo and
/// ZaloPay answer in well under a second when healthy.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// A client for provider calls. Redirects are not followed: a provider API never
/// redirects, and following one would send the signed body elsewhere.
pub(super) fn client(
    provider: Provider,
    timeout: Duration,
) -> Result<reqwest::Client, FundingError> {
    reqwest::Client::builder()
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|_| FundingError::Unavailable {
            provider,
            reason: "http_client".to_owned(),
        })
}

/// POSTs `body` as JSON and reads the answer as `R`, whatever the status: both
/// providers describe refusals in their normal answer format, sometimes with a 4xx.
pub(super) async fn post_json<B: Serialize, R: DeserializeOwned>(
    provider: Provider,
    client: &reqwest::Client,
    url: &str,
    timeout: Duration,
    body: &B,
) -> Result<R, FundingError> {
    let response = client
        .post(url)
        .timeout(timeout)
        .json(body)
        .send()
        .await
        .map_err(|err| transport_error(provider, &err))?;
    let status = response.status();
    let bytes = response
        .bytes()
        .await
        .map_err(|err| transport_error(provider, &err))?;
    match serde_json::from_slice::<R>(&bytes) {
        Ok(answer) => Ok(answer),
        Err(_) if status.is_server_error() => Err(FundingError::Unavailable {
            provider,
            reason: format!("http_{}", status.as_u16()),
        }),
        Err(err) => Err(FundingError::MalformedResponse {
            provider,
            reason: format!("http {}: {err}", status.as_u16()),
        }),
    }
}

fn transport_error(provider: Provider, err: &reqwest::Error) -> FundingError {
    if err.is_timeout() {
        return FundingError::Timeout(provider);
    }
    // The error's text can hold the URL, which is configuration, not a secret; still,
    // keep it to the kind of failure.
    let reason = if err.is_connect() {
        "connect"
    } else if err.is_body() || err.is_decode() {
        "body"
    } else {
        "request"
    };
    FundingError::Unavailable {
        provider,
        reason: reason.to_owned(),
    }
}
