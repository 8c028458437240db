//! Idempotency keys inside a batch: what a key already holds decides whether a command
//! runs, replays, is refused, or takes over a payment whose driver is gone; and the
//! command's answer is stored under the key in the same transaction as its effects.

use actix_web::http::StatusCode;

use super::command::{Answer, KeyClaim, KeyRef, Reply};
use super::working::{KeyRecord, Working};
use crate::error::ApiError;

/// What a key already holds.
pub enum Claimed {
    /// Nothing yet: run the command.
    Fresh,
    /// The stored answer.
    Replay(Answer),
    /// A payment the key made whose driver is gone: this batch takes it over.
    TakeOver(String),
}

fn same_request(record: &KeyRecord, claim: &KeyClaim) -> bool {
    match record.fingerprint_version {
        // Recorded before fingerprints covered the method and path: the body alone.
        1 => record.fingerprint == claim.legacy_fingerprint,
        _ => record.fingerprint == claim.fingerprint,
    }
}

fn replay(status: i32, body: &str) -> Answer {
    Answer {
        status: u16::try_from(status)
            .ok()
            .and_then(|s| StatusCode::from_u16(s).ok())
            .unwrap_or(StatusCode::OK),
        body: body.to_string(),
        replayed: true,
    }
}

/// Looks the key up as the batch stands.
pub fn claim(w: &Working, claim: &KeyClaim) -> Result<Claimed, ApiError> {
    let Some(record) = w.keys.get(&(claim.scope.clone(), claim.key.clone())) else {
        return Ok(Claimed::Fresh);
    };
    if !same_request(record, claim) {
        return Err(ApiError::IdempotencyKeyReused);
    }
    if let Some((status, body)) = &record.response {
        return Ok(Claimed::Replay(replay(*status, body)));
    }
    let Some(payment) = record
        .resource_id
        .as_ref()
        .and_then(|id| w.payments.get(id))
    else {
        // A record with no answer and nothing made (written before a crash by an
        // earlier version): run the request again.
        return Ok(Claimed::Fresh);
    };
    if w.instance.held(payment.driver, &payment.id, &w.live) {
        return Err(ApiError::IdempotencyKeyInProgress);
    }
    Ok(Claimed::TakeOver(payment.id.clone()))
}

fn record_mut<'a>(
    w: &'a mut Working,
    claim: &KeyClaim,
    resource_id: Option<&str>,
) -> &'a mut KeyRecord {
    let now = w.now;
    w.keys
        .upsert((claim.scope.clone(), claim.key.clone()), || KeyRecord {
            scope: claim.scope.clone(),
            key: claim.key.clone(),
            fingerprint: claim.fingerprint.clone(),
            fingerprint_version: 2,
            resource_id: resource_id.map(str::to_string),
            response: None,
            created_at: now,
        })
}

/// Completes a record left in progress (while an outside system was asked) with the
/// final result, a business refusal included.
pub fn complete(
    w: &mut Working,
    key: &KeyRef,
    result: Result<Reply, ApiError>,
) -> Result<Reply, ApiError> {
    let answer = match result {
        Ok(Reply::Answer(answer)) => answer,
        Err(e) if e.is_stored_for_idempotency() => {
            let (status, body) = e.to_status_and_body();
            Answer {
                status,
                body: body.to_string(),
                replayed: false,
            }
        }
        other => return other,
    };
    if let Some(record) = w.keys.get_mut(&(key.scope.clone(), key.key.clone())) {
        if record.response.is_none() {
            record.response = Some((i32::from(answer.status.as_u16()), answer.body.clone()));
        }
    }
    Ok(Reply::Answer(answer))
}

/// What a command's result leaves under its key: the answer (business refusals
/// included), or, while an outside system is asked, the record of what it made with no
/// answer yet. Input errors, credentials and outages leave nothing, so the key may be
/// retried.
pub fn settle_key(
    w: &mut Working,
    claim: &KeyClaim,
    resource_id: Option<&str>,
    result: Result<Reply, ApiError>,
) -> Result<Reply, ApiError> {
    let answer = match result {
        Ok(Reply::Answer(answer)) => answer,
        Ok(Reply::Drive(drive)) => {
            record_mut(w, claim, resource_id);
            return Ok(Reply::Drive(drive));
        }
        Ok(other) => return Ok(other),
        Err(e) if e.is_stored_for_idempotency() => {
            let (status, body) = e.to_status_and_body();
            Answer {
                status,
                body: body.to_string(),
                replayed: false,
            }
        }
        Err(e) => return Err(e),
    };
    let record = record_mut(w, claim, resource_id);
    if record.resource_id.is_none() {
        record.resource_id = resource_id.map(str::to_string);
    }
    record.response = Some((i32::from(answer.status.as_u16()), answer.body.clone()));
    Ok(Reply::Answer(answer))
}

/// An answer with `value` as its JSON body.
pub fn json_answer<T: serde::Serialize>(status: StatusCode, value: &T) -> Result<Reply, ApiError> {
    Ok(Reply::Answer(Answer {
        status,
        body: serde_json::to_string(value).map_err(|e| ApiError::Internal(e.to_string()))?,
        replayed: false,
    }))
}

/// Runs `fresh` once per key, for actions that never leave a payment waiting on an
/// outside system: a replay answers what the first run answered.
pub fn once(
    w: &mut Working,
    key: &KeyClaim,
    resource_id: &str,
    fresh: impl FnOnce(&mut Working) -> Result<Reply, ApiError>,
) -> Result<Reply, ApiError> {
    let result = match claim(w, key)? {
        Claimed::Replay(answer) => return Ok(Reply::Answer(answer)),
        Claimed::TakeOver(_) | Claimed::Fresh => fresh(w),
    };
    settle_key(w, key, Some(resource_id), result)
}
