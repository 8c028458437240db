//! The hosted checkout page in a real browser (headless Chromium through
//! chromedriver): what a payer sees, the VietQR it shows decoded back to the request's
//! payload, the demo wallet paying (with a step-up when the amount needs one), the
//! page following the request live, going back to the shop, and expiry.
//! Screenshots of each state go to docs/screenshots/ for the README.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::future::Future;
use std::time::Duration;

use e2e::browser::{decode_qr, Browser, Shop, DESKTOP, PHONE};
use e2e::{new_request, request_status, start_for_merchants, Citizen, TestGateway};
use serde_json::json;

/// Every browser test is bounded, so CI ends even if a page never does what it should.
async fn bounded(test: impl Future<Output = ()>) {
    tokio::time::timeout(Duration::from_secs(150), test)
        .await
        .expect("the browser test finished in time");
}

/// The first demo citizen: the one the demo wallet signs in as.
fn demo_citizen() -> Citizen {
    let (cccd, name, birth_date, phone, ..) = gateway::demo::DEMO_CITIZENS[0];
    Citizen {
        cccd: cccd.into(),
        name: name.into(),
        birth_date: birth_date.into(),
        phone: phone.into(),
    }
}

#[tokio::test]
async fn a_payer_sees_the_request_pays_with_the_demo_wallet_and_returns_to_the_shop() {
    bounded(async {
        let gw = start_for_merchants(&[]).await;
        let shop = Shop::start().await;
        let m = gw.onboard_merchant(None).await;
        let an = demo_citizen();
        let (session, _) = gw
            .funded_citizen(&an, "0011000000001", 5_000_000, 1_000_000)
            .await;
        let req = new_request(
            &gw,
            &m,
            "order-1001",
            json!({"amount": 150_000, "order_ref": "ORDER-1001", "description": "Phở bò tái",
                   "capture": "automatic", "return_url": shop.url}),
        )
        .await;
        let id = req["id"].as_str().unwrap();
        let checkout_url = req["checkout_url"].as_str().unwrap();
        assert_eq!(checkout_url, gw.url(&format!("/checkout/{id}")));

        let browser = Browser::start().await;
        browser.resize(PHONE).await;
        browser.goto(checkout_url).await;
        assert_eq!(browser.text("#merchant").await, "Cửa hàng Thử nghiệm");
        assert_eq!(browser.text("#amount").await, "150.000 ₫");
        assert_eq!(browser.text("#order-ref").await, "ORDER-1001");
        assert_eq!(browser.text("#description").await, "Phở bò tái");
        assert_eq!(browser.text("#bank").await, "Vietcombank");
        assert_eq!(browser.text("#account").await, "0011001234567");
        assert_eq!(browser.text("#status").await, "Chờ thanh toán");
        // The countdown runs down from the request's 15 minutes.
        let left = browser.wait_for_text("#countdown", ":", 5).await;
        assert!(left.starts_with("14:") || left.starts_with("15:"), "{left}");
        assert!(browser.fits_width().await, "the page fits a phone's width");

        // The QR the page draws is the request's VietQR payload.
        let drawn = decode_qr(&browser.element_png("#qr").await);
        assert_eq!(drawn, req["qr"].as_str().unwrap());
        browser.screenshot("checkout").await;

        // Nothing personal on a public page, before or after paying.
        let before = browser.text("body").await;
        assert!(!before.contains(&an.cccd) && !before.contains(&an.name));

        browser.click("#pay-with-wallet").await;
        browser.wait_for_text("#status", "Đã thanh toán", 15).await;
        browser.screenshot("checkout-paid").await;
        let after = browser.text("body").await;
        assert!(!after.contains(&an.cccd) && !after.contains(&an.name));
        assert!(!after.contains("001******"), "not even masked");

        let back = browser.wait_for_url(&shop.url, 15).await;
        assert!(back.contains(&format!("payment_request_id={id}")), "{back}");
        assert!(back.contains("status=paid"), "{back}");
        browser.wait_for_text("#shop", "Cảm ơn", 5).await;
        let visits = shop.visits.lock().unwrap().clone();
        assert_eq!(
            visits.iter().filter(|v| v.starts_with("/thanks")).count(),
            1,
            "{visits:?}"
        );

        assert_eq!(request_status(&gw, &m, id).await["status"], "paid");
        assert_eq!(gw.wallet_balance(&session).await, 850_000);
        browser.close().await;
    })
    .await;
}

#[tokio::test]
async fn the_page_follows_a_payment_made_from_a_banking_app_live_in_english() {
    bounded(async {
        let gw = start_for_merchants(&[]).await;
        let m = gw.onboard_merchant(None).await;
        let req = new_request(
            &gw,
            &m,
            "order-2002",
            json!({"amount": 2_500_000, "order_ref": "ORDER-2002", "capture": "manual"}),
        )
        .await;
        let id = req["id"].as_str().unwrap();

        let browser = Browser::start().await;
        browser.resize(DESKTOP).await;
        browser
            .goto(&format!(
                "{}?lang=en",
                req["checkout_url"].as_str().unwrap()
            ))
            .await;
        assert_eq!(browser.text("#amount").await, "2,500,000 ₫");
        assert_eq!(browser.text("#status").await, "Awaiting payment");
        assert!(!browser.exists("#description").await);
        browser.screenshot("checkout-en").await;

        // A citizen scans the code the page shows and pays it in their app.
        let payload = decode_qr(&browser.element_png("#qr").await);
        assert_eq!(payload, req["qr"].as_str().unwrap());
        browser.script("window.stillTheSamePage = true;").await;
        let binh = Citizen::saigon(2002);
        let (payer, _) = gw
            .funded_citizen(&binh, "0011000002002", 5_000_000, 3_000_000)
            .await;
        let (status, payment) = gw
            .post_as(
                &payer,
                "/v1/payments",
                "scan-2002",
                json!({"type": "merchant", "qr": payload}),
            )
            .await;
        assert_eq!(
            (status, payment["status"].as_str()),
            (201, Some("authorized"))
        );

        // The open page turns without a reload.
        browser
            .wait_for_text("#status", "Authorized, awaiting the merchant", 15)
            .await;
        assert_eq!(
            browser
                .script("return window.stillTheSamePage === true;")
                .await,
            true
        );
        assert!(
            !browser.exists("#back-to-shop").await,
            "no return_url, no way back"
        );
        browser.screenshot("checkout-authorized").await;
        let text = browser.text("body").await;
        assert!(!text.contains(&binh.cccd) && !text.contains(&binh.name));
        assert_eq!(request_status(&gw, &m, id).await["status"], "authorized");
        browser.close().await;
    })
    .await;
}

#[tokio::test]
async fn the_demo_wallet_asks_for_a_biometric_step_up_when_the_amount_needs_one() {
    bounded(async {
        let gw = start_for_merchants(&[("STEP_UP_SINGLE_LIMIT", "100000")]).await;
        let m = gw.onboard_merchant(None).await;
        let an = demo_citizen();
        let (session, link) = gw
            .funded_citizen(&an, "0011000000001", 5_000_000, 100_000)
            .await;
        let (status, topup) = gw
            .post_as(
                &session,
                "/v1/me/topups",
                "fund-more",
                json!({"amount": 100_000, "source": {"bank_link_id": link}}),
            )
            .await;
        assert_eq!((status, topup["status"].as_str()), (201, Some("succeeded")));
        let req = new_request(
            &gw,
            &m,
            "order-3003",
            json!({"amount": 150_000, "order_ref": "ORDER-3003", "description": "Cà phê"}),
        )
        .await;
        let id = req["id"].as_str().unwrap();

        let browser = Browser::start().await;
        browser.resize(PHONE).await;
        browser.goto(req["checkout_url"].as_str().unwrap()).await;
        browser.click("#pay-with-wallet").await;
        browser
            .wait_for_text("#step-up", "Cần xác thực sinh trắc học", 15)
            .await;
        assert_eq!(browser.text("#status").await, "Chờ thanh toán");
        browser
            .script("document.getElementById('step-up').scrollIntoView();")
            .await;
        browser.screenshot("checkout-step-up").await;
        assert_eq!(request_status(&gw, &m, id).await["status"], "open");

        browser.click("#confirm-step-up").await;
        browser.wait_for_text("#status", "Đã thanh toán", 15).await;
        assert_eq!(request_status(&gw, &m, id).await["status"], "paid");
        assert_eq!(gw.wallet_balance(&session).await, 50_000);
        browser.close().await;
    })
    .await;
}

#[tokio::test]
async fn an_expired_request_shows_expired_as_its_countdown_ends() {
    bounded(async {
        let gw = start_for_merchants(&[("MERCHANT_REQUEST_MIN_EXPIRY_SECONDS", "1")]).await;
        let m = gw.onboard_merchant(None).await;
        // The browser first: starting it on a loaded machine can take longer than the
        // request has to live.
        let browser = Browser::start().await;
        browser.resize(PHONE).await;
        let req = new_request(
            &gw,
            &m,
            "order-4004",
            json!({"amount": 99_000, "order_ref": "ORDER-4004", "expires_in_seconds": 8}),
        )
        .await;
        browser.goto(req["checkout_url"].as_str().unwrap()).await;
        assert_eq!(browser.text("#status").await, "Chờ thanh toán");
        browser.wait_for_text("#status", "Đã hết hạn", 30).await;
        let qr_shown = browser
            .script("return document.getElementById('qr').offsetParent !== null;")
            .await;
        assert_eq!(qr_shown, false, "an expired request's QR is not offered");
        browser.screenshot("checkout-expired").await;
        // A page opened afresh says the same.
        browser.client.refresh().await.unwrap();
        assert_eq!(browser.text("#status").await, "Đã hết hạn");
        assert!(
            !browser.exists("#pay-with-wallet").await || {
                let shown = browser
                    .script(
                        "return document.getElementById('pay-with-wallet').offsetParent !== null;",
                    )
                    .await;
                shown == false
            }
        );
        browser.close().await;
    })
    .await;
}

#[tokio::test]
async fn the_demo_wallet_is_for_the_demo_and_its_own_page_only_and_unknown_requests_are_not_found()
{
    let demo = start_for_merchants(&[]).await;
    let dm = demo.onboard_merchant(None).await;
    let demo_req = new_request(
        &demo,
        &dm,
        "order-5004",
        json!({"amount": 10_000, "order_ref": "ORDER-5004"}),
    )
    .await;
    let demo_id = demo_req["id"].as_str().unwrap().to_string();
    let gw = TestGateway::start_outside_demo().await;
    let m = gw.onboard_merchant(None).await;
    let req = new_request(
        &gw,
        &m,
        "order-5005",
        json!({"amount": 10_000, "order_ref": "ORDER-5005"}),
    )
    .await;
    let id = req["id"].as_str().unwrap();
    let page = gw
        .client
        .get(gw.url(&format!("/checkout/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(page
        .headers()
        .get("content-security-policy")
        .unwrap()
        .to_str()
        .unwrap()
        .contains("default-src 'none'"));
    let html = page.text().await.unwrap();
    assert!(html.contains("10.000 ₫"));
    assert!(!html.contains("pay-with-wallet"));
    let wallet = gw
        .client
        .post(gw.url(&format!("/checkout/{id}/wallet")))
        .send()
        .await
        .unwrap();
    assert_eq!(wallet.status(), 404);

    let foreign = demo
        .client
        .post(demo.url(&format!("/checkout/{demo_id}/wallet")))
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(
        foreign.status(),
        403,
        "another site cannot make the demo citizen pay"
    );
    assert_eq!(request_status(&demo, &dm, &demo_id).await["status"], "open");

    let missing = gw
        .client
        .get(gw.url("/checkout/req_0000000000000000"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    let qr = gw
        .client
        .get(gw.url(&format!("/checkout/{id}/qr.png")))
        .send()
        .await
        .unwrap();
    assert_eq!(qr.headers()["content-type"], "image/png");
    let png = qr.bytes().await.unwrap();
    assert_eq!(decode_qr(&png), req["qr"].as_str().unwrap());
}
