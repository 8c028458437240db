//! The operator console in a real browser (headless Chromium through chromedriver):
//! signing in, finding a payment and its ledger transfers, the stuck list, verifying
//! the ledger, onboarding a merchant, re-delivering a webhook, the audit trail,
//! reconciliation (in `browser_console/reconciliation.rs`); and, over plain HTTP, the
//! session cookie's attributes and the CSRF refusals.
//! Screenshots of each page go to docs/screenshots/ for the README.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;

use e2e::browser::{Browser, DESKTOP};
use e2e::console::{csrf_of, form_body, no_redirects, set_cookie};
use e2e::{new_request, start_for_merchants, Citizen, TestGateway, WebhookReceiver, ADMIN_TOKEN};
use serde_json::json;

// Beside this file, `reconciliation.rs` is the API's own test binary, and a file
// directly in tests/ would be one more: the console's part lives in a folder of its own.
#[path = "browser_console/reconciliation.rs"]
mod reconciliation;

async fn bounded(test: impl Future<Output = ()>) {
    tokio::time::timeout(Duration::from_secs(200), test)
        .await
        .expect("the browser test finished in time");
}

#[tokio::test]
async fn an_operator_finds_a_payment_checks_the_books_onboards_and_redelivers() {
    bounded(async {
        // Retries far apart: the failed delivery waits for the operator's re-delivery.
        let gw = start_for_merchants(&[("WEBHOOK_RETRY_BASE_MS", "600000")]).await;
        let hooks = WebhookReceiver::start(1).await;
        let m = gw.onboard_merchant(Some(&hooks.url)).await;
        let an = Citizen::hanoi(8101);
        let (session, link) = gw
            .funded_citizen(&an, "0011000008101", 50_000_000, 2_000_000)
            .await;
        let req = new_request(
            &gw,
            &m,
            "order-8101",
            json!({"amount": 150_000, "order_ref": "ORDER-8101", "description": "Bún chả"}),
        )
        .await;
        let req_id = req["id"].as_str().unwrap().to_string();
        let (status, payment) = gw
            .post_as(
                &session,
                "/v1/payments",
                "pay-8101",
                json!({"type": "merchant", "payment_request_id": req_id}),
            )
            .await;
        assert_eq!(status, 201, "{payment}");
        let pay_id = payment["id"].as_str().unwrap().to_string();
        // A top-up above the step-up limit waits for the citizen: a stuck payment.
        let (status, waiting) = gw
            .post_as(
                &session,
                "/v1/me/topups",
                "big-topup",
                json!({"amount": 11_000_000, "source": {"bank_link_id": link}}),
            )
            .await;
        assert_eq!(
            (status, waiting["status"].as_str()),
            (201, Some("requires_step_up"))
        );
        let waiting_id = waiting["id"].as_str().unwrap().to_string();
        // The merchant's endpoint refused the first delivery.
        for _ in 0..100 {
            if hooks.attempts.load(std::sync::atomic::Ordering::SeqCst) >= 1 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }

        let b = Browser::start().await;
        b.resize(DESKTOP).await;
        // Without a session every console page sends the operator to sign in.
        b.goto(&gw.url("/console/payments")).await;
        b.wait_for_url(&gw.url("/console/sign-in"), 5).await;
        b.screenshot("console-sign-in").await;
        b.fill("#token", "adm_not_the_token").await;
        b.click("#sign-in").await;
        b.wait_for_text("#sign-in-refused", "not the admin token", 5)
            .await;
        b.fill("#token", ADMIN_TOKEN).await;
        b.click("#sign-in").await;
        b.wait_for_url(&gw.url("/console/payments"), 5).await;

        // Search: by type, status and today's date, then by id.
        let today = chrono::Utc::now()
            .with_timezone(&chrono::FixedOffset::east_opt(7 * 3600).unwrap())
            .format("%Y-%m-%d")
            .to_string();
        b.goto(&gw.url(&format!(
            "/console/payments?type=merchant&status=succeeded&from={today}&to={today}"
        )))
        .await;
        b.wait_for_text("table", &pay_id, 5).await;
        b.screenshot("console-payments").await;
        b.fill("#id", &pay_id).await;
        b.select("#type", "").await;
        b.select("#status", "").await;
        b.click("#search").await;
        b.wait_for_text("table", &pay_id, 5).await;
        b.click(".payment-link").await;

        // The payment: its history and its ledger transfers, linked to the accounts.
        b.wait_for_text("#payment-id", &pay_id, 5).await;
        assert_eq!(b.text("#payment-status").await, "succeeded");
        let cccd = b.text("#payer-cccd").await;
        assert_eq!(cccd, adapters::identity::mask_cccd(&an.cccd));
        assert!(!b.text("body").await.contains(&an.cccd), "CCCD masked");
        b.wait_for_text("#history", "succeeded", 5).await;
        b.wait_for_text("#transfers", &m.ledger_account_id, 5).await;
        b.wait_for_text("#transfers", "150,000 ₫", 5).await;
        b.screenshot("console-payment").await;
        b.click(&format!("#transfers a[href$='{}']", m.ledger_account_id))
            .await;
        b.wait_for_text("#account-id", &m.ledger_account_id, 5)
            .await;
        assert_eq!(b.text("#account-balance").await, "150,000 ₫");
        b.wait_for_text("#entries", "credit", 5).await;
        b.screenshot("console-account").await;

        // What needs a hand.
        b.goto(&gw.url("/console/stuck?minutes=0")).await;
        b.wait_for_text("#stuck-step-up", &waiting_id, 5).await;
        b.screenshot("console-stuck").await;

        // The books: the trial balance, then the chain verified.
        b.goto(&gw.url("/console/ledger")).await;
        b.wait_for_text("#trial-balance", "VND", 5).await;
        b.click("#verify").await;
        b.wait_for_text("#verify-result", "Chain intact", 15).await;
        b.screenshot("console-ledger").await;

        // Onboarding: the secrets are shown this once.
        b.goto(&gw.url("/console/merchants")).await;
        b.fill("#name", "Phở Thìn").await;
        b.fill("#tax_code", "0109876543").await;
        b.fill("#bank_bin", "970436").await;
        b.fill("#account_number", "0011001234567").await;
        b.select("#category", "general").await;
        b.click("#onboard-submit").await;
        b.wait_for_text("#onboarded-name", "Phở Thìn", 10).await;
        let api_key = b.text("#api-key").await;
        assert!(api_key.starts_with("mk_"), "{api_key}");
        assert!(b.text("#signing-secret").await.starts_with("sig_"));
        assert!(b.text("#webhook-secret").await.starts_with("whsec_"));
        b.screenshot("console-onboarded").await;
        let new_id = b.text("#onboarded-id").await;
        // The new merchant's key works at once.
        let (status, _) = gw
            .get(
                &format!("/v1/merchant/payment-requests/{req_id}"),
                Some(&api_key),
            )
            .await;
        assert_eq!(status, 404, "a working key, and another merchant's request");
        b.goto(&gw.url("/console/merchants")).await;
        b.wait_for_text("#merchants", "Phở Thìn", 5).await;
        b.screenshot("console-merchants").await;
        b.goto(&gw.url(&format!("/console/merchants/{new_id}")))
            .await;
        assert!(!b.text("body").await.contains(&api_key), "shown once only");

        // Webhooks: the failed delivery with its attempts and error, then re-delivered.
        b.goto(&gw.url(&format!("/console/merchants/{}", m.id)))
            .await;
        b.wait_for_text("#deliveries", "payment_request.paid", 5)
            .await;
        assert_eq!(b.text("#deliveries .attempts").await, "1");
        assert_eq!(b.text("#deliveries .last-error").await, "answered 500");
        b.screenshot("console-webhooks").await;
        b.click("#deliveries .redeliver").await;
        b.wait_for_text("#redelivered", "evt_", 5).await;
        hooks.wait_for("payment_request.paid", &req_id).await;
        b.client.refresh().await.unwrap();
        b.wait_for_text("#deliveries .attempts", "2", 10).await;
        assert!(!b.text("#deliveries .delivered").await.is_empty());

        // Every action is on the trail.
        b.goto(&gw.url("/console/audit")).await;
        let trail = b.text("#audit").await;
        for action in [
            "sign_in_refused",
            "sign_in",
            "ledger.verify",
            "merchant.onboard",
            "webhook.redeliver",
        ] {
            assert!(trail.contains(action), "{action} in {trail}");
        }
        assert!(!trail.contains(ADMIN_TOKEN) && !trail.contains(&api_key));
        b.screenshot("console-audit").await;

        // Signed out, the console is closed again.
        b.click("#sign-out").await;
        b.wait_for_url(&gw.url("/console/sign-in"), 5).await;
        b.goto(&gw.url("/console/ledger")).await;
        b.wait_for_url(&gw.url("/console/sign-in"), 5).await;
        b.close().await;
    })
    .await;
}

#[tokio::test]
async fn console_forms_need_the_sessions_csrf_token_and_cookies_are_strict() {
    let gw = TestGateway::start().await;
    let http = no_redirects();

    let res = http.get(gw.url("/console/payments")).send().await.unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/console/sign-in");

    // The sign-in form's own token rides in a cookie as well (double submit).
    let form = http.get(gw.url("/console/sign-in")).send().await.unwrap();
    let (pre_cookie, header) = set_cookie(&form, "gw_console_signin");
    assert!(
        header.contains("HttpOnly") && header.contains("SameSite=Strict"),
        "{header}"
    );
    assert!(!header.contains("Secure"), "plain http: {header}");
    let pre_csrf = csrf_of(&form.text().await.unwrap());
    let sign_in = |cookie: Option<String>, fields: Vec<(&'static str, String)>| {
        let mut request = http
            .post(gw.url("/console/sign-in"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form_body(&fields));
        if let Some(c) = cookie {
            request = request.header("cookie", c);
        }
        request.send()
    };
    let refused = [
        (
            Some(pre_cookie.clone()),
            vec![("token", ADMIN_TOKEN.to_string())],
        ),
        (
            Some(pre_cookie.clone()),
            vec![("token", ADMIN_TOKEN.to_string()), ("csrf", "0".repeat(64))],
        ),
        (
            None,
            vec![
                ("token", ADMIN_TOKEN.to_string()),
                ("csrf", pre_csrf.clone()),
            ],
        ),
    ];
    for (cookie, fields) in refused {
        let res = sign_in(cookie, fields).await.unwrap();
        assert_eq!(res.status(), 403);
    }
    let res = sign_in(
        Some(pre_cookie.clone()),
        vec![
            ("token", ADMIN_TOKEN.to_string()),
            ("csrf", pre_csrf.clone()),
        ],
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/console/payments");
    let (session, header) = set_cookie(&res, "gw_console");
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/console"] {
        assert!(header.contains(attribute), "{attribute} in {header}");
    }

    let get = |path: &'static str| http.get(gw.url(path)).header("cookie", &session).send();
    let page = get("/console/ledger").await.unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["x-frame-options"], "DENY");
    let csrf = csrf_of(&page.text().await.unwrap());

    let post = |path: &'static str, fields: Vec<(&'static str, String)>| {
        http.post(gw.url(path))
            .header("cookie", &session)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form_body(&fields))
            .send()
    };
    let missing = post("/console/ledger/verify", vec![]).await.unwrap();
    assert_eq!(missing.status(), 403);
    let wrong = post("/console/ledger/verify", vec![("csrf", "f".repeat(64))])
        .await
        .unwrap();
    assert_eq!(wrong.status(), 403);
    let other = post("/console/ledger/verify", vec![("csrf", pre_csrf.clone())])
        .await
        .unwrap();
    assert_eq!(
        other.status(),
        403,
        "the sign-in form's token is not the session's"
    );
    let onboard = post(
        "/console/merchants",
        vec![
            ("name", "Không CSRF".to_string()),
            ("tax_code", "0109876543".to_string()),
            ("bank_bin", "970436".to_string()),
            ("account_number", "0011001234567".to_string()),
        ],
    )
    .await
    .unwrap();
    assert_eq!(onboard.status(), 403);
    let ok = post("/console/ledger/verify", vec![("csrf", csrf.clone())])
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    assert!(ok.text().await.unwrap().contains("Chain intact"));

    let merchants = get("/console/merchants")
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!merchants.contains("Không CSRF"), "nothing was onboarded");
    let audit = get("/console/audit").await.unwrap().text().await.unwrap();
    assert_eq!(audit.matches("ledger.verify").count(), 1, "{audit}");
    assert_eq!(audit.matches("sign_in_refused").count(), 3, "{audit}");

    // Signed out, the old cookie opens nothing.
    let out = post("/console/sign-out", vec![("csrf", csrf)])
        .await
        .unwrap();
    assert_eq!(out.status(), 303);
    let after = get("/console/ledger").await.unwrap();
    assert_eq!(after.status(), 303);

    // Served over TLS, the cookies are Secure.
    let tls = TestGateway::start_with(HashMap::from([(
        "GATEWAY_PUBLIC_URL",
        "https://pay.example.vn",
    )]))
    .await;
    let form = http.get(tls.url("/console/sign-in")).send().await.unwrap();
    let (_, header) = set_cookie(&form, "gw_console_signin");
    assert!(header.contains("Secure"), "{header}");
}
