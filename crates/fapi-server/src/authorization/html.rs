//! The login and consent pages: small, tidy HTML with inline CSS (under a
//! per-response CSP nonce), every value HTML-escaped (`html-escape`), and
//! the headers that keep them out of caches and frames.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use html_escape::{encode_double_quoted_attribute as attr, encode_text as text};

const STYLE: &str = "body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;background:#f3f5f8;color:#1c2533;margin:0}\
main{max-width:28rem;margin:3rem auto;background:#fff;border-radius:10px;box-shadow:0 2px 12px rgba(0,0,0,.08);padding:2rem}\
h1{font-size:1.4rem;margin:0 0 1rem}h2{font-size:1rem;margin:1.2rem 0 .4rem}\
.bank{color:#0b5cad;font-weight:700;letter-spacing:.02em;margin-bottom:1.2rem}\
label{display:block;margin:.8rem 0 .2rem;font-weight:600}\
input[type=text],input[type=password]{width:100%;box-sizing:border-box;padding:.55rem;border:1px solid #b8c2d0;border-radius:6px;font-size:1rem}\
button{margin-top:1.2rem;padding:.6rem 1.2rem;border:0;border-radius:6px;font-size:1rem;cursor:pointer}\
.approve{background:#0b5cad;color:#fff}.deny{background:#e6e9ee;color:#1c2533;margin-left:.5rem}\
.error{background:#fdecec;color:#8a1c1c;padding:.6rem;border-radius:6px}\
dl{display:grid;grid-template-columns:auto 1fr;gap:.3rem 1rem;margin:0}dt{font-weight:600}dd{margin:0}\
ul{margin:.2rem 0;padding-left:1.2rem}.muted{color:#5a6677;font-size:.9rem}";

/// A whole page: `title` (escaped here) and `body` (already escaped HTML).
/// `form_action` lists the origins forms may go to (and be redirected to).
pub(crate) fn page(
    status: StatusCode,
    title: &str,
    body: &str,
    nonce: &str,
    form_action: &[&str],
) -> Response {
    let html = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>{}</title><style nonce=\"{}\">{STYLE}</style></head>\
<body><main><div class=\"bank\">fapi reference bank</div>{body}</main></body></html>\n",
        text(title),
        attr(nonce),
    );
    let mut sources = vec!["'self'".to_owned()];
    sources.extend(form_action.iter().map(|s| (*s).to_owned()));
    let csp = format!(
        "default-src 'none'; style-src 'nonce-{nonce}'; form-action {}; frame-ancestors 'none'; base-uri 'none'",
        sources.join(" ")
    );
    let mut r = (status, html).into_response();
    let h = r.headers_mut();
    let _ = h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    let _ = h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    let _ = h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    let _ = h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    let _ = h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if let Ok(v) = HeaderValue::from_str(&csp) {
        let _ = h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    r
}

/// The login form.
pub(crate) fn login(client_name: &str, txn: &str, csrf: &str, error: Option<&str>) -> String {
    let err = error.map_or_else(String::new, |e| {
        format!("<p class=\"error\">{}</p>", text(e))
    });
    format!(
        "<h1>Sign in</h1><p><strong>{}</strong> asks to reach your bank.</p>{err}\
<form method=\"post\" action=\"/authorize/login\">\
<input type=\"hidden\" name=\"txn\" value=\"{}\"><input type=\"hidden\" name=\"csrf\" value=\"{}\">\
<label for=\"username\">Username</label><input type=\"text\" id=\"username\" name=\"username\" autocomplete=\"username\" required autofocus>\
<label for=\"password\">Password</label><input type=\"password\" id=\"password\" name=\"password\" autocomplete=\"current-password\" required>\
<button class=\"approve\" type=\"submit\">Sign in</button></form>",
        text(client_name),
        attr(txn),
        attr(csrf),
    )
}

/// One line of the consent details.
pub(crate) fn detail(name: &str, value: &str) -> String {
    format!("<dt>{}</dt><dd>{}</dd>", text(name), text(value))
}

/// A list of values.
pub(crate) fn list(items: &[String]) -> String {
    let lis: String = items
        .iter()
        .map(|i| format!("<li>{}</li>", text(i)))
        .collect();
    format!("<ul>{lis}</ul>")
}

/// The consent page (F2-AS-INFO: the client's name and id, the scopes,
/// what the consent allows).
pub(crate) fn consent(
    client_name: &str,
    client_id: &str,
    user: &str,
    scopes: &[String],
    details_html: &str,
    txn: &str,
    csrf: &str,
) -> String {
    format!(
        "<h1>Allow access?</h1><p>Signed in as <strong>{}</strong>.</p>\
<p><strong>{}</strong> <span class=\"muted\">({})</span> asks for:</p>{}\
<h2>Details</h2><dl>{details_html}</dl>\
<form method=\"post\" action=\"/authorize/consent\">\
<input type=\"hidden\" name=\"txn\" value=\"{}\"><input type=\"hidden\" name=\"csrf\" value=\"{}\">\
<button class=\"approve\" type=\"submit\" name=\"decision\" value=\"approve\">Approve</button>\
<button class=\"deny\" type=\"submit\" name=\"decision\" value=\"deny\">Deny</button></form>",
        text(user),
        text(client_name),
        text(client_id),
        list(scopes),
        attr(txn),
        attr(csrf),
    )
}

/// An error page body.
pub(crate) fn error(message: &str) -> String {
    format!(
        "<h1>This request cannot go on</h1><p class=\"error\">{}</p>\
<p class=\"muted\">Go back to the application and start again.</p>",
        text(message)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_escaped() {
        let s = login("<script>alert(1)</script>", "t\"x", "c", Some("<b>"));
        assert!(!s.contains("<script>"));
        assert!(s.contains("&lt;script&gt;"));
        assert!(s.contains("t&quot;x"));
        assert!(!s.contains("<b>"));
    }
}
