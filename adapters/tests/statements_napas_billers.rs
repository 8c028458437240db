//! Statements of NAPAS, EVN, the water system and VSS over real HTTP: real transfers,
//! bill payments and contributions against the simulators, then the day's file fetched
//! with StatementClient, parsed, and checked; and every tweak of the control API.

// Helpers outside `#[test]` functions, which clippy's allow-in-tests settings do not
// cover.
#![allow(clippy::expect_used, clippy::panic)]

mod common;

use adapters::bank::{BankAdapter, BankError};
use adapters::biller::{BillerAdapter, HttpBillerAdapter};
use adapters::billing::InsuranceScheme;
use adapters::identity::Cccd;
use adapters::statement::{
    business_date_of, parse, LineStatus, Statement, StatementClient, StatementError, StatementLine,
    StatementSource, StatementTargets,
};
use chrono::{DateTime, Duration, Utc};
use common::{Harness, ACCOUNT, BIN, HOLDER, TIMEOUT};
use serde_json::{json, Value};

fn client(h: &Harness) -> StatementClient {
    StatementClient::new(StatementTargets::under(&h.running.base_url()), TIMEOUT)
        .expect("client builds")
}

/// Today's file of `source`, fetched and parsed.
async fn today(h: &Harness, source: StatementSource) -> Statement {
    let date = business_date_of(Utc::now());
    let bytes = client(h).fetch(source, date).await.expect("fetched");
    parse(source, &bytes).unwrap_or_else(|err| panic!("{source:?}: {err}"))
}

fn lines_of<'a>(statement: &'a Statement, reference: &str) -> Vec<&'a StatementLine> {
    statement
        .lines
        .iter()
        .filter(|line| line.reference == reference)
        .collect()
}

fn only<'a>(statement: &'a Statement, reference: &str) -> &'a StatementLine {
    match lines_of(statement, reference).as_slice() {
        [line] => line,
        other => panic!("{reference}: {} lines in {statement:?}", other.len()),
    }
}

fn recent(at: DateTime<Utc>, since: DateTime<Utc>) -> bool {
    at >= since - Duration::seconds(1) && at <= Utc::now() + Duration::seconds(1)
}

async fn tweak(h: &Harness, prefix: &str, body: Value) -> (u16, Value) {
    h.post(&format!("{prefix}/statements/tweaks"), body).await
}

#[tokio::test]
async fn napas_lists_the_days_transfers_with_refusals_as_failed() {
    let h = Harness::start().await;
    let since = Utc::now();
    h.open(ACCOUNT, 1_000_000).await;
    h.open("0022", 0).await;
    let debit = h
        .bank
        .debit(BIN, ACCOUNT, 300_000, "pay_debit")
        .await
        .expect("debited");
    let credit = h
        .bank
        .credit(BIN, ACCOUNT, 50_000, "pay_credit")
        .await
        .expect("credited");
    assert_eq!(
        h.bank.debit(BIN, ACCOUNT, 9_000_000, "pay_broke").await,
        Err(BankError::InsufficientFunds)
    );
    let (status, _) = h
        .post(&format!("/napas/accounts/{BIN}/0022/close"), json!({}))
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        h.bank.credit(BIN, "0022", 70_000, "pay_closed").await,
        Err(BankError::AccountClosed)
    );
    // A refusal the switch never sent to a bank is not listed.
    assert_eq!(
        h.bank.debit(BIN, "no-such", 1, "pay_nowhere").await,
        Err(BankError::AccountNotFound)
    );

    let statement = today(&h, StatementSource::Napas).await;
    assert_eq!(statement.source, StatementSource::Napas);
    assert_eq!(statement.lines.len(), 4, "{statement:?}");
    let line = only(&statement, "pay_debit");
    assert_eq!(
        (line.amount, line.status, line.party.as_deref()),
        (300_000, LineStatus::Settled, Some("debit"))
    );
    assert_eq!(
        line.their_id.as_deref(),
        Some(debit.bank_transaction_id.as_str())
    );
    assert_eq!(line.at, debit.completed_at);
    let line = only(&statement, "pay_credit");
    assert_eq!(
        (line.party.as_deref(), line.amount),
        (Some("credit"), 50_000)
    );
    assert_eq!(
        line.their_id.as_deref(),
        Some(credit.bank_transaction_id.as_str())
    );
    let broke = only(&statement, "pay_broke");
    assert_eq!(
        (broke.status, broke.amount),
        (LineStatus::Failed, 9_000_000)
    );
    assert!(recent(broke.at, since));
    let closed = only(&statement, "pay_closed");
    assert_eq!(
        (closed.status, closed.party.as_deref()),
        (LineStatus::Failed, Some("credit"))
    );
    assert!(lines_of(&statement, "pay_nowhere").is_empty());
    let numbers: Vec<u32> = statement.lines.iter().map(|l| l.line).collect();
    assert_eq!(numbers, [2, 3, 4, 5]);

    // A refused reference retried and applied is listed twice: failed, then settled.
    h.bank
        .debit(BIN, ACCOUNT, 700_000, "pay_broke")
        .await
        .expect("now it fits");
    let statement = today(&h, StatementSource::Napas).await;
    let statuses: Vec<_> = lines_of(&statement, "pay_broke")
        .iter()
        .map(|l| (l.status, l.amount))
        .collect();
    assert_eq!(
        statuses,
        [
            (LineStatus::Failed, 9_000_000),
            (LineStatus::Settled, 700_000)
        ]
    );
}

#[tokio::test]
async fn a_statement_is_served_as_a_named_attachment_for_any_past_day() {
    let h = Harness::start().await;
    h.open(ACCOUNT, 100).await;
    h.bank
        .debit(BIN, ACCOUNT, 100, "pay_1")
        .await
        .expect("debited");
    let date = business_date_of(Utc::now());
    let url = h.url(&format!("/napas/statements/{}", date.format("%Y-%m-%d")));
    let response = h.http.get(url).send().await.expect("sent");
    assert_eq!(response.status(), 200);
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    assert_eq!(header("content-type"), "text/plain; charset=utf-8");
    let expected = format!(
        "attachment; filename=\"{}_ACQ_CCCDPAY_971999_1_TC_IBFT.dat\"",
        date.format("%m%d%y")
    );
    assert_eq!(header("content-disposition"), expected);

    // A day with nothing is a valid empty file; a day to come is not there yet.
    let yesterday = date.pred_opt().expect("a day before");
    let client = client(&h);
    for source in StatementSource::ALL {
        let bytes = client.fetch(source, yesterday).await.expect("fetched");
        let statement = parse(source, &bytes).expect("parses");
        assert!(statement.lines.is_empty(), "{source:?}");
        assert_eq!(statement.business_date, yesterday);
    }
    let tomorrow = date.succ_opt().expect("a day after");
    let ahead = client.fetch(StatementSource::Evn, tomorrow).await;
    assert!(
        matches!(&ahead, Err(StatementError::NotFound(code)) if code == "statement_not_ready"),
        "{ahead:?}"
    );
    for bad in ["2024-13-01", "20240520", "2024-5-1", "yesterday"] {
        let response = h
            .http
            .get(h.url(&format!("/vss/statements/{bad}")))
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status(), 400, "{bad}");
        let body: Value = response.json().await.expect("json");
        assert_eq!(body["error"]["code"], "invalid_date");
    }
    // A system that does not answer.
    let down = StatementClient::new(StatementTargets::under("http://127.0.0.1:1"), TIMEOUT)
        .expect("client")
        .fetch(StatementSource::Napas, date)
        .await;
    assert!(matches!(&down, Err(err) if err.is_retryable()), "{down:?}");
}

#[tokio::test]
async fn every_tweak_changes_the_napas_file() {
    let h = Harness::start().await;
    h.open(ACCOUNT, 10_000_000).await;
    for (reference, amount) in [("pay_a", 100), ("pay_b", 200), ("pay_c", 300)] {
        h.bank
            .debit(BIN, ACCOUNT, amount, reference)
            .await
            .expect("debited");
    }
    let truth = today(&h, StatementSource::Napas).await;
    assert_eq!(truth.lines.len(), 3);

    let (status, body) = tweak(
        &h,
        "/napas",
        json!({"reference": "pay_a", "change": "omit"}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["tweaks"][0]["change"], "omit");
    let file = today(&h, StatementSource::Napas).await;
    assert!(lines_of(&file, "pay_a").is_empty());

    tweak(
        &h,
        "/napas",
        json!({"reference": "pay_b", "change": "duplicate"}),
    )
    .await;
    let file = today(&h, StatementSource::Napas).await;
    let copies = lines_of(&file, "pay_b");
    assert_eq!(copies.len(), 2);
    assert_eq!(copies[0].their_id, copies[1].their_id);

    tweak(
        &h,
        "/napas",
        json!({"reference": "pay_c", "change": "amount", "amount": 333}),
    )
    .await;
    tweak(
        &h,
        "/napas",
        json!({"reference": "pay_c", "change": "status", "status": "failed"}),
    )
    .await;
    let (status, body) = tweak(
        &h,
        "/napas",
        json!({"reference": "pay_ghost", "change": "add", "amount": 777, "party": "credit"}),
    )
    .await;
    assert_eq!(status, 201);
    assert_eq!(body["tweaks"].as_array().map(Vec::len), Some(5));
    let file = today(&h, StatementSource::Napas).await;
    let c = only(&file, "pay_c");
    assert_eq!((c.amount, c.status), (333, LineStatus::Failed));
    let ghost = only(&file, "pay_ghost");
    assert_eq!(
        (ghost.amount, ghost.status, ghost.party.as_deref()),
        (777, LineStatus::Settled, Some("credit"))
    );
    assert!(ghost.their_id.is_some());

    for (body, code) in [
        (
            json!({"reference": "pay_a", "change": "rename"}),
            "unknown_change",
        ),
        (
            json!({"reference": "pay_a", "change": "amount"}),
            "invalid_amount",
        ),
        (
            json!({"reference": "pay_a", "change": "status", "status": "lost"}),
            "invalid_status",
        ),
        (
            json!({"reference": "", "change": "omit"}),
            "invalid_reference",
        ),
        (json!({"change": "omit"}), "invalid_request"),
    ] {
        let (status, answer) = tweak(&h, "/napas", body).await;
        assert_eq!(
            (status, answer["error"]["code"].as_str()),
            (400, Some(code))
        );
    }

    let listed: Value = h
        .http
        .get(h.url("/napas/statements/tweaks"))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(listed["tweaks"].as_array().map(Vec::len), Some(5));
    let cleared = h
        .http
        .delete(h.url("/napas/statements/tweaks"))
        .send()
        .await
        .expect("sent");
    assert_eq!(cleared.status(), 200);
    assert_eq!(today(&h, StatementSource::Napas).await.lines, truth.lines);
}

async fn issue(h: &Harness, path: &str, body: Value) -> (String, i64) {
    let (status, bill) = h.post(path, body).await;
    assert_eq!(status, 201, "{bill}");
    (
        bill["bill_ref"].as_str().expect("bill_ref").to_owned(),
        bill["amount_due"].as_i64().expect("amount"),
    )
}

#[tokio::test]
async fn billers_list_cleared_bills_and_contributions_with_their_biller_codes() {
    let h = Harness::start().await;
    let since = Utc::now();
    let billers = HttpBillerAdapter::new(&h.running.base_url(), TIMEOUT).expect("client");
    let (evn_bill, evn_amount) = issue(
        &h,
        "/evn/bills",
        json!({"customer_code": "PD29007350490", "customer_name": "NGUYEN VAN AN",
               "period": "2025-06", "kwh": 250}),
    )
    .await;
    let evn = billers
        .confirm_payment("EVNHANOI", &evn_bill, evn_amount, "pay_evn")
        .await
        .expect("paid");
    let mut water = Vec::new();
    for (biller, customer, reference) in [
        ("HAWACO", "HW12345678901", "pay_hn_water"),
        ("SAWACO", "SW12345678901", "pay_sg_water"),
    ] {
        let (bill, amount) = issue(
            &h,
            "/water/bills",
            json!({"biller_code": biller, "customer_code": customer,
                   "customer_name": "TRAN THI BINH", "period": "2025-06", "m3": 12}),
        )
        .await;
        let paid = billers
            .confirm_payment(biller, &bill, amount, reference)
            .await
            .expect("paid");
        water.push(paid);
    }
    let insured = Cccd::parse(HOLDER).expect("valid");
    let contribution = billers
        .submit_contribution(
            InsuranceScheme::BhytHousehold,
            &insured,
            315_900,
            3,
            "pay_vss",
        )
        .await
        .expect("recorded");

    let statement = today(&h, StatementSource::Evn).await;
    let line = only(&statement, "pay_evn");
    assert_eq!(
        (line.amount, line.party.as_deref(), line.status),
        (evn_amount, Some("EVNHANOI"), LineStatus::Settled)
    );
    assert_eq!(
        line.their_id.as_deref(),
        Some(evn.biller_transaction_id.as_str())
    );
    assert_eq!(line.at, evn.confirmed_at);
    assert!(recent(line.at, since));

    let statement = today(&h, StatementSource::Water).await;
    assert_eq!(statement.lines.len(), 2);
    for paid in &water {
        let line = only(&statement, &paid.reference);
        assert_eq!(line.party.as_deref(), Some(paid.biller_code.as_str()));
        assert_eq!(line.amount, paid.amount);
        assert_eq!(
            line.their_id.as_deref(),
            Some(paid.biller_transaction_id.as_str())
        );
    }

    let statement = today(&h, StatementSource::Vss).await;
    let line = only(&statement, "pay_vss");
    assert_eq!(
        (line.amount, line.party.as_deref()),
        (315_900, Some("VSS_BHYT"))
    );
    assert_eq!(
        line.their_id.as_deref(),
        Some(contribution.biller_transaction_id.as_str())
    );
    // No file of a biller carries the insured's full number.
    let date = business_date_of(Utc::now());
    let raw = client(&h)
        .fetch(StatementSource::Vss, date)
        .await
        .expect("fetched");
    assert!(!String::from_utf8_lossy(&raw).contains(HOLDER));

    // A phantom on the water file names the company it is said to be from.
    let (status, _) = tweak(
        &h,
        "/water",
        json!({"reference": "pay_phantom", "change": "add", "amount": 42, "party": "SAWACO"}),
    )
    .await;
    assert_eq!(status, 201);
    let (status, body) = tweak(
        &h,
        "/water",
        json!({"reference": "pay_phantom", "change": "add", "amount": 42, "party": "EVNHANOI"}),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("invalid_party"))
    );
    let statement = today(&h, StatementSource::Water).await;
    let phantom = only(&statement, "pay_phantom");
    assert_eq!(
        (phantom.party.as_deref(), phantom.amount),
        (Some("SAWACO"), 42)
    );
    // The other systems' files are untouched.
    assert!(lines_of(&today(&h, StatementSource::Evn).await, "pay_phantom").is_empty());
}
