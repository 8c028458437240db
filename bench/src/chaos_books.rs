//! The chaos harness's verdict: every answer a client got, checked against the books.

use std::collections::HashMap;

use serde_json::Value;

use crate::chaos_traffic::{Done, Final, Shared};
use crate::world::World;

/// One number from the gateway's database.
pub fn scalar(url: &str, sql: &str) -> Result<i64, String> {
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    use diesel::{Connection, RunQueryDsl};
    let mut conn = diesel::pg::PgConnection::establish(url).map_err(|e| e.to_string())?;
    diesel::sql_query(sql)
        .get_result::<N>(&mut conn)
        .map(|r| r.n)
        .map_err(|e| e.to_string())
}

/// Waits (up to 90 s) until the resumer has finished every payment an outside call
/// left pending in any of the gateway's databases (its own, and its citizens' home
/// shards when it routes them), then checks that no hold outlived its timeout.
pub async fn await_settled(urls: &[String], problems: &mut Vec<String>) -> Result<(), String> {
    const PENDING: &str = "SELECT count(*) AS n FROM payments WHERE status = 'pending'";
    let count =
        |sql: &str| -> Result<i64, String> { urls.iter().map(|url| scalar(url, sql)).sum() };
    let started = std::time::Instant::now();
    let mut pending = count(PENDING)?;
    while pending > 0 && started.elapsed() < std::time::Duration::from_secs(90) {
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        pending = count(PENDING)?;
    }
    if pending > 0 {
        problems.push(format!(
            "{pending} payments still pending 90 s after the load stopped"
        ));
    }
    // Holds that lapsed are released by the next batch; give one a moment to run.
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    let lapsed = count(
        "SELECT count(*) AS n FROM ledger_pending_holds WHERE status = 0 AND expires_at IS NOT NULL \
         AND expires_at < (extract(epoch from now()) * 1e9)::bigint - 5000000000",
    )?;
    if lapsed > 0 {
        problems.push(format!("{lapsed} holds outlived their timeout"));
    }
    Ok(())
}

/// A 5xx other than 503 is a bug: a dependency that is down answers 503.
pub fn server_errors(s: &Shared, problems: &mut Vec<String>) {
    let errors = s
        .tally
        .server_errors
        .lock()
        .map(|e| e.clone())
        .unwrap_or_default();
    if !errors.is_empty() {
        problems.push(format!(
            "{} answers were a 5xx other than 503: {:?}",
            errors.len(),
            errors.iter().take(3).collect::<Vec<_>>()
        ));
    }
}

pub async fn get_json(world: &World, path: &str, token: &str) -> Result<Value, String> {
    let res = world
        .http
        .get(format!("{}{path}", world.gateway))
        .bearer_auth(token)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = res.status().as_u16();
    let body = res.json::<Value>().await.map_err(|e| e.to_string())?;
    if status == 200 {
        Ok(body)
    } else {
        Err(format!("GET {path}: {status} {body}"))
    }
}

/// Every answer against the books.
pub async fn check_books(
    world: &World,
    s: &Shared,
    done: &[Done],
    funds: i64,
    problems: &mut Vec<String>,
) -> Result<(), String> {
    let mut expected: Vec<i64> = vec![funds; s.citizens.len()];
    let mut merchant: i64 = 0;
    let mut refunds: HashMap<String, i64> = HashMap::new();
    // The state a payment answered `pending` reached since.
    let final_status = |who: usize, answer: &Final| {
        let (id, status) = (
            answer.body["id"].as_str().map(str::to_string),
            answer.body["status"].clone(),
        );
        let token = s.citizens[who].token.clone();
        async move {
            match (id, status.as_str()) {
                (Some(id), Some("pending")) => {
                    get_json(world, &format!("/v1/payments/{id}"), &token)
                        .await
                        .map(|p| p["status"].as_str().unwrap_or_default().to_string())
                }
                (_, Some(other)) => Ok(other.to_string()),
                _ => Ok(String::new()),
            }
        }
    };
    // Each answered payment is in the state its answer gave (or one it went on to).
    let mut checked = 0usize;
    for d in done {
        let (who, answer, allowed): (usize, &Final, &[&str]) = match d {
            Done::Transfer { payer, answer, .. } => (*payer, answer, &["succeeded"]),
            Done::Bill { citizen, answer } => (*citizen, answer, &["succeeded"]),
            Done::Merchant {
                citizen, answer, ..
            } => (
                *citizen,
                answer,
                &["succeeded", "partially_refunded", "refunded"],
            ),
            Done::Captured {
                citizen,
                pay,
                capture,
                ..
            } if capture.status == 200 => (*citizen, pay, &["succeeded"]),
            _ => continue,
        };
        if answer.status != 201
            || !matches!(
                answer.body["status"].as_str(),
                Some("succeeded" | "authorized")
            )
        {
            continue;
        }
        let Some(id) = answer.body["id"].as_str() else {
            problems.push(format!("a payment answered without an id: {}", answer.body));
            continue;
        };
        let now = get_json(world, &format!("/v1/payments/{id}"), &s.citizens[who].token).await?;
        if !allowed.contains(&now["status"].as_str().unwrap_or_default()) {
            problems.push(format!(
                "payment {id} answered {} but is {}",
                answer.body["status"], now["status"]
            ));
        }
        checked += 1;
    }
    if checked == 0 {
        problems.push("no payment was answered at all".into());
    }
    for d in done {
        match d {
            Done::Transfer {
                payer,
                payee,
                amount,
                answer,
            } => match answer.status {
                201 if final_status(*payer, answer).await? == "succeeded" => {
                    expected[*payer] -= amount;
                    expected[*payee] += amount;
                }
                201 | 422 => {}
                other => problems.push(format!("a transfer answered {other}: {}", answer.body)),
            },
            Done::Bill { citizen, answer } => match answer.status {
                201 if final_status(*citizen, answer).await? == "succeeded" => {
                    expected[*citizen] -= answer.body["amount"].as_i64().unwrap_or(0);
                }
                201 | 422 => {}
                other => problems.push(format!("a bill payment answered {other}: {}", answer.body)),
            },
            Done::Merchant {
                citizen,
                amount,
                answer,
                ..
            } => match answer.status {
                // Answered pending (its request claimed on another shard while that
                // shard failed over), it is judged where it went on to.
                201 => match final_status(*citizen, answer).await?.as_str() {
                    "succeeded" | "partially_refunded" | "refunded" => {
                        expected[*citizen] -= amount;
                        merchant += amount;
                    }
                    "failed" => {}
                    other => problems.push(format!(
                        "a merchant payment answered {} is {other}",
                        answer.body
                    )),
                },
                422 => {}
                other => problems.push(format!(
                    "a merchant payment answered {other}: {}",
                    answer.body
                )),
            },
            Done::Captured {
                citizen,
                captured,
                pay,
                capture,
                ..
            } => {
                let authorized = pay.status == 201 && pay.body["status"] == "authorized";
                if authorized && capture.status == 200 {
                    expected[*citizen] -= captured;
                    merchant += captured;
                } else if authorized {
                    problems.push(format!(
                        "an authorized payment's capture answered {}: {}",
                        capture.status, capture.body
                    ));
                } else if capture.status == 200 {
                    problems.push(format!(
                        "a payment answered {} was captured: {}",
                        pay.body["status"], capture.body
                    ));
                }
            }
            Done::Refunded {
                request,
                amount,
                answer,
            } => match answer.status {
                201 => {
                    *refunds.entry(request.clone()).or_default() += amount;
                    merchant -= amount;
                }
                422 => {}
                other => problems.push(format!("a refund answered {other}: {}", answer.body)),
            },
        }
    }
    // Refunds land on the payer of the request.
    for d in done {
        if let Done::Merchant {
            citizen, request, ..
        } = d
        {
            if let Some(r) = refunds.get(request) {
                expected[*citizen] += r;
                let seen = s
                    .world
                    .http
                    .get(format!(
                        "{}/v1/merchant/payment-requests/{request}",
                        s.world.gateway
                    ))
                    .bearer_auth(&s.merchant.api_key)
                    .send()
                    .await
                    .map_err(|e| e.to_string())?
                    .json::<Value>()
                    .await
                    .map_err(|e| e.to_string())?;
                let (refunded, captured) = (
                    seen["refunded_amount"].as_i64().unwrap_or(-1),
                    seen["captured_amount"].as_i64().unwrap_or(-1),
                );
                if refunded != *r || refunded > captured {
                    problems.push(format!("request {request}: refunded {refunded} of {captured} captured, answers said {r}"));
                }
            }
        }
    }
    for (i, c) in s.citizens.iter().enumerate() {
        let me = get_json(world, "/v1/me", &c.token).await?;
        let balance = me["wallet"]["balance"].as_i64().unwrap_or(-1);
        if balance != expected[i] {
            problems.push(format!(
                "citizen {i}: wallet holds {balance}, the answers say {}",
                expected[i]
            ));
        }
        if me["wallet"]["available"] != me["wallet"]["balance"] {
            problems.push(format!("citizen {i}: funds still held: {}", me["wallet"]));
        }
    }
    let account = get_json(
        world,
        &format!("/v1/accounts/{}", s.merchant.account),
        &world.admin_token,
    )
    .await?;
    if account["balance"].as_i64() != Some(merchant) {
        problems.push(format!(
            "the merchant's account holds {}, the answers say {merchant}",
            account["balance"]
        ));
    }
    let tb = get_json(world, "/v1/admin/ledger/trial-balance", &world.admin_token).await?;
    if tb["currencies"]
        .as_array()
        .is_some_and(|c| c.iter().any(|c| c["balanced"] != true))
    {
        problems.push(format!("the trial balance does not balance: {tb}"));
    }
    let verify = get_json(world, "/v1/admin/ledger/verify", &world.admin_token).await?;
    if verify["ok"] != true {
        problems.push(format!("the hash chain does not verify: {verify}"));
    }
    Ok(())
}
