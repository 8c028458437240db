//! Sending a provider's callback to the merchant, and retrying it with backoff until
//! the merchant acknowledges it the provider's way, a bounded number of times.

use super::store::{Wallet, WalletState};
use actix_web::web;
use serde::Serialize;
use std::time::Duration;

/// The longest wait between two attempts, whatever the configured backoff.
pub const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// Characters of a merchant's reply kept in the log; replies are small JSON objects.
const MAX_REPLY_CHARS: usize = 512;

/// A callback, ready to send (and to send again, for `replay`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Callback {
    /// VNPay's IPN: a GET whose signed query is part of the URL.
    Get {
        /// The whole URL.
        url: String,
    },
    /// MoMo's IPN and ZaloPay's callback: a JSON POST.
    PostJson {
        /// Where to.
        url: String,
        /// The exact body (ZaloPay's MAC covers a string inside it).
        body: String,
    },
}

/// One attempt as the control API shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Attempt {
    /// The merchant's HTTP status; `null` when no answer came.
    pub status: Option<u16>,
    /// The start of the merchant's reply body, or why there was no answer.
    pub reply: String,
    /// Whether this answer stopped the retries.
    pub acknowledged: bool,
}

/// The delivery of one pay or cancel callback.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DeliveryLog {
    /// Every attempt so far, oldest first.
    pub attempts: Vec<Attempt>,
    /// Whether the merchant acknowledged it.
    pub acknowledged: bool,
    /// Whether the simulator stopped trying (acknowledged, or out of attempts).
    pub finished: bool,
}

/// The merchant's answer to one attempt: status and (the start of) the body.
pub(crate) type Answer = (u16, String);

/// Sends `callback` once.
pub(crate) async fn send_once(
    client: &reqwest::Client,
    callback: &Callback,
) -> Result<Answer, String> {
    let request = match callback {
        Callback::Get { url } => client.get(url),
        Callback::PostJson { url, body } => client
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.clone()),
    };
    let response = request.send().await.map_err(describe)?;
    let status = response.status().as_u16();
    let body = response.text().await.map_err(describe)?;
    Ok((status, body.chars().take(MAX_REPLY_CHARS).collect()))
}

fn describe(err: reqwest::Error) -> String {
    if err.is_timeout() {
        "no answer in time".to_owned()
    } else if err.is_connect() {
        "connection refused".to_owned()
    } else {
        "transport error".to_owned()
    }
}

/// Starts delivering `callback` for `reference` in the background. The order's log
/// must have been reset by the caller (under the same lock as the status change).
pub(crate) fn spawn_delivery<W: Wallet>(
    state: web::Data<WalletState<W>>,
    reference: String,
    callback: Callback,
) {
    actix_web::rt::spawn(deliver(state, reference, callback));
}

async fn deliver<W: Wallet>(
    state: web::Data<WalletState<W>>,
    reference: String,
    callback: Callback,
) {
    let mut wait = state.backoff;
    for attempt in 1..=W::ATTEMPTS {
        let answer = send_once(&state.client, &callback).await;
        let acknowledged = matches!(&answer, Ok((status, body)) if W::acknowledged(*status, body));
        let last = acknowledged || attempt == W::ATTEMPTS;
        if let Some(log) = state
            .orders()
            .get_mut(&reference)
            .and_then(|entry| entry.delivery.as_mut())
        {
            let (status, reply) = match answer {
                Ok((status, body)) => (Some(status), body),
                Err(reason) => (None, reason),
            };
            log.attempts.push(Attempt {
                status,
                reply,
                acknowledged,
            });
            log.acknowledged = acknowledged;
            log.finished = last;
        }
        if last {
            return;
        }
        tokio::time::sleep(wait.min(MAX_BACKOFF)).await;
        wait = wait.saturating_mul(2);
    }
}
