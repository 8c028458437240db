//! Reconciliation in the console, in a real browser: a withdrawal that NAPAS's
//! statement leaves out, a run started from the form, its `missing_at_them` difference
//! resolved with `reverse` (the citizen's wallet credited back, checked through the
//! API), the CSRF refusal, a form sent twice resolving once, the same day's statement
//! uploaded as a file, and the audit trail; and over plain HTTP, a system that is down
//! shown as a message on the page.

use fantoccini::Locator;
use serde_json::json;

use super::{bounded, csrf_of, form_body, no_redirects, set_cookie};
use e2e::browser::Browser;
use e2e::{Citizen, TestGateway, ADMIN_TOKEN};

fn vietnam_today() -> chrono::NaiveDate {
    chrono::Utc::now()
        .with_timezone(&chrono::FixedOffset::east_opt(7 * 3600).unwrap())
        .date_naive()
}

async fn attribute(b: &Browser, css: &str, name: &str) -> String {
    b.client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no {css}: {e}"))
        .attr(name)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("{css} has no {name}"))
}

async fn field_value(b: &Browser, css: &str) -> String {
    b.script(&format!("return document.querySelector(\"{css}\").value;"))
        .await
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn an_operator_reconciles_napas_and_books_back_a_withdrawal_it_never_paid_out() {
    bounded(async {
        let gw = TestGateway::start().await;
        let payer = Citizen::hanoi(8201);
        let (session, link) = gw
            .funded_citizen(&payer, "0011000008201", 10_000_000, 2_000_000)
            .await;
        let (status, w) = gw
            .post_as(
                &session,
                "/v1/me/withdrawals",
                "w-8201",
                json!({"amount": 300_000, "bank_link_id": link}),
            )
            .await;
        assert_eq!((status, w["status"].as_str()), (201, Some("succeeded")), "{w}");
        let withdrawal = w["id"].as_str().unwrap().to_string();
        assert_eq!(gw.wallet_balance(&session).await, 1_700_000);
        // NAPAS's file leaves the withdrawal out: it never paid it out.
        let (status, tweak) = gw
            .simulator_post(
                "/napas/statements/tweaks",
                json!({"reference": withdrawal, "change": "omit"}),
            )
            .await;
        assert_eq!(status, 201, "{tweak}");

        let b = Browser::start().await;
        b.goto(&gw.url("/console/sign-in")).await;
        b.fill("#token", ADMIN_TOKEN).await;
        b.click("#sign-in").await;
        b.wait_for_url(&gw.url("/console/payments"), 5).await;

        // A run for NAPAS today, from the form (today is what it offers).
        b.click("nav a[href='/console/reconciliation']").await;
        b.wait_for_text("#runs", "No runs", 5).await;
        let today = vietnam_today().to_string();
        assert_eq!(field_value(&b, "#run-day").await, today);
        b.select("#run-source", "napas").await;
        b.click("#start-run-submit").await;
        b.wait_for_url(&gw.url("/console/reconciliation/runs/rcn_"), 15)
            .await;
        let first_run = b.text("#run-id").await;
        assert_eq!(b.text("#run-source").await, "napas");
        assert_eq!(b.text("#run-day").await, today);
        assert_eq!(b.text("#run-origin").await, "fetched");
        assert_eq!(b.text("#run-open").await, "1");
        let row = "tr.difference[data-kind='missing_at_them']";
        b.wait_for_text(row, &withdrawal, 5).await;
        assert_eq!(
            attribute(&b, &format!("{row} a.payment-link"), "href").await,
            format!("/console/payments/{withdrawal}")
        );
        assert!(b.text(row).await.contains("300,000 ₫"), "our side's amount");
        let dsc = attribute(&b, row, "id").await;
        assert!(dsc.starts_with("dsc_"), "{dsc}");
        let actions = b
            .script(&format!(
                "return [...document.querySelectorAll('#{dsc} select[name=action] option')].map(o => o.value);"
            ))
            .await;
        assert_eq!(actions, json!(["reverse", "dismiss"]));

        // Without the session's CSRF token, nothing is resolved.
        let cookie = b.client.get_named_cookie("gw_console").await.unwrap();
        let cookie = format!("gw_console={}", cookie.value());
        let csrf = attribute(&b, &format!("#{dsc} input[name=csrf]"), "value").await;
        let nonce = attribute(&b, &format!("#{dsc} input[name=nonce]"), "value").await;
        let http = no_redirects();
        let resolve_path = format!("/console/reconciliation/discrepancies/{dsc}/resolve");
        let post = |path: &str, fields: Vec<(&'static str, String)>| {
            http.post(gw.url(path))
                .header("cookie", &cookie)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(form_body(&fields))
                .send()
        };
        let reason = "NAPAS confirms nothing reached the bank (ticket 81)";
        let fields = |csrf: Option<&str>, nonce: &str| {
            let mut f = vec![
                ("nonce", nonce.to_string()),
                ("action", "reverse".to_string()),
                ("reason", reason.to_string()),
            ];
            if let Some(c) = csrf {
                f.push(("csrf", c.to_string()));
            }
            f
        };
        for refused in [fields(None, &nonce), fields(Some(&"f".repeat(64)), &nonce)] {
            let res = post(&resolve_path, refused).await.unwrap();
            assert_eq!(res.status(), 403);
        }
        assert_eq!(gw.wallet_balance(&session).await, 1_700_000);

        // Resolved from the page: booked back, and the page says so.
        b.select(&format!("#{dsc} select[name=action]"), "reverse")
            .await;
        b.fill(&format!("#{dsc} input[name=reason]"), reason).await;
        b.click(&format!("#{dsc} .resolve-submit")).await;
        b.wait_for_text("#resolved", "reverse", 10).await;
        assert!(b.text("#resolved").await.contains("failed"));
        let resolution = b.text(&format!("#{dsc} .resolution")).await;
        for shown in [reason, "console:", "trf_", "300,000 ₫", "failed"] {
            assert!(resolution.contains(shown), "{shown} in {resolution}");
        }
        assert_eq!(b.text("#run-open").await, "0");
        assert!(!b.exists(&format!("#{dsc} form.resolve")).await);
        // The answer's address points at the difference; the picture starts at the top.
        b.script("window.scrollTo(0, 0); return null;").await;
        b.screenshot("console-reconciliation-run").await;
        assert_eq!(gw.wallet_balance(&session).await, 2_000_000, "credited back");
        let (_, p) = gw
            .get(&format!("/v1/payments/{withdrawal}"), Some(&session.token))
            .await;
        assert_eq!(
            (&p["status"], &p["failure_code"]),
            (&json!("failed"), &json!("reversed_by_reconciliation"))
        );
        let (_, api) = gw
            .get(
                &format!("/v1/admin/reconciliation/runs/{first_run}"),
                Some(ADMIN_TOKEN),
            )
            .await;
        let by = api["items"]["data"][0]["resolution"]["operator"].as_str().unwrap();
        assert!(by.starts_with("console:"), "{by}");

        // The same form sent again (a double click) answers what the first did.
        let again = post(&resolve_path, fields(Some(&csrf), &nonce)).await.unwrap();
        assert_eq!(again.status(), 303);
        assert!(again.headers()["location"]
            .to_str()
            .unwrap()
            .contains(&format!("resolved={dsc}")));
        // A form from another page finds it resolved: a message on the run's page.
        let other = post(&resolve_path, fields(Some(&csrf), &"e".repeat(64)))
            .await
            .unwrap();
        assert_eq!(other.status(), 409);
        let page = other.text().await.unwrap();
        assert!(page.contains("id=\"resolve-error\"") && page.contains("discrepancy_already_resolved"));
        assert!(page.contains(&first_run));
        assert_eq!(gw.wallet_balance(&session).await, 2_000_000, "moved once");

        // The transfer leads to the ledger: the wallet's account and its entry.
        let wallet = b
            .text(&format!("#{dsc} .resolved-transfer a.account-link:last-of-type"))
            .await;
        b.click(&format!("#{dsc} .resolved-transfer a.account-link:last-of-type"))
            .await;
        b.wait_for_text("#account-id", &wallet, 5).await;
        assert_eq!(b.text("#account-balance").await, "2,000,000 ₫");

        // The same day's file uploaded: the withdrawal, failed now, is no difference.
        let file = gw
            .client
            .get(format!("{}/napas/statements/{today}", gw.simulators_url))
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        let dir = std::env::temp_dir().join(format!("e2e-napas-{:016x}", rand::random::<u64>()));
        std::fs::create_dir_all(&dir).unwrap();
        let statement = dir.join(format!("napas-{today}.txt"));
        std::fs::write(&statement, &file).unwrap();
        let garbage = dir.join("not-a-statement.txt");
        std::fs::write(&garbage, "this is not a NAPAS file\n").unwrap();
        let upload = |path: std::path::PathBuf| {
            let b = &b;
            let gw = &gw;
            async move {
                b.goto(&gw.url("/console/reconciliation")).await;
                b.select("#upload-source", "napas").await;
                b.client
                    .find(Locator::Css("#upload-file"))
                    .await
                    .unwrap()
                    .send_keys(path.to_str().unwrap())
                    .await
                    .unwrap();
                b.click("#upload-submit").await;
            }
        };
        upload(garbage).await;
        b.wait_for_text("#run-error", "invalid_statement", 10).await;
        upload(statement).await;
        b.wait_for_url(&gw.url("/console/reconciliation/runs/rcn_"), 15)
            .await;
        let second_run = b.text("#run-id").await;
        assert_ne!(second_run, first_run);
        assert_eq!(b.text("#run-origin").await, format!("uploaded · napas-{today}.txt"));
        assert_eq!(b.text("#run-differences").await, "0");
        b.wait_for_text("#differences", "agrees with our payments", 5)
            .await;
        let _ = std::fs::remove_dir_all(&dir);

        // The runs, newest first, filtered by system and day.
        b.goto(&gw.url(&format!("/console/reconciliation?source=napas&day={today}")))
            .await;
        assert_eq!(b.text("#runs tbody tr:first-child a.run-link").await, second_run);
        b.wait_for_text("#runs", &first_run, 5).await;
        b.screenshot("console-reconciliation").await;
        b.goto(&gw.url("/console/reconciliation?source=momo")).await;
        b.wait_for_text("#runs", "No runs", 5).await;

        // A day that has not begun is refused on the page, with the form kept.
        let tomorrow = (vietnam_today() + chrono::Duration::days(1)).to_string();
        let res = post(
            "/console/reconciliation/runs",
            vec![
                ("csrf", csrf.clone()),
                ("source", "evn".to_string()),
                ("business_date", tomorrow.clone()),
            ],
        )
        .await
        .unwrap();
        assert_eq!(res.status(), 400);
        let page = res.text().await.unwrap();
        assert!(page.contains("invalid_business_date") && page.contains(&tomorrow));
        let res = post(
            "/console/reconciliation/runs",
            vec![("source", "napas".to_string()), ("business_date", today.clone())],
        )
        .await
        .unwrap();
        assert_eq!(res.status(), 403, "no run without the CSRF token");

        // Every run and resolution is on the trail, once.
        b.goto(&gw.url("/console/audit")).await;
        let trail = b.text("#audit").await;
        assert_eq!(trail.matches("reconciliation.run").count(), 2, "{trail}");
        assert_eq!(trail.matches("reconciliation.resolve").count(), 1, "{trail}");
        assert!(trail.contains(&dsc) && trail.contains(reason));
        b.close().await;
    })
    .await;
}

/// A console session opened over plain HTTP: its cookie and CSRF token.
async fn http_session(gw: &TestGateway, http: &reqwest::Client) -> (String, String) {
    let form = http.get(gw.url("/console/sign-in")).send().await.unwrap();
    let (pre_cookie, _) = set_cookie(&form, "gw_console_signin");
    let pre_csrf = csrf_of(&form.text().await.unwrap());
    let res = http
        .post(gw.url("/console/sign-in"))
        .header("cookie", pre_cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form_body(&[
            ("token", ADMIN_TOKEN.to_string()),
            ("csrf", pre_csrf),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let (cookie, _) = set_cookie(&res, "gw_console");
    let page = http
        .get(gw.url("/console/reconciliation"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    (cookie.clone(), csrf_of(&page.text().await.unwrap()))
}

#[tokio::test]
async fn a_system_that_is_down_is_a_message_on_the_page_not_a_broken_one() {
    // MoMo's address answers nothing: its port was free a moment ago and is closed.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let momo = format!("http://{closed}/momo");
    let gw = TestGateway::start_with(std::collections::HashMap::from([(
        "MOMO_BASE_URL",
        momo.as_str(),
    )]))
    .await;
    let http = no_redirects();
    let (cookie, csrf) = http_session(&gw, &http).await;
    let today = vietnam_today().to_string();
    let res = http
        .post(gw.url("/console/reconciliation/runs"))
        .header("cookie", &cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form_body(&[
            ("csrf", csrf),
            ("source", "momo".to_string()),
            ("business_date", today),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 503);
    let page = res.text().await.unwrap();
    assert!(page.contains("id=\"run-error\""), "{page}");
    assert!(page.contains("momo is unavailable") && page.contains("service_unavailable"));
    assert!(
        page.contains("<option value=\"momo\" selected>"),
        "the form keeps momo"
    );
    assert!(page.contains("No runs."), "nothing was recorded");
    // A resolution of a difference that does not exist is the not-found page.
    let res = http
        .post(gw.url("/console/reconciliation/discrepancies/dsc_nothing/resolve"))
        .header("cookie", &cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form_body(&[("csrf", csrf_of(&page))]))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
}
