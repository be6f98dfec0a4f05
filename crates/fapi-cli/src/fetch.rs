//! HTTPS fetches (a `jwks_uri`, a metadata document) with reqwest on
//! rustls, trusting the system's roots or, with `--ca`, only the CA given
//! (a development CA).

use std::path::Path;

use crate::failure::Failure;
use crate::input;

/// The largest response body read.
const MAX_BODY: usize = 1024 * 1024;

/// Whether `arg` is an http(s) URL rather than a file path.
pub fn is_url(arg: &str) -> bool {
    let lower = arg.get(..8).map(str::to_ascii_lowercase);
    lower.as_deref() == Some("https://")
        || arg
            .get(..7)
            .is_some_and(|s| s.eq_ignore_ascii_case("http://"))
}

/// A client that trusts the CA in the PEM file `ca` only, or else the
/// system's roots.
pub fn client(ca: Option<&Path>) -> Result<reqwest::Client, Failure> {
    let mut b = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(core::time::Duration::from_secs(20));
    if let Some(path) = ca {
        let pem = input::file(path)?;
        let what = path.display().to_string();
        let certs = reqwest::Certificate::from_pem_bundle(&pem)
            .map_err(|e| Failure::usage(&what, format!("not a PEM certificate: {e}")))?;
        if certs.is_empty() {
            return Err(Failure::usage(&what, "no certificate in the file"));
        }
        b = b.tls_certs_only(certs);
    }
    b.build()
        .map_err(|e| Failure::environment("the HTTPS client", e))
}

/// GETs `url` (https only) and returns the body of a 200 answer.
pub async fn get_text(url: &str, ca: Option<&Path>) -> Result<String, Failure> {
    if !url
        .get(..8)
        .is_some_and(|s| s.eq_ignore_ascii_case("https://"))
    {
        return Err(Failure::usage(url, "only https URLs are fetched"));
    }
    let response = client(ca)?
        .get(url)
        .send()
        .await
        .map_err(|e| Failure::environment(url, error_chain(&e)))?;
    let status = response.status();
    if status != reqwest::StatusCode::OK {
        return Err(Failure::environment(url, format!("HTTP {status}")));
    }
    let body = response
        .bytes()
        .await
        .map_err(|e| Failure::environment(url, error_chain(&e)))?;
    if body.len() > MAX_BODY {
        return Err(Failure::environment(url, "the answer is larger than 1 MiB"));
    }
    String::from_utf8(body.to_vec())
        .map_err(|_| Failure::environment(url, "the answer is not UTF-8"))
}

/// An error with its causes, on one line.
pub fn error_chain(e: &dyn core::error::Error) -> String {
    let mut s = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cause = c.source();
    }
    s
}
