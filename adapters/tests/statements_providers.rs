//! Statements of VNPay, MoMo and ZaloPay over real HTTP: orders created through
//! `adapters::funding`, paid or cancelled at the simulator, then the day's file fetched
//! and parsed; and a MoMo cancel declined with 4002 reaching the IPN, the query answer
//! and the statement.

// Helpers outside `#[test]` functions, which clippy's allow-in-tests settings do not
// cover.
#![allow(clippy::expect_used, clippy::panic)]

mod providers_support;

use adapters::funding::{
    self, FundingProvider, MomoCredentials, MomoFunding, OrderQueries, OrderState, Provider,
    QueryTargets, VnpayCredentials, VnpayFunding, ZaloPayCredentials, ZaloPayFunding,
};
use adapters::statement::{
    business_date_of, parse, LineStatus, Statement, StatementClient, StatementSource,
    StatementTargets,
};
use chrono::Utc;
use providers_support::Harness;
use serde_json::json;
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(5);

async fn today(h: &Harness, source: StatementSource) -> Statement {
    let client =
        StatementClient::new(StatementTargets::under(&h.sims.base_url()), TIMEOUT).expect("client");
    let bytes = client
        .fetch(source, business_date_of(Utc::now()))
        .await
        .expect("fetched");
    parse(source, &bytes).unwrap_or_else(|err| panic!("{source:?}: {err}"))
}

/// Creates an order at `provider` and tells the stand-in gateway about it; answers
/// the provider's reference.
async fn order(h: &Harness, provider: Provider, reference: &str, amount: i64) -> String {
    let created = match provider {
        Provider::Vnpay => {
            VnpayFunding::new(&h.sim_url("/vnpay"), VnpayCredentials::demo())
                .create_order(h.topup(reference, amount, "/v1/callbacks/vnpay/ipn"))
                .await
        }
        Provider::Momo => {
            MomoFunding::new(&h.sim_url("/momo"), MomoCredentials::sandbox(), TIMEOUT)
                .expect("client")
                .create_order(h.topup(reference, amount, "/v1/callbacks/momo/ipn"))
                .await
        }
        Provider::Zalopay => {
            ZaloPayFunding::new(
                &h.sim_url("/zalopay"),
                ZaloPayCredentials::sandbox(),
                TIMEOUT,
            )
            .expect("client")
            .create_order(h.topup(reference, amount, "/v1/callbacks/zalopay"))
            .await
        }
    }
    .expect("created");
    if provider == Provider::Vnpay {
        // VNPay learns of an order when the payer's browser opens the payment page.
        let (status, page) = h.get(&created.redirect_url).await;
        assert_eq!(status, 200, "{page}");
    }
    h.expect_order(&created.provider_reference, amount);
    created.provider_reference
}

#[tokio::test]
async fn each_provider_lists_paid_orders_as_settled_and_cancelled_ones_as_failed() {
    let h = Harness::start().await;
    for (provider, source, prefix) in [
        (Provider::Vnpay, StatementSource::Vnpay, "/vnpay"),
        (Provider::Momo, StatementSource::Momo, "/momo"),
        (Provider::Zalopay, StatementSource::Zalopay, "/zalopay"),
    ] {
        let paid = order(&h, provider, "pay_paid", 150_000).await;
        let cancelled = order(&h, provider, "pay_gone", 60_000).await;
        let pending = order(&h, provider, "pay_wait", 70_000).await;
        let paid_state = h.finish(prefix, &paid, "pay").await;
        let (status, _) = h
            .post(&format!("{prefix}/orders/{cancelled}/cancel"), json!(null))
            .await;
        assert_eq!(status, 200);

        let statement = today(&h, source).await;
        assert_eq!(statement.source, source);
        assert_eq!(statement.lines.len(), 2, "{source:?}: {statement:?}");
        let line = statement
            .lines
            .iter()
            .find(|l| l.reference == paid)
            .expect("the paid order");
        assert_eq!((line.amount, line.status), (150_000, LineStatus::Settled));
        assert_eq!(
            line.their_id.as_deref(),
            paid_state["provider_transaction_id"].as_str()
        );
        assert_eq!(line.party, None);
        let line = statement
            .lines
            .iter()
            .find(|l| l.reference == cancelled)
            .expect("the cancelled order");
        assert_eq!((line.amount, line.status), (60_000, LineStatus::Failed));
        assert!(statement.lines.iter().all(|l| l.reference != pending));
        if provider == Provider::Zalopay {
            // ZaloPay's reference is its app_trans_id: yyMMdd_ before the payment id.
            assert!(paid.ends_with("_pay_paid") && paid.len() == "yyMMdd_pay_paid".len());
        } else {
            assert_eq!(paid, "pay_paid");
        }
    }
}

#[tokio::test]
async fn a_momo_cancel_declined_with_4002_reaches_the_ipn_the_query_and_the_statement() {
    let h = Harness::start().await;
    let reference = order(&h, Provider::Momo, "pay_c06", 200_000).await;
    let (status, body) = h
        .post(
            &format!("/momo/orders/{reference}/cancel"),
            json!({"result_code": "4002"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let state = h.settled("/momo", &reference).await;
    assert_eq!(state["status"], "cancelled");
    assert_eq!(state["callback"]["acknowledged"], true);

    let recorded = h.recorded();
    assert_eq!(recorded.len(), 1);
    assert!(!recorded[0].success);
    assert_eq!(recorded[0].result_code, "4002");
    assert_eq!(
        funding::momo::failure_code(&recorded[0].result_code),
        Some("momo_payer_not_biometric_verified")
    );

    let queries = OrderQueries::new(
        QueryTargets {
            vnpay_base_url: h.sim_url("/vnpay"),
            vnpay: VnpayCredentials::demo(),
            momo_base_url: h.sim_url("/momo"),
            momo: MomoCredentials::sandbox(),
            zalopay_base_url: h.sim_url("/zalopay"),
            zalopay: ZaloPayCredentials::sandbox(),
        },
        TIMEOUT,
    )
    .expect("client");
    let answer = queries
        .query(Provider::Momo, &reference, Utc::now(), Utc::now())
        .await
        .expect("answered");
    assert_eq!(
        answer,
        OrderState::Declined {
            result_code: "4002".to_owned()
        }
    );

    let statement = today(&h, StatementSource::Momo).await;
    assert_eq!(statement.lines.len(), 1);
    assert_eq!(statement.lines[0].status, LineStatus::Failed);
    let date = business_date_of(Utc::now());
    let raw = StatementClient::new(StatementTargets::under(&h.sims.base_url()), TIMEOUT)
        .expect("client")
        .fetch(StatementSource::Momo, date)
        .await
        .expect("fetched");
    let text = String::from_utf8(raw).expect("utf-8");
    assert!(text.contains(",200000,4002,"), "{text}");

    // Without a body a cancel is the generic decline, as before.
    let other = order(&h, Provider::Momo, "pay_plain", 10_000).await;
    let (status, _) = h
        .post(&format!("/momo/orders/{other}/cancel"), json!({}))
        .await;
    assert_eq!(status, 200);
    let answer = queries
        .query(Provider::Momo, &other, Utc::now(), Utc::now())
        .await
        .expect("answered");
    assert_eq!(
        answer,
        OrderState::Declined {
            result_code: "1006".to_owned()
        }
    );
}

#[tokio::test]
async fn cancel_result_codes_are_checked_per_provider() {
    let h = Harness::start().await;
    let momo = order(&h, Provider::Momo, "pay_m", 10_000).await;
    for bad in [json!({"result_code": "0"}), json!({"result_code": "abc"})] {
        let (status, body) = h.post(&format!("/momo/orders/{momo}/cancel"), bad).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (400, Some("invalid_result_code"))
        );
    }
    let (status, body) = h
        .post(
            &format!("/momo/orders/{momo}/cancel"),
            json!({"code": "4002"}),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("invalid_request"))
    );
    assert_eq!(h.order("/momo", &momo).await["status"], "pending");

    // VNPay: a two-digit vnp_ResponseCode, carried by the IPN.
    let vnpay = order(&h, Provider::Vnpay, "pay_v", 10_000).await;
    let (status, _) = h
        .post(
            &format!("/vnpay/orders/{vnpay}/cancel"),
            json!({"result_code": "4002"}),
        )
        .await;
    assert_eq!(status, 400);
    let (status, _) = h
        .post(
            &format!("/vnpay/orders/{vnpay}/cancel"),
            json!({"result_code": "51"}),
        )
        .await;
    assert_eq!(status, 200);
    h.settled("/vnpay", &vnpay).await;
    let recorded = h.recorded();
    let ipn = recorded
        .iter()
        .find(|c| c.provider_reference == vnpay)
        .expect("the IPN");
    assert_eq!((ipn.success, ipn.result_code.as_str()), (false, "51"));

    // ZaloPay: a negative sub_return_code, seen by a query (ZaloPay sends no callback).
    let zalopay = order(&h, Provider::Zalopay, "pay_z", 10_000).await;
    let (status, _) = h
        .post(
            &format!("/zalopay/orders/{zalopay}/cancel"),
            json!({"result_code": "-54"}),
        )
        .await;
    assert_eq!(status, 200);
    let statement = today(&h, StatementSource::Zalopay).await;
    assert_eq!(statement.lines[0].status, LineStatus::Failed);
}

#[tokio::test]
async fn provider_tweaks_disagree_and_clear() {
    let h = Harness::start().await;
    let paid = order(&h, Provider::Vnpay, "pay_t", 80_000).await;
    h.finish("/vnpay", &paid, "pay").await;
    for body in [
        json!({"reference": paid, "change": "duplicate"}),
        json!({"reference": paid, "change": "amount", "amount": 8_000}),
        json!({"reference": "pay_never", "change": "add", "amount": 5, "status": "failed"}),
    ] {
        let (status, answer) = h.post("/vnpay/statements/tweaks", body).await;
        assert_eq!(status, 201, "{answer}");
    }
    let statement = today(&h, StatementSource::Vnpay).await;
    let summary: Vec<_> = statement
        .lines
        .iter()
        .map(|l| (l.reference.as_str(), l.amount, l.status))
        .collect();
    assert_eq!(
        summary,
        [
            ("pay_t", 8_000, LineStatus::Settled),
            ("pay_t", 8_000, LineStatus::Settled),
            ("pay_never", 5, LineStatus::Failed),
        ]
    );
    let (status, body) = h
        .post(
            "/vnpay/statements/tweaks",
            json!({"reference": paid, "change": "add", "amount": 1, "party": "debit"}),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("invalid_party"))
    );
    let response = h
        .http
        .delete(h.sim_url("/vnpay/statements/tweaks"))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 200);
    let statement = today(&h, StatementSource::Vnpay).await;
    assert_eq!(statement.lines.len(), 1);
    assert_eq!(statement.lines[0].amount, 80_000);
    // Another provider's file never saw these tweaks.
    assert!(today(&h, StatementSource::Momo).await.lines.is_empty());
}
