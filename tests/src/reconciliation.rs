//! Reconciliation in tests: the simulators' statement tweaks, runs, differences and
//! their resolutions, and the withdrawals that make NAPAS lines.

use chrono::{FixedOffset, Utc};
use serde_json::{json, Value};

use crate::{Session, TestGateway, ADMIN_TOKEN};

/// Today in Vietnam, the business day of today's statements.
pub fn vietnam_today() -> chrono::NaiveDate {
    Utc::now()
        .with_timezone(&FixedOffset::east_opt(7 * 3600).unwrap())
        .date_naive()
}

pub async fn tweak(gw: &TestGateway, system: &str, body: Value) {
    let (status, answer) = gw
        .simulator_post(&format!("/{system}/statements/tweaks"), body)
        .await;
    assert_eq!(status, 201, "{answer}");
}

pub async fn start_run(gw: &TestGateway, body: Value) -> (u16, Value) {
    gw.post_raw(
        "/v1/admin/reconciliation/runs",
        Some(ADMIN_TOKEN),
        &[],
        &body.to_string(),
    )
    .await
}

pub async fn run(gw: &TestGateway, source: &str) -> Value {
    let (status, run) = start_run(
        gw,
        json!({"source": source, "business_date": vietnam_today().to_string()}),
    )
    .await;
    assert_eq!(status, 201, "{run}");
    run_detail(gw, run["id"].as_str().unwrap()).await
}

/// A run as the operator reads it, with its differences.
pub async fn run_detail(gw: &TestGateway, id: &str) -> Value {
    let (status, detail) = gw
        .get(
            &format!("/v1/admin/reconciliation/runs/{id}"),
            Some(ADMIN_TOKEN),
        )
        .await;
    assert_eq!(status, 200, "{detail}");
    detail
}

pub fn differences(detail: &Value) -> Vec<Value> {
    detail["items"]["data"].as_array().unwrap().clone()
}

pub fn find(detail: &Value, kind: &str, reference: &str) -> Value {
    differences(detail)
        .into_iter()
        .find(|d| d["kind"] == kind && d["reference"] == reference)
        .unwrap_or_else(|| panic!("no {kind} for {reference} in {detail}"))
}

pub async fn resolve(gw: &TestGateway, id: &str, key: &str, body: Value) -> (u16, Value) {
    gw.post_raw(
        &format!("/v1/admin/reconciliation/discrepancies/{id}/resolve"),
        Some(ADMIN_TOKEN),
        &[("Idempotency-Key", key)],
        &body.to_string(),
    )
    .await
}

pub async fn payment(gw: &TestGateway, who: &Session, id: &str) -> Value {
    let (status, p) = gw
        .get(&format!("/v1/payments/{id}"), Some(&who.token))
        .await;
    assert_eq!(status, 200, "{p}");
    p
}

pub async fn withdraw(
    gw: &TestGateway,
    who: &Session,
    link: &str,
    key: &str,
    amount: i64,
) -> String {
    let (status, w) = gw
        .post_as(
            who,
            "/v1/me/withdrawals",
            key,
            json!({"amount": amount, "bank_link_id": link}),
        )
        .await;
    assert_eq!(
        (status, w["status"].as_str()),
        (201, Some("succeeded")),
        "{w}"
    );
    w["id"].as_str().unwrap().to_string()
}

/// The actions a difference may be resolved with.
pub fn actions(d: &Value) -> Vec<&str> {
    d["actions"]
        .as_array()
        .expect("a difference's actions")
        .iter()
        .filter_map(|a| a.as_str())
        .collect()
}
