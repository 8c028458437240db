//! The operator's console over plain HTTP: its cookies, forms and CSRF tokens, and a
//! signed-in session.

use crate::{TestGateway, ADMIN_TOKEN};

/// The `name=value` of a Set-Cookie header, and the header whole.
pub fn set_cookie(response: &reqwest::Response, name: &str) -> (String, String) {
    let header = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().expect("an ASCII header").to_string())
        .find(|v| v.starts_with(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no {name} cookie"));
    let pair = header.split(';').next().unwrap_or_default().to_string();
    (pair, header)
}

/// The CSRF token of the first form on a page.
pub fn csrf_of(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker).expect("a CSRF field") + marker.len();
    html[start..start + 64].to_string()
}

/// An `application/x-www-form-urlencoded` body, as a browser posts a form.
pub fn form_body(fields: &[(&str, String)]) -> String {
    let encode = |text: &str| -> String {
        text.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    char::from(b).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    fields
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// A client that shows redirects instead of following them.
pub fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("an HTTP client")
}

/// Signs the operator in to the console: the session cookie (`name=value`).
pub async fn console_session(gw: &TestGateway, http: &reqwest::Client) -> String {
    let form = http
        .get(gw.url("/console/sign-in"))
        .send()
        .await
        .expect("the sign-in form");
    let (pre_cookie, _) = set_cookie(&form, "gw_console_signin");
    let csrf = csrf_of(&form.text().await.expect("the form's page"));
    let res = http
        .post(gw.url("/console/sign-in"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("cookie", pre_cookie)
        .body(form_body(&[
            ("token", ADMIN_TOKEN.to_string()),
            ("csrf", csrf),
        ]))
        .send()
        .await
        .expect("signing in");
    assert_eq!(res.status(), 303);
    set_cookie(&res, "gw_console").0
}
