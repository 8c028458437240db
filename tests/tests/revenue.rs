//! Revenue per tax key end to end: a household with two shops under one personal tax
//! code, the merchant's own report and the operator's, as JSON and CSV, the CCCD
//! masked everywhere, and the year-to-date threshold flag.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;

use chrono::{Datelike, Utc};
use e2e::{assert_error, new_request, Citizen, Merchant, TestGateway, ADMIN_TOKEN, REQUESTS};
use serde_json::json;

const HOUSEHOLD: &str = "001085012345";

async fn onboard(gw: &TestGateway, name: &str, tax_code: &str) -> Merchant {
    gw.onboard_merchant_with(json!({
        "name": name,
        "tax_code": tax_code,
        "settlement": { "bank_bin": "970436", "account_number": "0011007777777" },
    }))
    .await
}

/// The citizen pays `amount` to `shop`; the request's id.
async fn sale(gw: &TestGateway, who: &e2e::Session, shop: &Merchant, amount: i64) -> String {
    let key = format!("s{:x}", rand::random::<u64>());
    let req = new_request(gw, shop, &key, json!({"amount": amount, "order_ref": key})).await;
    let (status, paid) = gw
        .post_as(
            who,
            "/v1/payments",
            &key,
            json!({"type": "merchant", "payment_request_id": req["id"]}),
        )
        .await;
    assert_eq!(
        (status, paid["status"].as_str()),
        (201, Some("succeeded")),
        "{paid}"
    );
    req["id"].as_str().unwrap().to_string()
}

async fn raw_get(gw: &TestGateway, path: &str, token: &str) -> (u16, String, String) {
    let res = reqwest::Client::new()
        .get(gw.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let kind = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, kind, res.text().await.unwrap())
}

#[tokio::test]
async fn a_household_sees_the_revenue_of_all_its_shops_under_its_masked_tax_code() {
    let gw =
        TestGateway::start_with(HashMap::from([("REVENUE_THRESHOLDS", "2026-01-01=100000")])).await;
    let payer = Citizen::hanoi(95);
    let (session, _) = gw
        .funded_citizen(&payer, "0011000000095", 5_000_000, 1_000_000)
        .await;
    let shop_a = onboard(&gw, "Tạp hoá Cô Ba", HOUSEHOLD).await;
    let shop_b = onboard(&gw, "Quán Cơm Cô Ba", HOUSEHOLD).await;
    let other = onboard(&gw, "Công ty khác", "0312345678").await;

    let first = sale(&gw, &session, &shop_a, 60_000).await;
    sale(&gw, &session, &shop_b, 50_000).await;
    sale(&gw, &session, &other, 70_000).await;
    let (status, refund) = gw
        .merchant_post(
            &shop_a,
            &format!("{REQUESTS}/{first}/refunds"),
            "rf1",
            json!({"amount": 10_000}),
        )
        .await;
    assert_eq!(status, 201, "{refund}");

    let today = Utc::now().with_timezone(&chrono::FixedOffset::east_opt(7 * 3600).unwrap());
    let month = format!("{}-{:02}", today.year(), today.month());
    let quarter = format!("{}-Q{}", today.year(), today.month().div_ceil(3));
    let path = |p: &str| format!("/v1/merchant/reports/revenue?period={p}");
    let (status, report) = gw.merchant_get(&shop_b, &path(&month)).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["tax_code"], "001******345");
    assert_eq!(report["tax_code_kind"], "personal");
    assert_eq!(report["period"], month.as_str());
    assert_eq!(
        (
            &report["gross"],
            &report["refunds"],
            &report["net"],
            &report["count"],
            &report["refund_count"]
        ),
        (
            &json!(110_000),
            &json!(10_000),
            &json!(100_000),
            &json!(2),
            &json!(1)
        )
    );
    let shops: Vec<&str> = report["merchants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert_eq!(shops.len(), 2);
    assert!(shops.contains(&shop_a.id.as_str()) && shops.contains(&shop_b.id.as_str()));
    assert_eq!(report["year_to_date"]["net"], 100_000);
    assert_eq!(report["flagged"], false, "exactly the level is not past it");
    assert!(!report.to_string().contains(HOUSEHOLD));

    // One more dong of revenue passes the configured level.
    sale(&gw, &session, &shop_b, 1).await;
    let (_, report) = gw.merchant_get(&shop_a, &path(&quarter)).await;
    assert_eq!(report["period"], quarter.as_str());
    assert_eq!(report["net"], 100_001);
    assert_eq!(report["flagged"], true);
    let tax_free = report["year_to_date"]["thresholds"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["kind"] == "tax_free_revenue")
        .cloned()
        .unwrap();
    assert_eq!(
        (&tax_free["amount"], &tax_free["reached"]),
        (&json!(100_000), &json!(true))
    );

    // The same report as a CSV download: a row per shop and the total.
    let (status, kind, csv) = raw_get(
        &gw,
        &format!("{}&format=csv", path(&month)),
        &shop_a.api_key,
    )
    .await;
    assert_eq!(status, 200);
    assert!(kind.starts_with("text/csv"), "{kind}");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 4, "{csv}");
    assert!(
        lines[3].contains(",total,,110001,10000,100001,3,1,100001,true"),
        "{csv}"
    );
    assert!(!csv.contains(HOUSEHOLD));

    // The operator asks by the full tax code and sees the same, masked.
    let admin = |q: &str| format!("/v1/admin/reports/revenue?{q}");
    let (status, by_operator) = gw
        .get(
            &admin(&format!("tax_code={HOUSEHOLD}&period={month}")),
            Some(ADMIN_TOKEN),
        )
        .await;
    assert_eq!(status, 200, "{by_operator}");
    assert_eq!(by_operator["net"], 100_001);
    assert_eq!(by_operator["tax_code"], "001******345");
    let (_, enterprise) = gw
        .get(
            &admin(&format!("tax_code=0312345678&period={}", today.year())),
            Some(ADMIN_TOKEN),
        )
        .await;
    assert_eq!(
        (&enterprise["tax_code"], &enterprise["net"]),
        (&json!("0312345678"), &json!(70_000))
    );

    // Refusals.
    assert_error(
        &gw.merchant_get(&shop_a, &path("2026-13")).await,
        400,
        "invalid_period",
    );
    assert_error(
        &gw.merchant_get(&shop_a, "/v1/merchant/reports/revenue")
            .await,
        400,
        "invalid_period",
    );
    assert_error(
        &gw.get(
            &admin(&format!("tax_code=001085099999&period={month}")),
            Some(ADMIN_TOKEN),
        )
        .await,
        404,
        "tax_code_not_found",
    );
    assert_error(
        &gw.get(
            &admin(&format!("tax_code=12345&period={month}")),
            Some(ADMIN_TOKEN),
        )
        .await,
        400,
        "invalid_tax_code",
    );
    assert_error(
        &gw.get(
            &admin(&format!("tax_code={HOUSEHOLD}&period={month}")),
            Some(&session.token),
        )
        .await,
        403,
        "forbidden",
    );
}
