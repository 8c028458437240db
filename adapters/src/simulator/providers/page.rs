//! The payer's page of a simulated provider: the order and two buttons that call the
//! control API, so a person trying the demo in a browser can pay or cancel.

use crate::providers::vnpay::urlencode;
use actix_web::HttpResponse;

/// `text` safe inside HTML text and double-quoted attributes.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// `text` as one URL path segment.
pub(crate) fn path_segment(text: &str) -> String {
    // PHP urlencode writes space as `+`, which a path does not decode; every literal
    // `+` is already `%2B`, so each `+` left is a space.
    urlencode(text).replace('+', "%20")
}

/// 200 with the page of an order at `prefix` (`/vnpay`, `/momo`, `/zalopay`).
pub(crate) fn order_page(
    provider: &str,
    prefix: &str,
    reference: &str,
    amount: i64,
    description: &str,
) -> HttpResponse {
    let path = format!("{prefix}/orders/{}", path_segment(reference));
    let html = format!(
        "<!doctype html><html lang=\"vi\"><head><meta charset=\"utf-8\">\
         <title>{provider} (simulator)</title></head><body>\
         <h1>{provider} (simulator)</h1>\
         <p>Order <code>{reference}</code>: {amount} VND</p><p>{description}</p>\
         <form method=\"post\" action=\"{path}/pay\"><button>Pay</button></form>\
         <form method=\"post\" action=\"{path}/cancel\"><button>Cancel</button></form>\
         </body></html>",
        provider = escape(provider),
        reference = escape(reference),
        description = escape(description),
        path = escape(&path),
    );
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(html)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }
}
